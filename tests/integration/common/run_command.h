#pragma once
// Running a child process for the end-to-end suites (runtime and engine): argv in its own
// process group, stdin from bytes, stdout/stderr captured, a timeout that kills the group.
// Test-only; no berth libraries. runCommand is reentrant.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace berth::e2e {

// The outcome of one child process.
struct ProcResult {
  int exit_code = -1;   // exit status, or 128+signal when killed (shell convention)
  int term_signal = 0;  // the signal that killed it, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;

  // "exit=N\n--- stdout ---\n...\n--- stderr ---\n..." for assertion messages.
  std::string describe() const;
};

struct RunOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // Bytes fed to the child's stdin (from a file, so no deadlock); /dev/null when empty.
  std::string stdin_data;
  // When set, the child's stdout/stderr go to these files (appended) and only this command's
  // part is read back. Detached containers (`create`, `run -d`) keep these open; they are what
  // the container process writes to. When unset, private temporary files are used.
  std::string stdout_path;
  std::string stderr_path;
  std::string cwd;                          // working directory of the child ("" = inherit)
  std::map<std::string, std::string> env;   // added to (or replacing in) the environment
  std::vector<std::string> unset_env;       // removed from the environment
};

// Runs argv (argv[0] a path, or a name searched in PATH and the sbin directories). On timeout
// the whole process group gets SIGKILL and the result says timed_out. Never throws.
ProcResult runCommand(const std::vector<std::string>& argv, const RunOptions& opts = {});

// `name` when it is a path to an executable, else the first executable `name` in PATH and the
// sbin directories; "" when none.
std::string findInPath(const std::string& name);

// A fresh directory /tmp/<prefix>XXXXXX (mode 0755: user-namespace tests run as an unmapped
// uid); "" on failure.
std::string makeTempDir(const std::string& prefix);

}  // namespace berth::e2e
