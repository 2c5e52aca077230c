// berth network create|ls|inspect|rm|prune|connect|disconnect (docker/cli cli/command/network).

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/formatters.h"
#include "template/template.h"

namespace berth::cli {
namespace {

using nlohmann::json;

constexpr const char* kNetworkTableFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

Result<std::map<std::string, std::string>> keyValues(const std::vector<std::string>& items,
                                                     const char* what) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (std::string(what) == "label") {
        out[item] = "";
        continue;
      }
      return invalidArgument("invalid " + std::string(what) + " \"" + item +
                             "\": expected key=value");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

// --- create.

void createFlags(FlagSet& f) {
  f.addList("aux-address", 0, "Auxiliary IPv4 or IPv6 addresses used by Network driver", "map");
  f.addBool("attachable", 0, "Enable manual container attachment");
  f.addString("config-from", 0, "", "The network from which to copy the configuration");
  f.addBool("config-only", 0, "Create a configuration only network");
  f.addString("driver", 'd', "bridge", "Driver to manage the Network");
  f.addList("gateway", 0, "IPv4 or IPv6 Gateway for the master subnet", "strings");
  f.addBool("ingress", 0, "Create swarm routing-mesh network");
  f.addBool("internal", 0, "Restrict external access to the network");
  f.addList("ip-range", 0, "Allocate container ip from a sub-range", "strings");
  f.addString("ipam-driver", 0, "default", "IP Address Management Driver");
  f.addList("ipam-opt", 0, "Set IPAM driver specific options", "map");
  f.addBool("ipv6", 0, "Enable IPv6 networking");
  f.addList("label", 0, "Set metadata on a network");
  f.addList("opt", 'o', "Set driver specific options", "map");
  f.addString("scope", 0, "", "Control the network's scope");
}

Result<int> runCreate(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  auto subnets = f.getList("subnet");
  auto gateways = f.getList("gateway");
  auto ranges = f.getList("ip-range");
  if (subnets.empty() && (!gateways.empty() || !ranges.empty())) {
    return invalidArgument("every ip-range or gateway must have a corresponding subnet");
  }
  if (gateways.size() > subnets.size() || ranges.size() > subnets.size()) {
    return invalidArgument("every ip-range or gateway must have a corresponding subnet");
  }
  json config = json::array();
  for (size_t i = 0; i < subnets.size(); ++i) {
    json c = {{"Subnet", subnets[i]}};
    if (i < ranges.size()) c["IPRange"] = ranges[i];
    if (i < gateways.size()) c["Gateway"] = gateways[i];
    config.push_back(c);
  }
  BERTH_TRY(auto opts, keyValues(f.getList("opt"), "option"));
  BERTH_TRY(auto ipam_opts, keyValues(f.getList("ipam-opt"), "option"));
  BERTH_TRY(auto labels, keyValues(f.getList("label"), "label"));
  if (!f.getList("aux-address").empty()) {
    return notImplemented("--aux-address is not supported yet");
  }
  json body = {{"Name", f.args()[0]},
               {"CheckDuplicate", true},
               {"Driver", f.getString("driver")},
               {"Scope", f.getString("scope")},
               {"EnableIPv6", f.getBool("ipv6")},
               {"IPAM",
                {{"Driver", f.getString("ipam-driver")},
                 {"Config", config},
                 {"Options", ipam_opts}}},
               {"Internal", f.getBool("internal")},
               {"Attachable", f.getBool("attachable")},
               {"Ingress", f.getBool("ingress")},
               {"ConfigOnly", f.getBool("config-only")},
               {"Options", opts},
               {"Labels", labels}};
  if (f.changed("config-from")) body["ConfigFrom"] = {{"Network", f.getString("config-from")}};
  BERTH_TRY(json out, api->postJson("/networks/create", {}, &body));
  cli.out(out.value("Id", "") + "\n");
  return 0;
}

void subnetFlag(FlagSet& f) {
  createFlags(f);
  f.addList("subnet", 0, "Subnet in CIDR format that represents a network segment", "strings");
}

// --- ls.

void lsFlags(FlagSet& f) {
  f.addList("filter", 'f', "Provide filter values (e.g. 'driver=bridge')", "filter");
  f.validate(validateFilter);
  f.addString("format", 0, "",
              "Format output using a custom template:\n"
              "'table':            Print output in table format with column headers (default)\n"
              "'table TEMPLATE':   Print output in table format using the given Go template\n"
              "'json':             Print in JSON format\n"
              "'TEMPLATE':         Print output using the given Go template.\n"
              "Refer to https://docs.docker.com/go/formatting/ for more information about "
              "formatting output with templates");
  f.addBool("no-trunc", 0, "Do not truncate the output");
  f.addBool("quiet", 'q', "Only display network IDs");
}

Result<int> runLs(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  client::Query q;
  std::string fj = filtersJson(f.getList("filter"));
  if (!fj.empty()) q.emplace_back("filters", fj);
  BERTH_TRY(json list, api->getJson("/networks", q));
  bool trunc = !f.getBool("no-trunc");
  std::vector<json> rows;
  if (list.is_array()) {
    std::vector<json> items(list.begin(), list.end());
    std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
      return a.value("Name", "") < b.value("Name", "");
    });
    for (const auto& n : items) {
      std::string id = n.value("Id", "");
      std::vector<std::string> labels;
      if (n.contains("Labels") && n["Labels"].is_object()) {
        for (const auto& [k, v] : n["Labels"].items()) labels.push_back(k + "=" + v.get<std::string>());
      }
      rows.push_back({{"ID", trunc ? id.substr(0, 12) : id},
                      {"Name", n.value("Name", "")},
                      {"Driver", n.value("Driver", "")},
                      {"Scope", n.value("Scope", "")},
                      {"IPv6", n.value("EnableIPv6", false) ? "true" : "false"},
                      {"Internal", n.value("Internal", false) ? "true" : "false"},
                      {"Labels", join(labels, ",")},
                      {"CreatedAt", n.value("Created", "")}});
    }
  }
  std::string format = f.getString("format");
  if (f.getBool("quiet") && format.empty()) format = "{{.ID}}";
  json header = {{"ID", "NETWORK ID"}, {"Name", "NAME"},         {"Driver", "DRIVER"},
                 {"Scope", "SCOPE"},   {"IPv6", "IPV6"},         {"Internal", "INTERNAL"},
                 {"Labels", "LABELS"}, {"CreatedAt", "CREATED"}};
  BERTH_TRY(std::string out, renderFormatted(format, kNetworkTableFormat, header, rows));
  cli.out(out);
  return 0;
}

