#include "shim/exec_session.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "shim/protocol.h"

namespace berth::shim {
namespace {

constexpr std::size_t kChunk = 32 * 1024;
constexpr std::size_t kHighWater = 1024 * 1024;
constexpr std::size_t kStdinHighWater = 64 * 1024;

}  // namespace

ExecSession::ExecSession(int epoll_fd, std::vector<UniqueFd>* graveyard, ExecSessionOptions options,
                         UniqueFd client, UniqueFd watcher)
    : epoll_(epoll_fd),
      graveyard_(graveyard),
      options_(std::move(options)),
      client_(std::move(client)),
      watcher_(std::move(watcher)) {}

ExecSession::~ExecSession() {
  for (UniqueFd* fd : {&client_, &watcher_, &in_, &out_, &err_}) unwatchFd(fd->get());
}

void ExecSession::watchFd(int fd, uint32_t events) {
  if (fd < 0) return;
  struct epoll_event ev {};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT) {
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void ExecSession::unwatchFd(int fd) {
  if (fd >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
}

void ExecSession::bury(UniqueFd& fd) {
  if (!fd) return;
  unwatchFd(fd.get());
  graveyard_->push_back(std::move(fd));
}

void ExecSession::begin(pid_t pid, UniqueFd in, UniqueFd out, UniqueFd err) {
  pid_ = pid;
  in_ = std::move(in);
  out_ = std::move(out);
  err_ = std::move(err);
  if (client_) {
    client_reading_ = options_.stdin && in_.valid();
    // Registered with no interest; updateInterest() sets it.
    struct epoll_event ev {};
    ev.data.fd = client_.get();
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, client_.get(), &ev);
  }
  // The watcher's hang-up is of no interest: the exit message is sent whatever happens.
  updateInterest();
}

bool ExecSession::owns(int fd) const {
  return fd >= 0 && (fd == client_.get() || fd == in_.get() || fd == out_.get() ||
                     fd == err_.get() || fd == watcher_.get());
}

void ExecSession::onEvent(int fd, uint32_t events) {
  if (fd == out_.get()) {
    readOutput(fd, 1, false);
  } else if (fd == err_.get()) {
    readOutput(fd, 2, false);
  } else if (fd == in_.get()) {
    writeStdin();
  } else if (fd == client_.get()) {
    if (events & EPOLLOUT) flushClient();
    if (client_ && (events & EPOLLIN)) clientInput();
    if (client_ && (events & EPOLLERR)) {
      dropClient();
    } else if (client_ && (events & EPOLLHUP)) {
      for (int i = 0; i < 64 && client_ && client_reading_; ++i) clientInput();
      dropClient();
    }
  } else if (fd == watcher_.get()) {
    bury(watcher_);  // the daemon went away; the exit is still kept for exec_status
  }
  updateInterest();
}

void ExecSession::updateInterest() {
  bool pause = client_ && out_buf_.size() - out_off_ > kHighWater;
  output_paused_ = pause;
  for (UniqueFd* fd : {&out_, &err_}) {
    if (*fd) watchFd(fd->get(), pause ? 0u : static_cast<uint32_t>(EPOLLIN));
  }
  if (in_) {
    if (in_buf_.empty())
      unwatchFd(in_.get());
    else
      watchFd(in_.get(), EPOLLOUT);
  }
  if (watcher_) watchFd(watcher_.get(), EPOLLIN);
  if (client_) {
    uint32_t ev = 0;
    if (client_reading_ && !client_closing_ && in_buf_.size() < kStdinHighWater) ev |= EPOLLIN;
    if (client_shut_) ev |= EPOLLIN;
    if (out_buf_.size() > out_off_) ev |= EPOLLOUT;
    if (ev != client_events_) {
      client_events_ = ev;
      struct epoll_event e {};
      e.events = ev;
      e.data.fd = client_.get();
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, client_.get(), &e);
    }
  }
}

void ExecSession::readOutput(int fd, int stream, bool drain) {
  char buf[kChunk];
  for (int reads = 0; drain || reads < 4; ++reads) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return;
      // EOF, or EIO on a pty master whose slave is closed everywhere.
      bury(fd == err_.get() ? err_ : out_);
      return;
    }
    queue(stream, buf, static_cast<std::size_t>(n));
  }
}

void ExecSession::queue(int stream, const char* data, std::size_t n) {
  if (!client_ || client_closing_) return;  // detached: discarded
  if (stream == 1 && !options_.stdout && !options_.tty) return;
  if (stream == 2 && !options_.stderr) return;
  if (out_off_ > 0 && out_off_ == out_buf_.size()) {
    out_buf_.clear();
    out_off_ = 0;
  }
  if (!options_.tty) {
    char header[8] = {static_cast<char>(stream),
                      0,
                      0,
                      0,
                      static_cast<char>((n >> 24) & 0xff),
                      static_cast<char>((n >> 16) & 0xff),
                      static_cast<char>((n >> 8) & 0xff),
                      static_cast<char>(n & 0xff)};
    out_buf_.append(header, sizeof header);
  }
  out_buf_.append(data, n);
  flushClient();
}

