#include "cli/exec_terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <thread>

namespace berth::cli {

struct RawTerminal::Saved {
  struct termios tio;
};

Result<RawTerminal> RawTerminal::enable(int fd) {
  struct termios tio;
  if (::tcgetattr(fd, &tio) != 0) return errnoError("get terminal attributes");
  RawTerminal t;
  t.fd_ = fd;
  t.saved_ = new Saved{tio};
  // docker's MakeRaw: no input or output processing, no echo, no canonical mode, no signals
  // (the container's pty does the terminal's work).
  tio.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  tio.c_iflag &=
      ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  tio.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
  tio.c_cflag |= CS8;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return errnoError("set terminal raw mode");
  return t;
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept : fd_(other.fd_), saved_(other.saved_) {
  other.fd_ = -1;
  other.saved_ = nullptr;
}

RawTerminal::~RawTerminal() {
  restore();
}

void RawTerminal::restore() {
  if (saved_ != nullptr) {
    ::tcsetattr(fd_, TCSANOW, &saved_->tio);
    delete saved_;
    saved_ = nullptr;
  }
}

std::optional<std::pair<unsigned, unsigned>> terminalSize(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
  return std::make_pair(static_cast<unsigned>(ws.ws_row), static_cast<unsigned>(ws.ws_col));
}

void watchWindowSize(int fd, std::function<void(unsigned, unsigned)> on_resize) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([fd, set, on_resize = std::move(on_resize)] {
    for (;;) {
      int sig = 0;
      if (::sigwait(&set, &sig) != 0) return;
      if (auto size = terminalSize(fd)) on_resize(size->first, size->second);
    }
  }).detach();
}

}  // namespace berth::cli
