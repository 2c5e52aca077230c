// Integration tests of netns + netlink: everything happens in network namespaces the test
// creates (a "host" one with a bridge, and two "containers"), so the machine's own links are
// never touched. Needs root.

#include "network/netlink.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "network/netns.h"
#include "network/network_test_util.h"

namespace berth::network {
namespace {

Ipv4Prefix prefix(const char* text) {
  return *Ipv4Prefix::parse(text);
}

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::haveRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    auto ns = NetNs::create(dir_ / "netns/host");
    ASSERT_TRUE(ns.ok()) << ns.error().message();
    host_ = std::move(*ns);
  }
  void TearDown() override {
    if (host_.valid()) {
      EXPECT_TRUE(host_.remove().ok());
    }
  }

  testing::TempDir dir_;
  NetNs host_;
};

TEST_F(NetlinkTest, NetnsFileLifecycle) {
  std::string path = dir_ / "netns/extra";
  {
    auto ns = NetNs::create(path);
    ASSERT_TRUE(ns.ok()) << ns.error().message();
    EXPECT_TRUE(pathExists(path));
    auto again = NetNs::create(path);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
    // The namespace is a different one from ours.
    auto mine = NetNs::current();
    ASSERT_TRUE(mine.ok());
    struct stat a {
    }, b{};
    ASSERT_EQ(::fstat(ns->fd(), &a), 0);
    ASSERT_EQ(::fstat(mine->fd(), &b), 0);
    EXPECT_NE(a.st_ino, b.st_ino);
    // Only loopback exists inside, and it is down.
    auto inside = inNetns(ns->fd(), []() -> Result<std::vector<LinkInfo>> {
      BERTH_TRY(Netlink nl, Netlink::open());
      return nl.listLinks();
    });
    ASSERT_TRUE(inside.ok()) << inside.error().message();
    ASSERT_EQ(inside->size(), 1u);
    EXPECT_EQ((*inside)[0].name, "lo");
    EXPECT_FALSE((*inside)[0].up);
  }
  // The destructor removed the file (unmount + unlink).
  EXPECT_FALSE(pathExists(path));
  EXPECT_TRUE(removeNetnsFile(path).ok());  // missing is fine

  auto kept = NetNs::create(path);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->release(), path);
  kept = NetNs();
  EXPECT_TRUE(pathExists(path));
  auto reopened = NetNs::open(path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(reopened->owned());
  EXPECT_TRUE(removeNetnsFile(path).ok());
  EXPECT_FALSE(pathExists(path));
  EXPECT_FALSE(NetNs::open(path).ok());
}

