// libFuzzer target for the embedded DNS server's message parser (packets come from containers):
// parsing, replying and reverse-name parsing must never crash or read out of bounds.

#include <cstddef>
#include <cstdint>
#include <span>

#include "network/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::network;
  std::span<const uint8_t> packet(data, size);
  (void)dns::readId(packet);
  auto query = dns::parseQuery(packet);
  if (!query) return 0;
  if (query->question_end > size) __builtin_trap();
  auto reply = dns::buildReply(*query, packet, dns::kNoError, {Ipv4{0x0A000001}},
                               query->name.empty() ? std::nullopt
                                                   : std::optional<std::string>(query->name),
                               dns::kMaxUdpSize);
  if (reply.size() < dns::kHeaderSize) __builtin_trap();
  (void)dns::parseReverseName(query->name);
  (void)dns::encodeName(query->name);
  (void)dns::buildHeaderError(query->id, query->flags, dns::kFormErr);
  return 0;
}
