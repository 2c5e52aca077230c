// berth run: create, attach, start and wait, as docker's runContainer does.

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/attach_session.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/container_opts.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) { addContainerFlags(f, /*for_run=*/true); }

// docker's toStatusError: 127 when the command is not found, 126 when it cannot be executed,
// 125 otherwise; the message "berth: <error>\n\nRun 'berth run --help' for more information".
int statusError(Cli& cli, const Error& error) {
  const std::string& m = error.message();
  int code = 125;
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos) {
    code = 127;
  } else if (m.find("permission denied") != std::string::npos ||
             m.find("is a directory") != std::string::npos) {
    code = 126;
  }
  cli.err(std::string(kBinName) + ": " + m + "\n\nRun '" + cli.command_path +
          " --help' for more information\n");
  return code;
}

Result<int> runRun(Cli& cli, const FlagSet& f) {
  auto req = buildContainerRequest(f, true);
  if (!req) return statusError(cli, req.error());
  bool detach = f.getBool("detach");
  if (req->tty && req->attach_stdin && !cli.stdinIsTerminal()) {
    return Error(ErrorCode::kInvalidArgument, "the input device is not a TTY");
  }
  auto api_or = cli.api();
  if (!api_or) return statusError(cli, api_or.error());
  client::ApiClient* api = *api_or;
  auto created = createContainer(cli, *req);
  if (!created) return statusError(cli, created.error());
  const std::string id = *created;
  if (detach) {
    auto started = api->call("POST", "/containers/" + id + "/start");
    if (!started) return statusError(cli, started.error());
    cli.out(id + "\n");
    return 0;
  }

  const nlohmann::json& config = req->body;
  bool attach_any = config.value("AttachStdout", false) || config.value("AttachStderr", false) ||
                    config.value("AttachStdin", false);
  std::optional<client::HttpConnection> attach;
  if (attach_any) {
    client::Query q = {{"stream", "1"}};
    if (config.value("AttachStdin", false)) q.emplace_back("stdin", "1");
    if (config.value("AttachStdout", false)) q.emplace_back("stdout", "1");
    if (config.value("AttachStderr", false)) q.emplace_back("stderr", "1");
    // The daemon applies the same keys (the CLI matches them first).
    if (f.changed("detach-keys")) q.emplace_back("detachKeys", f.getString("detach-keys"));
    auto conn = api->hijack("/containers/" + id + "/attach", q);
    if (!conn) return statusError(cli, conn.error());
    attach.emplace(std::move(*conn));
  }
  // The wait must be in flight before the start, or a fast container's exit (and --rm's
  // removal) could be missed.
  client::Request wait_req;
  wait_req.method = "POST";
  auto wait_conn = api->begin("/containers/" + id + "/wait",
                              {{"condition", req->auto_remove ? "removed" : "next-exit"}},
                              wait_req);
  if (!wait_conn) return statusError(cli, wait_conn.error());

  auto started = api->call("POST", "/containers/" + id + "/start");
  if (!started) return statusError(cli, started.error());

  if (attach) {
    AttachSessionOptions ao;
    ao.tty = req->tty;
    ao.stdin = req->attach_stdin;
    ao.detach_keys = f.getString("detach-keys");
    if (req->tty) ao.resize = resizeCallback(cli, "container", id);
    // docker: --sig-proxy (default true) forwards signals only without a tty.
    bool sig_proxy = !f.changed("sig-proxy") || f.getBool("sig-proxy");
    if (sig_proxy && !req->tty) ao.forward_signal = killCallback(cli, id);
    auto session = runAttachSession(cli, *attach, ao);
    if (!session) cli.err("Error: " + session.error().message() + "\n");
    // Detached: the container keeps running; docker prints nothing and exits 0.
    if (session && session->detached) return 0;
  } else if (req->tty && cli.stdoutIsTerminal()) {
    if (auto size = terminalSize(STDOUT_FILENO)) resizeCallback(cli, "container", id)(*size);
  }
  auto waited = api->finish(*wait_conn);
  if (!waited) return statusError(cli, waited.error());
  nlohmann::json status = nlohmann::json::parse(waited->body, nullptr, false);
  if (status.is_discarded() || !status.is_object()) {
    return internalError("malformed wait answer from daemon");
  }
  if (auto e = status.find("Error"); e != status.end() && e->is_object()) {
    std::string msg = e->value("Message", std::string());
    if (!msg.empty()) return statusError(cli, Error(ErrorCode::kInternal, msg));
  }
  return static_cast<int>(status.value("StatusCode", int64_t{0}));
}

}  // namespace

CommandSpec runCommand() {
  return {"container run", {"run"}, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
          "Create and run a new container from an image", ArgRule::kMin, 1, 0, false, flags,
          runRun};
}

}  // namespace berth::cli
