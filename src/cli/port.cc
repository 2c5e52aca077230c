// berth port: list a container's port mappings (docker/cli cli/command/container/port.go).

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

using nlohmann::json;

void flags(FlagSet&) {}

std::string hostPortText(const json& b) {
  std::string ip = b.value("HostIp", "");
  std::string port = b.value("HostPort", "");
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + port;
  return ip + ":" + port;
}

Result<int> runPort(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  const std::string& name = f.args()[0];
  BERTH_TRY(json c, api->getJson("/containers/" + name + "/json"));
  json ports = json::object();
  if (c.contains("NetworkSettings") && c["NetworkSettings"].contains("Ports") &&
      c["NetworkSettings"]["Ports"].is_object()) {
    ports = c["NetworkSettings"]["Ports"];
  }
  std::vector<std::string> lines;
  if (f.args().size() == 2) {
    std::string want = f.args()[1];
    auto [port, proto] = splitOnce(want, '/');
    std::string key = std::string(port) + "/" + (proto.empty() ? "tcp" : std::string(proto));
    if (ports.contains(key) && ports[key].is_array()) {
      for (const auto& b : ports[key]) lines.push_back(hostPortText(b));
    }
    if (lines.empty()) {
      return notFound("Error: No public port '" + key + "' published for " + name);
    }
  } else {
    for (const auto& [key, bindings] : ports.items()) {
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings) lines.push_back(key + " -> " + hostPortText(b));
    }
    std::sort(lines.begin(), lines.end());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  cli.out(out);
  return 0;
}

}  // namespace

CommandSpec portCommand() {
  return {"container port", {"port"}, "CONTAINER [PRIVATE_PORT[/PROTO]]",
          "List port mappings or a specific mapping for the container", ArgRule::kRange, 1, 2,
          true, flags, runPort};
}

}  // namespace berth::cli
