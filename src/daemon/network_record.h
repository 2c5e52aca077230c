#pragma once
// A network object as berthd keeps it in <data-root>/network/networks/<id>.json and as the
// Engine API shows it (GET /networks, /networks/{id}): Docker's shape, with its endpoints.
// Plain values; the codec lives in network_record.cc. Thread safety: none (NetworkService
// guards its records).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::daemon {

struct NetworkIpamConfig {
  std::string Subnet;
  std::string IPRange;
  std::string Gateway;
};

// A container's endpoint on the network (Containers{} in inspect, plus what berthd needs to
// undo it: the host-side veth name).
struct NetworkEndpoint {
  std::string Name;  // container name without "/"
  std::string EndpointID;
  std::string MacAddress;
  std::string IPv4Address;  // "172.18.0.2/16"
  std::vector<std::string> Aliases;
  std::string HostVeth;
};

struct NetworkRecord {
  std::string Name;
  std::string Id;
  std::string Created;
  std::string Driver;  // bridge | host | null
  bool EnableIPv6 = false;
  std::string IpamDriver = "default";
  std::map<std::string, std::string> IpamOptions;
  std::vector<NetworkIpamConfig> IpamConfig;
  bool Internal = false;
  bool Attachable = false;
  bool Ingress = false;
  std::map<std::string, std::string> Options;
  std::map<std::string, std::string> Labels;
  std::map<std::string, NetworkEndpoint> Endpoints;  // container id → endpoint
  // berth's own: the Linux bridge, and the last address handed out (allocation goes round the
  // range, so an address is not reused right after its release).
  std::string BridgeName;
  std::string LastAllocated;

  bool predefined() const { return Name == "bridge" || Name == "host" || Name == "none"; }
};

// Docker's JSON object; `with_containers` false gives the list form (Containers {}).
std::string networkToJson(const NetworkRecord& n, bool with_containers);
// The persisted form (Docker's object plus berth's fields).
std::string networkRecordToJson(const NetworkRecord& n);
Result<NetworkRecord> parseNetworkRecord(std::string_view text);

// The create request body (POST /networks/create).
struct NetworkCreateRequest {
  std::string Name;
  std::string Driver;
  bool CheckDuplicate = false;
  bool Internal = false;
  bool Attachable = false;
  bool Ingress = false;
  bool EnableIPv6 = false;
  std::string IpamDriver;
  std::map<std::string, std::string> IpamOptions;
  std::vector<NetworkIpamConfig> IpamConfig;
  std::map<std::string, std::string> Options;
  std::map<std::string, std::string> Labels;
  bool ConfigOnly = false;
  std::string ConfigFrom;
  std::string Scope;
};
Result<NetworkCreateRequest> parseNetworkCreateRequest(std::string_view body);

// POST /networks/{id}/connect and /disconnect bodies.
struct NetworkConnectRequest {
  std::string Container;
  std::string IPv4Address;
  std::vector<std::string> Aliases;
  std::vector<std::string> Links;
  bool Force = false;
};
Result<NetworkConnectRequest> parseNetworkConnectRequest(std::string_view body);

}  // namespace berth::daemon
