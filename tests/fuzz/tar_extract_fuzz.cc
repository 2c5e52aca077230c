// Fuzzes layer application with arbitrary (possibly compressed) tar streams. Each input is
// applied to a fresh directory inside a per-process sandbox directory, which must afterwards
// contain nothing but that target: no ".." escape, no write through a symlink, no temporary
// directory left behind. A successful extraction is also written back out with writeLayerTar.
// The first input byte picks the whiteout format.

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/file_util.h"
#include "store/tar_extract.h"

namespace {

// Never destroyed, so the atexit cleanup can still read it.
const std::string& sandbox() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/berth-tar-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    auto* base = new std::string(tmpl);
    if (!berth::makeDirs(*base + "/box").ok()) std::abort();
    std::atexit([] { (void)berth::removeAll(sandbox()); });
    return base;
  }();
  return *dir;
}

// The names directly inside `dir`.
int countEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  ::closedir(d);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string box = sandbox() + "/box";
  const std::string target = box + "/layer";
  berth::store::ApplyOptions options;
  options.whiteouts = (data[0] & 1) ? berth::store::WhiteoutFormat::kApplyInPlace
                                    : berth::store::WhiteoutFormat::kOverlay;
  options.allow_devices = false;
  // Bit 1: docker cp's options (PUT archive); bit 2: its check-only first pass.
  if (data[0] & 2) {
    options.plain_whiteouts = true;
    options.skip_root_entry = true;
    options.refuse_escaping_symlinks = true;
    options.no_overwrite_dir_non_dir = true;
  }
  options.check_only = (data[0] & 4) != 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t pos = 0;
  berth::store::LayerReader reader = [&](char* buf, std::size_t len) -> berth::Result<std::size_t> {
    std::size_t n = std::min(len, stream.size() - pos);
    std::copy_n(stream.data() + pos, n, buf);
    pos += n;
    return n;
  };
  auto stats = berth::store::applyLayer(reader, target, options);
  // Only the target (on success) may exist in the box, and nothing may exist beside the box.
  if (countEntries(box) != (stats.ok() ? 1 : 0)) std::abort();
  if (countEntries(sandbox()) != 1) std::abort();
  if (stats.ok()) {
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    berth::store::WriteOptions write_options;
    write_options.whiteouts = options.whiteouts;
    (void)berth::store::writeLayerTar(target, null_fd, write_options);
    ::close(null_fd);
  }
  (void)berth::removeAll(target);
  return 0;
}