void ExecSession::flushClient() {
  while (client_ && out_off_ < out_buf_.size()) {
    ssize_t n = ::send(client_.get(), out_buf_.data() + out_off_, out_buf_.size() - out_off_,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOTSOCK) {
      n = ::write(client_.get(), out_buf_.data() + out_off_, out_buf_.size() - out_off_);
    }
    if (n < 0) {
      if (errno == EAGAIN) return;
      dropClient();
      return;
    }
    out_off_ += static_cast<std::size_t>(n);
  }
  if (client_ && out_off_ == out_buf_.size()) {
    out_buf_.clear();
    out_off_ = 0;
    if (out_buf_.capacity() > 64 * 1024) out_buf_.shrink_to_fit();
    if (client_closing_) finishClient();
  }
}

void ExecSession::finishClient() {
  if (!client_ || client_shut_) return;
  if (::shutdown(client_.get(), SHUT_WR) != 0) {
    dropClient();
    return;
  }
  client_shut_ = true;
  client_reading_ = false;
}

void ExecSession::clientInput() {
  char buf[kChunk];
  ssize_t n = ::read(client_.get(), buf, sizeof buf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    dropClient();
    return;
  }
  if (client_shut_) {
    if (n == 0) dropClient();  // the client closed too: done
    return;                    // input after the end is discarded
  }
  if (n == 0) {
    // The client closed its stdin (CloseWrite): the process's stdin ends (pipes only).
    client_reading_ = false;
    if (in_buf_.empty())
      closeStdin();
    else
      close_in_after_flush_ = true;
    return;
  }
  if (!in_) return;  // stdin already closed: input is dropped
  const std::string& keys = options_.detach_keys;
  if (keys.empty()) {
    in_buf_.append(buf, static_cast<std::size_t>(n));
  } else {
    for (ssize_t i = 0; i < n; ++i) {
      char ch = buf[i];
      if (ch == keys[matched_]) {
        if (++matched_ == keys.size()) {
          writeStdin();
          log::info("exec " + options_.id + ": client detached");
          matched_ = 0;
          client_closing_ = true;
          client_reading_ = false;
          out_buf_.clear();
          out_off_ = 0;
          finishClient();
          return;
        }
        continue;
      }
      if (matched_ > 0) {
        in_buf_.append(keys, 0, matched_);
        matched_ = 0;
        if (ch == keys[0]) {
          matched_ = 1;
          continue;
        }
      }
      in_buf_ += ch;
    }
  }
  writeStdin();
}

void ExecSession::writeStdin() {
  while (in_ && !in_buf_.empty()) {
    ssize_t n = ::write(in_.get(), in_buf_.data(), in_buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN) break;
      in_buf_.clear();  // the process closed its stdin (EPIPE)
      closeStdin();
      break;
    }
    in_buf_.erase(0, static_cast<std::size_t>(n));
  }
  if (in_ && in_buf_.empty() && close_in_after_flush_) closeStdin();
}

void ExecSession::closeStdin() {
  close_in_after_flush_ = false;
  if (!in_ || options_.tty) return;  // the pty master stays open for output
  in_buf_.clear();
  bury(in_);
}

void ExecSession::dropClient() {
  if (!client_) return;
  // A client gone without a clean EOF ends the process's stdin as EOF would.
  if (client_reading_) closeStdin();
  client_reading_ = false;
  client_closing_ = true;
  client_events_ = 0;
  bury(client_);
}

void ExecSession::onExit(int status) {
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  // What the process wrote is in the pipes (or the pty): drain it before the exit is told.
  if (out_) readOutput(out_.get(), 1, true);
  if (err_) readOutput(err_.get(), 2, true);
  exit_code_ = code;
  bury(out_);
  bury(err_);
  bury(in_);
  in_buf_.clear();
  if (watcher_) {
    nlohmann::json msg = {{"ok", true}, {"exited", true}, {"exit_code", code}};
    (void)sendMessage(watcher_.get(), msg.dump());
    bury(watcher_);
  }
  log::info("exec " + options_.id + " exited with code " + std::to_string(code));
  if (client_) {
    client_closing_ = true;
    client_reading_ = false;
    flushClient();  // closes it once the queue is written
  }
  updateInterest();
}

Result<void> ExecSession::resize(unsigned rows, unsigned cols) {
  if (!options_.tty || !out_) return {};
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(out_.get(), TIOCSWINSZ, &ws) != 0) {
    return errnoError("resize tty of exec " + options_.id);
  }
  return {};
}

}  // namespace berth::shim
