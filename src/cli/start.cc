// berth start: start stopped containers (-a/-i attach to one).

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/attach_session.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addBool("attach", 'a', "Attach STDOUT/STDERR and forward signals");
  f.addString("detach-keys", 0, "", "Override the key sequence for detaching a container");
  f.addBool("interactive", 'i', "Attach container's STDIN");
}

// docker's start with -a/-i (startContainersWithoutAttach is the other path): attach, wait
// next-exit in flight, start, resize, stream; the exit code is the container's.
Result<int> startAttached(Cli& cli, const FlagSet& f, client::ApiClient* api,
                          const std::string& name) {
  BERTH_TRY(nlohmann::json info, api->getJson("/containers/" + name + "/json"));
  std::string id = info.value("Id", name);
  const nlohmann::json& config = info["Config"];
  bool tty = config.value("Tty", false);
  bool interactive = f.getBool("interactive") && config.value("OpenStdin", false);
  // docker attaches to a container that already runs (its start answers 304).
  bool running = info["State"].value("Running", false);
  if (tty && interactive && !cli.stdinIsTerminal()) {
    return invalidArgument("the input device is not a TTY");
  }
  if (f.changed("detach-keys")) BERTH_TRY_VOID(parseDetachKeys(f.getString("detach-keys")));
  client::Query q = {{"stream", "1"}, {"stdout", "1"}, {"stderr", "1"}};
  if (interactive) q.emplace_back("stdin", "1");
  if (f.changed("detach-keys")) q.emplace_back("detachKeys", f.getString("detach-keys"));
  BERTH_TRY(client::HttpConnection conn, api->hijack("/containers/" + id + "/attach", q));
  client::Request wait_req;
  wait_req.method = "POST";
  BERTH_TRY(client::HttpConnection wait_conn,
            api->begin("/containers/" + id + "/wait", {{"condition", "next-exit"}}, wait_req));
  if (!running) BERTH_TRY_VOID(api->call("POST", "/containers/" + id + "/start"));

  AttachSessionOptions ao;
  ao.tty = tty;
  ao.stdin = interactive;
  ao.detach_keys = f.getString("detach-keys");
  if (tty) ao.resize = resizeCallback(cli, "container", id);
  if (!tty) ao.forward_signal = killCallback(cli, id);
  BERTH_TRY(AttachSessionResult session, runAttachSession(cli, conn, ao));
  if (session.detached) return 0;
  BERTH_TRY(client::Response waited, api->finish(wait_conn));
  nlohmann::json status = nlohmann::json::parse(waited.body, nullptr, false);
  if (!status.is_object()) return internalError("malformed wait answer from daemon");
  return static_cast<int>(status.value("StatusCode", int64_t{0}));
}

Result<int> runStart(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  const auto& names = f.args();
  if (f.getBool("attach") || f.getBool("interactive")) {
    if (names.size() > 1) {
      return invalidArgument("you cannot start and attach multiple containers at once");
    }
    return startAttached(cli, f, api, names[0]);
  }
  std::vector<std::string> failed;
  for (const auto& name : names) {
    auto r = api->call("POST", "/containers/" + name + "/start");
    if (!r) {
      cli.err(r.error().message() + "\n");
      failed.push_back(name);
      continue;
    }
    cli.out(name + "\n");
  }
  if (!failed.empty()) {
    return Error(ErrorCode::kInternal, "Error: failed to start containers: " + join(failed, ", "));
  }
  return 0;
}

}  // namespace

CommandSpec startCommand() {
  return {"container start", {"start"}, "[OPTIONS] CONTAINER [CONTAINER...]",
          "Start one or more stopped containers", ArgRule::kMin, 1, 0, true, flags, runStart};
}

}  // namespace berth::cli
