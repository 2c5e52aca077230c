#pragma once
// A minimal DNS message reader/writer for the embedded server (RFC 1035): reads the header and
// the single question of a query, and builds replies (A/PTR answers, empty answers, errors).
// Every read is bounds-checked: untrusted packets from containers never crash the server (see
// tests/fuzz/dns_message_fuzz.cc).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "network/ip_address.h"

namespace berth::network::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kClassIn = 1;

inline constexpr uint8_t kNoError = 0;
inline constexpr uint8_t kFormErr = 1;
inline constexpr uint8_t kServFail = 2;
inline constexpr uint8_t kNxDomain = 3;
inline constexpr uint8_t kNotImp = 4;

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxUdpSize = 512;

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // as received
  uint16_t qdcount = 0;
  std::string name;  // lower case, no trailing dot; "" for the root
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t question_end = 0;  // offset just after the question
  bool is_response() const { return (flags & 0x8000) != 0; }
  uint8_t opcode() const { return uint8_t((flags >> 11) & 0xF); }
};

// The header's id, or nullopt when the packet is shorter than a header.
std::optional<uint16_t> readId(std::span<const uint8_t> packet);
// Parses the header and first question. nullopt when malformed (short, bad labels, name too
// long, compression in the question, no question).
std::optional<Query> parseQuery(std::span<const uint8_t> packet);

// A reply to `query` (whose raw bytes are `packet`), echoing the question. `addresses` become A
// answers, `ptr_name` one PTR answer (TTL 600). With `max_size` answers that do not fit are left
// out and TC is set.
std::vector<uint8_t> buildReply(const Query& query, std::span<const uint8_t> packet, uint8_t rcode,
                                const std::vector<Ipv4>& addresses = {},
                                const std::optional<std::string>& ptr_name = std::nullopt,
                                size_t max_size = 65535);
// A header-only error reply (FORMERR/SERVFAIL/NOTIMP) for a packet whose question is unusable.
std::vector<uint8_t> buildHeaderError(uint16_t id, uint16_t query_flags, uint8_t rcode);
// "4.3.2.1.in-addr.arpa" -> 1.2.3.4; nullopt for other names.
std::optional<Ipv4> parseReverseName(const std::string& name);
// Encodes "a.b.c" in wire format; nullopt if a label is empty or longer than 63, or the name
// longer than 255 bytes.
std::optional<std::vector<uint8_t>> encodeName(const std::string& name);

}  // namespace berth::network::dns
