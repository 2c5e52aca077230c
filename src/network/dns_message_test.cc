#include "network/dns_message.h"

#include <gtest/gtest.h>

#include <random>

#include "network/dns_server.h"
#include "network/dns_test_util.h"

namespace berth::network {
namespace {

using testing::makeQuery;
using testing::readAnswer;

TEST(DnsMessageTest, ParsesAQuery) {
  auto packet = makeQuery(0x1234, "Web.Example.COM", dns::kTypeA);
  auto q = dns::parseQuery(packet);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_EQ(q->name, "web.example.com");
  EXPECT_EQ(q->qtype, dns::kTypeA);
  EXPECT_EQ(q->qclass, dns::kClassIn);
  EXPECT_EQ(q->question_end, packet.size());
  EXPECT_FALSE(q->is_response());
  EXPECT_EQ(q->opcode(), 0);
  auto root = dns::parseQuery(makeQuery(1, "", dns::kTypeA));
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->name, "");
}

TEST(DnsMessageTest, RejectsMalformedPackets) {
  auto packet = makeQuery(7, "a.bb.ccc", dns::kTypeA);
  // Every truncation is rejected, none crashes.
  for (size_t len = 0; len < packet.size(); ++len) {
    std::vector<uint8_t> cut(packet.begin(), packet.begin() + long(len));
    EXPECT_FALSE(dns::parseQuery(cut).has_value()) << len;
  }
  auto no_question = packet;
  no_question[5] = 0;
  EXPECT_FALSE(dns::parseQuery(no_question).has_value());
  auto pointer = packet;
  pointer[12] = 0xC0;  // compression pointer in the question
  EXPECT_FALSE(dns::parseQuery(pointer).has_value());
  auto overrun = packet;
  overrun[12] = 60;  // label longer than the packet
  EXPECT_FALSE(dns::parseQuery(overrun).has_value());
  // A name longer than 255 bytes.
  std::vector<uint8_t> longname = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    longname.push_back(63);
    longname.insert(longname.end(), 63, 'a');
  }
  longname.insert(longname.end(), {0, 0, 1, 0, 1});
  EXPECT_FALSE(dns::parseQuery(longname).has_value());
  EXPECT_FALSE(dns::readId(std::vector<uint8_t>{1}).has_value());
}

// Fuzz-style: random bytes and random mutations of valid queries never crash the parser and
// the reply builder.
TEST(DnsMessageTest, RandomInputNeverCrashes) {
  std::mt19937 rng(12345);
  auto base = makeQuery(99, "svc.internal", dns::kTypeA);
  for (int i = 0; i < 200000; ++i) {
    std::vector<uint8_t> p;
    if (i % 2 == 0) {
      p.resize(rng() % 64);
      for (auto& b : p) b = uint8_t(rng());
    } else {
      p = base;
      int flips = 1 + int(rng() % 4);
      for (int f = 0; f < flips; ++f) p[rng() % p.size()] = uint8_t(rng());
      if (rng() % 4 == 0) p.resize(rng() % (p.size() + 1));
    }
    auto q = dns::parseQuery(p);
    if (q) {
      ASSERT_LE(q->question_end, p.size());
      auto r = dns::buildReply(*q, p, dns::kNoError, {Ipv4{1}}, std::string("x.y"), 512);
      ASSERT_GE(r.size(), dns::kHeaderSize);
      auto parsed = dns::parseReverseName(q->name);
      (void)parsed;
    }
  }
}

TEST(DnsMessageTest, BuildsReplies) {
  auto packet = makeQuery(0xBEEF, "web", dns::kTypeA);
  auto q = dns::parseQuery(packet);
  ASSERT_TRUE(q.has_value());
  auto r = dns::buildReply(*q, packet, dns::kNoError,
                           {*Ipv4::parse("172.18.0.2"), *Ipv4::parse("172.19.0.5")});
  auto a = readAnswer(r);
  EXPECT_EQ(a.id, 0xBEEF);
  EXPECT_EQ(a.rcode, dns::kNoError);
  EXPECT_EQ(a.a, (std::vector<std::string>{"172.18.0.2", "172.19.0.5"}));
  EXPECT_EQ(r[2] & 0x80, 0x80);  // QR
  EXPECT_EQ(r[2] & 0x01, 0x01);  // RD echoed
  // Too many answers for UDP: truncated with TC.
  std::vector<Ipv4> many(100, *Ipv4::parse("10.0.0.1"));
  auto big = readAnswer(dns::buildReply(*q, packet, dns::kNoError, many, {}, 512));
  EXPECT_TRUE(big.truncated);
  EXPECT_LT(big.ancount, 100);
  EXPECT_EQ(readAnswer(dns::buildReply(*q, packet, dns::kNxDomain)).rcode, dns::kNxDomain);
  auto ptr = readAnswer(dns::buildReply(*q, packet, dns::kNoError, {}, std::string("web.net1")));
  EXPECT_EQ(ptr.ptr, (std::vector<std::string>{"web.net1"}));
  auto err = dns::buildHeaderError(5, 0x0100, dns::kFormErr);
  EXPECT_EQ(readAnswer(err).rcode, dns::kFormErr);
  EXPECT_EQ(readAnswer(err).id, 5);
}

TEST(DnsMessageTest, ReverseNamesAndEncoding) {
  EXPECT_EQ(dns::parseReverseName("2.0.18.172.in-addr.arpa")->toString(), "172.18.0.2");
  EXPECT_FALSE(dns::parseReverseName("2.0.18.in-addr.arpa").has_value());
  EXPECT_FALSE(dns::parseReverseName("web").has_value());
  EXPECT_FALSE(dns::parseReverseName("x.0.18.172.in-addr.arpa").has_value());
  EXPECT_EQ(dns::encodeName("ab.c")->size(), 6u);
  EXPECT_FALSE(dns::encodeName("a..b").has_value());
  EXPECT_FALSE(dns::encodeName(std::string(64, 'a')).has_value());
}

TEST(DnsMessageTest, UpstreamsFromResolvConfSkipLoopback) {
  auto ups = upstreamsFromResolvConf(
      "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver  8.8.4.4 # x\n"
      "nameserver ::1\nnameserverx 1.1.1.1\nsearch example.com\n");
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0].ip.toString(), "10.0.0.2");
  EXPECT_EQ(ups[1].ip.toString(), "8.8.4.4");
  EXPECT_EQ(ups[1].port, 53);
  EXPECT_EQ(upstreamsFromResolvConf("nameserver 127.0.0.1\n", true).size(), 1u);
}

}  // namespace
}  // namespace berth::network
