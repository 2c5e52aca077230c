#pragma once
// The bridge driver's link plumbing on top of Netlink, each step with its rollback:
//   ensureBridge: the network's bridge with its gateway address, up (idempotent);
//   createEndpoint: a veth pair, host end enslaved to the bridge (hairpin on, up), the other end
//     moved into the container's netns, renamed (eth0), MAC, address, up, default route;
//   removeEndpoint: deletes the host end (the kernel deletes the peer).
// No firewall or IPAM here: the daemon combines them.

#include <optional>
#include <string>

#include "base/result.h"
#include "network/ip_address.h"
#include "network/mac.h"
#include "network/netlink.h"

namespace berth::network {

struct BridgeConfig {
  std::string name;               // "berth0", "br-<12 hex>"
  Ipv4Prefix gateway;             // address of the bridge, e.g. 172.17.0.1/16
  int mtu = 0;                    // 0: default
  std::optional<MacAddress> mac;  // unset: randomMac() when the bridge is created
};

// Creates the bridge if missing, adds the gateway address if missing, sets it up. A bridge that
// exists keeps its other addresses. Rolls back what it created on failure.
Result<void> ensureBridge(Netlink& host, const BridgeConfig& config);
// Deletes the bridge; a missing one is fine.
Result<void> removeBridge(Netlink& host, const std::string& name);

struct EndpointConfig {
  std::string bridge;             // in the netns of `host`
  int netns_fd = -1;              // the container's netns
  std::string ifname = "eth0";    // name inside the container
  Ipv4Prefix address;             // e.g. 172.17.0.2/16
  std::optional<Ipv4> gateway;    // default route via it (only for one network of a container)
  std::optional<MacAddress> mac;  // unset: macFromIpv4(address.addr)
  int mtu = 0;
  std::string host_ifname;  // empty: "veth" + 7 random hex digits, like Docker
};

// Returns the host-side veth name. Also brings the container's loopback up. On failure nothing
// is left (the veth pair is deleted).
Result<std::string> createEndpoint(Netlink& host, const EndpointConfig& config);
// Deletes the host end of an endpoint; a missing one is fine (the container netns may be gone).
Result<void> removeEndpoint(Netlink& host, const std::string& host_ifname);
// "veth" followed by 7 random hex digits.
std::string randomVethName();

}  // namespace berth::network
