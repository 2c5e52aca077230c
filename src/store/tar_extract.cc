#include "store/tar_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/file_util.h"
#include "base/scope_guard.h"
#include "base/unique_fd.h"
#include "sys/open_in_root.h"

namespace berth::store {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kWhiteoutOpaque = ".wh..wh..opq";
constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
constexpr std::size_t kBufferSize = 128 * 1024;

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReadPtr = std::unique_ptr<archive, ArchiveReadDeleter>;

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveWritePtr = std::unique_ptr<archive, ArchiveWriteDeleter>;

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string archiveError(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown archive error";
}

std::string joinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

std::pair<std::string, std::string> splitParent(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Lexically cleans an entry name into a root-relative path without "." or ".." ("" is the root
// itself). A leading "/" is dropped, as Docker does; climbing above the root is refused.
Result<std::string> cleanEntryPath(std::string_view raw) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t slash = raw.find('/', start);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view comp = raw.substr(start, slash - start);
    if (comp == "..") {
      if (parts.empty()) {
        return Error(ErrorCode::kInvalidArgument,
                     "refusing to extract " + quoted(raw) + ": path escapes the layer root");
      }
      parts.pop_back();
    } else if (!comp.empty() && comp != ".") {
      parts.push_back(comp);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

// Opens the directory `path` (root-relative, "" = root) with every component resolved inside
// the root: symlinks, absolute or with "..", cannot leave it.
Result<UniqueFd> openDirInRoot(int root_fd, const std::string& path) {
  if (path.empty()) {
    int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errnoError("dup layer root fd");
    return UniqueFd(fd);
  }
  int fd = sys::openInRoot(root_fd, path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errnoError("open " + path + " in layer root");
  return UniqueFd(fd);
}

// As openDirInRoot, creating missing directories (mode 0755, like Docker) on the way.
Result<UniqueFd> makeDirInRoot(int root_fd, const std::string& path) {
  auto direct = openDirInRoot(root_fd, path);
  if (direct.ok() || direct.error().sysErrno() != ENOENT) return direct;
  BERTH_TRY(UniqueFd cur, openDirInRoot(root_fd, ""));
  std::string prefix;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string comp = path.substr(start, slash - start);
    prefix = joinPath(prefix, comp);
    auto next = openDirInRoot(root_fd, prefix);
    if (!next.ok() && next.error().sysErrno() == ENOENT) {
      if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST) {
        return errnoError("mkdir " + prefix + " in layer root");
      }
      next = openDirInRoot(root_fd, prefix);
    }
    if (!next.ok()) return std::move(next).error();
    cur = std::move(*next);
    start = slash + 1;
  }
  return cur;
}

Result<std::vector<std::string>> listDir(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errnoError("open directory");
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return errnoError("fdopendir");
  }
  ScopeGuard close_dir([d] { ::closedir(d); });
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = ::readdir(d)) {
    std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) return errnoError("readdir");
  return names;
}

// rm -rf of `name` in `dir_fd`, never following symlinks. A missing entry is fine.
Result<void> removeAt(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return errnoError("stat " + name);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return errnoError("open " + name);
    BERTH_TRY(auto children, listDir(sub.get()));
    for (const auto& child : children) BERTH_TRY_VOID_CTX(removeAt(sub.get(), child), name);
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return errnoError("remove " + name);
    }
    return {};
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return errnoError("remove " + name);
  }
  return {};
}

Result<void> writeAllAt(int fd, const char* data, std::size_t len, off_t offset) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, data, len, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write");
    }
    data += n;
    len -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

struct DirTimes {
  std::string path;
  timespec times[2];
};

// The state shared by libarchive's callbacks: the outer (decompressing, "raw" format) archive
// pulls bytes from the caller's reader; the inner (tar) archive pulls decompressed bytes from
// the outer one, and every byte the inner archive sees is hashed on the way.
struct StreamContext {
  const LayerReader* reader = nullptr;
  std::vector<char> in_buf = std::vector<char>(kBufferSize);
  std::vector<char> tar_buf = std::vector<char>(kBufferSize);
  archive* raw = nullptr;
  Sha256 hasher;
  std::optional<Error> reader_error;
  std::string raw_error;
};

la_ssize_t readCompressed(archive* a, void* opaque, const void** buf) {
  auto* ctx = static_cast<StreamContext*>(opaque);
  auto n = (*ctx->reader)(ctx->in_buf.data(), ctx->in_buf.size());
  if (!n.ok()) {
    archive_set_error(a, EIO, "%s", n.error().message().c_str());
    ctx->reader_error = std::move(n).error();
    return -1;
  }
  *buf = ctx->in_buf.data();
  return static_cast<la_ssize_t>(*n);
}

