#pragma once
// NetworkService's private state, shared by network_service.cc (network objects, API) and
// network_sandbox.cc (containers' sandboxes). Not for other users.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/network_service.h"
#include "network/dns_server.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/port_allocator.h"

namespace berth::daemon {

struct NetworkService::Impl {
  std::mutex mu;  // guards everything below except dns
  std::map<std::string, NetworkRecord> networks;  // id → record
  std::optional<network::Ipam> ipam;
  std::unique_ptr<network::Firewall> firewall;  // null with iptables=false
  network::PortAllocator ports;
  std::optional<network::Netlink> nl;  // in berthd's netns
  std::string dir;                     // <data-root>/network
  std::string netns_dir;               // <exec-root>/netns
  std::string default_gateway;         // the default bridge's gateway address
  // Published ports of running containers: container id → mappings (to release them).
  std::map<std::string, std::vector<network::PortMapping>> mappings;

  std::mutex dns_mu;  // guards dns; never taken with mu held
  std::unique_ptr<network::DnsServer> dns;

  // REQUIRES: mu held.
  NetworkRecord* findLocked(const std::string& name_or_id, std::string* error_name = nullptr);
  NetworkRecord* byName(const std::string& name);
  Result<void> save(const NetworkRecord& n);
  // Creates/reuses the bridge device with the gateway address and adds the network's firewall
  // rules. REQUIRES: mu held.
  Result<void> setupBridge(const NetworkRecord& n);
};

// Network options of a bridge network.
bool networkBoolOption(const NetworkRecord& n, const std::string& key, bool fallback);
inline constexpr const char* kOptBridgeName = "com.docker.network.bridge.name";
inline constexpr const char* kOptIcc = "com.docker.network.bridge.enable_icc";
inline constexpr const char* kOptMasq = "com.docker.network.bridge.enable_ip_masquerade";
inline constexpr const char* kOptMtu = "com.docker.network.driver.mtu";
inline constexpr const char* kOptHostBinding = "com.docker.network.bridge.host_binding_ipv4";
inline constexpr const char* kOptDefaultBridge = "com.docker.network.bridge.default_bridge";

// True for networks with containers' DNS by name (user-defined bridge networks).
inline bool hasEmbeddedDns(const NetworkRecord& n) {
  return n.Driver == "bridge" && n.Name != "bridge";
}

}  // namespace berth::daemon
