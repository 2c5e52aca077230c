// berth system prune / container prune / image prune.

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

using nlohmann::json;

void systemFlags(FlagSet& f) {
  f.addBool("all", 'a', "Remove all unused images not just dangling ones");
  f.addList("filter", 0, "Provide filter values (e.g. \"label=<key>=<value>\")", "filter");
  f.validate(validateFilter);
  f.addBool("force", 'f', "Do not prompt for confirmation");
  f.addBool("volumes", 0, "Prune anonymous volumes");
}

void containerFlags(FlagSet& f) {
  f.addList("filter", 0, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
  f.validate(validateFilter);
  f.addBool("force", 'f', "Do not prompt for confirmation");
}

void imageFlags(FlagSet& f) {
  f.addBool("all", 'a', "Remove all unused images, not just dangling ones");
  f.addList("filter", 0, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
  f.validate(validateFilter);
  f.addBool("force", 'f', "Do not prompt for confirmation");
}

// Prunes containers; appends "Deleted Containers:" output; returns reclaimed bytes.
Result<int64_t> pruneContainers(client::ApiClient* api, const std::vector<std::string>& filters,
                                std::string& out) {
  client::Query q;
  if (auto fj = filtersJson(filters); !fj.empty()) q.emplace_back("filters", fj);
  BERTH_TRY(json r, api->postJson("/containers/prune", q, nullptr));
  auto deleted = r.value("ContainersDeleted", json::array());
  if (deleted.is_array() && !deleted.empty()) {
    out += "Deleted Containers:\n";
    for (const auto& id : deleted) out += id.get<std::string>() + "\n";
    out += "\n";
  }
  return r.value("SpaceReclaimed", int64_t{0});
}

Result<int64_t> pruneImages(client::ApiClient* api, std::vector<std::string> filters, bool all,
                            std::string& out) {
  filters.push_back(std::string("dangling=") + (all ? "false" : "true"));
  client::Query q = {{"filters", filtersJson(filters)}};
  BERTH_TRY(json r, api->postJson("/images/prune", q, nullptr));
  auto deleted = r.value("ImagesDeleted", json::array());
  if (deleted.is_array() && !deleted.empty()) {
    out += "Deleted Images:\n";
    for (const auto& item : deleted) {
      if (item.contains("Untagged")) out += "untagged: " + item.value("Untagged", "") + "\n";
      if (item.contains("Deleted")) out += "deleted: " + item.value("Deleted", "") + "\n";
    }
    out += "\n";
  }
  return r.value("SpaceReclaimed", int64_t{0});
}

Result<int> runSystemPrune(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (f.getBool("volumes")) return notImplemented("--volumes is not supported yet");
  bool all = f.getBool("all");
  if (!f.getBool("force")) {
    std::string warning = "WARNING! This will remove:\n  - all stopped containers\n";
    warning += "  - all networks not used by at least one container\n";
    warning += all ? "  - all images without at least one container associated to them\n"
                   : "  - all dangling images\n";
    if (!promptForConfirmation(cli, warning)) return 0;
  }
  std::string out;
  auto filters = f.getList("filter");
  BERTH_TRY(int64_t c, pruneContainers(api, filters, out));
  {
    client::Query q;
    if (auto fj = filtersJson(filters); !fj.empty()) q.emplace_back("filters", fj);
    BERTH_TRY(json r, api->postJson("/networks/prune", q, nullptr));
    auto deleted = r.value("NetworksDeleted", json::array());
    if (deleted.is_array() && !deleted.empty()) {
      out += "Deleted Networks:\n";
      for (const auto& n : deleted) out += n.get<std::string>() + "\n";
      out += "\n";
    }
  }
  BERTH_TRY(int64_t i, pruneImages(api, filters, all, out));
  out += "Total reclaimed space: " + humanSize(static_cast<double>(c + i)) + "\n";
  cli.out(out);
  return 0;
}

Result<int> runContainerPrune(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (!f.getBool("force") &&
      !promptForConfirmation(cli, "WARNING! This will remove all stopped containers.")) {
    return 0;
  }
  std::string out;
  BERTH_TRY(int64_t c, pruneContainers(api, f.getList("filter"), out));
  out += "Total reclaimed space: " + humanSize(static_cast<double>(c)) + "\n";
  cli.out(out);
  return 0;
}

Result<int> runImagePrune(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  bool all = f.getBool("all");
  std::string warning = all ? "WARNING! This will remove all images without at least one "
                              "container associated to them."
                            : "WARNING! This will remove all dangling images.";
  if (!f.getBool("force") && !promptForConfirmation(cli, warning)) return 0;
  std::string out;
  BERTH_TRY(int64_t i, pruneImages(api, f.getList("filter"), all, out));
  out += "Total reclaimed space: " + humanSize(static_cast<double>(i)) + "\n";
  cli.out(out);
  return 0;
}

}  // namespace

CommandSpec systemPruneCommand() {
  return {"system prune", {}, "[OPTIONS]", "Remove unused data", ArgRule::kNone, 0, 0, true,
          systemFlags, runSystemPrune};
}

CommandSpec containerPruneCommand() {
  return {"container prune", {}, "[OPTIONS]", "Remove all stopped containers", ArgRule::kNone, 0,
          0, true, containerFlags, runContainerPrune};
}

CommandSpec imagePruneCommand() {
  return {"image prune", {}, "[OPTIONS]", "Remove unused images", ArgRule::kNone, 0, 0, true,
          imageFlags, runImagePrune};
}

}  // namespace berth::cli