// --- inspect.

void inspectFlags(FlagSet& f) {
  f.addString("format", 'f', "", "Format output using a custom template");
  f.addBool("verbose", 'v', "Verbose output for diagnostics");
}

Result<int> runInspect(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  std::string format = f.getString("format");
  std::optional<tmpl::Template> tmpl;
  if (!format.empty() && format != "json") {
    auto t = tmpl::Template::parse(format);
    if (!t) return t.error().wrap("template parsing error");
    tmpl.emplace(std::move(*t));
  }
  std::vector<std::string> raws, errors;
  std::string out;
  for (const auto& name : f.args()) {
    auto r = api->call("GET", "/networks/" + name, {});
    if (!r) {
      errors.push_back(r.error().message());
      continue;
    }
    if (!tmpl) {
      raws.push_back(r->body);
      continue;
    }
    json data = json::parse(r->body, nullptr, false);
    if (data.is_discarded()) return internalError("malformed JSON answer from daemon");
    BERTH_TRY(std::string text, tmpl->execute(data));
    out += text + "\n";
  }
  if (!tmpl) out = raws.empty() ? "[]\n" : indentJson("[" + join(raws, ",") + "]") + "\n";
  cli.out(out);
  return finishWithErrors(errors);
}

// --- rm.

void rmFlags(FlagSet& f) { f.addBool("force", 'f', "Do not error if the network does not exist"); }

Result<int> runRm(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  std::vector<std::string> errors;
  for (const auto& name : f.args()) {
    auto r = api->call("DELETE", "/networks/" + name, {});
    if (!r) {
      if (f.getBool("force") && r.error().code() == ErrorCode::kNotFound) continue;
      errors.push_back(r.error().message());
      continue;
    }
    cli.out(name + "\n");
  }
  return finishWithErrors(errors);
}

