#pragma once
// docker exec's documents: the ExecConfig body of POST /containers/{id}/exec, the ExecStartCheck
// body of POST /exec/{id}/start, the exec inspect shape, and `top`'s ps argument handling and
// output parsing (moby daemon/top_unix.go). Pure functions; thread-safe.

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::daemon {

struct ExecConfig {
  std::string User;
  bool Privileged = false;
  bool Tty = false;
  std::optional<std::pair<unsigned, unsigned>> ConsoleSize;  // height, width
  bool AttachStdin = false;
  bool AttachStderr = false;
  bool AttachStdout = false;
  bool Detach = false;
  std::string DetachKeys;
  std::vector<std::string> Env;
  std::string WorkingDir;
  std::vector<std::string> Cmd;
};

// InvalidArgument (400) for a malformed body, "No exec command specified" for an empty Cmd, and
// Docker's messages for a bad ConsoleSize, relative WorkingDir or DetachKeys.
Result<ExecConfig> parseExecConfig(std::string_view body);

struct ExecStartConfig {
  bool Detach = false;
  bool Tty = false;
  std::optional<std::pair<unsigned, unsigned>> ConsoleSize;
};
// An empty body is all defaults.
Result<ExecStartConfig> parseExecStart(std::string_view body);

// What GET /exec/{id}/json shows.
struct ExecInspect {
  std::string id;
  std::string container_id;
  bool running = false;
  std::optional<int> exit_code;  // null until it has run
  ExecConfig config;
  bool can_remove = false;
  int pid = 0;
};
std::string execInspectJson(const ExecInspect& exec);

// The event action of an exec: "exec_create: sh -c exit 3" (the command joined by spaces; a
// trailing space with no arguments, as moby).
std::string execEventAction(std::string_view verb, const std::vector<std::string>& cmd);

// ps's arguments from ?ps_args= (split on spaces as moby; "" → "-ef"). InvalidArgument for a
// "-o x=PID"-style relabelling of the PID column.
Result<std::vector<std::string>> topPsArgs(std::string_view ps_args);

// Parses ps output, keeping the rows of `pids`: {"Titles":[...],"Processes":[[...]]} as JSON.
// The last column takes the rest of the line (the command with its spaces). InvalidArgument
// when the PID column is missing ("Couldn't find PID field in ps output").
Result<std::string> topFromPsOutput(std::string_view output, const std::set<pid_t>& pids);

// A container inspect document with "ExecIDs" set to `ids` (null when empty, as Docker).
std::string withExecIds(std::string inspect_json, const std::vector<std::string>& ids);

}  // namespace berth::daemon
