#include "runtime/seccomp/filter_cache.h"

#include <seccomp.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"
#include "runtime/seccomp/default_profile.h"

namespace berth::runtime::seccomp {

namespace {

constexpr char kMagic[8] = {'B', 'E', 'R', 'T', 'H', 'B', 'P', 'F'};
constexpr uint32_t kFormatVersion = 1;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  uint32_t needs_listener;
  uint32_t encoding_size;
  uint32_t program_size;  // instructions
  uint32_t reserved;
};
static_assert(sizeof(FileHeader) == 32);

void put(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

void putNumber(std::string& out, uint64_t value) {
  put(out, std::to_string(value));
}

void putOptional(std::string& out, const std::optional<uint32_t>& value) {
  put(out, value ? std::to_string(*value) : std::string("-"));
}

void putList(std::string& out, const std::vector<std::string>& values) {
  putNumber(out, values.size());
  for (const auto& value : values) put(out, value);
}

}  // namespace

std::string canonicalEncoding(const oci::LinuxSeccomp& spec) {
  std::string out = "berth-seccomp-1;";
  const scmp_version* version = seccomp_version();
  put(out, version == nullptr ? std::string("?")
                              : std::to_string(version->major) + "." +
                                    std::to_string(version->minor) + "." +
                                    std::to_string(version->micro));
  put(out, nativeArch().seccomp_name);
  put(out, spec.defaultAction);
  putOptional(out, spec.defaultErrnoRet);
  putList(out, spec.architectures);
  putList(out, spec.flags);
  put(out, spec.listenerPath);
  put(out, spec.listenerMetadata);
  putNumber(out, spec.syscalls.size());
  for (const auto& rule : spec.syscalls) {
    putList(out, rule.names);
    put(out, rule.action);
    putOptional(out, rule.errnoRet);
    putNumber(out, rule.args.size());
    for (const auto& arg : rule.args) {
      putNumber(out, arg.index);
      putNumber(out, arg.value);
      putNumber(out, arg.valueTwo);
      put(out, arg.op);
    }
  }
  return out;
}

std::string cacheFileName(const std::string& encoding) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : encoding) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) name[static_cast<size_t>(i)] = kHex[hash & 0xf];
  return name + ".bpf";
}

std::string serializeFilter(const CompiledFilter& filter, const std::string& encoding) {
  FileHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kFormatVersion;
  header.flags = filter.flags;
  header.needs_listener = filter.needs_listener ? 1 : 0;
  header.encoding_size = static_cast<uint32_t>(encoding.size());
  header.program_size = static_cast<uint32_t>(filter.program.size());
  std::string out(reinterpret_cast<const char*>(&header), sizeof header);
  out += encoding;
  out.append(reinterpret_cast<const char*>(filter.program.data()),
             filter.program.size() * sizeof(sock_filter));
  return out;
}

std::optional<CompiledFilter> parseFilter(std::string_view bytes, const std::string& encoding) {
  FileHeader header{};
  if (bytes.size() < sizeof header) return std::nullopt;
  std::memcpy(&header, bytes.data(), sizeof header);
  bytes.remove_prefix(sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.version != kFormatVersion) {
    return std::nullopt;
  }
  if (header.encoding_size != encoding.size() || header.program_size == 0 ||
      header.program_size > BPF_MAXINSNS || header.needs_listener > 1) {
    return std::nullopt;
  }
  if (bytes.size() != encoding.size() + size_t{header.program_size} * sizeof(sock_filter)) {
    return std::nullopt;
  }
  if (bytes.substr(0, encoding.size()) != encoding) return std::nullopt;
  bytes.remove_prefix(encoding.size());
  CompiledFilter out;
  out.flags = header.flags;
  out.needs_listener = header.needs_listener == 1;
  out.program.resize(header.program_size);
  std::memcpy(out.program.data(), bytes.data(), bytes.size());
  return out;
}

Result<CompiledFilter> compileCached(const oci::LinuxSeccomp& spec, const std::string& dir) {
  if (!dir.empty()) {
    std::string encoding = canonicalEncoding(spec);
    auto bytes = readFile(dir + "/" + cacheFileName(encoding));
    if (bytes) {
      if (auto filter = parseFilter(*bytes, encoding)) return std::move(*filter);
    }
  }
  return compile(spec);
}

Result<void> FilterCache::prepare(const oci::LinuxSeccomp& spec) {
  std::string encoding = canonicalEncoding(spec);
  std::string name = cacheFileName(encoding);
  std::lock_guard lock(mu_);
  if (ready_.count(name) != 0) return {};
  BERTH_TRY(CompiledFilter filter, compile(spec));
  ++compiled_;
  BERTH_TRY_VOID(makeDirs(dir_, 0700));
  BERTH_TRY_VOID(writeFileReplace(dir_ + "/" + name, serializeFilter(filter, encoding), 0600));
  ready_.insert(name);
  return {};
}

size_t FilterCache::compiledCount() const {
  std::lock_guard lock(mu_);
  return compiled_;
}

}  // namespace berth::runtime::seccomp
