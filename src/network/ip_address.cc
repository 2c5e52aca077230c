#include "network/ip_address.h"

#include <arpa/inet.h>

#include "base/strings.h"

namespace berth::network {

Result<Ipv4> Ipv4::parse(std::string_view text) {
  uint32_t value = 0;
  int parts = 0;
  size_t pos = 0;
  while (parts < 4) {
    size_t end = text.find('.', pos);
    if (parts == 3) end = text.size();
    if (end == std::string_view::npos) break;
    std::string_view part = text.substr(pos, end - pos);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) break;
    uint32_t octet = 0;
    bool digits = true;
    for (char c : part) {
      if (c < '0' || c > '9') digits = false;
      octet = octet * 10 + uint32_t(c - '0');
    }
    if (!digits || octet > 255) break;
    value = (value << 8) | octet;
    ++parts;
    pos = end + 1;
  }
  if (parts != 4) return invalidArgument("invalid IPv4 address: " + std::string(text));
  return Ipv4{value};
}

std::string Ipv4::toString() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

uint32_t Ipv4::networkOrder() const {
  return htonl(value);
}
Ipv4 Ipv4::fromNetworkOrder(uint32_t be) {
  return Ipv4{ntohl(be)};
}

Result<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  bool found = false;
  auto [ip_text, len_text] = splitOnce(text, '/', &found);
  auto bad = [&] { return invalidArgument("invalid CIDR address: " + std::string(text)); };
  if (!found) return bad();
  auto ip = Ipv4::parse(ip_text);
  if (!ip) return bad();
  if (len_text.empty() || len_text.size() > 2 || (len_text.size() > 1 && len_text[0] == '0'))
    return bad();
  auto len = parseUint(len_text);
  if (!len || *len > 32) return bad();
  return Ipv4Prefix{*ip, int(*len)};
}

std::string Ipv4Prefix::toString() const {
  return addr.toString() + "/" + std::to_string(len);
}

}  // namespace berth::network