la_ssize_t readDecompressed(archive* a, void* opaque, const void** buf) {
  auto* ctx = static_cast<StreamContext*>(opaque);
  la_ssize_t n = archive_read_data(ctx->raw, ctx->tar_buf.data(), ctx->tar_buf.size());
  if (n < 0) {
    ctx->raw_error = archiveError(ctx->raw);
    archive_set_error(a, EIO, "%s", ctx->raw_error.c_str());
    return -1;
  }
  ctx->hasher.update(ctx->tar_buf.data(), static_cast<std::size_t>(n));
  *buf = ctx->tar_buf.data();
  return n;
}

class Extractor {
 public:
  Extractor(int root_fd, const ApplyOptions& options, LayerApplyStats* stats)
      : root_fd_(root_fd), options_(options), stats_(stats) {}

  Result<void> apply(archive* a, archive_entry* entry);
  // Sets directory times last: creating children would otherwise overwrite them.
  Result<void> finish();

 private:
  Result<void> applyWhiteout(const std::string& path, const std::string& parent,
                             const std::string& base);
  Result<void> clearOpaque(int dir_fd, const std::string& dir_path);
  Result<void> checkEntry(archive_entry* entry, const std::string& path, const std::string& parent,
                          const std::string& base);
  Result<void> checkOverwrite(mode_t existing, bool entry_is_dir, const std::string& path);
  Result<void> writeRegular(archive* a, archive_entry* entry, int parent_fd,
                            const std::string& name, const std::string& path);
  Result<void> applyXattrs(archive_entry* entry, int fd, int parent_fd, const std::string& name,
                           const std::string& path);

  int root_fd_;
  const ApplyOptions& options_;
  LayerApplyStats* stats_;
  std::unordered_set<std::string> unpacked_;
  std::vector<DirTimes> dir_times_;
  // check_only: what earlier entries would have made (path → is a directory).
  std::map<std::string, bool> planned_;
};

Result<void> Extractor::checkOverwrite(mode_t existing, bool entry_is_dir,
                                       const std::string& path) {
  std::string shown = quoted("/" + path);
  if (S_ISDIR(existing) && !entry_is_dir) {
    return invalidArgument("cannot overwrite directory " + shown + " with non-directory " + shown);
  }
  if (!S_ISDIR(existing) && entry_is_dir) {
    return invalidArgument("cannot overwrite non-directory " + shown + " with directory " + shown);
  }
  return {};
}

