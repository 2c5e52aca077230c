#pragma once
// MAC addresses as Docker makes them: a container's MAC is derived from its IPv4 address
// (02:42 followed by the four address bytes, e.g. 172.17.0.2 -> 02:42:ac:11:00:02); a bridge gets
// a random locally administered 02:42:xx:xx:xx:xx.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "network/ip_address.h"

namespace berth::network {

using MacAddress = std::array<uint8_t, 6>;

// 02:42:<ip bytes>.
MacAddress macFromIpv4(Ipv4 ip);
// 02:42 followed by four random bytes (getrandom).
MacAddress randomMac();
// "02:42:ac:11:00:02" (lower case).
std::string macToString(const MacAddress& mac);
// Accepts "02:42:AC:11:00:02" (six hex pairs separated by ':' or '-').
Result<MacAddress> parseMac(std::string_view text);

}  // namespace berth::network
