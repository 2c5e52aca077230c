// berth diff: the changes to a container's filesystem since it was created ("C /etc").

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

Result<int> runDiff(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  BERTH_TRY(nlohmann::json changes, api->getJson("/containers/" + f.args()[0] + "/changes"));
  if (!changes.is_array()) return 0;
  std::string out;
  for (const auto& c : changes) {
    int kind = c.value("Kind", 0);
    const char* letter = kind == 1 ? "A" : kind == 2 ? "D" : "C";
    out += std::string(letter) + " " + c.value("Path", "") + "\n";
  }
  cli.out(out);
  return 0;
}

}  // namespace

CommandSpec diffCommand() {
  return {"container diff", {"diff"}, "CONTAINER",
          "Inspect changes to files or directories on a container's filesystem", ArgRule::kExact,
          1, 1, true, nullptr, runDiff};
}

}  // namespace berth::cli
