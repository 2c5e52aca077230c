#pragma once
// Building DNS queries and reading answers in tests.

#include <cstdint>
#include <string>
#include <vector>

#include "network/dns_message.h"

namespace berth::network::testing {

inline std::vector<uint8_t> makeQuery(uint16_t id, const std::string& name, uint16_t qtype) {
  std::vector<uint8_t> q = {uint8_t(id >> 8), uint8_t(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  auto encoded = dns::encodeName(name);
  if (encoded) q.insert(q.end(), encoded->begin(), encoded->end());
  q.push_back(uint8_t(qtype >> 8));
  q.push_back(uint8_t(qtype));
  q.push_back(0);
  q.push_back(1);
  return q;
}

struct Answer {
  uint16_t id = 0;
  uint8_t rcode = 0;
  bool truncated = false;
  std::vector<std::string> a;  // A records
  std::vector<std::string> ptr;
  uint16_t ancount = 0;
};

// Reads a reply built like ours or a simple upstream's (answers pointing at the question name).
inline Answer readAnswer(const std::vector<uint8_t>& r) {
  Answer out;
  if (r.size() < 12) return out;
  out.id = uint16_t((r[0] << 8) | r[1]);
  out.rcode = r[3] & 0xF;
  out.truncated = (r[2] & 0x02) != 0;
  out.ancount = uint16_t((r[6] << 8) | r[7]);
  size_t pos = 12;
  while (pos < r.size() && r[pos] != 0) pos += r[pos] + 1;
  pos += 5;
  for (int i = 0; i < out.ancount && pos + 12 <= r.size(); ++i) {
    pos += 2;  // name pointer
    uint16_t type = uint16_t((r[pos] << 8) | r[pos + 1]);
    uint16_t rdlen = uint16_t((r[pos + 8] << 8) | r[pos + 9]);
    pos += 10;
    if (pos + rdlen > r.size()) break;
    if (type == dns::kTypeA && rdlen == 4) {
      out.a.push_back(std::to_string(r[pos]) + "." + std::to_string(r[pos + 1]) + "." +
                      std::to_string(r[pos + 2]) + "." + std::to_string(r[pos + 3]));
    } else if (type == dns::kTypePtr) {
      std::string name;
      size_t p = pos;
      while (p < pos + rdlen && r[p] != 0) {
        if (!name.empty()) name += '.';
        name.append(reinterpret_cast<const char*>(&r[p + 1]), r[p]);
        p += r[p] + 1;
      }
      out.ptr.push_back(name);
    }
    pos += rdlen;
  }
  return out;
}

}  // namespace berth::network::testing
