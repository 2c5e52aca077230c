#pragma once
// Whole-file helpers. writeFileAtomic writes a temporary file beside the target, fsyncs it and
// renames it over the target, so a reader sees either the old or the new content, never half.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth {

Result<std::string> readFile(const std::string& path);
Result<void> writeFile(const std::string& path, std::string_view data, int mode = 0644);
Result<void> writeFileAtomic(const std::string& path, std::string_view data, int mode = 0644);
// As writeFileAtomic (readers see the old or the new content) without the fsync: for runtime
// state under the exec root (/run, tmpfs), which a machine crash loses anyway and which is
// rebuilt on restart; an fsync there protects nothing and costs a disk flush on a busy host.
Result<void> writeFileReplace(const std::string& path, std::string_view data, int mode = 0644);
// mkdir -p; existing directories are fine.
Result<void> makeDirs(const std::string& path, int mode = 0755);
// rm -rf that does not cross mount points; a missing path is fine.
Result<void> removeAll(const std::string& path);
bool pathExists(const std::string& path);
// Names in `dir` without "." and "..", sorted. NotFound when `dir` does not exist.
Result<std::vector<std::string>> listDirectory(const std::string& dir);
// fsync of a directory, so that a rename or create inside it survives a crash.
Result<void> fsyncDirectory(const std::string& dir);

}  // namespace berth
