#include "base/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "base/unique_fd.h"

namespace berth {

Result<std::string> readFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errnoError("open " + path);
  std::string data;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("read " + path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

static Result<void> writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write " + path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> writeFile(const std::string& path, std::string_view data, int mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return errnoError("open " + path);
  return writeAll(fd.get(), data, path);
}

static Result<void> writeAndRename(const std::string& path, std::string_view data, int mode,
                                   bool sync) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return errnoError("open " + tmp);
  auto written = writeAll(fd.get(), data, tmp);
  if (sync && written.ok() && ::fsync(fd.get()) != 0) written = errnoError("fsync " + tmp);
  fd.reset();
  if (written.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    written = errnoError("rename " + tmp + " to " + path);
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

Result<void> writeFileAtomic(const std::string& path, std::string_view data, int mode) {
  return writeAndRename(path, data, mode, true);
}

Result<void> writeFileReplace(const std::string& path, std::string_view data, int mode) {
  return writeAndRename(path, data, mode, false);
}

Result<void> makeDirs(const std::string& path, int mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return sysError("mkdir " + path, ec.value());
  if (mode != 0755) ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return {};
}

Result<void> removeAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec.value() != ENOENT) return sysError("remove " + path, ec.value());
  return {};
}

Result<std::vector<std::string>> listDirectory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errnoError("open " + dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = ::readdir(d)) {
    std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int read_errno = errno;
  ::closedir(d);
  if (read_errno != 0) return sysError("read " + dir, read_errno);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> fsyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) return errnoError("fsync " + dir);
  return {};
}

bool pathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace berth