// The checks of apply() without writing: the entry's parent is looked up (inside the root) in
// the target as it is, or among the entries planned before it.
Result<void> Extractor::checkEntry(archive_entry* entry, const std::string& path,
                                   const std::string& parent, const std::string& base) {
  const char* raw_name = archive_entry_pathname(entry);
  const mode_t type = archive_entry_filetype(entry);
  const char* hardlink = archive_entry_hardlink(entry);
  if (type == AE_IFSOCK) return {};
  const bool is_device = hardlink == nullptr && (type == AE_IFCHR || type == AE_IFBLK);
  if (is_device && !options_.allow_devices) {
    return Error(ErrorCode::kForbidden,
                 "refusing to extract device node " + quoted(raw_name) + ": devices not allowed");
  }
  if (hardlink != nullptr) {
    auto target = cleanEntryPath(hardlink);
    if (!target.ok() || target->empty()) {
      return invalidArgument("refusing to extract " + quoted(raw_name) + ": hardlink target " +
                             quoted(hardlink) + " escapes the layer root");
    }
  }
  if (options_.refuse_escaping_symlinks && hardlink == nullptr && type == AE_IFLNK) {
    const char* target = archive_entry_symlink(entry);
    std::string t = target == nullptr ? std::string() : std::string(target);
    if (!t.starts_with("/") && !cleanEntryPath(joinPath(parent, t)).ok()) {
      std::string root = options_.display_root;
      if (!root.ends_with("/")) root += "/";
      return invalidArgument("invalid symlink " + quoted(root + path) + " -> " + quoted(t));
    }
  }
  const bool is_dir = hardlink == nullptr && type == AE_IFDIR;
  if (options_.no_overwrite_dir_non_dir) {
    if (auto it = planned_.find(path); it != planned_.end()) {
      BERTH_TRY_VOID(checkOverwrite(it->second ? S_IFDIR : S_IFREG, is_dir, path));
    } else if (auto dir = openDirInRoot(root_fd_, parent); dir.ok()) {
      struct stat existing;
      if (::fstatat(dir->get(), base.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        BERTH_TRY_VOID(checkOverwrite(existing.st_mode, is_dir, path));
      }
    }
  }
  planned_[path] = is_dir;
  return {};
}

void entryTimes(archive_entry* entry, timespec times[2]) {
  times[1].tv_sec = archive_entry_mtime(entry);
  times[1].tv_nsec = archive_entry_mtime_nsec(entry);
  if (archive_entry_atime_is_set(entry)) {
    times[0].tv_sec = archive_entry_atime(entry);
    times[0].tv_nsec = archive_entry_atime_nsec(entry);
  } else {
    times[0] = times[1];
  }
}

Result<void> Extractor::apply(archive* a, archive_entry* entry) {
  ++stats_->entries;
  const char* raw_name = archive_entry_pathname(entry);
  if (raw_name == nullptr) return invalidArgument("archive entry without a name");
  BERTH_TRY(std::string path, cleanEntryPath(raw_name));
  const mode_t type = archive_entry_filetype(entry);
  const char* hardlink = archive_entry_hardlink(entry);

  if (path.empty()) {
    // The root itself ("./"): only its metadata can change.
    if (hardlink != nullptr || type != AE_IFDIR) {
      return invalidArgument("refusing to extract " + quoted(raw_name) +
                             ": the layer root must stay a directory");
    }
    if (options_.check_only || options_.skip_root_entry) return {};
    if (::fchown(root_fd_, options_.chown ? options_.chown->first : archive_entry_uid(entry),
                 options_.chown ? options_.chown->second : archive_entry_gid(entry)) != 0 ||
        ::fchmod(root_fd_, archive_entry_perm(entry) & 07777) != 0) {
      return errnoError("set owner and mode of the layer root");
    }
    BERTH_TRY_VOID(applyXattrs(entry, root_fd_, -1, "", "."));
    DirTimes dt{""};
    entryTimes(entry, dt.times);
    dir_times_.push_back(std::move(dt));
    return {};
  }

  auto [parent, base] = splitParent(path);
  if (!options_.plain_whiteouts && base.starts_with(kWhiteoutPrefix)) {
    if (options_.check_only) return {};
    return applyWhiteout(path, parent, base);
  }

  if (type == AE_IFSOCK) {
    ++stats_->skipped;
    return {};
  }
  const bool is_device = hardlink == nullptr && (type == AE_IFCHR || type == AE_IFBLK);
  if (is_device && !options_.allow_devices) {
    return Error(ErrorCode::kForbidden,
                 "refusing to extract device node " + quoted(raw_name) + ": devices not allowed");
  }

  if (options_.check_only) return checkEntry(entry, path, parent, base);
  BERTH_TRY_CTX(UniqueFd parent_fd, makeDirInRoot(root_fd_, parent), "extract " + quoted(raw_name));
  auto fail = [&](std::string_view what) { return errnoError(std::string(what) + " " + path); };
  const char* name = base.c_str();
  const int dfd = parent_fd.get();

  struct stat existing;
  bool exists = ::fstatat(dfd, name, &existing, AT_SYMLINK_NOFOLLOW) == 0;
  bool merge_dir = exists && S_ISDIR(existing.st_mode) && hardlink == nullptr && type == AE_IFDIR;
  if (exists && options_.no_overwrite_dir_non_dir) {
    BERTH_TRY_VOID(checkOverwrite(existing.st_mode, hardlink == nullptr && type == AE_IFDIR, path));
  }
  // ".wh.d" followed by a directory "d" in one layer: the new directory must hide the lower
  // one, which overlayfs expresses with an opaque directory, not by dropping the whiteout.
  bool replaces_whiteout = options_.whiteouts == WhiteoutFormat::kOverlay && exists &&
                           S_ISCHR(existing.st_mode) && existing.st_rdev == makedev(0, 0);
  if (exists && !merge_dir) BERTH_TRY_VOID_CTX(removeAt(dfd, base), "replace " + path);
  unpacked_.insert(path);

  const uid_t uid =
      options_.chown ? options_.chown->first : static_cast<uid_t>(archive_entry_uid(entry));
  const gid_t gid =
      options_.chown ? options_.chown->second : static_cast<gid_t>(archive_entry_gid(entry));
  const mode_t perm = archive_entry_perm(entry) & 07777;
  timespec times[2];
  entryTimes(entry, times);

  if (hardlink != nullptr) {
    auto target = cleanEntryPath(hardlink);
    if (!target.ok() || target->empty()) {
      return invalidArgument("refusing to extract " + quoted(raw_name) + ": hardlink target " +
                             quoted(hardlink) + " escapes the layer root");
    }
    auto [target_parent, target_base] = splitParent(*target);
    BERTH_TRY_CTX(UniqueFd target_fd, openDirInRoot(root_fd_, target_parent),
                  "link " + path + " to " + *target);
    // Flags 0: a symlink target is linked itself, never followed.
    if (::linkat(target_fd.get(), target_base.c_str(), dfd, name, 0) != 0) {
      return errnoError("link " + path + " to " + *target);
    }
    return {};
  }

  switch (type) {
    case AE_IFREG:
      return writeRegular(a, entry, dfd, base, path);
    case AE_IFDIR: {
      if (!merge_dir && ::mkdirat(dfd, name, 0700) != 0) return fail("mkdir");
      UniqueFd fd(::openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return fail("open");
      if (::fchown(fd.get(), uid, gid) != 0) return fail("chown");
      if (::fchmod(fd.get(), perm) != 0) return fail("chmod");
      BERTH_TRY_VOID(applyXattrs(entry, fd.get(), dfd, base, path));
      if (replaces_whiteout && ::fsetxattr(fd.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
        return fail("mark opaque");
      }
      DirTimes dt{path};
      dt.times[0] = times[0];
      dt.times[1] = times[1];
      dir_times_.push_back(std::move(dt));
      return {};
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr)
        return invalidArgument("symlink " + quoted(raw_name) + " has no target");
      if (::symlinkat(target, dfd, name) != 0) return fail("symlink");
      if (::fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return fail("chown");
      if (::utimensat(dfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) return fail("set times of");
      return {};
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      dev_t dev = type == AE_IFIFO
                      ? 0
                      : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
      if (::mknodat(dfd, name, type | perm, dev) != 0) return fail("mknod");
      if (::fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return fail("chown");
      // Just created by us as a non-symlink, so following is harmless here.
      if (::fchmodat(dfd, name, perm, 0) != 0) return fail("chmod");
      BERTH_TRY_VOID(applyXattrs(entry, -1, dfd, base, path));
      if (::utimensat(dfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) return fail("set times of");
      return {};
    }
    default:
      return invalidArgument("unsupported archive entry type " + std::to_string(type) + " for " +
                             quoted(raw_name));
  }
}

Result<void> Extractor::writeRegular(archive* a, archive_entry* entry, int parent_fd,
                                     const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(parent_fd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errnoError("create " + path);
  while (true) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return Error(ErrorCode::kDataLoss, "read " + path + " from layer: " + archiveError(a));
    }
    BERTH_TRY_VOID_CTX(writeAllAt(fd.get(), static_cast<const char*>(block), size, offset), path);
    stats_->file_bytes += size;
  }
  // Sparse files end in a hole that no block covers.
  if (archive_entry_size_is_set(entry) && ::ftruncate(fd.get(), archive_entry_size(entry)) != 0) {
    return errnoError("truncate " + path);
  }
  // chown before chmod and xattrs: chown clears setuid bits and file capabilities.
  if (::fchown(fd.get(),
               options_.chown ? options_.chown->first
                              : static_cast<uid_t>(archive_entry_uid(entry)),
               options_.chown ? options_.chown->second
                              : static_cast<gid_t>(archive_entry_gid(entry))) != 0) {
    return errnoError("chown " + path);
  }
  if (::fchmod(fd.get(), archive_entry_perm(entry) & 07777) != 0)
    return errnoError("chmod " + path);
  BERTH_TRY_VOID(applyXattrs(entry, fd.get(), parent_fd, name, path));
  timespec times[2];
  entryTimes(entry, times);
  if (::futimens(fd.get(), times) != 0) return errnoError("set times of " + path);
  return {};
}

// Sets the entry's xattrs on `fd`, or, without an fd (devices, fifos), through the parent's
// /proc/self/fd link (opening a fifo could block). ENOTSUP and EPERM are skipped, as Docker
// does: not every filesystem under a layer store supports every namespace.
Result<void> Extractor::applyXattrs(archive_entry* entry, int fd, int parent_fd,
                                    const std::string& name, const std::string& path) {
  if (archive_entry_xattr_reset(entry) == 0) return {};
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(key).starts_with(kOverlayXattrPrefix)) {
      ++stats_->skipped;
      continue;
    }
    int r;
    if (fd >= 0) {
      r = ::fsetxattr(fd, key, value, size, 0);
    } else {
      std::string proc = "/proc/self/fd/" + std::to_string(parent_fd) + "/" + name;
      r = ::lsetxattr(proc.c_str(), key, value, size, 0);
    }
    if (r != 0) {
      if (errno == ENOTSUP || errno == EPERM) {
        ++stats_->skipped;
        continue;
      }
      return errnoError("set xattr " + std::string(key) + " on " + path);
    }
  }
  return {};
}

Result<void> Extractor::applyWhiteout(const std::string& path, const std::string& parent,
                                      const std::string& base) {
  ++stats_->whiteouts;
  const bool overlay = options_.whiteouts == WhiteoutFormat::kOverlay;
  if (base == kWhiteoutOpaque) {
    BERTH_TRY_CTX(UniqueFd dir, makeDirInRoot(root_fd_, parent), "apply " + path);
    if (overlay) {
      if (::fsetxattr(dir.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
        return errnoError("set " + std::string(kOverlayOpaqueXattr) + " on " +
                          (parent.empty() ? std::string("/") : parent));
      }
      return {};
    }
    return clearOpaque(dir.get(), parent);
  }
  if (base.starts_with(kWhiteoutMetaPrefix)) {
    // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content, Docker skips it too.
    --stats_->whiteouts;
    ++stats_->skipped;
    return {};
  }
  std::string victim = base.substr(kWhiteoutPrefix.size());
  if (victim.empty() || victim == "." || victim == "..") {
    return invalidArgument("invalid whiteout " + quoted(path));
  }
  // Whiteouts hide lower layers only: an entry of this same layer stays.
  if (unpacked_.count(joinPath(parent, victim)) != 0) return {};
  if (overlay) {
    BERTH_TRY_CTX(UniqueFd dir, makeDirInRoot(root_fd_, parent), "apply " + path);
    BERTH_TRY_VOID(removeAt(dir.get(), victim));
    if (::mknodat(dir.get(), victim.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
      return errnoError("create whiteout " + joinPath(parent, victim));
    }
    return {};
  }
  auto dir = openDirInRoot(root_fd_, parent);
  if (!dir.ok()) {
    // Nothing below a missing (or non-directory) parent to delete.
    if (dir.error().sysErrno() == ENOENT || dir.error().sysErrno() == ENOTDIR) return {};
    return std::move(dir).error();
  }
  return removeAt(dir->get(), victim);
}

// Removes everything under the directory that this layer did not unpack; directories this layer
// did unpack are merged with lower content, so they are cleaned recursively.
Result<void> Extractor::clearOpaque(int dir_fd, const std::string& dir_path) {
  BERTH_TRY(auto children, listDir(dir_fd));
  for (const auto& child : children) {
    std::string child_path = joinPath(dir_path, child);
    if (unpacked_.count(child_path) == 0) {
      BERTH_TRY_VOID(removeAt(dir_fd, child));
      continue;
    }
    UniqueFd sub(::openat(dir_fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub) BERTH_TRY_VOID(clearOpaque(sub.get(), child_path));
  }
  return {};
}

Result<void> Extractor::finish() {
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    if (it->path.empty()) {
      if (::futimens(root_fd_, it->times) != 0) return errnoError("set times of layer root");
      continue;
    }
    auto [parent, base] = splitParent(it->path);
    auto dir = openDirInRoot(root_fd_, parent);
    if (!dir.ok()) continue;  // replaced or removed later in the stream
    struct stat st;
    if (::fstatat(dir->get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      continue;
    if (::utimensat(dir->get(), base.c_str(), it->times, AT_SYMLINK_NOFOLLOW) != 0) {
      return errnoError("set times of " + it->path);
    }
  }
  return {};
}

// Reads the whole stream and applies it to the directory open as root_fd.
Result<LayerApplyStats> extractStream(const LayerReader& reader, int root_fd,
                                      const ApplyOptions& options) {
  // DiffID: libarchive hands the tar reader's decompressed bytes to no one, so the stream runs
  // through two archive objects in a single pass: `raw` (all filters, "raw" format) only
  // decompresses, and `tar` reads its input from `raw` through a callback that hashes every
  // byte. After the last entry the rest of the stream (end-of-archive blocks, padding) is
  // drained into the hash, so the digest covers exactly the uncompressed layer, and it works
  // on pipes without a second pass or a temporary copy.
  StreamContext ctx;
  ctx.reader = &reader;
  ArchiveReadPtr raw(archive_read_new());
  ArchiveReadPtr tar(archive_read_new());
  if (!raw || !tar) return internalError("allocate archive reader");
  archive_read_support_filter_all(raw.get());
  archive_read_support_format_raw(raw.get());
  ctx.raw = raw.get();
  auto streamError = [&](archive* a, std::string_view what) -> Error {
    if (ctx.reader_error) return ctx.reader_error->wrap(what);
    return Error(ErrorCode::kDataLoss, std::string(what) + ": " + archiveError(a));
  };
  if (archive_read_open(raw.get(), &ctx, nullptr, readCompressed, nullptr) != ARCHIVE_OK) {
    return streamError(raw.get(), "open layer stream");
  }
  archive_entry* raw_entry = nullptr;
  if (archive_read_next_header(raw.get(), &raw_entry) != ARCHIVE_OK) {
    return streamError(raw.get(), "open layer stream");
  }
  archive_read_support_format_tar(tar.get());
  archive_read_support_format_empty(tar.get());
  if (archive_read_open(tar.get(), &ctx, nullptr, readDecompressed, nullptr) != ARCHIVE_OK) {
    return streamError(tar.get(), "read layer tar");
  }

  LayerApplyStats stats;
  Extractor extractor(root_fd, options, &stats);
  while (true) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(tar.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return streamError(tar.get(), "read layer tar");
    BERTH_TRY_VOID(extractor.apply(tar.get(), entry));
  }
  if (options.check_only) return stats;
  while (true) {
    la_ssize_t n = archive_read_data(raw.get(), ctx.tar_buf.data(), ctx.tar_buf.size());
    if (n < 0) return streamError(raw.get(), "read layer tar");
    if (n == 0) break;
    ctx.hasher.update(ctx.tar_buf.data(), static_cast<std::size_t>(n));
  }
  BERTH_TRY_VOID(extractor.finish());
  stats.tar_bytes = ctx.hasher.bytes();
  stats.diff_id = Digest{"sha256", ctx.hasher.finishHex()};
  if (options.expected_diff_id && *options.expected_diff_id != stats.diff_id) {
    return Error(ErrorCode::kDataLoss, "digest mismatch: expected " +
                                           options.expected_diff_id->str() + ", got " +
                                           stats.diff_id.str());
  }
  return stats;
}

}  // namespace

Result<LayerApplyStats> applyLayer(int fd, const std::string& target_dir,
                                   const ApplyOptions& options) {
  LayerReader reader = [fd](char* buf, std::size_t len) -> Result<std::size_t> {
    while (true) {
      ssize_t n = ::read(fd, buf, len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return errnoError("read layer stream");
    }
  };
  return applyLayer(reader, target_dir, options);
}

Result<LayerApplyStats> applyLayerAt(const LayerReader& reader, int root_fd,
                                     const ApplyOptions& options) {
  return extractStream(reader, root_fd, options);
}

Result<LayerApplyStats> applyLayer(const LayerReader& reader, const std::string& target_dir,
                                   const ApplyOptions& options) {
  std::string context = "apply layer to " + target_dir;
  struct stat st;
  if (::lstat(target_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return invalidArgument(context + ": not a directory");
    UniqueFd root(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return errnoError(context);
    auto stats = extractStream(reader, root.get(), options);
    if (!stats.ok()) return std::move(stats).error().wrap(context);
    return stats;
  }
  if (errno != ENOENT) return errnoError(context);

  std::string tmpl = target_dir + ".tmp-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errnoError(context + ": create temporary directory");
  const std::string tmp = tmpl;
  ScopeGuard cleanup([&tmp] { (void)removeAll(tmp); });
  UniqueFd root(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errnoError(context + ": open " + tmp);
  if (::fchmod(root.get(), 0755) != 0) return errnoError(context + ": chmod " + tmp);
  auto stats = extractStream(reader, root.get(), options);
  if (!stats.ok()) return std::move(stats).error().wrap(context);
  root.reset();
  if (::rename(tmp.c_str(), target_dir.c_str()) != 0) {
    int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) return conflict(context + ": target appeared meanwhile");
    return sysError(context + ": rename " + tmp, err);
  }
  cleanup.dismiss();
  return stats;
}

// ---------------------------------------------------------------------------------------------
// writeLayerTar

namespace {

struct WriteContext {
  int fd = -1;
  Sha256 hasher;
  std::optional<Error> error;
};

la_ssize_t writeCallback(archive* a, void* opaque, const void* buf, size_t len) {
  auto* ctx = static_cast<WriteContext*>(opaque);
  const char* p = static_cast<const char*>(buf);
  size_t left = len;
  while (left > 0) {
    ssize_t n = ::write(ctx->fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ctx->error = errnoError("write layer tar");
      archive_set_error(a, errno, "write failed");
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ctx->hasher.update(buf, len);
  return static_cast<la_ssize_t>(len);
}

class TreeWriter {
 public:
  TreeWriter(archive* a, WriteContext* ctx, const WriteOptions& options)
      : a_(a), ctx_(ctx), options_(options) {}

  Result<void> writeDir(int dir_fd, const std::string& rel);
  Result<void> writeOne(int dir_fd, const std::string& name, const std::string& rel);
  // An empty regular file entry named `rel` (a ".wh." whiteout).
  Result<void> writeWhiteout(const std::string& rel) {
    EntryPtr entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), rel.c_str());
    archive_entry_set_mode(entry.get(), AE_IFREG | 0600);
    archive_entry_set_size(entry.get(), 0);
    return writeHeader(entry.get(), rel);
  }

 private:
  Result<void> writeHeader(archive_entry* entry, const std::string& rel);
  Error archiveFailure(const std::string& what) {
    if (ctx_->error) return ctx_->error->wrap(what);
    return internalError(what + ": " + archiveError(a_));
  }

  archive* a_;
  WriteContext* ctx_;
  const WriteOptions& options_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

Result<void> TreeWriter::writeHeader(archive_entry* entry, const std::string& rel) {
  if (archive_write_header(a_, entry) < ARCHIVE_WARN) return archiveFailure("write header " + rel);
  return {};
}

Result<void> TreeWriter::writeDir(int dir_fd, const std::string& rel) {
  BERTH_TRY_CTX(auto names, listDir(dir_fd), "list " + (rel.empty() ? std::string(".") : rel));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) BERTH_TRY_VOID(writeOne(dir_fd, name, joinPath(rel, name)));
  return {};
}

Result<void> TreeWriter::writeOne(int dir_fd, const std::string& name, const std::string& rel) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errnoError("stat " + rel);
  }
  if (S_ISSOCK(st.st_mode)) return {};
  if (S_ISREG(st.st_mode) && st.st_size == 0 &&
      std::find(options_.skip_empty_files.begin(), options_.skip_empty_files.end(), rel) !=
          options_.skip_empty_files.end()) {
    return {};
  }
  const bool overlay = options_.whiteouts == WhiteoutFormat::kOverlay;
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), rel.c_str());
  archive_entry_set_uid(entry.get(), st.st_uid);
  archive_entry_set_gid(entry.get(), st.st_gid);
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
  archive_entry_set_mode(entry.get(), st.st_mode);

  if (overlay && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
    auto [parent, base] = splitParent(rel);
    archive_entry_set_pathname(entry.get(), joinPath(parent, ".wh." + base).c_str());
    archive_entry_set_mode(entry.get(), AE_IFREG | 0600);
    archive_entry_set_size(entry.get(), 0);
    return writeHeader(entry.get(), rel);
  }

  UniqueFd fd;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
    fd.reset(::openat(dir_fd, name.c_str(), flags));
    if (!fd) return errnoError("open " + rel);
    char cap[1024];
    ssize_t n = ::fgetxattr(fd.get(), "security.capability", cap, sizeof cap);
    if (n > 0) archive_entry_xattr_add_entry(entry.get(), "security.capability", cap, n);
  }

  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        archive_entry_set_hardlink(entry.get(), it->second.c_str());
        archive_entry_set_size(entry.get(), 0);
        return writeHeader(entry.get(), rel);
      }
      links_.emplace(key, rel);
    }
    archive_entry_set_size(entry.get(), st.st_size);
    BERTH_TRY_VOID(writeHeader(entry.get(), rel));
    std::vector<char> buf(kBufferSize);
    off_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errnoError("read " + rel);
      }
      if (n == 0) break;  // shrank while being read: libarchive pads the entry with zeros
      std::size_t chunk = static_cast<std::size_t>(std::min<off_t>(n, left));
      if (archive_write_data(a_, buf.data(), chunk) < 0) return archiveFailure("write " + rel);
      left -= static_cast<off_t>(chunk);
    }
    if (archive_write_finish_entry(a_) < ARCHIVE_WARN) return archiveFailure("write " + rel);
    return {};
  }
  if (S_ISDIR(st.st_mode)) {
    BERTH_TRY_VOID(writeHeader(entry.get(), rel));
    if (!options_.recursive) return {};
    if (overlay) {
      char value[8];
      ssize_t n = ::fgetxattr(fd.get(), kOverlayOpaqueXattr, value, sizeof value);
      if (n == 1 && value[0] == 'y') {
        EntryPtr opaque(archive_entry_new());
        archive_entry_set_pathname(opaque.get(), joinPath(rel, kWhiteoutOpaque).c_str());
        archive_entry_set_mode(opaque.get(), AE_IFREG | (st.st_mode & 0777));
        archive_entry_set_uid(opaque.get(), st.st_uid);
        archive_entry_set_gid(opaque.get(), st.st_gid);
        archive_entry_set_mtime(opaque.get(), st.st_mtim.tv_sec, 0);
        archive_entry_set_size(opaque.get(), 0);
        BERTH_TRY_VOID(writeHeader(opaque.get(), rel));
      }
    }
    return writeDir(fd.get(), rel);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) return errnoError("readlink " + rel);
    target.resize(static_cast<std::size_t>(n));
    archive_entry_set_symlink(entry.get(), target.c_str());
    return writeHeader(entry.get(), rel);
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(entry.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(entry.get(), minor(st.st_rdev));
  }
  return writeHeader(entry.get(), rel);  // devices and fifos have no content
}

}  // namespace

