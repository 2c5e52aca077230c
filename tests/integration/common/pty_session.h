#pragma once
// PtySession: runs a command on a pseudo-terminal of its own, as a user at a terminal would
// (for the interactive CLI tests: run -it, attach, detach keys, resize). The test types into it,
// reads what the command writes (the "screen" is the accumulated output, escape sequences kept),
// resizes the terminal (the kernel sends SIGWINCH to the command) and collects the exit code.
// Test-only; no berth libraries. Not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::e2e {

class PtySession {
 public:
  // Starts argv[0] (a path) with the current environment plus `env`, minus `unset_env`, on a new
  // pty of rows x cols (the command's controlling terminal, in a session of its own). nullptr
  // and *error on failure.
  static std::unique_ptr<PtySession> start(const std::vector<std::string>& argv,
                                           const std::map<std::string, std::string>& env,
                                           const std::vector<std::string>& unset_env,
                                           unsigned rows, unsigned cols, std::string* error);
  ~PtySession();  // SIGKILL to the command's session if it still runs; reaps it
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  // Types `keys` (written to the master; "\r" is Enter, "\x10\x11" is Ctrl-P Ctrl-Q).
  bool type(std::string_view keys);
  // Reads output until `text` appears after position `from` of the screen, or the timeout
  // passes (false), or the command closes the terminal (false unless the text is there).
  bool waitFor(const std::string& text, std::chrono::milliseconds timeout,
               size_t from = 0);
  // Everything the command wrote so far.
  const std::string& screen() const { return screen_; }
  // Sets the window size (TIOCSWINSZ on the master: the foreground job gets SIGWINCH).
  bool resize(unsigned rows, unsigned cols);
  // Waits for the command to exit (reading its output meanwhile); its exit code, 128+signal
  // when killed, nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  PtySession() = default;
  // Reads what is available within `wait`; false at EOF/EIO (the slave side is closed).
  bool pump(std::chrono::milliseconds wait);

  int master_ = -1;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string screen_;
};

}  // namespace berth::e2e
