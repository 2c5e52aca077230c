#pragma once
// IPv4 addresses and prefixes as plain values (host byte order inside), shared by the netlink,
// IPAM, firewall and DNS parts. Parsing is strict: "172.17.0.2", "172.17.0.0/16"; no IPv6.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::network {

struct Ipv4 {
  uint32_t value = 0;  // host byte order: 172.17.0.2 is 0xAC110002

  static Result<Ipv4> parse(std::string_view text);
  static constexpr Ipv4 fromOctets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4{(uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | d};
  }
  std::string toString() const;
  // Network byte order, for sockaddr_in and netlink attributes.
  uint32_t networkOrder() const;
  static Ipv4 fromNetworkOrder(uint32_t be);
  bool isUnspecified() const { return value == 0; }
  bool isLoopback() const { return (value >> 24) == 127; }

  auto operator<=>(const Ipv4&) const = default;
};

// An address with a prefix length. `addr` may have host bits set (an interface address such as
// 172.17.0.1/16); network() clears them.
struct Ipv4Prefix {
  Ipv4 addr;
  int len = 32;  // 0..32

  // "a.b.c.d/n"; a bare address is rejected (use parseAddressOrPrefix for that).
  static Result<Ipv4Prefix> parse(std::string_view text);
  std::string toString() const;  // "172.17.0.1/16" (host bits kept)
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t(0) << (32 - len); }
  Ipv4 network() const { return Ipv4{addr.value & mask()}; }
  Ipv4 broadcast() const { return Ipv4{addr.value | ~mask()}; }
  // The same prefix with host bits cleared ("172.17.0.1/16" -> "172.17.0.0/16").
  Ipv4Prefix canonical() const { return Ipv4Prefix{network(), len}; }
  bool isCanonical() const { return addr == network(); }
  bool contains(Ipv4 ip) const { return (ip.value & mask()) == network().value; }
  bool contains(const Ipv4Prefix& other) const {
    return other.len >= len && contains(other.network());
  }
  bool overlaps(const Ipv4Prefix& other) const { return contains(other) || other.contains(*this); }
  // Number of addresses (2^(32-len)).
  uint64_t size() const { return uint64_t(1) << (32 - len); }

  auto operator<=>(const Ipv4Prefix&) const = default;
};

}  // namespace berth::network
