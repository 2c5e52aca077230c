#pragma once
// Terminal handling for the interactive commands (run -it, start -ai, attach, exec -it), as the
// docker CLI does it (moby/term):
//   - RawTerminal: puts a terminal into raw mode (cfmakeraw: no echo, no line editing, no signal
//     keys, no output post-processing) and restores the saved mode when destroyed (RAII);
//   - terminalSize: the window size of a terminal (TIOCGWINSZ);
//   - SignalRelay: a thread that receives chosen signals (blocked in every thread, taken with
//     sigwaitinfo) and hands them to a callback, so SIGWINCH becomes a resize request and the
//     other signals can be forwarded to the container (--sig-proxy);
//   - DetachMatcher: recognises a detach key sequence ("ctrl-p,ctrl-q") in typed input.
// Not thread-safe unless stated.

#include <signal.h>
#include <termios.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/detach_keys.h"
#include "base/result.h"

namespace berth::cli {

struct TerminalSize {
  unsigned rows = 0;
  unsigned cols = 0;
};

// The size of the terminal on `fd`; nullopt when fd is not a terminal (or reports 0x0).
std::optional<TerminalSize> terminalSize(int fd);

class RawTerminal {
 public:
  // Saves fd's mode and switches it to raw. Fails (ENOTTY) when fd is not a terminal.
  static Result<RawTerminal> enable(int fd);
  RawTerminal() = default;
  ~RawTerminal() { restore(); }
  RawTerminal(RawTerminal&& other) noexcept;
  RawTerminal& operator=(RawTerminal&& other) noexcept;
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  // Restores the saved mode now (idempotent).
  void restore();
  bool active() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  struct termios saved_ {};
};

// parseDetachKeys (base/detach_keys.h) turns --detach-keys into the bytes DetachMatcher looks for.

// moby's escape proxy: input that matches a prefix of the key sequence is held back; the whole
// sequence means detach; a mismatch releases the held bytes.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  // Appends the bytes of `in` to forward to *out; returns true when the sequence completed
  // (bytes after it are dropped).
  bool feed(std::string_view in, std::string* out);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

// Receives `signals` on a thread of its own and calls `handler(signo)` there. The signals are
// blocked in the calling thread on construction (so threads created afterwards inherit the mask)
// and unblocked again, with nothing pending delivered, on destruction. Construct it before
// creating other threads. Not copyable or movable.
class SignalRelay {
 public:
  SignalRelay(std::vector<int> signals, std::function<void(int)> handler);
  ~SignalRelay();
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;

 private:
  sigset_t set_{};
  sigset_t old_{};
  int stop_fd_ = -1;  // eventfd that ends the thread
  std::thread thread_;
};

// The signals the docker CLI forwards with --sig-proxy: every catchable signal except SIGCHLD,
// SIGPIPE, SIGURG and SIGWINCH.
std::vector<int> proxiedSignals();

}  // namespace berth::cli
