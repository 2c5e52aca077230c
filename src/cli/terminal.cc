#include "cli/terminal.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::cli {

std::optional<TerminalSize> terminalSize(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
  if (ws.ws_row == 0 && ws.ws_col == 0) return std::nullopt;
  return TerminalSize{ws.ws_row, ws.ws_col};
}

Result<RawTerminal> RawTerminal::enable(int fd) {
  struct termios saved {};
  if (::tcgetattr(fd, &saved) != 0) return errnoError("get terminal mode");
  struct termios raw = saved;
  ::cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  while (::tcsetattr(fd, TCSANOW, &raw) != 0) {
    if (errno != EINTR) return errnoError("set terminal to raw mode");
  }
  RawTerminal t;
  t.fd_ = fd;
  t.saved_ = saved;
  return t;
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawTerminal& RawTerminal::operator=(RawTerminal&& other) noexcept {
  if (this != &other) {
    restore();
    fd_ = std::exchange(other.fd_, -1);
    saved_ = other.saved_;
  }
  return *this;
}

void RawTerminal::restore() {
  if (fd_ >= 0) {
    while (::tcsetattr(fd_, TCSANOW, &saved_) != 0 && errno == EINTR) {
    }
  }
  fd_ = -1;
}

bool DetachMatcher::feed(std::string_view in, std::string* out) {
  for (char ch : in) {
    if (ch == keys_[matched_]) {
      if (++matched_ == keys_.size()) {
        matched_ = 0;
        return true;
      }
      continue;
    }
    if (matched_ > 0) {
      out->append(keys_, 0, matched_);
      matched_ = 0;
      if (ch == keys_[0]) {
        matched_ = 1;
        continue;
      }
    }
    *out += ch;
  }
  return false;
}

namespace {

void relayLoop(int sigfd, int stopfd, const std::function<void(int)>& handler) {
  for (;;) {
    pollfd fds[2] = {{sigfd, POLLIN, 0}, {stopfd, POLLIN, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info {};
      ssize_t n = ::read(sigfd, &info, sizeof info);
      if (n == static_cast<ssize_t>(sizeof info)) handler(static_cast<int>(info.ssi_signo));
    }
  }
}

}  // namespace

SignalRelay::SignalRelay(std::vector<int> signals, std::function<void(int)> handler) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  // The fds are owned by the thread; the eventfd is kept to stop it.
  int sigfd = ::signalfd(-1, &set_, SFD_CLOEXEC);
  int stopfd = ::eventfd(0, EFD_CLOEXEC);
  stop_fd_ = stopfd;
  if (sigfd < 0 || stopfd < 0) {
    // Without a relay the signals stay blocked: better than killing the CLI mid-session.
    if (sigfd >= 0) ::close(sigfd);
    return;
  }
  thread_ = std::thread([sigfd, stopfd, handler = std::move(handler)] {
    UniqueFd s(sigfd);
    relayLoop(sigfd, stopfd, handler);
  });
}

SignalRelay::~SignalRelay() {
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (stop_fd_ >= 0) ::close(stop_fd_);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

std::vector<int> proxiedSignals() {
  std::vector<int> out;
  for (int s = 1; s < NSIG; ++s) {
    // Faults (SIGSEGV...) are not blockable in a useful way: they stay the CLI's own.
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGPIPE || s == SIGURG ||
        s == SIGWINCH || s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL ||
        s == SIGTRAP || s == SIGSYS || s == SIGABRT) {
      continue;
    }
    // glibc reserves 32 and 33 for its threads.
    if (s >= 32 && s < SIGRTMIN) continue;
    out.push_back(s);
  }
  return out;
}

}  // namespace berth::cli
