#include "network/ipam.h"

#include <gtest/gtest.h>

#include "network/network_test_util.h"

namespace berth::network {
namespace {

Ipv4 ip(const char* text) {
  return *Ipv4::parse(text);
}
Ipv4Prefix prefix(const char* text) {
  return *Ipv4Prefix::parse(text);
}

TEST(IpamTest, AllocatesInOrderAndNeverTwiceWhileHeld) {
  testing::TempDir dir;
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(ipam.ok());
  auto pool = ipam->addPool("net1", PoolConfig{prefix("172.30.0.0/16")});
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ(pool->gateway.toString(), "172.30.0.1");
  EXPECT_EQ(ipam->allocate("net1")->toString(), "172.30.0.2");
  EXPECT_EQ(ipam->allocate("net1")->toString(), "172.30.0.3");
  EXPECT_EQ(ipam->allocate("net1")->toString(), "172.30.0.4");
  ASSERT_TRUE(ipam->release("net1", ip("172.30.0.3")).ok());
  // The cursor goes on: a released address is not reused while others are free.
  EXPECT_EQ(ipam->allocate("net1")->toString(), "172.30.0.5");
  // A requested address that is held is refused, a free one is given.
  auto dup = ipam->allocate("net1", ip("172.30.0.4"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(dup.error().message(), "Address already in use");
  EXPECT_EQ(ipam->allocate("net1", ip("172.30.0.3"))->toString(), "172.30.0.3");
  auto outside = ipam->allocate("net1", ip("10.0.0.1"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().message(),
            "no configured subnet or ip-range contain the IP address 10.0.0.1");
  EXPECT_FALSE(ipam->allocate("net1", ip("172.30.255.255")).ok());  // broadcast
  EXPECT_FALSE(ipam->allocate("nope").ok());
}

// dockerd 20.10's order: the lowest free address, so a released one is reused at once.
TEST(IpamTest, LowestFreeOrderLikeDockerd2010) {
  testing::TempDir dir;
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(ipam.ok());
  PoolConfig config{prefix("172.17.0.0/16")};
  config.serial = false;
  ASSERT_TRUE(ipam->addPool("bridge", config).ok());
  EXPECT_EQ(ipam->allocate("bridge")->toString(), "172.17.0.2");
  EXPECT_EQ(ipam->allocate("bridge")->toString(), "172.17.0.3");
  EXPECT_EQ(ipam->allocate("bridge")->toString(), "172.17.0.4");
  ASSERT_TRUE(ipam->release("bridge", ip("172.17.0.3")).ok());
  EXPECT_EQ(ipam->allocate("bridge")->toString(), "172.17.0.3");
  EXPECT_EQ(ipam->allocate("bridge")->toString(), "172.17.0.5");
  auto reopened = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(reopened->pool("bridge")->serial);
}

TEST(IpamTest, WrapsAroundAndReportsExhaustion) {
  testing::TempDir dir;
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(ipam.ok());
  ASSERT_TRUE(ipam->addPool("small", PoolConfig{prefix("10.10.0.0/29")}).ok());  // .1-.6 usable
  for (const char* want : {"10.10.0.2", "10.10.0.3", "10.10.0.4", "10.10.0.5", "10.10.0.6"})
    EXPECT_EQ(ipam->allocate("small")->toString(), want);
  auto full = ipam->allocate("small");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(full.error().message(),
            "no available IPv4 addresses on this network's address pools: small");
  ASSERT_TRUE(ipam->release("small", ip("10.10.0.4")).ok());
  ASSERT_TRUE(ipam->release("small", ip("10.10.0.2")).ok());
  // After the end, the search wraps and takes the first free one from the start.
  EXPECT_EQ(ipam->allocate("small")->toString(), "10.10.0.2");
  EXPECT_EQ(ipam->allocate("small")->toString(), "10.10.0.4");
}

TEST(IpamTest, IpRangeAndGateway) {
  testing::TempDir dir;
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(ipam.ok());
  PoolConfig config{prefix("172.28.0.0/16"), prefix("172.28.5.0/24"), ip("172.28.5.254")};
  auto pool = ipam->addPool("ranged", config);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ(pool->gateway.toString(), "172.28.5.254");
  EXPECT_EQ(ipam->allocate("ranged")->toString(), "172.28.5.0");
  EXPECT_EQ(ipam->allocate("ranged")->toString(), "172.28.5.1");
  // A requested address may be outside the range but inside the subnet.
  EXPECT_EQ(ipam->allocate("ranged", ip("172.28.9.9"))->toString(), "172.28.9.9");
  // Without a gateway, dockerd takes the range's first address (even x.x.x.0).
  auto implicit =
      ipam->addPool("implicit", PoolConfig{prefix("10.20.0.0/16"), prefix("10.20.5.0/24")});
  ASSERT_TRUE(implicit.ok());
  EXPECT_EQ(implicit->gateway.toString(), "10.20.5.0");
  EXPECT_EQ(ipam->allocate("implicit")->toString(), "10.20.5.1");
  EXPECT_FALSE(ipam->addPool("bad", PoolConfig{prefix("10.1.0.0/16"), prefix("10.2.0.0/24")}).ok());
  EXPECT_FALSE(ipam->addPool("bad", PoolConfig{prefix("10.1.0.0/16"), {}, ip("10.3.0.1")}).ok());
  EXPECT_FALSE(ipam->addPool("bad", PoolConfig{prefix("10.1.0.1/16")}).ok());
  auto overlap = ipam->addPool("over", PoolConfig{prefix("172.28.128.0/17")});
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.error().message(), "Pool overlaps with other one on this address space");
}

TEST(IpamTest, SurvivesRestart) {
  testing::TempDir dir;
  {
    auto ipam = Ipam::open(dir / "ipam.json");
    ASSERT_TRUE(ipam.ok());
    ASSERT_TRUE(ipam->addPool("a", PoolConfig{prefix("172.19.0.0/16")}).ok());
    ASSERT_TRUE(
        ipam->addPool("b", PoolConfig{prefix("10.5.0.0/24"), prefix("10.5.0.128/25")}).ok());
    EXPECT_EQ(ipam->allocate("a")->toString(), "172.19.0.2");
    EXPECT_EQ(ipam->allocate("a")->toString(), "172.19.0.3");
    ASSERT_TRUE(ipam->release("a", ip("172.19.0.2")).ok());
    EXPECT_EQ(ipam->allocate("b")->toString(), "10.5.0.129");  // .128 is the gateway
  }
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_TRUE(ipam.ok());
  EXPECT_TRUE(ipam->isAllocated("a", ip("172.19.0.3")));
  EXPECT_FALSE(ipam->isAllocated("a", ip("172.19.0.2")));
  EXPECT_TRUE(ipam->isAllocated("a", ip("172.19.0.1")));  // gateway
  // The cursor survived: .4 next, not the released .2.
  EXPECT_EQ(ipam->allocate("a")->toString(), "172.19.0.4");
  EXPECT_EQ(ipam->allocate("b")->toString(), "10.5.0.130");
  EXPECT_EQ(ipam->pool("b")->ip_range->toString(), "10.5.0.128/25");
  ASSERT_TRUE(ipam->removePool("b").ok());
  EXPECT_FALSE(Ipam::open(dir / "ipam.json")->hasPool("b"));
  EXPECT_EQ(ipam->removePool("b").error().code(), ErrorCode::kNotFound);
}

TEST(IpamTest, CorruptStateIsAnError) {
  testing::TempDir dir;
  ASSERT_TRUE(writeFile(dir / "ipam.json", "{not json").ok());
  auto ipam = Ipam::open(dir / "ipam.json");
  ASSERT_FALSE(ipam.ok());
  EXPECT_EQ(ipam.error().code(), ErrorCode::kDataLoss);
}

TEST(IpamTest, PicksDockersDefaultPoolsSkippingUsedRanges) {
  auto pools = defaultAddressPools();
  ASSERT_EQ(pools.size(), 15u + 16u);
  EXPECT_EQ(pools.front().toString(), "172.17.0.0/16");
  EXPECT_EQ(pools[14].toString(), "172.31.0.0/16");
  EXPECT_EQ(pools[15].toString(), "192.168.0.0/20");
  EXPECT_EQ(pools[16].toString(), "192.168.16.0/20");
  EXPECT_EQ(pickDefaultSubnet({})->toString(), "172.17.0.0/16");
  EXPECT_EQ(pickDefaultSubnet({prefix("172.17.5.0/24"), prefix("172.18.0.0/16")})->toString(),
            "172.19.0.0/16");
  // A wide route covering all of 172.16/12 moves to 192.168.
  EXPECT_EQ(pickDefaultSubnet({prefix("172.16.0.0/12"), prefix("192.168.1.0/24")})->toString(),
            "192.168.16.0/20");
  std::vector<Ipv4Prefix> all{prefix("172.16.0.0/12"), prefix("192.168.0.0/16")};
  EXPECT_EQ(pickDefaultSubnet(all).error().code(), ErrorCode::kUnavailable);
  // The default route never blocks anything.
  EXPECT_EQ(pickDefaultSubnet({prefix("0.0.0.0/0")})->toString(), "172.17.0.0/16");
}

TEST(IpamTest, HostRoutesAreReadable) {
  auto routes = hostRoutedPrefixes();
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  for (const auto& p : *routes) EXPECT_GT(p.len, 0);
}

}  // namespace
}  // namespace berth::network