TEST_F(NetlinkTest, RunInNetnsReturnsTheFunctionsResult) {
  auto value = inNetns(host_.fd(), []() -> Result<int> { return 42; });
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  auto failed = inNetns(host_.fd(), []() -> Result<int> { return notFound("nothing here"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "nothing here");
  EXPECT_FALSE(runInNetns(-1, [] { return okResult(); }).ok());
}

TEST_F(NetlinkTest, BridgeErrorsAndAttributes) {
  auto nl = Netlink::openInNetns(host_.fd());
  ASSERT_TRUE(nl.ok()) << nl.error().message();
  MacAddress mac = randomMac();
  ASSERT_TRUE(nl->createBridge({"berth-t0", 1400, mac}).ok());
  auto dup = nl->createBridge({"berth-t0", 0, {}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message(), "create bridge berth-t0: file exists");
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);

  auto link = nl->getLink("berth-t0");
  ASSERT_TRUE(link.ok()) << link.error().message();
  EXPECT_EQ(link->kind, "bridge");
  EXPECT_EQ(link->mtu, 1400);
  ASSERT_TRUE(link->mac.has_value());
  EXPECT_EQ(macToString(*link->mac), macToString(mac));
  EXPECT_FALSE(link->up);
  EXPECT_EQ(*nl->linkExists("berth-t0"), true);
  EXPECT_EQ(*nl->linkExists("nope0"), false);
  auto missing = nl->linkIndex("nope0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "link nope0: no such device");
  auto del = nl->deleteLink("nope0");
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.error().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(nl->setMtu("berth-t0", 1300).ok());
  ASSERT_TRUE(nl->setUp("berth-t0").ok());
  ASSERT_TRUE(nl->addAddress("berth-t0", prefix("10.77.0.1/24")).ok());
  auto again = nl->addAddress("berth-t0", prefix("10.77.0.1/24"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
  auto addrs = nl->listAddresses(std::string("berth-t0"));
  ASSERT_TRUE(addrs.ok());
  ASSERT_EQ(addrs->size(), 1u);
  EXPECT_EQ((*addrs)[0].address.toString(), "10.77.0.1/24");
  EXPECT_EQ((*addrs)[0].link, "berth-t0");
  link = nl->getLink("berth-t0");
  EXPECT_EQ(link->mtu, 1300);
  EXPECT_TRUE(link->up);

  // The connected route of the bridge shows in the routing table.
  auto routes = nl->listRoutes();
  ASSERT_TRUE(routes.ok());
  EXPECT_TRUE(std::any_of(routes->begin(), routes->end(), [&](const RouteInfo& r) {
    return r.destination.toString() == "10.77.0.0/24" && r.link_index == link->index;
  }));
  ASSERT_TRUE(nl->addRoute(prefix("10.88.0.0/16"), Ipv4::parse("10.77.0.9").value(),
                           std::string("berth-t0"))
                  .ok());
  routes = nl->listRoutes();
  EXPECT_TRUE(std::any_of(routes->begin(), routes->end(), [](const RouteInfo& r) {
    return r.destination.toString() == "10.88.0.0/16" && r.gateway &&
           r.gateway->toString() == "10.77.0.9";
  }));
  ASSERT_TRUE(nl->deleteAddress("berth-t0", prefix("10.77.0.1/24")).ok());
  EXPECT_TRUE(nl->listAddresses(std::string("berth-t0"))->empty());
  ASSERT_TRUE(nl->deleteLink("berth-t0").ok());
  EXPECT_EQ(*nl->linkExists("berth-t0"), false);
}

// A Docker-like setup: bridge in the "host" netns, one veth per container netns (renamed eth0,
// MAC from the IP, address, default route via the bridge), then ping both ways.
TEST_F(NetlinkTest, BridgeVethAndPingBetweenTwoNamespaces) {
  if (!pathExists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox (busybox-static)";
  auto host = Netlink::openInNetns(host_.fd());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(host->setUp("lo").ok());
  ASSERT_TRUE(host->createBridge({"berth-t1", 0, randomMac()}).ok());
  ASSERT_TRUE(host->addAddress("berth-t1", prefix("10.78.0.1/24")).ok());
  ASSERT_TRUE(host->setUp("berth-t1").ok());

  std::vector<NetNs> containers;
  const char* ips[] = {"10.78.0.2", "10.78.0.3"};
  for (int i = 0; i < 2; ++i) {
    auto ns = NetNs::create(dir_ / ("netns/c" + std::to_string(i)));
    ASSERT_TRUE(ns.ok()) << ns.error().message();
    std::string veth = "vetht" + std::to_string(i);
    std::string peer = "vetht" + std::to_string(i) + "p";
    ASSERT_TRUE(host->createVeth({veth, peer, 0}).ok());
    ASSERT_TRUE(host->setMaster(veth, "berth-t1").ok());
    ASSERT_TRUE(host->setUp(veth).ok());
    ASSERT_TRUE(host->moveToNetns(peer, ns->fd()).ok());
    EXPECT_EQ(*host->linkExists(peer), false);
    auto link = host->getLink(veth);
    ASSERT_TRUE(link.ok());
    EXPECT_EQ(link->master_index, *host->linkIndex("berth-t1"));
    EXPECT_EQ(link->kind, "veth");

    auto c = Netlink::openInNetns(ns->fd());
    ASSERT_TRUE(c.ok());
    Ipv4 ip = *Ipv4::parse(ips[i]);
    ASSERT_TRUE(c->renameLink(peer, "eth0").ok());
    ASSERT_TRUE(c->setMac("eth0", macFromIpv4(ip)).ok());
    ASSERT_TRUE(c->addAddress("eth0", Ipv4Prefix{ip, 24}).ok());
    ASSERT_TRUE(c->setUp("lo").ok());
    ASSERT_TRUE(c->setUp("eth0").ok());
    ASSERT_TRUE(c->addDefaultRoute(*Ipv4::parse("10.78.0.1")).ok());
    auto eth0 = c->getLink("eth0");
    ASSERT_TRUE(eth0.ok());
    EXPECT_EQ(macToString(*eth0->mac), macToString(macFromIpv4(ip)));
    auto routes = c->listRoutes();
    ASSERT_TRUE(routes.ok());
    EXPECT_TRUE(std::any_of(routes->begin(), routes->end(), [](const RouteInfo& r) {
      return r.destination.len == 0 && r.gateway && r.gateway->toString() == "10.78.0.1";
    }));
    containers.push_back(std::move(*ns));
  }
  std::string out;
  EXPECT_EQ(testing::runInNs(containers[0].path(), "/bin/busybox ping -c 1 -W 5 10.78.0.3", &out),
            0)
      << out;
  EXPECT_EQ(testing::runInNs(containers[1].path(), "/bin/busybox ping -c 1 -W 5 10.78.0.2", &out),
            0)
      << out;
  EXPECT_EQ(testing::runInNs(containers[1].path(), "/bin/busybox ping -c 1 -W 5 10.78.0.1", &out),
            0)
      << out;
  // Removing a container netns destroys its veth end, and so the host end too.
  ASSERT_TRUE(containers[1].remove().ok());
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !*host->linkExists("vetht1");
    if (!gone) ::usleep(20000);
  }
  EXPECT_TRUE(gone);
  ASSERT_TRUE(host->deleteLink("vetht0").ok());
  ASSERT_TRUE(host->deleteLink("berth-t1").ok());
}

}  // namespace
}  // namespace berth::network
