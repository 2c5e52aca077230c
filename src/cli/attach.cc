// berth attach: attach the terminal's streams to a running container (docker attach).

#include <nlohmann/json.hpp>

#include "cli/attach_session.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addString("detach-keys", 0, "", "Override the key sequence for detaching a container");
  f.addBool("no-stdin", 0, "Do not attach STDIN");
  f.addBool("sig-proxy", 0, "Proxy all received signals to the process (default true)");
}

Result<int> runAttach(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  const std::string& name = f.args()[0];
  BERTH_TRY(nlohmann::json info, api->getJson("/containers/" + name + "/json"));
  std::string id = info.value("Id", name);
  const nlohmann::json& state = info["State"];
  const nlohmann::json& config = info["Config"];
  if (!state.value("Running", false)) {
    return invalidArgument("You cannot attach to a stopped container, start it first");
  }
  if (state.value("Paused", false)) {
    return invalidArgument("You cannot attach to a paused container, unpause it first");
  }
  if (state.value("Restarting", false)) {
    return invalidArgument("You cannot attach to a restarting container, wait until it is running");
  }
  bool tty = config.value("Tty", false);
  bool attach_stdin = !f.getBool("no-stdin") && config.value("OpenStdin", false);
  if (tty && attach_stdin && !cli.stdinIsTerminal()) {
    return invalidArgument("the input device is not a TTY");
  }
  if (f.changed("detach-keys")) BERTH_TRY_VOID(parseDetachKeys(f.getString("detach-keys")));

  client::Query q = {{"stream", "1"}, {"stdout", "1"}, {"stderr", "1"}};
  if (attach_stdin) q.emplace_back("stdin", "1");
  if (f.changed("detach-keys")) q.emplace_back("detachKeys", f.getString("detach-keys"));
  BERTH_TRY(client::HttpConnection conn, api->hijack("/containers/" + id + "/attach", q));
  // As the docker CLI: the wait goes out once attached; its answer gives the exit code.
  client::Request wait_req;
  wait_req.method = "POST";
  BERTH_TRY(client::HttpConnection wait_conn,
            api->begin("/containers/" + id + "/wait", {}, wait_req));

  AttachSessionOptions ao;
  ao.tty = tty;
  ao.stdin = attach_stdin;
  ao.detach_keys = f.getString("detach-keys");
  if (tty) ao.resize = resizeCallback(cli, "container", id);
  bool sig_proxy = !f.changed("sig-proxy") || f.getBool("sig-proxy");
  if (sig_proxy && !tty) ao.forward_signal = killCallback(cli, id);
  BERTH_TRY(AttachSessionResult session, runAttachSession(cli, conn, ao));
  // The docker CLI's attach reports the detach as its error (moby/term's EscapeError); run and
  // start -a exit 0 quietly.
  if (session.detached) return Error(ErrorCode::kInternal, "read escape sequence");
  BERTH_TRY(client::Response waited, api->finish(wait_conn));
  nlohmann::json status = nlohmann::json::parse(waited.body, nullptr, false);
  if (!status.is_object()) return internalError("malformed wait answer from daemon");
  return static_cast<int>(status.value("StatusCode", int64_t{0}));
}

}  // namespace

CommandSpec attachCommand() {
  return {"container attach", {"attach"}, "[OPTIONS] CONTAINER",
          "Attach local standard input, output, and error streams to a running container",
          ArgRule::kExact, 1, 1, false, flags, runAttach};
}

}  // namespace berth::cli
