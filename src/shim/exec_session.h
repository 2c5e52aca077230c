#pragma once
// ExecSession: one `docker exec` process inside berth-shim's event loop (see protocol.h, "exec").
//
// The shim starts the process with the runtime library (it is the shim's child, reaped by the
// shim's SIGCHLD handling) and hands the session the shim's ends of its stdio: pipes, or a dup of
// the pty master with a tty. The session pumps them to and from the hijacked client connection
// the daemon passed (Docker's 8-byte multiplexed frames without a tty, raw bytes with one):
//   - client input goes to the process's stdin; the client's half-close (EOF) closes the
//     process's stdin (pipes only: a pty has no half-close); with a tty and stdin, the detach
//     keys detach the client (the process keeps running, its output is then discarded);
//   - when the process exits, its pending output is drained, the exit code is sent to the
//     watcher connection (the daemon's), then the client's queue is flushed and the connection
//     closed (the client sees EOF only after the exit code is recorded).
// A detached exec has no client: its output (pty only) is read and discarded.
//
// Single-threaded: every method runs on the shim's loop thread. fds closed during one epoll
// batch go to `graveyard` (closed by the loop after the batch), as the shim's own.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::shim {

struct ExecSessionOptions {
  std::string id;  // exec id (64 hex)
  bool tty = false;
  bool stdin = false, stdout = true, stderr = true;
  std::string detach_keys;  // as parsed by parseDetachKeys ("" with no tty or no stdin)
};

class ExecSession {
 public:
  // `client`: the hijacked connection (invalid for a detached exec). `watcher`: the control
  // connection that receives the exit message (may be invalid).
  ExecSession(int epoll_fd, std::vector<UniqueFd>* graveyard, ExecSessionOptions options,
              UniqueFd client, UniqueFd watcher);
  ~ExecSession();
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;

  // The process started: its pid and the shim's ends of its stdio (any may be invalid; with a
  // tty `out` is the pty master and `in` a dup of it).
  void begin(pid_t pid, UniqueFd in, UniqueFd out, UniqueFd err);

  const std::string& id() const { return options_.id; }
  pid_t pid() const { return pid_; }
  bool owns(int fd) const;
  void onEvent(int fd, uint32_t events);
  // The process was reaped with this wait status.
  void onExit(int status);
  // Exited, and the client connection (if any) is closed: the session can be dropped.
  bool finished() const { return exit_code_.has_value() && !client_; }
  std::optional<int> exitCode() const { return exit_code_; }
  Result<void> resize(unsigned rows, unsigned cols);

 private:
  void watchFd(int fd, uint32_t events);
  void unwatchFd(int fd);
  void bury(UniqueFd& fd);
  void readOutput(int fd, int stream, bool drain);
  void queue(int stream, const char* data, std::size_t n);
  void flushClient();
  void clientInput();
  void writeStdin();
  void closeStdin();
  void dropClient();
  // The output is all sent: half-close the client connection and wait for its EOF (discarding
  // input), so that unread input does not turn our close into a reset the client would see.
  void finishClient();
  void updateInterest();

  int epoll_;
  std::vector<UniqueFd>* graveyard_;
  ExecSessionOptions options_;
  UniqueFd client_, watcher_;
  UniqueFd in_, out_, err_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_buf_;  // queued for the client
  std::size_t out_off_ = 0;
  std::string in_buf_;  // queued for the process's stdin
  bool close_in_after_flush_ = false;
  bool client_reading_ = false;
  bool client_closing_ = false;
  bool client_shut_ = false;  // finishClient() done: waiting for the client's EOF
  std::size_t matched_ = 0;   // bytes of the detach sequence seen (held back)
  uint32_t client_events_ = 0;
  bool output_paused_ = false;
};

}  // namespace berth::shim
