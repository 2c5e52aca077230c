#pragma once
// Compiled seccomp filters kept as files, so that a profile is compiled by libseccomp once per
// daemon instead of once per container (compiling Docker's default profile costs ~6 ms of CPU).
//
// berthd owns a FilterCache on <exec-root>/seccomp: before it starts a container it calls
// prepare(spec.linux.seccomp), which compiles the section the first time this daemon sees it and
// writes <dir>/<key>.bpf. The shim's runtime gets the directory (RuntimeOptions::
// seccomp_cache_dir) and calls compileCached(), which loads that file instead of compiling.
//
// Equivalence: a file holds the canonical encoding of the OCI section it was compiled from
// (canonicalEncoding(): every field, the libseccomp version and the native architecture), and a
// load compares it byte for byte with the encoding of the spec being loaded; the file name (a
// 64-bit FNV-1a hash of that encoding: no libcrypto in the shim) only finds it, so a collision
// costs a compile, never a wrong filter. So a loaded filter is always the program compile(spec)
// would build on this host with this libseccomp; anything else (missing file, another profile,
// a truncated or foreign file) falls back to compile(). The files are runtime state (exec-root):
// written atomically (rename) but not fsynced.

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp/seccomp_filter.h"

namespace berth::runtime::seccomp {

// Every field of `spec` (in order, length-prefixed) plus the libseccomp version and the native
// architecture: two sections with the same encoding compile to the same program.
std::string canonicalEncoding(const oci::LinuxSeccomp& spec);
// The file name of a compiled filter: 16 hex digits of FNV-1a-64(encoding) + ".bpf".
std::string cacheFileName(const std::string& encoding);

// The file's bytes: a header, `encoding`, then the program. Parsing is the reverse; nullopt
// when the bytes are not a filter file of this format or were made from another encoding.
std::string serializeFilter(const CompiledFilter& filter, const std::string& encoding);
std::optional<CompiledFilter> parseFilter(std::string_view bytes, const std::string& encoding);

// The filter for `spec` from `dir` when it holds one made from the same encoding, else
// compile(spec). `dir` "" = always compile. Never writes. Thread-safe.
Result<CompiledFilter> compileCached(const oci::LinuxSeccomp& spec, const std::string& dir);

// The daemon's side. Thread-safe.
class FilterCache {
 public:
  explicit FilterCache(std::string dir) : dir_(std::move(dir)) {}
  // Makes sure <dir>/<key>.bpf holds spec's compiled filter: compiles and writes it the first
  // time this object sees the encoding (a file from an earlier daemon is rewritten once), then
  // nothing. Errors are compile() errors (an invalid profile) or I/O errors.
  Result<void> prepare(const oci::LinuxSeccomp& spec);
  const std::string& dir() const { return dir_; }
  // How many profiles this object compiled (for tests).
  size_t compiledCount() const;

 private:
  std::string dir_;
  mutable std::mutex mu_;
  std::set<std::string> ready_;  // file names written by this object. GUARDED_BY(mu_)
  size_t compiled_ = 0;          // GUARDED_BY(mu_)
};

}  // namespace berth::runtime::seccomp
