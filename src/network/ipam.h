#pragma once
// IPv4 address management with Docker's behaviour, persisted so it survives a daemon restart.
//
// A pool belongs to one network (pool id = network id): a subnet, an optional ip-range inside it
// (addresses for containers come from the range; requested addresses may be anywhere in the
// subnet) and a gateway (default: the first address of the range, or of the subnet without a
// range, as dockerd 20.10: --subnet 172.28.0.0/16 --ip-range 172.28.5.0/24 gives gateway
// 172.28.5.0 and first container 172.28.5.1). The subnet's network and broadcast addresses are
// never handed out. Never the same address twice while held. Order after a release:
//   serial (default, the brief's and newer Docker's bitmap-with-cursor): the next free address
//     after the last one handed out, wrapping around, so a released address is reused last;
//   lowest-free (dockerd 20.10's default): the lowest free address, so a released one comes back
//     at once.
// Every change is written to the state file with writeFileAtomic before the call returns.
//
// Errors (Docker's wording): "no available IPv4 addresses on this network's address pools: <id>"
// (Unavailable), "Address already in use" (Conflict), "no configured subnet or ip-range contain
// the IP address <ip>" (InvalidArgument), "pool <id> not found" (NotFound).
//
// Thread safety: not thread-safe; the daemon serialises calls.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "network/ip_address.h"

namespace berth::network {

struct PoolConfig {
  Ipv4Prefix subnet;                   // canonical, e.g. 172.18.0.0/16
  std::optional<Ipv4Prefix> ip_range;  // inside subnet
  std::optional<Ipv4> gateway;         // unset: the first address of the range / subnet
  bool serial = true;                  // false: lowest free address first (dockerd 20.10)
};

struct PoolInfo {
  std::string id;
  Ipv4Prefix subnet;
  std::optional<Ipv4Prefix> ip_range;
  Ipv4 gateway;
  std::vector<Ipv4> allocated;  // sorted; without network/broadcast, with the gateway
  bool serial = true;
};

class Ipam {
 public:
  // Loads `state_file` (JSON) if it exists, else starts empty. The directory must exist.
  static Result<Ipam> open(const std::string& state_file);

  // Creates a pool and reserves its gateway. Conflict if `id` exists or the subnet overlaps
  // another pool ("Pool overlaps with other one on this address space").
  Result<PoolInfo> addPool(const std::string& id, const PoolConfig& config);
  Result<void> removePool(const std::string& id);  // NotFound when missing
  bool hasPool(const std::string& id) const;
  Result<PoolInfo> pool(const std::string& id) const;
  std::vector<std::string> poolIds() const;
  std::vector<Ipv4Prefix> subnets() const;

  // The requested address, or the next free one of the range (subnet when no range).
  Result<Ipv4> allocate(const std::string& id, std::optional<Ipv4> requested = std::nullopt);
  // Releasing an address that is not allocated is fine (no-op).
  Result<void> release(const std::string& id, Ipv4 address);
  bool isAllocated(const std::string& id, Ipv4 address) const;

 private:
  struct Pool {
    Ipv4Prefix subnet;
    std::optional<Ipv4Prefix> ip_range;
    Ipv4 gateway;
    std::vector<Ipv4> allocated;  // sorted
    uint32_t cursor = 0;          // last address handed out (host order), 0 = none yet
    bool serial = true;
  };
  Result<void> save() const;
  static PoolInfo info(const std::string& id, const Pool& pool);

  std::string state_file_;
  std::map<std::string, Pool> pools_;
};

// Docker's default address pools in order: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20,
// 192.168.16.0/20, … 192.168.240.0/20.
std::vector<Ipv4Prefix> defaultAddressPools();
// The first default pool that overlaps none of `in_use` (routes on the host, subnets of
// existing networks). Unavailable "could not find an available, non-overlapping IPv4 address
// pool among the defaults to assign to the network" when all are taken.
Result<Ipv4Prefix> pickDefaultSubnet(const std::vector<Ipv4Prefix>& in_use);
// Destinations of the host's IPv4 routes (main table, default route excluded), read through
// netlink in the calling thread's netns: what pickDefaultSubnet must avoid.
Result<std::vector<Ipv4Prefix>> hostRoutedPrefixes();

}  // namespace berth::network
