#pragma once
// The local terminal for `exec -t` (a small helper until the CLI has a shared one): raw mode
// with restore (RAII), the window size, and a SIGWINCH watcher thread that reports new sizes.

#include <functional>
#include <optional>
#include <utility>

#include "base/result.h"

namespace berth::cli {

// Puts `fd` (a terminal) in raw mode as docker's term.SetRawTerminal; restores the saved
// settings when destroyed. Move-only.
class RawTerminal {
 public:
  static Result<RawTerminal> enable(int fd);
  RawTerminal(RawTerminal&& other) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  ~RawTerminal();
  void restore();

 private:
  RawTerminal() = default;
  struct Saved;
  int fd_ = -1;
  Saved* saved_ = nullptr;
};

// {height, width} of the terminal on `fd`; nullopt when it is not one (or the size is 0).
std::optional<std::pair<unsigned, unsigned>> terminalSize(int fd);

// Blocks SIGWINCH in the calling thread (call before starting other threads, so they inherit
// the mask) and starts a detached thread that calls on_resize(height, width) of `fd` at each
// SIGWINCH, for the rest of the process.
void watchWindowSize(int fd, std::function<void(unsigned, unsigned)> on_resize);

}  // namespace berth::cli