// --- prune.

void pruneFlags(FlagSet& f) {
  f.addList("filter", 0, "Provide filter values (e.g. 'until=<timestamp>')", "filter");
  f.validate(validateFilter);
  f.addBool("force", 'f', "Do not prompt for confirmation");
}

Result<int> runPrune(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (!f.getBool("force") &&
      !promptForConfirmation(cli, "WARNING! This will remove all custom networks not used by at "
                                  "least one container.")) {
    return 0;
  }
  client::Query q;
  std::string fj = filtersJson(f.getList("filter"));
  if (!fj.empty()) q.emplace_back("filters", fj);
  BERTH_TRY(json r, api->postJson("/networks/prune", q, nullptr));
  std::string out;
  if (r.contains("NetworksDeleted") && r["NetworksDeleted"].is_array() &&
      !r["NetworksDeleted"].empty()) {
    out += "Deleted Networks:\n";
    for (const auto& n : r["NetworksDeleted"]) out += n.get<std::string>() + "\n";
  }
  cli.out(out);
  return 0;
}

// --- connect, disconnect.

void connectFlags(FlagSet& f) {
  f.addList("alias", 0, "Add network-scoped alias for the container", "strings");
  f.addList("driver-opt", 0, "driver options for the network", "strings");
  f.addString("ip", 0, "", "IPv4 address (e.g., 172.30.100.104)");
  f.addString("ip6", 0, "", "IPv6 address (e.g., 2001:db8::33)");
  f.addList("link", 0, "Add link to another container", "list");
  f.addList("link-local-ip", 0, "Add a link-local address for the container", "strings");
}

Result<int> runConnect(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (!f.getString("ip6").empty()) return notImplemented("--ip6: IPv6 is not supported yet");
  if (!f.getList("link-local-ip").empty()) return notImplemented("--link-local-ip is not supported yet");
  if (!f.getList("driver-opt").empty()) return notImplemented("--driver-opt is not supported yet");
  json ep = json::object();
  if (!f.getString("ip").empty()) ep["IPAMConfig"] = {{"IPv4Address", f.getString("ip")}};
  if (!f.getList("alias").empty()) ep["Aliases"] = f.getList("alias");
  if (!f.getList("link").empty()) ep["Links"] = f.getList("link");
  json body = {{"Container", f.args()[1]}, {"EndpointConfig", ep}};
  BERTH_TRY_VOID(api->postJson("/networks/" + f.args()[0] + "/connect", {}, &body));
  return 0;
}

void disconnectFlags(FlagSet& f) {
  f.addBool("force", 'f', "Force the container to disconnect from a network");
}

Result<int> runDisconnect(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  json body = {{"Container", f.args()[1]}, {"Force", f.getBool("force")}};
  BERTH_TRY_VOID(api->postJson("/networks/" + f.args()[0] + "/disconnect", {}, &body));
  return 0;
}

}  // namespace

std::vector<CommandSpec> networkCommands() {
  return {
      {"network create", {}, "[OPTIONS] NETWORK", "Create a network", ArgRule::kExact, 1, 1, true,
       subnetFlag, runCreate},
      {"network ls", {"network list"}, "[OPTIONS]", "List networks", ArgRule::kNone, 0, 0, true,
       lsFlags, runLs},
      {"network inspect", {}, "[OPTIONS] NETWORK [NETWORK...]",
       "Display detailed information on one or more networks", ArgRule::kMin, 1, 0, true,
       inspectFlags, runInspect},
      {"network rm", {"network remove"}, "NETWORK [NETWORK...]", "Remove one or more networks",
       ArgRule::kMin, 1, 0, true, rmFlags, runRm},
      {"network prune", {}, "[OPTIONS]", "Remove all unused networks", ArgRule::kNone, 0, 0, true,
       pruneFlags, runPrune},
      {"network connect", {}, "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network",
       ArgRule::kExact, 2, 2, true, connectFlags, runConnect},
      {"network disconnect", {}, "[OPTIONS] NETWORK CONTAINER",
       "Disconnect a container from a network", ArgRule::kExact, 2, 2, true, disconnectFlags,
       runDisconnect},
  };
}

}  // namespace berth::cli
