#include "daemon/network_create.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "network/ip_address.h"

namespace berth::daemon {

using nlohmann::json;

Result<void> validateNetworkMode(const std::string& mode) {
  if (mode.starts_with("container:") && mode.size() == 10) {
    return invalidArgument("invalid network mode: invalid container format container:<name|id>");
  }
  return {};
}

std::string networkOfMode(const std::string& mode) {
  if (mode.empty() || mode == "default") return "bridge";
  if (mode.starts_with("container:")) return "";
  return mode;
}

std::string containerOfMode(const std::string& mode) {
  return mode.starts_with("container:") ? mode.substr(10) : std::string();
}

Result<std::map<std::string, EndpointSettings>> parseEndpointsConfig(const json& nc,
                                                                     const std::string& mode) {
  std::map<std::string, EndpointSettings> out;
  auto it = nc.find("EndpointsConfig");
  if (it == nc.end() || !it->is_object()) return out;
  if (it->size() > 1) {
    std::vector<std::string> names;
    for (const auto& [name, _] : it->items()) names.push_back(name);
    return invalidArgument("Container cannot be connected to network endpoints: " +
                           join(names, ", "));
  }
  for (const auto& [name, ep] : it->items()) {
    EndpointSettings s;
    try {
      if (!ep.is_null()) s = ep.get<EndpointSettings>();
      if (ep.is_object() && ep.contains("MacAddress") && ep["MacAddress"].is_string()) {
        s.MacAddress = ep["MacAddress"].get<std::string>();
      }
    } catch (const json::exception& e) {
      return invalidArgument(std::string("invalid EndpointsConfig: ") + e.what());
    }
    if (s.IPAMConfig && !s.IPAMConfig->IPv4Address.empty() &&
        !network::Ipv4::parse(s.IPAMConfig->IPv4Address)) {
      return invalidArgument("invalid IPv4 address: " + s.IPAMConfig->IPv4Address);
    }
    // moby: user-specified addresses and aliases need a user-defined network.
    std::string net = networkOfMode(mode);
    bool predefined = net == "bridge" || net == "host" || net == "none";
    if (predefined && name == net && s.IPAMConfig &&
        (!s.IPAMConfig->IPv4Address.empty() || !s.IPAMConfig->IPv6Address.empty())) {
      return invalidArgument("user specified IP address is supported on user defined networks only");
    }
    if (predefined && name == net && s.Aliases && !s.Aliases->empty()) {
      return invalidArgument("network-scoped alias is supported only for containers in user defined networks");
    }
    s.EndpointID.clear();
    s.IPAddress.clear();
    s.Gateway.clear();
    s.IPPrefixLen = 0;
    s.NetworkID.clear();
    out[name == "default" ? "bridge" : name] = std::move(s);
  }
  return out;
}

}  // namespace berth::daemon
