#include "daemon/network_settings.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace berth::daemon {

using nlohmann::json;

namespace {

template <typename T>
void readKey(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  out = it->template get<T>();
}
template <typename T>
void readKey(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return;
  }
  out = it->template get<T>();
}

json optionalList(const std::optional<std::vector<std::string>>& v) {
  return v ? json(*v) : json(nullptr);
}

json portsJson(const PortMap& ports) {
  json out = json::object();
  for (const auto& [port, bindings] : ports) {
    out[port] = bindings ? json(*bindings) : json(nullptr);
  }
  return out;
}

}  // namespace

void to_json(json& j, const EndpointIpamConfig& v) {
  j = json::object();
  if (!v.IPv4Address.empty()) j["IPv4Address"] = v.IPv4Address;
  if (!v.IPv6Address.empty()) j["IPv6Address"] = v.IPv6Address;
}
void from_json(const json& j, EndpointIpamConfig& v) {
  readKey(j, "IPv4Address", v.IPv4Address);
  readKey(j, "IPv6Address", v.IPv6Address);
}

void to_json(json& j, const EndpointSettings& v) {
  j = {{"IPAMConfig", v.IPAMConfig ? json(*v.IPAMConfig) : json(nullptr)},
       {"Links", optionalList(v.Links)},
       {"Aliases", optionalList(v.Aliases)},
       {"NetworkID", v.NetworkID},
       {"EndpointID", v.EndpointID},
       {"Gateway", v.Gateway},
       {"IPAddress", v.IPAddress},
       {"IPPrefixLen", v.IPPrefixLen},
       {"IPv6Gateway", ""},
       {"GlobalIPv6Address", ""},
       {"GlobalIPv6PrefixLen", 0},
       {"MacAddress", v.MacAddress},
       {"DriverOpts", nullptr}};
}
void from_json(const json& j, EndpointSettings& v) {
  readKey(j, "IPAMConfig", v.IPAMConfig);
  readKey(j, "Links", v.Links);
  readKey(j, "Aliases", v.Aliases);
  readKey(j, "NetworkID", v.NetworkID);
  readKey(j, "EndpointID", v.EndpointID);
  readKey(j, "Gateway", v.Gateway);
  readKey(j, "IPAddress", v.IPAddress);
  readKey(j, "IPPrefixLen", v.IPPrefixLen);
  readKey(j, "MacAddress", v.MacAddress);
}

void to_json(json& j, const PortBinding& v) { j = {{"HostIp", v.HostIp}, {"HostPort", v.HostPort}}; }
void from_json(const json& j, PortBinding& v) {
  readKey(j, "HostIp", v.HostIp);
  readKey(j, "HostPort", v.HostPort);
}

void to_json(json& j, const ContainerNetworkSettings& v) {
  j = {{"SandboxID", v.SandboxID},
       {"SandboxKey", v.SandboxKey},
       {"Ports", portsJson(v.Ports)},
       {"Networks", v.Networks}};
}
void from_json(const json& j, ContainerNetworkSettings& v) {
  readKey(j, "SandboxID", v.SandboxID);
  readKey(j, "SandboxKey", v.SandboxKey);
  if (auto it = j.find("Ports"); it != j.end() && it->is_object()) {
    for (const auto& [port, bindings] : it->items()) {
      if (bindings.is_null()) {
        v.Ports[port] = std::nullopt;
      } else {
        v.Ports[port] = bindings.get<std::vector<PortBinding>>();
      }
    }
  }
  readKey(j, "Networks", v.Networks);
}

json networkSettingsInspectJson(const ContainerNetworkSettings& s, const std::string& mode,
                                bool running) {
  json networks = json::object();
  for (const auto& [name, ep] : s.Networks) networks[name] = ep;
  if (networks.empty() && !mode.empty() && !mode.starts_with("container:")) {
    networks[mode] = EndpointSettings{};
  }
  // The legacy top-level fields describe the default bridge's endpoint only.
  EndpointSettings legacy;
  if (auto it = s.Networks.find("bridge"); it != s.Networks.end()) legacy = it->second;
  return {{"Bridge", ""},
          {"SandboxID", s.SandboxID},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"Ports", running ? portsJson(s.Ports) : json::object()},
          {"SandboxKey", s.SandboxKey},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", legacy.EndpointID},
          {"Gateway", legacy.Gateway},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", legacy.IPAddress},
          {"IPPrefixLen", legacy.IPPrefixLen},
          {"IPv6Gateway", ""},
          {"MacAddress", legacy.MacAddress},
          {"Networks", networks}};
}

json psPortsJson(const ContainerNetworkSettings& s, bool running) {
  json out = json::array();
  if (!running) return out;
  for (const auto& [key, bindings] : s.Ports) {
    auto slash = key.find('/');
    int port = std::atoi(key.substr(0, slash).c_str());
    std::string type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!bindings || bindings->empty()) {
      out.push_back({{"PrivatePort", port}, {"Type", type}});
      continue;
    }
    for (const auto& b : *bindings) {
      out.push_back({{"IP", b.HostIp},
                     {"PrivatePort", port},
                     {"PublicPort", std::atoi(b.HostPort.c_str())},
                     {"Type", type}});
    }
  }
  return out;
}

json psNetworksJson(const ContainerNetworkSettings& s, const std::string& mode) {
  json out = json::object();
  for (const auto& [name, ep] : s.Networks) out[name] = ep;
  if (out.empty() && !mode.empty() && !mode.starts_with("container:")) {
    out[mode] = EndpointSettings{};
  }
  return out;
}

}  // namespace berth::daemon
