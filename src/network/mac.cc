#include "network/mac.h"

#include <sys/random.h>

#include <cstdio>

namespace berth::network {

MacAddress macFromIpv4(Ipv4 ip) {
  return {0x02,
          0x42,
          uint8_t(ip.value >> 24),
          uint8_t(ip.value >> 16),
          uint8_t(ip.value >> 8),
          uint8_t(ip.value)};
}

MacAddress randomMac() {
  MacAddress mac{0x02, 0x42, 0, 0, 0, 0};
  uint8_t bytes[4] = {};
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += size_t(n);
  }
  for (int i = 0; i < 4; ++i) mac[2 + i] = bytes[i];
  return mac;
}

std::string macToString(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

Result<MacAddress> parseMac(std::string_view text) {
  auto bad = [&] { return invalidArgument("invalid MAC address: " + std::string(text)); };
  if (text.size() != 17) return bad();
  MacAddress mac{};
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  char sep = text[2];
  if (sep != ':' && sep != '-') return bad();
  for (int i = 0; i < 6; ++i) {
    int hi = hex(text[size_t(i) * 3]);
    int lo = hex(text[size_t(i) * 3 + 1]);
    if (hi < 0 || lo < 0) return bad();
    if (i < 5 && text[size_t(i) * 3 + 2] != sep) return bad();
    mac[size_t(i)] = uint8_t(hi * 16 + lo);
  }
  return mac;
}

}  // namespace berth::network
