#include "cli/network_opts.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(PortSpecTest, DockerForms) {
  auto one = parsePortSpec("80");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].port, "80/tcp");
  EXPECT_EQ((*one)[0].host_port, "");
  auto full = parsePortSpec("127.0.0.1:8080:80/udp");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ((*full)[0].port, "80/udp");
  EXPECT_EQ((*full)[0].host_ip, "127.0.0.1");
  EXPECT_EQ((*full)[0].host_port, "8080");
  auto eph = parsePortSpec("127.0.0.1::80");
  ASSERT_TRUE(eph.ok());
  EXPECT_EQ((*eph)[0].host_port, "");
  auto range = parsePortSpec("8000-8001:80-81");
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 2u);
  EXPECT_EQ((*range)[1].port, "81/tcp");
  EXPECT_EQ((*range)[1].host_port, "8001");
  auto host_range = parsePortSpec("8000-8010:80");
  ASSERT_TRUE(host_range.ok());
  EXPECT_EQ((*host_range)[0].host_port, "8000-8010");
  EXPECT_FALSE(parsePortSpec("8000-8002:80-81").ok());
  EXPECT_FALSE(parsePortSpec("80/xyz").ok());
  EXPECT_FALSE(parsePortSpec("nope").ok());
  EXPECT_FALSE(parsePortSpec("1.2.3:80:80").ok());
}

}  // namespace
}  // namespace berth::cli