Result<Digest> writeLayerTar(const std::string& dir, int out_fd, const WriteOptions& options) {
  std::string context = "write layer tar of " + dir;
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errnoError(context);
  auto digest = writeLayerTarAt(root.get(), out_fd, options);
  if (!digest.ok()) return std::move(digest).error().wrap(context);
  return digest;
}

namespace {

// Opens a PAX writer on `ctx`, runs `body` with a TreeWriter, closes the archive.
Result<void> writeTarWith(int out_fd, const WriteOptions& options, WriteContext& ctx,
                          const std::function<Result<void>(TreeWriter&)>& body) {
  ArchiveWritePtr a(archive_write_new());
  if (!a) return internalError("allocate archive writer");
  ctx.fd = out_fd;
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), &ctx, nullptr, writeCallback, nullptr) != ARCHIVE_OK) {
    return internalError(archiveError(a.get()));
  }
  TreeWriter writer(a.get(), &ctx, options);
  BERTH_TRY_VOID(body(writer));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (ctx.error) return *ctx.error;
    return internalError(archiveError(a.get()));
  }
  return {};
}

}  // namespace

Result<void> writePathTar(int dir_fd, const std::string& name, const std::string& rebase,
                          int out_fd, const WriteOptions& options) {
  WriteContext ctx;
  return writeTarWith(out_fd, options, ctx,
                      [&](TreeWriter& w) { return w.writeOne(dir_fd, name, rebase); });
}

