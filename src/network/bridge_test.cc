// The bridge driver plumbing in throwaway namespaces. Needs root.

#include "network/bridge.h"

#include <gtest/gtest.h>

#include "network/netns.h"
#include "network/network_test_util.h"

namespace berth::network {
namespace {

Ipv4Prefix prefix(const char* text) {
  return *Ipv4Prefix::parse(text);
}

TEST(BridgeTest, EndpointsOnABridgeTalkAndLeaveNothing) {
  if (!testing::haveRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  if (!pathExists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox (busybox-static)";
  testing::TempDir dir;
  auto host_ns = NetNs::create(dir / "netns/host");
  ASSERT_TRUE(host_ns.ok());
  auto c1 = NetNs::create(dir / "netns/c1");
  auto c2 = NetNs::create(dir / "netns/c2");
  ASSERT_TRUE(c1.ok() && c2.ok());
  auto host = Netlink::openInNetns(host_ns->fd());
  ASSERT_TRUE(host.ok());

  BridgeConfig bridge{"berth-bt", prefix("10.84.0.1/16"), 1450, std::nullopt};
  ASSERT_TRUE(ensureBridge(*host, bridge).ok());
  ASSERT_TRUE(ensureBridge(*host, bridge).ok());  // idempotent
  EXPECT_EQ(host->listAddresses(std::string("berth-bt"))->size(), 1u);
  EXPECT_TRUE(host->getLink("berth-bt")->up);
  EXPECT_EQ(host->getLink("berth-bt")->mtu, 1450);

  EndpointConfig e1{"berth-bt", c1->fd(), "eth0", prefix("10.84.0.2/16"),
                    Ipv4::parse("10.84.0.1").value()};
  auto v1 = createEndpoint(*host, e1);
  ASSERT_TRUE(v1.ok()) << v1.error().message();
  EXPECT_EQ(v1->rfind("veth", 0), 0u);
  EXPECT_EQ(v1->size(), 11u);
  EndpointConfig e2{"berth-bt", c2->fd(), "eth0", prefix("10.84.0.3/16"), std::nullopt};
  e2.host_ifname = "vethbt2";
  auto v2 = createEndpoint(*host, e2);
  ASSERT_TRUE(v2.ok()) << v2.error().message();
  EXPECT_EQ(*v2, "vethbt2");

  auto inside = Netlink::openInNetns(c1->fd());
  ASSERT_TRUE(inside.ok());
  auto eth0 = inside->getLink("eth0");
  ASSERT_TRUE(eth0.ok());
  EXPECT_EQ(macToString(*eth0->mac), "02:42:0a:54:00:02");
  EXPECT_TRUE(eth0->up);
  EXPECT_TRUE(inside->getLink("lo")->up);

  std::string out;
  EXPECT_EQ(testing::runInNs(c1->path(), "/bin/busybox ping -c 1 -W 5 10.84.0.3", &out), 0) << out;
  EXPECT_EQ(testing::runInNs(c1->path(), "/bin/busybox ping -c 1 -W 5 10.84.0.1", &out), 0) << out;

  // A failure half-way leaves no veth behind: the address is already used in c1.
  EndpointConfig dup{"berth-bt", c1->fd(), "eth0", prefix("10.84.0.9/16"), std::nullopt};
  dup.host_ifname = "vethbtdup";
  auto failed = createEndpoint(*host, dup);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("attach eth0 (10.84.0.9/16) to berth-bt"),
            std::string::npos)
      << failed.error().message();
  EXPECT_FALSE(*host->linkExists("vethbtdup"));
  auto links = inside->listLinks();
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(links->size(), 2u);  // lo and eth0 only

  ASSERT_TRUE(removeEndpoint(*host, *v1).ok());
  ASSERT_TRUE(removeEndpoint(*host, *v1).ok());  // missing is fine
  EXPECT_FALSE(*inside->linkExists("eth0"));
  ASSERT_TRUE(removeEndpoint(*host, *v2).ok());
  ASSERT_TRUE(removeBridge(*host, "berth-bt").ok());
  ASSERT_TRUE(removeBridge(*host, "berth-bt").ok());
  EXPECT_FALSE(*host->linkExists("berth-bt"));
  EXPECT_TRUE(c1->remove().ok());
  EXPECT_TRUE(c2->remove().ok());
  EXPECT_TRUE(host_ns->remove().ok());
}

}  // namespace
}  // namespace berth::network
