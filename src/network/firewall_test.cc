// Firewall tests: a test-specific nft table in network namespaces the test creates, so neither
// the machine's ruleset nor a running berthd's table is touched. Needs root.

#include "network/firewall.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <deque>

#include "network/netlink.h"
#include "network/netns.h"
#include "network/network_test_util.h"
#include "network/sysctl.h"

extern char** environ;

namespace berth::network {
namespace {

Ipv4 ip(const char* text) {
  return *Ipv4::parse(text);
}
Ipv4Prefix prefix(const char* text) {
  return *Ipv4Prefix::parse(text);
}

size_t countOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// A child process (busybox httpd) started with posix_spawn and killed at the end.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (::posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class FirewallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::haveRoot()) GTEST_SKIP() << "needs root (network namespaces, nftables)";
    auto ns = NetNs::create(dir_ / "netns/host");
    ASSERT_TRUE(ns.ok()) << ns.error().message();
    host_ = std::move(*ns);
    table_ = "berth_test_" + std::to_string(::getpid());
    auto fw = makeNftablesFirewall(table_, host_.fd());
    ASSERT_TRUE(fw.ok()) << fw.error().message();
    fw_ = std::move(*fw);
  }
  void TearDown() override {
    if (fw_) {
      EXPECT_TRUE(fw_->removeAll().ok());
    }
    fw_.reset();
    for (auto& ns : extra_) EXPECT_TRUE(ns.remove().ok());
    if (host_.valid()) {
      EXPECT_TRUE(host_.remove().ok());
    }
  }

  std::string list() {
    auto text = fw_->listRules();
    EXPECT_TRUE(text.ok()) << text.error().message();
    return text.ok() ? *text : "";
  }

  // A "container" netns attached to `bridge` in the host netns with address `addr`/24.
  NetNs& addContainer(Netlink& host, const std::string& bridge, const std::string& name,
                      const char* addr, const char* gateway) {
    auto ns = NetNs::create(dir_ / ("netns/" + name));
    EXPECT_TRUE(ns.ok());
    extra_.push_back(std::move(*ns));
    NetNs& c = extra_.back();
    std::string veth = "v" + name;
    EXPECT_TRUE(host.createVeth({veth, veth + "p", 0}).ok());
    if (!bridge.empty()) {
      EXPECT_TRUE(host.setMaster(veth, bridge).ok());
      EXPECT_TRUE(host.setHairpin(veth, true).ok());
    }
    EXPECT_TRUE(host.setUp(veth).ok());
    EXPECT_TRUE(host.moveToNetns(veth + "p", c.fd()).ok());
    auto nl = Netlink::openInNetns(c.fd());
    EXPECT_TRUE(nl.ok());
    EXPECT_TRUE(nl->renameLink(veth + "p", "eth0").ok());
    EXPECT_TRUE(nl->addAddress("eth0", Ipv4Prefix{ip(addr), 24}).ok());
    EXPECT_TRUE(nl->setUp("lo").ok());
    EXPECT_TRUE(nl->setUp("eth0").ok());
    if (gateway != nullptr) {
      EXPECT_TRUE(nl->addDefaultRoute(ip(gateway)).ok());
    }
    return c;
  }

  testing::TempDir dir_;
  NetNs host_;
  std::string table_;
  std::unique_ptr<Firewall> fw_;
  std::deque<NetNs> extra_;
};

