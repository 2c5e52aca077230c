// berth top: the processes of a running container (docker's `container top`), ps options
// passed through to the daemon's ps.

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "template/format.h"

namespace berth::cli {
namespace {

Result<int> runTop(Cli& cli, const FlagSet& f) {
  const auto& args = f.args();
  BERTH_TRY(client::ApiClient * api, cli.api());
  client::Query q;
  if (args.size() > 1) {
    q.emplace_back("ps_args", join(std::vector<std::string>(args.begin() + 1, args.end()), " "));
  }
  BERTH_TRY(nlohmann::json top, api->getJson("/containers/" + args[0] + "/top", q));
  if (!top.is_object()) return internalError("malformed top answer from daemon");
  // As docker: tabwriter(minwidth 20, tabwidth 1, padding 3, ' ').
  tmpl::TabWriter w(20, 1, 3, ' ');
  std::vector<std::string> titles;
  for (const auto& t : top.value("Titles", nlohmann::json::array())) {
    titles.push_back(t.is_string() ? t.get<std::string>() : t.dump());
  }
  w.write(join(titles, "\t") + "\n");
  for (const auto& row : top.value("Processes", nlohmann::json::array())) {
    std::vector<std::string> cells;
    for (const auto& c : row) cells.push_back(c.is_string() ? c.get<std::string>() : c.dump());
    w.write(join(cells, "\t") + "\n");
  }
  cli.out(w.flush());
  return 0;
}

}  // namespace

CommandSpec topCommand() {
  return {"container top",
          {"top"},
          "CONTAINER [ps OPTIONS]",
          "Display the running processes of a container",
          ArgRule::kMin,
          1,
          0,
          false,
          nullptr,
          runTop};
}

}  // namespace berth::cli
