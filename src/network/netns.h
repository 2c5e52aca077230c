#pragma once
// Network namespaces: persistent named netns files (as `ip netns add` and Docker's
// <exec-root>/netns/<id>) and running code inside a netns.
//
// A persistent netns is a new network namespace kept alive by a bind mount of the nsfs file onto
// a regular file: create() unshares CLONE_NEWNET in a short-lived thread (so the calling thread
// and the rest of the daemon never change namespace) and bind-mounts /proc/thread-self/ns/net
// onto `path`. removeNetnsFile() unmounts (MNT_DETACH) and unlinks it; the namespace dies when
// its last user (a process or an open fd) goes away.
//
// Thread safety: all functions may be called from any thread; they never change the namespace of
// the calling thread (runInNetns uses a dedicated thread).

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::network {

// Owns an open netns fd and, when `owned`, the persistent file at path(): the destructor then
// removes the file (errors ignored; call remove() to see them). Move-only.
class NetNs {
 public:
  NetNs() = default;
  ~NetNs();
  NetNs(NetNs&& other) noexcept;
  NetNs& operator=(NetNs&& other) noexcept;
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;

  // Creates a new network namespace persisted at `path` (parent directories are created; the file
  // must not exist: Conflict "create netns <path>: file exists"). The handle owns the file.
  static Result<NetNs> create(const std::string& path);
  // Opens an existing netns file (a persistent one, or /proc/<pid>/ns/net). Not owned: the
  // destructor only closes the fd.
  static Result<NetNs> open(const std::string& path);
  // The namespace of the calling thread (/proc/thread-self/ns/net). Not owned.
  static Result<NetNs> current();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  bool owned() const { return owned_; }
  bool valid() const { return fd_.valid(); }

  // Closes the fd and, if owned, unmounts and unlinks the file.
  Result<void> remove();
  // Gives up ownership of the file (it stays after destruction); returns its path.
  std::string release();

 private:
  UniqueFd fd_;
  std::string path_;
  bool owned_ = false;
};

// Unmounts (MNT_DETACH) and unlinks a persistent netns file; a missing file is fine.
Result<void> removeNetnsFile(const std::string& path);

// Runs `fn` on a new thread that has joined the netns `netns_fd` (setns CLONE_NEWNET) and waits
// for it. Sockets created by `fn` stay in that netns and keep working after the thread ends.
// Returns the setns error or fn's result.
Result<void> runInNetns(int netns_fd, const std::function<Result<void>()>& fn);

// As runInNetns for a function returning Result<T>.
template <typename F>
auto inNetns(int netns_fd, F&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::optional<R> out;
  Result<void> joined = runInNetns(netns_fd, [&]() -> Result<void> {
    out.emplace(fn());
    return okResult();
  });
  if (!joined) return std::move(joined).error();
  return std::move(*out);
}

}  // namespace berth::network
