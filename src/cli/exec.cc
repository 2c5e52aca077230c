// berth exec: run a command in a running container, as docker's RunExec: create the exec,
// start it (detached, or over a hijacked connection pumping stdin/stdout/stderr), then exit with
// the exec's exit code.

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/file_util.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/container_opts.h"
#include "cli/terminal.h"

namespace berth::cli {
namespace {

using nlohmann::json;

void flags(FlagSet& f) {
  f.addBool("detach", 'd', "Detached mode: run command in the background");
  f.addString("detach-keys", 0, "", "Override the key sequence for detaching a container");
  f.addList("env", 'e', "Set environment variables");
  f.addList("env-file", 0, "Read in a file of environment variables");
  f.addBool("interactive", 'i', "Keep STDIN open even if not attached");
  f.addBool("privileged", 0, "Give extended privileges to the command");
  f.addBool("tty", 't', "Allocate a pseudo-TTY");
  f.addString("user", 'u', "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  f.addString("workdir", 'w', "", "Working directory inside the container");
}

std::optional<std::string> lookupEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// docker's ReadKVEnvStrings: --env-file contents first, then -e ("NAME" alone takes the local
// value; dropped-through as "NAME" when unset, which the daemon treats as unset).
Result<std::vector<std::string>> execEnv(const FlagSet& f) {
  std::vector<std::string> env;
  for (const auto& path : f.getList("env-file")) {
    BERTH_TRY(std::string content, readFile(path));
    BERTH_TRY(auto vars, parseEnvFileContent(content, path, lookupEnv));
    env.insert(env.end(), vars.begin(), vars.end());
  }
  for (const auto& e : f.getList("env")) {
    if (e.find('=') == std::string::npos) {
      if (auto v = lookupEnv(e)) {
        env.push_back(e + "=" + *v);
        continue;
      }
    }
    env.push_back(e);
  }
  return env;
}

// Copies stdin to the hijacked socket, then half-closes it (the exec's stdin sees EOF).
void pumpStdin(int sock) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view data(buf, static_cast<size_t>(n));
    while (!data.empty()) {
      ssize_t w = ::send(sock, data.data(), data.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;
      data.remove_prefix(static_cast<size_t>(w));
    }
  }
  ::shutdown(sock, SHUT_WR);
}

Result<int> runExec(Cli& cli, const FlagSet& f) {
  const auto& args = f.args();
  std::string container = args[0];
  std::vector<std::string> cmd(args.begin() + 1, args.end());
  bool detach = f.getBool("detach");
  bool tty = f.getBool("tty");
  bool interactive = f.getBool("interactive");

  json config = json::object();
  config["User"] = f.getString("user");
  config["Privileged"] = f.getBool("privileged");
  config["Tty"] = tty;
  config["Cmd"] = cmd;
  config["WorkingDir"] = f.getString("workdir");
  BERTH_TRY(config["Env"], execEnv(f));
  config["AttachStdin"] = !detach && interactive;
  config["AttachStdout"] = !detach;
  config["AttachStderr"] = !detach;
  config["Detach"] = detach;
  config["DetachKeys"] = f.getString("detach-keys");

  BERTH_TRY(client::ApiClient * api, cli.api());
  // As docker: a missing container is reported before anything else.
  BERTH_TRY_VOID(api->getJson("/containers/" + container + "/json"));
  if (!detach && tty && interactive && !cli.stdinIsTerminal()) {
    return Error(ErrorCode::kInvalidArgument, "the input device is not a TTY");
  }
  std::optional<TerminalSize> size;
  if (tty) size = terminalSize(STDOUT_FILENO);
  if (size) config["ConsoleSize"] = {size->rows, size->cols};

  BERTH_TRY(json created, api->postJson("/containers/" + container + "/exec", {}, &config));
  std::string id = created.is_object() ? created.value("Id", std::string()) : std::string();
  if (id.empty()) return internalError("exec ID empty");

  json start = {{"Detach", detach}, {"Tty", tty}};
  if (size) start["ConsoleSize"] = {size->rows, size->cols};
  if (detach) {
    BERTH_TRY_VOID(api->call("POST", "/exec/" + id + "/start", {}, start.dump(), true));
    return 0;
  }

  BERTH_TRY(client::HttpConnection conn,
            api->hijack("/exec/" + id + "/start", {}, nullptr, start.dump()));
  std::optional<SignalRelay> winch;  // SIGWINCH → resize, for as long as the exec runs
  std::optional<RawTerminal> raw;
  if (tty && interactive && cli.stdinIsTerminal()) {
    BERTH_TRY(RawTerminal t, RawTerminal::enable(STDIN_FILENO));
    raw.emplace(std::move(t));
  }
  if (tty && size) {
    // The start request carries the size (API 1.42+); as docker, one resize after the start
    // too (older daemons), retried while the process is starting, then one per SIGWINCH.
    client::Endpoint endpoint = api->endpoint();
    auto resize = [endpoint, id](unsigned h, unsigned w) {
      client::ApiClient resize_api(endpoint);
      return resize_api
          .call("POST", "/exec/" + id + "/resize",
                {{"h", std::to_string(h)}, {"w", std::to_string(w)}})
          .ok();
    };
    winch.emplace(std::vector<int>{SIGWINCH}, [resize](int) {
      if (auto now = terminalSize(STDOUT_FILENO)) (void)resize(now->rows, now->cols);
    });
    std::thread([resize, h = size->rows, w = size->cols] {
      for (int attempt = 1; attempt <= 10; ++attempt) {
        if (resize(h, w)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
      }
    }).detach();
  }
  if (interactive) {
    std::thread(pumpStdin, conn.fd()).detach();  // blocked on our stdin; exits with us
  }
  auto copied = copyHijackedOutput(cli, conn.takeBuffered(), conn.fd(), tty);
  if (raw) raw->restore();
  if (!copied) cli.err("Error: " + copied.error().message() + "\n");

  BERTH_TRY(json inspect, api->getJson("/exec/" + id + "/json"));
  if (inspect.is_object()) {
    auto code = inspect.find("ExitCode");
    if (code != inspect.end() && code->is_number_integer()) return code->get<int>();
  }
  return 0;
}

}  // namespace

CommandSpec execCommand() {
  return {"container exec",
          {"exec"},
          "[OPTIONS] CONTAINER COMMAND [ARG...]",
          "Execute a command in a running container",
          ArgRule::kMin,
          2,
          0,
          false,
          flags,
          runExec};
}

}  // namespace berth::cli
