#include "network/port_allocator.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/unique_fd.h"

namespace berth::network {
namespace {

const Ipv4 kAny{0};
Ipv4 ip(const char* text) {
  return *Ipv4::parse(text);
}

TEST(PortAllocatorTest, ConflictsPerProtocolAndAddress) {
  PortAllocator ports(false);
  ASSERT_EQ(*ports.allocate(Protocol::kTcp, kAny, 8080), 8080);
  auto dup = ports.allocate(Protocol::kTcp, kAny, 8080);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(dup.error().message(), "Bind for 0.0.0.0:8080 failed: port is already allocated");
  // 0.0.0.0 covers every address; other protocols are independent.
  auto specific = ports.allocate(Protocol::kTcp, ip("127.0.0.1"), 8080);
  ASSERT_FALSE(specific.ok());
  EXPECT_EQ(specific.error().message(),
            "Bind for 127.0.0.1:8080 failed: port is already allocated");
  EXPECT_TRUE(ports.allocate(Protocol::kUdp, kAny, 8080).ok());
  // Two specific addresses do not collide, but then 0.0.0.0 does.
  ASSERT_TRUE(ports.allocate(Protocol::kTcp, ip("127.0.0.1"), 9000).ok());
  ASSERT_TRUE(ports.allocate(Protocol::kTcp, ip("127.0.0.2"), 9000).ok());
  EXPECT_FALSE(ports.allocate(Protocol::kTcp, kAny, 9000).ok());
  ports.release(Protocol::kTcp, kAny, 8080);
  EXPECT_FALSE(ports.isAllocated(Protocol::kTcp, kAny, 8080));
  EXPECT_TRUE(ports.allocate(Protocol::kTcp, ip("127.0.0.1"), 8080).ok());
  ports.release(Protocol::kTcp, kAny, 12345);  // releasing a free port is fine
}

TEST(PortAllocatorTest, EphemeralPortsGoOnFromTheLastOne) {
  PortAllocator ports(false, 40000, 40003);
  EXPECT_EQ(*ports.allocate(Protocol::kTcp, kAny, 0), 40000);
  EXPECT_EQ(*ports.allocate(Protocol::kTcp, kAny, 0), 40001);
  ports.release(Protocol::kTcp, kAny, 40000);
  EXPECT_EQ(*ports.allocate(Protocol::kTcp, kAny, 0), 40002);
  ASSERT_TRUE(ports.allocate(Protocol::kTcp, kAny, 40003).ok());  // taken explicitly
  EXPECT_EQ(*ports.allocate(Protocol::kTcp, kAny, 0), 40000);     // wraps around
  auto full = ports.allocate(Protocol::kTcp, kAny, 0);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message(), "all ports are allocated");
  EXPECT_EQ(*ports.allocate(Protocol::kUdp, kAny, 0), 40000);  // per protocol
  PortAllocator defaults(false);
  EXPECT_EQ(*defaults.allocate(Protocol::kTcp, kAny, 0), 32768);
}

TEST(PortAllocatorTest, HostRanges) {
  PortAllocator ports(false);
  ASSERT_TRUE(ports.allocate(Protocol::kTcp, kAny, 8000).ok());
  EXPECT_EQ(*ports.allocateInRange(Protocol::kTcp, kAny, 8000, 8010), 8001);
  EXPECT_EQ(*ports.allocateInRange(Protocol::kTcp, kAny, 8000, 8010), 8002);
  ASSERT_TRUE(ports.allocate(Protocol::kTcp, kAny, 8003).ok());
  auto full = ports.allocateInRange(Protocol::kTcp, kAny, 8000, 8003);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message(), "Bind for 0.0.0.0:8000-8003 failed: port is already allocated");
  EXPECT_FALSE(ports.allocateInRange(Protocol::kTcp, kAny, 10, 5).ok());
}

// A port in use by another program on the host is refused; a reserved port is held.
TEST(PortAllocatorTest, ChecksAndHoldsTheHostPort) {
  UniqueFd other(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(other.valid());
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(other.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::listen(other.get(), 1), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(::getsockname(other.get(), reinterpret_cast<sockaddr*>(&sa), &len), 0);
  uint16_t busy = ntohs(sa.sin_port);

  PortAllocator ports(true);
  auto refused = ports.allocate(Protocol::kTcp, ip("127.0.0.1"), busy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(refused.error().message(), "Error starting userland proxy: listen tcp4 127.0.0.1:" +
                                           std::to_string(busy) + ": bind: address already in use");
  EXPECT_FALSE(ports.isAllocated(Protocol::kTcp, ip("127.0.0.1"), busy));
  other.reset();

  auto held = ports.allocate(Protocol::kUdp, ip("127.0.0.1"), 0);
  ASSERT_TRUE(held.ok()) << held.error().message();
  UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sa.sin_port = htons(*held);
  EXPECT_NE(::bind(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  EXPECT_EQ(errno, EADDRINUSE);
  ports.release(Protocol::kUdp, ip("127.0.0.1"), *held);
  EXPECT_EQ(::bind(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);

  auto nowhere = ports.allocate(Protocol::kTcp, ip("203.0.113.7"), 8080);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().message(),
            "Error starting userland proxy: listen tcp4 203.0.113.7:8080: bind: cannot assign "
            "requested address");
}

}  // namespace
}  // namespace berth::network
