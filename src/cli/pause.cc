// berth pause / unpause: freeze or thaw the processes of containers (one request each; errors
// gathered at the end, as docker).

#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

Result<int> each(Cli& cli, const FlagSet& f, const std::string& action) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  std::vector<std::string> errors;
  for (const auto& name : f.args()) {
    auto r = api->call("POST", "/containers/" + name + "/" + action);
    if (!r) {
      errors.push_back(r.error().message());
      continue;
    }
    cli.out(name + "\n");
  }
  return finishWithErrors(errors);
}

Result<int> runPause(Cli& cli, const FlagSet& f) { return each(cli, f, "pause"); }
Result<int> runUnpause(Cli& cli, const FlagSet& f) { return each(cli, f, "unpause"); }

}  // namespace

CommandSpec pauseCommand() {
  return {"container pause", {"pause"}, "CONTAINER [CONTAINER...]",
          "Pause all processes within one or more containers", ArgRule::kMin, 1, 0, true, nullptr,
          runPause};
}

CommandSpec unpauseCommand() {
  return {"container unpause", {"unpause"}, "CONTAINER [CONTAINER...]",
          "Unpause all processes within one or more containers", ArgRule::kMin, 1, 0, true,
          nullptr, runUnpause};
}

}  // namespace berth::cli
