#include "network/dns_message.h"

#include "base/strings.h"

namespace berth::network::dns {
namespace {

uint16_t get16(std::span<const uint8_t> p, size_t at) {
  return uint16_t((p[at] << 8) | p[at + 1]);
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, uint16_t(v >> 16));
  put16(out, uint16_t(v));
}

void setAt16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = uint8_t(v >> 8);
  out[at + 1] = uint8_t(v);
}

constexpr uint32_t kTtl = 600;

}  // namespace

std::optional<uint16_t> readId(std::span<const uint8_t> packet) {
  if (packet.size() < 2) return std::nullopt;
  return get16(packet, 0);
}

std::optional<Query> parseQuery(std::span<const uint8_t> packet) {
  if (packet.size() < kHeaderSize) return std::nullopt;
  Query q;
  q.id = get16(packet, 0);
  q.flags = get16(packet, 2);
  q.qdcount = get16(packet, 4);
  if (q.qdcount == 0) return std::nullopt;
  size_t pos = kHeaderSize;
  size_t wire_len = 0;
  std::string name;
  while (true) {
    if (pos >= packet.size()) return std::nullopt;
    uint8_t len = packet[pos++];
    if (len == 0) break;
    if ((len & 0xC0) != 0) return std::nullopt;  // compression or reserved label types
    if (pos + len > packet.size()) return std::nullopt;
    wire_len += size_t(len) + 1;
    if (wire_len > 254) return std::nullopt;
    if (!name.empty()) name.push_back('.');
    for (size_t i = 0; i < len; ++i) {
      char c = char(packet[pos + i]);
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      name.push_back(c);
    }
    pos += len;
  }
  if (pos + 4 > packet.size()) return std::nullopt;
  q.name = std::move(name);
  q.qtype = get16(packet, pos);
  q.qclass = get16(packet, pos + 2);
  q.question_end = pos + 4;
  return q;
}

std::optional<std::vector<uint8_t>> encodeName(const std::string& name) {
  std::vector<uint8_t> out;
  std::string_view rest = name;
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63) return std::nullopt;
    out.push_back(uint8_t(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    if (rest.empty()) return std::nullopt;
  }
  out.push_back(0);
  if (out.size() > 255) return std::nullopt;
  return out;
}

std::vector<uint8_t> buildHeaderError(uint16_t id, uint16_t query_flags, uint8_t rcode) {
  std::vector<uint8_t> out;
  put16(out, id);
  // QR, the query's opcode and RD, RA, rcode.
  put16(out, uint16_t(0x8000 | (query_flags & 0x7900) | 0x0080 | (rcode & 0xF)));
  for (int i = 0; i < 4; ++i) put16(out, 0);
  return out;
}

std::vector<uint8_t> buildReply(const Query& query, std::span<const uint8_t> packet, uint8_t rcode,
                                const std::vector<Ipv4>& addresses,
                                const std::optional<std::string>& ptr_name, size_t max_size) {
  std::vector<uint8_t> out;
  put16(out, query.id);
  // QR, opcode and RD from the query, AA, RA.
  uint16_t flags = uint16_t(0x8000 | (query.flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xF));
  put16(out, flags);
  put16(out, 1);  // qdcount
  put16(out, 0);  // ancount, set below
  put16(out, 0);
  put16(out, 0);
  out.insert(out.end(), packet.begin() + kHeaderSize, packet.begin() + long(query.question_end));
  uint16_t answers = 0;
  bool truncated = false;
  for (Ipv4 ip : addresses) {
    if (out.size() + 16 > max_size) {
      truncated = true;
      break;
    }
    put16(out, 0xC000 | kHeaderSize);  // pointer to the question's name
    put16(out, kTypeA);
    put16(out, kClassIn);
    put32(out, kTtl);
    put16(out, 4);
    put32(out, ip.value);
    ++answers;
  }
  if (ptr_name) {
    auto encoded = encodeName(*ptr_name);
    if (encoded) {
      if (out.size() + 12 + encoded->size() > max_size) {
        truncated = true;
      } else {
        put16(out, 0xC000 | kHeaderSize);
        put16(out, kTypePtr);
        put16(out, kClassIn);
        put32(out, kTtl);
        put16(out, uint16_t(encoded->size()));
        out.insert(out.end(), encoded->begin(), encoded->end());
        ++answers;
      }
    }
  }
  if (truncated) flags |= 0x0200;
  setAt16(out, 2, flags);
  setAt16(out, 6, answers);
  return out;
}

std::optional<Ipv4> parseReverseName(const std::string& name) {
  constexpr std::string_view kSuffix = ".in-addr.arpa";
  if (name.size() <= kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return std::nullopt;
  auto parts = split(std::string_view(name).substr(0, name.size() - kSuffix.size()), '.');
  if (parts.size() != 4) return std::nullopt;
  auto ip = Ipv4::parse(parts[3] + "." + parts[2] + "." + parts[1] + "." + parts[0]);
  if (!ip) return std::nullopt;
  return *ip;
}

}  // namespace berth::network::dns
