#pragma once
// Host port reservations for published ports, as Docker's portallocator: per protocol and host
// IP, where 0.0.0.0 conflicts with every address and the reverse. Ephemeral ports come from
// 32768..60999 (Docker's range), scanning on from the last one handed out.
//
// A reservation also binds a socket on the host (host_ip:port, the protocol's type) and holds it
// while allocated, as Docker's userland proxy does, so a port in use by another program is
// refused and no program takes it later.
//
// Errors (Docker's wording, Conflict):
//   "Bind for 0.0.0.0:8080 failed: port is already allocated"
//   "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use"
//   "all ports are allocated" (Unavailable) when the ephemeral range is exhausted.
//
// Thread safety: all methods are thread-safe (internal mutex).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "base/result.h"
#include "base/unique_fd.h"
#include "network/firewall.h"
#include "network/ip_address.h"

namespace berth::network {

inline constexpr uint16_t kEphemeralPortStart = 32768;
inline constexpr uint16_t kEphemeralPortEnd = 60999;

class PortAllocator {
 public:
  // `bind_host_sockets` false: reservations are bookkeeping only (unit tests without sockets).
  explicit PortAllocator(bool bind_host_sockets = true,
                         uint16_t ephemeral_start = kEphemeralPortStart,
                         uint16_t ephemeral_end = kEphemeralPortEnd);

  // Reserves `port` (0: an ephemeral one) on host_ip (0.0.0.0: all). Returns the port.
  Result<uint16_t> allocate(Protocol proto, Ipv4 host_ip, uint16_t port);
  // Reserves the first free port of [start, end] (a host port range "8000-8010").
  Result<uint16_t> allocateInRange(Protocol proto, Ipv4 host_ip, uint16_t start, uint16_t end);
  // Releases a reservation (closing its socket); releasing a free port is fine.
  void release(Protocol proto, Ipv4 host_ip, uint16_t port);
  bool isAllocated(Protocol proto, Ipv4 host_ip, uint16_t port) const;

 private:
  using Key = std::tuple<int, uint32_t, uint16_t>;  // proto, ip, port
  Result<void> reserveLocked(Protocol proto, Ipv4 host_ip, uint16_t port);
  bool takenLocked(Protocol proto, Ipv4 host_ip, uint16_t port) const;

  bool bind_host_sockets_;
  uint16_t ephemeral_start_;
  uint16_t ephemeral_end_;
  mutable std::mutex mu_;
  std::map<Key, UniqueFd> reserved_;  // GUARDED_BY(mu_)
  std::map<int, uint16_t> last_;      // proto -> last ephemeral port; GUARDED_BY(mu_)
};

}  // namespace berth::network
