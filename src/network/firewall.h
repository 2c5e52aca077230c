#pragma once
// The firewall for bridge networks, in one nftables table owned entirely by berth
// (`table ip berth` by default), so `nft list table ip berth` explains every rule and nothing
// outside it is touched.
//
// Layout (chains of the table):
//   prerouting  nat    hook prerouting  prio dstnat: fib daddr type local -> jump ports
//   output      nat    hook output      prio -100:   fib daddr type local -> jump ports
//   postrouting nat    hook postrouting prio srcnat: per-network masquerade, loopback masquerade
//   forward     filter hook forward     prio 0, policy accept:
//                 jump berth-user (first; created empty, never flushed: Docker's DOCKER-USER)
//                 jump isolation  (traffic between two berth bridges is dropped)
//                 per network: established/related in, published ports in, icc, out, drop in
//   ports       regular chain: one DNAT rule per published port
//   berth-user  regular chain for the administrator
//   isolation   regular chain
// Each rule carries a comment "net:<network id>" or "ctr:<owner id>" so that a network's or a
// container's rules are found and removed individually (by handle).
//
// Published ports are reachable from the host itself on 127.0.0.1 (and its other addresses)
// through OUTPUT DNAT, with route_localnet=1 on the bridge (so the kernel routes a 127.0.0.1
// source out of the bridge) and masquerade of 127.0.0.0/8 sources leaving the bridge: no userland
// proxy process. Hairpin (a container reaching its own published port through the host address)
// is masqueraded too, as Docker does.
//
// Thread safety: an instance is not thread-safe; the daemon serialises calls.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "network/ip_address.h"

namespace berth::network {

enum class Protocol { kTcp, kUdp, kSctp };
const char* protocolName(Protocol proto);  // "tcp", "udp", "sctp"
Result<Protocol> parseProtocol(std::string_view text);

struct NetworkRules {
  std::string id;          // network id (the comment tag), e.g. the full 64-hex id
  std::string bridge;      // bridge interface name
  Ipv4Prefix subnet;       // canonical subnet
  bool masquerade = true;  // com.docker.network.bridge.enable_ip_masquerade
  bool icc = true;         // com.docker.network.bridge.enable_icc
  bool internal = false;   // --internal: no traffic in or out of the bridge
};

struct PortMapping {
  Protocol proto = Protocol::kTcp;
  std::optional<Ipv4> host_ip;  // unset or 0.0.0.0: every host address
  uint16_t host_port = 0;
  Ipv4 container_ip;
  uint16_t container_port = 0;
  std::string bridge;  // the container's bridge (for route_localnet and hairpin)
};

class Firewall {
 public:
  virtual ~Firewall() = default;
  // Creates the table, its chains and fixed rules if missing (idempotent; rules of existing
  // networks and ports are kept) and enables net.ipv4.ip_forward.
  virtual Result<void> init() = 0;
  // Adds the rules of a network, replacing any it had. Sets route_localnet on its bridge.
  virtual Result<void> addNetwork(const NetworkRules& rules) = 0;
  // Removes every rule tagged with the network id (none is fine).
  virtual Result<void> removeNetwork(const std::string& network_id) = 0;
  // Adds DNAT (and hairpin masquerade) for one published port, tagged with `owner` (container
  // id). Enables route_localnet on mapping.bridge.
  virtual Result<void> addPortMapping(const std::string& owner, const PortMapping& mapping) = 0;
  // Removes the rules of one mapping of `owner` (none is fine).
  virtual Result<void> removePortMapping(const std::string& owner, const PortMapping& mapping) = 0;
  // Removes every rule tagged with `owner` (none is fine).
  virtual Result<void> removePortMappings(const std::string& owner) = 0;
  // Deletes the whole table (missing is fine).
  virtual Result<void> removeAll() = 0;
  // `nft list table ip <name>` output, for diagnostics and tests.
  virtual Result<std::string> listRules() = 0;
};

// The nftables implementation (libnftables). `table` is the table name in family ip; tests pass
// their own name so that a running berthd's table is never touched. With `netns_fd` >= 0 the
// rules and sysctls go to that network namespace instead of the caller's (tests); the fd is
// duplicated.
Result<std::unique_ptr<Firewall>> makeNftablesFirewall(const std::string& table = "berth",
                                                       int netns_fd = -1);

}  // namespace berth::network
