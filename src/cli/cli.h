#pragma once
// The `berth` command line: docker's commands, flags and output over the Engine API client.
//
//   int main(int argc, char** argv) { return berth::cli::main(argc, argv); }
//
// Exit codes follow the docker CLI: 0, 1 for errors, 125 for flag errors (and run/create
// failures before the container starts), 126/127 for run's "cannot execute"/"not found", the
// container's own code for `run` without -d.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cli/flags.h"
#include "client/api_client.h"
#include "tls/tls.h"

namespace berth::cli {

inline constexpr const char* kBinName = "berth";
inline constexpr const char* kCliVersion = "0.1.0";

// Per-invocation state shared by commands: output streams and the lazily connected client.
class Cli {
 public:
  explicit Cli(std::string host);

  // The client for the resolved host (parse errors of the host are returned here).
  Result<client::ApiClient*> api();
  const std::string& host() const { return host_; }
  // TLS for tcp:// hosts (the global --tls* flags and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH).
  void setTls(tls::TlsFiles files) { tls_ = std::move(files); }
  bool tlsEnabled() const { return tls_.has_value(); }

  void out(std::string_view text);
  void err(std::string_view text);
  bool stdoutIsTerminal() const;
  bool stdinIsTerminal() const;

  // The command path as invoked ("berth container ls"), for messages.
  std::string command_path;

 private:
  std::string host_;
  std::optional<tls::TlsFiles> tls_;
  std::unique_ptr<client::ApiClient> api_;
};

// A command's implementation returns an exit code, or an error that main prints as
// "<message>" with exit code 1 (docker's default).
using RunFn = Result<int> (*)(Cli& cli, const FlagSet& flags);

enum class ArgRule { kAny, kNone, kExact, kMin, kMax, kRange };

struct CommandSpec {
  std::string path;   // canonical path: "container ls", "run", "system prune"
  std::vector<std::string> aliases;  // other paths: {"container list", "container ps", "ps"}
  std::string use;    // after the path: "[OPTIONS] CONTAINER [CONTAINER...]"
  std::string short_desc;
  ArgRule rule = ArgRule::kAny;
  int min_args = 0;
  int max_args = 0;
  bool interspersed = true;
  void (*flags)(FlagSet& flags) = nullptr;
  RunFn run = nullptr;
};

// All commands (defined one per file).
const std::vector<CommandSpec>& commands();

// Runs the command line; returns the process exit code.
int main(int argc, char** argv);
int run(const std::vector<std::string>& args);

// The "requires at least 1 argument" checks; the message as docker prints it (with usage).
Result<void> checkArgs(const CommandSpec& spec, const std::string& invoked_path, size_t n);
// Help text for a command (docker's cobra template).
std::string helpText(const CommandSpec& spec, const std::string& invoked_path);

}  // namespace berth::cli
