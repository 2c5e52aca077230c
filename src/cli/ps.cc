// berth ps: list containers in docker's table or a --format template.

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/formatters.h"
#include "cli/units.h"
#include "template/format.h"

namespace berth::cli {
namespace {

const char* kFormatUsage =
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates";

void flags(FlagSet& f) {
  f.addBool("all", 'a', "Show all containers (default shows just running)");
  f.addList("filter", 'f', "Filter output based on conditions provided", "filter");
  f.validate(validateFilter);
  f.addString("format", 0, "", kFormatUsage);
  f.addInt("last", 'n', -1, "Show n last created containers (includes all states)");
  f.addBool("latest", 'l', "Show the latest created container (includes all states)");
  f.addBool("no-trunc", 0, "Don't truncate output");
  f.addBool("quiet", 'q', "Only display container IDs");
  f.addBool("size", 's', "Display total file sizes");
}

Result<int> runPs(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  std::string format = f.getString("format");
  bool quiet = f.getBool("quiet");
  bool size = f.getBool("size");
  // docker requests sizes when the template uses .Size (or for `json`).
  tmpl::FormatSpec spec = tmpl::parseFormat(format);
  if (!format.empty() && format.find(".Size") != std::string::npos) {
    size = true;
  }
  client::Query q;
  int64_t last = f.getInt("last");
  if (f.getBool("latest")) last = 1;
  if (f.getBool("all") || last > 0) q.emplace_back("all", "1");
  if (last > 0) q.emplace_back("limit", std::to_string(last));
  if (size && !quiet) q.emplace_back("size", "1");
  std::string filters = filtersJson(f.getList("filter"));
  if (!filters.empty()) q.emplace_back("filters", filters);
  BERTH_TRY(nlohmann::json list, api->getJson("/containers/json", q));

  bool trunc = !f.getBool("no-trunc");
  int64_t now = nowNanos();
  std::vector<nlohmann::json> rows;
  std::map<std::string, nlohmann::json> labels;
  if (list.is_array()) {
    for (const auto& c : list) {
      rows.push_back(containerRow(c, trunc, now));
      if (auto it = c.find("Labels"); it != c.end()) labels[rows.back()["ID"]] = *it;
    }
  }
  LabelMethods methods(std::move(labels));
  std::string table = kPsTableFormat;
  if (quiet && format.empty()) {
    format = "{{.ID}}";
  } else if (format.empty() || (spec.is_table && spec.body.empty())) {
    if (size) table += "\t{{.Size}}";
  }
  BERTH_TRY(std::string out, renderFormatted(format, table.c_str(), psHeader(), rows, methods.methods()));
  cli.out(out);
  return 0;
}

}  // namespace

CommandSpec psCommand() {
  return {"container ls", {"container list", "container ps", "ps"}, "[OPTIONS]",
          "List containers", ArgRule::kNone, 0, 0, true, flags, runPs};
}

}  // namespace berth::cli