Result<Digest> writeChangesTar(int root_fd, const std::vector<TarChange>& changes, int out_fd) {
  WriteOptions options;
  options.whiteouts = WhiteoutFormat::kApplyInPlace;
  options.recursive = false;
  WriteContext ctx;
  BERTH_TRY_VOID(writeTarWith(out_fd, options, ctx, [&](TreeWriter& w) -> Result<void> {
    for (const auto& c : changes) {
      BERTH_TRY(std::string path, cleanEntryPath(c.path));
      if (path.empty()) continue;
      auto [parent, base] = splitParent(path);
      if (c.deleted) {
        BERTH_TRY_VOID(w.writeWhiteout(joinPath(parent, std::string(kWhiteoutPrefix) + base)));
        continue;
      }
      BERTH_TRY_CTX(UniqueFd dir, openDirInRoot(root_fd, parent), "write " + path);
      BERTH_TRY_VOID(w.writeOne(dir.get(), base, path));
    }
    return {};
  }));
  return Digest{"sha256", ctx.hasher.finishHex()};
}

Result<Digest> writeLayerTarAt(int dir_fd, int out_fd, const WriteOptions& options) {
  WriteContext ctx;
  BERTH_TRY_VOID(
      writeTarWith(out_fd, options, ctx, [&](TreeWriter& w) { return w.writeDir(dir_fd, ""); }));
  return Digest{"sha256", ctx.hasher.finishHex()};
}

}  // namespace berth::store
