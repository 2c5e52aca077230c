#include "network/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/file_util.h"

namespace berth::network {
namespace {

Result<UniqueFd> openNsFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoError("open netns " + path);
  return UniqueFd(fd);
}

}  // namespace

NetNs::~NetNs() {
  if (owned_) (void)remove();
}

NetNs::NetNs(NetNs&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)), owned_(other.owned_) {
  other.owned_ = false;
  other.path_.clear();
}

NetNs& NetNs::operator=(NetNs&& other) noexcept {
  if (this != &other) {
    if (owned_) (void)remove();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    owned_ = std::exchange(other.owned_, false);
    other.path_.clear();
  }
  return *this;
}

Result<NetNs> NetNs::create(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) BERTH_TRY_VOID_CTX(makeDirs(dir, 0711), "create netns " + path);
  int placeholder = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (placeholder < 0) return errnoError("create netns " + path);
  ::close(placeholder);

  Result<void> made = okResult();
  // The thread unshares its own network namespace and dies; the bind mount keeps the namespace.
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made = errnoError("create netns " + path + ": unshare");
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      made = errnoError("create netns " + path + ": bind mount");
    }
  });
  worker.join();
  if (!made) {
    ::unlink(path.c_str());
    return std::move(made).error();
  }
  auto fd = openNsFile(path);
  if (!fd) {
    (void)removeNetnsFile(path);
    return std::move(fd).error();
  }
  NetNs ns;
  ns.fd_ = std::move(*fd);
  ns.path_ = path;
  ns.owned_ = true;
  return ns;
}

Result<NetNs> NetNs::open(const std::string& path) {
  BERTH_TRY(UniqueFd fd, openNsFile(path));
  NetNs ns;
  ns.fd_ = std::move(fd);
  ns.path_ = path;
  return ns;
}

Result<NetNs> NetNs::current() {
  return open("/proc/thread-self/ns/net");
}

Result<void> NetNs::remove() {
  fd_.reset();
  if (!owned_) return okResult();
  owned_ = false;
  return removeNetnsFile(path_);
}

std::string NetNs::release() {
  owned_ = false;
  return path_;
}

Result<void> removeNetnsFile(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return errnoError("remove netns " + path + ": unmount");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errnoError("remove netns " + path);
  }
  return okResult();
}

Result<void> runInNetns(int netns_fd, const std::function<Result<void>()>& fn) {
  Result<void> result = okResult();
  std::thread worker([&] {
    // unshare(CLONE_FS) is not needed: only the network namespace changes, and this thread
    // ends right after `fn`, so no other code ever runs in the joined namespace on it.
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      result = errnoError("enter netns");
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

}  // namespace berth::network
