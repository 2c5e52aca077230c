#include "network/firewall_fake.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

TEST(FakeFirewallTest, RecordsAndRemoves) {
  FakeFirewall fw;
  EXPECT_FALSE(fw.listRules().ok());
  ASSERT_TRUE(fw.init().ok());
  ASSERT_TRUE(fw.addNetwork({"n1", "br-1", *Ipv4Prefix::parse("10.1.0.0/16")}).ok());
  PortMapping m{Protocol::kTcp, std::nullopt, 8080, *Ipv4::parse("10.1.0.2"), 80, "br-1"};
  ASSERT_TRUE(fw.addPortMapping("c1", m).ok());
  ASSERT_TRUE(fw.addPortMapping("c1", m).ok());
  EXPECT_EQ(fw.mappings().size(), 1u);
  EXPECT_EQ(*fw.listRules(),
            "net n1 br-1 10.1.0.0/16 masq icc\nport c1 tcp 0.0.0.0:8080 -> 10.1.0.2:80\n");
  ASSERT_TRUE(fw.removePortMappings("c1").ok());
  ASSERT_TRUE(fw.removeNetwork("n1").ok());
  EXPECT_EQ(*fw.listRules(), "");
}

}  // namespace
}  // namespace berth::network
