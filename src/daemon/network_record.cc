#include "daemon/network_record.h"

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

json ipamConfigJson(const NetworkIpamConfig& c) {
  json o = json::object();
  if (!c.Subnet.empty()) o["Subnet"] = c.Subnet;
  if (!c.IPRange.empty()) o["IPRange"] = c.IPRange;
  if (!c.Gateway.empty()) o["Gateway"] = c.Gateway;
  return o;
}

NetworkIpamConfig parseIpamConfig(const json& j) {
  NetworkIpamConfig c;
  readKey(j, "Subnet", c.Subnet);
  readKey(j, "IPRange", c.IPRange);
  readKey(j, "Gateway", c.Gateway);
  return c;
}

json toJson(const NetworkRecord& n, bool with_containers) {
  json config = json::array();
  for (const auto& c : n.IpamConfig) config.push_back(ipamConfigJson(c));
  json containers = json::object();
  if (with_containers) {
    for (const auto& [id, ep] : n.Endpoints) {
      containers[id] = {{"Name", ep.Name},
                        {"EndpointID", ep.EndpointID},
                        {"MacAddress", ep.MacAddress},
                        {"IPv4Address", ep.IPv4Address},
                        {"IPv6Address", ""}};
    }
  }
  // moby: the predefined networks show IPAM.Options null; user networks {}.
  json ipam_options = n.predefined() && n.IpamOptions.empty() ? json(nullptr) : json(n.IpamOptions);
  return {{"Name", n.Name},
          {"Id", n.Id},
          {"Created", n.Created},
          {"Scope", "local"},
          {"Driver", n.Driver},
          {"EnableIPv6", n.EnableIPv6},
          {"IPAM", {{"Driver", n.IpamDriver}, {"Options", ipam_options}, {"Config", config}}},
          {"Internal", n.Internal},
          {"Attachable", n.Attachable},
          {"Ingress", n.Ingress},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", n.Options},
          {"Labels", n.Labels}};
}

}  // namespace

std::string networkToJson(const NetworkRecord& n, bool with_containers) {
  return toJson(n, with_containers).dump();
}

std::string networkRecordToJson(const NetworkRecord& n) {
  json j = toJson(n, true);
  json eps = json::object();
  for (const auto& [id, ep] : n.Endpoints) {
    eps[id] = {{"Name", ep.Name},         {"EndpointID", ep.EndpointID},
               {"MacAddress", ep.MacAddress}, {"IPv4Address", ep.IPv4Address},
               {"Aliases", ep.Aliases},   {"HostVeth", ep.HostVeth}};
  }
  j["Containers"] = eps;
  j["BerthBridgeName"] = n.BridgeName;
  j["BerthLastAllocated"] = n.LastAllocated;
  return j.dump();
}

Result<NetworkRecord> parseNetworkRecord(std::string_view text) {
  try {
    json j = json::parse(text);
    NetworkRecord n;
    readKey(j, "Name", n.Name);
    readKey(j, "Id", n.Id);
    readKey(j, "Created", n.Created);
    readKey(j, "Driver", n.Driver);
    readKey(j, "EnableIPv6", n.EnableIPv6);
    if (auto it = j.find("IPAM"); it != j.end() && it->is_object()) {
      readKey(*it, "Driver", n.IpamDriver);
      readKey(*it, "Options", n.IpamOptions);
      if (auto c = it->find("Config"); c != it->end() && c->is_array()) {
        for (const auto& e : *c) n.IpamConfig.push_back(parseIpamConfig(e));
      }
    }
    readKey(j, "Internal", n.Internal);
    readKey(j, "Attachable", n.Attachable);
    readKey(j, "Ingress", n.Ingress);
    readKey(j, "Options", n.Options);
    readKey(j, "Labels", n.Labels);
    if (auto it = j.find("Containers"); it != j.end() && it->is_object()) {
      for (const auto& [id, e] : it->items()) {
        NetworkEndpoint ep;
        readKey(e, "Name", ep.Name);
        readKey(e, "EndpointID", ep.EndpointID);
        readKey(e, "MacAddress", ep.MacAddress);
        readKey(e, "IPv4Address", ep.IPv4Address);
        readKey(e, "Aliases", ep.Aliases);
        readKey(e, "HostVeth", ep.HostVeth);
        n.Endpoints[id] = std::move(ep);
      }
    }
    readKey(j, "BerthBridgeName", n.BridgeName);
    readKey(j, "BerthLastAllocated", n.LastAllocated);
    if (n.Id.empty() || n.Name.empty()) return invalidArgument("network record without Id or Name");
    return n;
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid network record: ") + e.what());
  }
}

Result<NetworkCreateRequest> parseNetworkCreateRequest(std::string_view body) {
  try {
    json j = body.empty() ? json::object() : json::parse(body);
    if (!j.is_object()) return invalidArgument("invalid JSON: the body must be an object");
    NetworkCreateRequest r;
    readKey(j, "Name", r.Name);
    readKey(j, "Driver", r.Driver);
    readKey(j, "CheckDuplicate", r.CheckDuplicate);
    readKey(j, "Internal", r.Internal);
    readKey(j, "Attachable", r.Attachable);
    readKey(j, "Ingress", r.Ingress);
    readKey(j, "EnableIPv6", r.EnableIPv6);
    readKey(j, "Options", r.Options);
    readKey(j, "Labels", r.Labels);
    readKey(j, "ConfigOnly", r.ConfigOnly);
    readKey(j, "Scope", r.Scope);
    if (auto it = j.find("ConfigFrom"); it != j.end() && it->is_object()) {
      readKey(*it, "Network", r.ConfigFrom);
    }
    if (auto it = j.find("IPAM"); it != j.end() && it->is_object()) {
      readKey(*it, "Driver", r.IpamDriver);
      readKey(*it, "Options", r.IpamOptions);
      if (auto c = it->find("Config"); c != it->end() && c->is_array()) {
        for (const auto& e : *c) {
          if (e.contains("AuxiliaryAddresses") && e["AuxiliaryAddresses"].is_object() &&
              !e["AuxiliaryAddresses"].empty()) {
            return invalidArgument("IPAM auxiliary addresses are not supported yet");
          }
          r.IpamConfig.push_back(parseIpamConfig(e));
        }
      }
    }
    return r;
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid network create request: ") + e.what());
  }
}

Result<NetworkConnectRequest> parseNetworkConnectRequest(std::string_view body) {
  try {
    json j = body.empty() ? json::object() : json::parse(body);
    if (!j.is_object()) return invalidArgument("invalid JSON: the body must be an object");
    NetworkConnectRequest r;
    readKey(j, "Container", r.Container);
    readKey(j, "Force", r.Force);
    if (auto it = j.find("EndpointConfig"); it != j.end() && it->is_object()) {
      readKey(*it, "Aliases", r.Aliases);
      readKey(*it, "Links", r.Links);
      if (auto ipam = it->find("IPAMConfig"); ipam != it->end() && ipam->is_object()) {
        readKey(*ipam, "IPv4Address", r.IPv4Address);
      }
    }
    return r;
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid request: ") + e.what());
  }
}

}  // namespace berth::daemon
