#include "network/ip_address.h"

#include <gtest/gtest.h>

#include "network/mac.h"

namespace berth::network {
namespace {

TEST(Ipv4Test, ParsesAndPrints) {
  auto ip = Ipv4::parse("172.17.0.2");
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->value, 0xAC110002u);
  EXPECT_EQ(ip->toString(), "172.17.0.2");
  EXPECT_EQ(Ipv4::fromOctets(10, 0, 0, 1).toString(), "10.0.0.1");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3",
                          "1.2.3.4 ", "-1.2.3.4"}) {
    EXPECT_FALSE(Ipv4::parse(bad).ok()) << bad;
  }
}

TEST(Ipv4Test, Prefixes) {
  auto p = Ipv4Prefix::parse("172.17.0.1/16");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->network().toString(), "172.17.0.0");
  EXPECT_EQ(p->broadcast().toString(), "172.17.255.255");
  EXPECT_EQ(p->canonical().toString(), "172.17.0.0/16");
  EXPECT_FALSE(p->isCanonical());
  EXPECT_TRUE(p->contains(*Ipv4::parse("172.17.200.3")));
  EXPECT_FALSE(p->contains(*Ipv4::parse("172.18.0.1")));
  EXPECT_TRUE(p->overlaps(*Ipv4Prefix::parse("172.16.0.0/12")));
  EXPECT_FALSE(p->overlaps(*Ipv4Prefix::parse("172.18.0.0/16")));
  EXPECT_EQ(p->size(), 65536u);
  EXPECT_EQ(Ipv4Prefix::parse("0.0.0.0/0")->mask(), 0u);
  for (const char* bad :
       {"1.2.3.4", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/x", "1.2.3/8", "1.2.3.4/08"})
    EXPECT_FALSE(Ipv4Prefix::parse(bad).ok()) << bad;
}

TEST(MacTest, DerivedFromIpv4LikeDocker) {
  EXPECT_EQ(macToString(macFromIpv4(*Ipv4::parse("172.17.0.2"))), "02:42:ac:11:00:02");
  EXPECT_EQ(macToString(macFromIpv4(*Ipv4::parse("192.168.16.255"))), "02:42:c0:a8:10:ff");
  MacAddress random = randomMac();
  EXPECT_EQ(random[0], 0x02);
  EXPECT_EQ(random[1], 0x42);
  auto parsed = parseMac("02:42:AC:11:00:02");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(macToString(*parsed), "02:42:ac:11:00:02");
  EXPECT_FALSE(parseMac("02:42:ac:11:00").ok());
  EXPECT_FALSE(parseMac("02:42:ac:11:00:0g").ok());
  EXPECT_FALSE(parseMac("02:42-ac:11:00:02").ok());
}

}  // namespace
}  // namespace berth::network