TEST_F(FirewallTest, RulesAreAddedIdempotentlyAndRemovedIndividually) {
  ASSERT_TRUE(fw_->init().ok());
  ASSERT_TRUE(fw_->init().ok());
  std::string text = list();
  EXPECT_EQ(countOf(text, "jump berth-user"), 1u) << text;
  EXPECT_EQ(countOf(text, "jump ports"), 2u) << text;
  EXPECT_NE(text.find("chain berth-user"), std::string::npos);
  auto forward = inNetns(host_.fd(), [] { return readSysctl("net.ipv4.ip_forward"); });
  ASSERT_TRUE(forward.ok());
  EXPECT_EQ(*forward, "1");

  auto nl = Netlink::openInNetns(host_.fd());
  ASSERT_TRUE(nl.ok());
  ASSERT_TRUE(nl->createBridge({"br-fwtest", 0, {}}).ok());
  NetworkRules net{"0123abcd", "br-fwtest", prefix("10.81.0.0/24"), true, true, false};
  ASSERT_TRUE(fw_->addNetwork(net).ok());
  ASSERT_TRUE(fw_->addNetwork(net).ok());  // replaces, no duplicates
  text = list();
  EXPECT_EQ(countOf(text, "ip saddr 10.81.0.0/24 oifname != \"br-fwtest\" masquerade"), 1u) << text;
  EXPECT_EQ(countOf(text, "comment \"net:0123abcd\""), 7u) << text;
  auto localnet =
      inNetns(host_.fd(), [] { return readSysctl("net.ipv4.conf.br-fwtest.route_localnet"); });
  ASSERT_TRUE(localnet.ok());
  EXPECT_EQ(*localnet, "1");

  PortMapping web{Protocol::kTcp, std::nullopt, 8080, ip("10.81.0.2"), 80, "br-fwtest"};
  PortMapping dns{Protocol::kUdp, ip("127.0.0.1"), 5353, ip("10.81.0.2"), 53, "br-fwtest"};
  PortMapping other{Protocol::kTcp, std::nullopt, 9090, ip("10.81.0.3"), 90, "br-fwtest"};
  ASSERT_TRUE(fw_->addPortMapping("ctr1", web).ok());
  ASSERT_TRUE(fw_->addPortMapping("ctr1", dns).ok());
  ASSERT_TRUE(fw_->addPortMapping("ctr2", other).ok());
  text = list();
  EXPECT_NE(text.find("tcp dport 8080 dnat to 10.81.0.2:80"), std::string::npos) << text;
  EXPECT_NE(text.find("ip daddr 127.0.0.1 udp dport 5353 dnat to 10.81.0.2:53"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tcp dport 9090 dnat to 10.81.0.3:90"), std::string::npos) << text;

  ASSERT_TRUE(fw_->removePortMapping("ctr1", dns).ok());
  text = list();
  EXPECT_EQ(text.find("udp dport 5353"), std::string::npos) << text;
  EXPECT_NE(text.find("tcp dport 8080"), std::string::npos) << text;
  ASSERT_TRUE(fw_->removePortMappings("ctr1").ok());
  text = list();
  EXPECT_EQ(text.find("ctr:ctr1:"), std::string::npos) << text;
  EXPECT_NE(text.find("ctr:ctr2:"), std::string::npos) << text;
  ASSERT_TRUE(fw_->removePortMappings("ctr2").ok());
  ASSERT_TRUE(fw_->removeNetwork("0123abcd").ok());
  ASSERT_TRUE(fw_->removeNetwork("0123abcd").ok());  // none is fine
  text = list();
  EXPECT_EQ(text.find("net:"), std::string::npos) << text;
  EXPECT_EQ(text.find("ctr:"), std::string::npos) << text;
  EXPECT_EQ(text.find("br-fwtest"), std::string::npos) << text;  // gone from the bridges set
  EXPECT_NE(text.find("jump berth-user"), std::string::npos) << text;

  EXPECT_FALSE(fw_->addNetwork({"x\"y", "br0", prefix("10.0.0.0/8")}).ok());
  EXPECT_FALSE(fw_->addNetwork({"id", "bad name", prefix("10.0.0.0/8")}).ok());
  ASSERT_TRUE(fw_->removeAll().ok());
  EXPECT_FALSE(fw_->listRules().ok());
  ASSERT_TRUE(fw_->removeAll().ok());
  EXPECT_FALSE(makeNftablesFirewall("bad table").ok());
}

// Traffic: a published port answers from the host on 127.0.0.1 and from an outside netns through
// the host's address; outbound traffic is masqueraded; icc=false blocks container to container.
TEST_F(FirewallTest, PublishedPortMasqueradeAndIcc) {
  if (!pathExists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox (busybox-static)";
  ASSERT_TRUE(fw_->init().ok());
  auto host = Netlink::openInNetns(host_.fd());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(host->setUp("lo").ok());
  ASSERT_TRUE(host->createBridge({"br-fwt", 0, randomMac()}).ok());
  ASSERT_TRUE(host->addAddress("br-fwt", prefix("10.82.0.1/24")).ok());
  ASSERT_TRUE(host->setUp("br-fwt").ok());
  NetworkRules net{"net1", "br-fwt", prefix("10.82.0.0/24"), true, true, false};
  ASSERT_TRUE(fw_->addNetwork(net).ok());

  NetNs& c1 = addContainer(*host, "br-fwt", "c1", "10.82.0.2", "10.82.0.1");
  NetNs& c2 = addContainer(*host, "br-fwt", "c2", "10.82.0.3", "10.82.0.1");
  // "outside": a netns on a plain veth to the host, with no route back to 10.82.0.0/24.
  NetNs& outside = addContainer(*host, "", "out", "10.83.0.2", nullptr);
  ASSERT_TRUE(host->addAddress("vout", prefix("10.83.0.1/24")).ok());

  std::string www = dir_ / "www";
  ASSERT_TRUE(makeDirs(www).ok());
  ASSERT_TRUE(writeFile(www + "/index.html", "hello from c1\n").ok());
  Child httpd({"/usr/bin/nsenter", "--net=" + c1.path(), "/bin/busybox", "httpd", "-f", "-p", "80",
               "-h", www});
  ASSERT_TRUE(httpd.ok());
  PortMapping web{Protocol::kTcp, std::nullopt, 8080, ip("10.82.0.2"), 80, "br-fwt"};
  ASSERT_TRUE(fw_->addPortMapping("c1", web).ok());

  auto fetch = [&](const NetNs& from, const char* addr, uint16_t port) {
    std::string out;
    for (int i = 0; i < 30; ++i) {
      auto got = testing::httpGet(from.fd(), ip(addr), port);
      if (got.ok()) return *got;
      out = got.error().message();
      ::usleep(100000);
    }
    return "failed: " + out;
  };
  EXPECT_EQ(fetch(host_, "127.0.0.1", 8080), "hello from c1\n");
  EXPECT_EQ(fetch(outside, "10.83.0.1", 8080), "hello from c1\n");
  EXPECT_EQ(fetch(c2, "10.82.0.2", 80), "hello from c1\n");
  // Hairpin: c1 reaches itself through the host's published port.
  EXPECT_EQ(fetch(c1, "10.83.0.1", 8080), "hello from c1\n");

  std::string out;
  // Outbound: masqueraded to 10.83.0.1, so "outside" answers without a route back.
  EXPECT_EQ(testing::runInNs(c2.path(), "/bin/busybox ping -c 1 -W 3 10.83.0.2", &out), 0) << out;
  // The host itself reaches containers (not forwarded); unsolicited forwarded traffic from
  // outside to a container is dropped.
  EXPECT_EQ(testing::runInNs(host_.path(), "/bin/busybox ping -c 1 -W 2 10.82.0.3", &out), 0)
      << out;
  {
    auto nl = Netlink::openInNetns(outside.fd());
    ASSERT_TRUE(nl.ok());
    ASSERT_TRUE(nl->addRoute(prefix("10.82.0.0/24"), ip("10.83.0.1")).ok());
  }
  EXPECT_NE(testing::runInNs(outside.path(), "/bin/busybox ping -c 1 -W 1 10.82.0.3", &out), 0)
      << out;
  ASSERT_TRUE(fw_->removePortMappings("c1").ok());
  EXPECT_FALSE(testing::httpGet(host_.fd(), ip("127.0.0.1"), 8080).ok());

  // icc=false: containers of the bridge cannot talk to each other, the gateway still answers.
  EXPECT_EQ(testing::runInNs(c1.path(), "/bin/busybox ping -c 1 -W 2 10.82.0.3", &out), 0) << out;
  net.icc = false;
  ASSERT_TRUE(fw_->addNetwork(net).ok());
  EXPECT_NE(testing::runInNs(c1.path(), "/bin/busybox ping -c 1 -W 1 10.82.0.3", &out), 0) << out;
  EXPECT_EQ(testing::runInNs(c1.path(), "/bin/busybox ping -c 1 -W 2 10.82.0.1", &out), 0) << out;

  // Internal: no traffic out of the bridge.
  net.icc = true;
  net.internal = true;
  ASSERT_TRUE(fw_->addNetwork(net).ok());
  EXPECT_NE(testing::runInNs(c2.path(), "/bin/busybox ping -c 1 -W 1 10.83.0.2", &out), 0) << out;
  EXPECT_EQ(testing::runInNs(c2.path(), "/bin/busybox ping -c 1 -W 2 10.82.0.2", &out), 0) << out;

  ASSERT_TRUE(fw_->removeNetwork("net1").ok());
  ASSERT_TRUE(fw_->removeAll().ok());
  EXPECT_FALSE(fw_->listRules().ok());
}

}  // namespace
}  // namespace berth::network
