// berth rename: docker's `container rename`.

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

Result<int> runRename(Cli& cli, const FlagSet& f) {
  const auto& args = f.args();
  std::string old_name(trim(args[0]));
  std::string new_name(trim(args[1]));
  if (old_name.empty() || new_name.empty()) {
    return invalidArgument("Error: Neither old nor new names may be empty");
  }
  BERTH_TRY(client::ApiClient * api, cli.api());
  auto r = api->call("POST", "/containers/" + old_name + "/rename", {{"name", new_name}});
  if (!r) {
    cli.err(r.error().message() + "\n");
    return invalidArgument("Error: failed to rename container named " + old_name);
  }
  return 0;
}

}  // namespace

CommandSpec renameCommand() {
  return {"container rename",
          {"rename"},
          "CONTAINER NEW_NAME",
          "Rename a container",
          ArgRule::kExact,
          2,
          2,
          true,
          nullptr,
          runRename};
}

}  // namespace berth::cli
