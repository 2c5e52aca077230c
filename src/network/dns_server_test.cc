// The embedded DNS server in a netns the test creates; the upstream is a tiny resolver the test
// runs on 127.0.0.x in its own netns (never the host's resolver). Needs root.

#include "network/dns_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "network/dns_test_util.h"
#include "network/netlink.h"
#include "network/netns.h"
#include "network/network_test_util.h"

namespace berth::network {
namespace {

using testing::Answer;
using testing::makeQuery;
using testing::readAnswer;

Ipv4 ip(const char* text) {
  return *Ipv4::parse(text);
}

// A fake upstream on 127.0.0.x: "example.com" A -> 93.184.216.34, "slow.test" never answered,
// anything else NXDOMAIN. Runs in the namespace of the thread that creates it.
class FakeUpstream {
 public:
  explicit FakeUpstream(Ipv4 addr) {
    fd_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = addr.networkOrder();
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return;
    socklen_t len = sizeof(sa);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  int queries() const { return queries_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      uint8_t buf[1024];
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n =
          ::recvfrom(fd_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      ++queries_;
      std::vector<uint8_t> packet(buf, buf + n);
      auto q = dns::parseQuery(packet);
      if (!q || q->name == "slow.test") continue;
      auto r = q->name == "example.com"
                   ? dns::buildReply(*q, packet, dns::kNoError, {ip("93.184.216.34")})
                   : dns::buildReply(*q, packet, dns::kNxDomain);
      ::sendto(fd_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  UniqueFd fd_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
};

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::haveRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    for (const char* name : {"upstream", "c1", "c2"}) {
      auto ns = NetNs::create(dir_ / (std::string("netns/") + name));
      ASSERT_TRUE(ns.ok()) << ns.error().message();
      auto nl = Netlink::openInNetns(ns->fd());
      ASSERT_TRUE(nl.ok());
      ASSERT_TRUE(nl->setUp("lo").ok());
      namespaces_.push_back(std::move(*ns));
    }
    // The server forwards from the netns of its thread; the test runs it in "upstream" so that
    // the fake upstream on 127.0.0.x is the only resolver it can ever reach.
    auto upstream = inNetns(namespaces_[0].fd(), [] {
      return Result<std::unique_ptr<FakeUpstream>>(
          std::make_unique<FakeUpstream>(ip("127.0.0.77")));
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(*upstream);
    ASSERT_NE(upstream_->port(), 0);
    // A port with nothing listening: connection refused, the server moves on.
    dead_port_ = 9;
  }
  void TearDown() override {
    server_.reset();
    upstream_.reset();
    for (auto& ns : namespaces_) EXPECT_TRUE(ns.remove().ok());
  }

  void startServer(std::chrono::milliseconds timeout = std::chrono::milliseconds(300)) {
    // The server thread inherits nothing from us; the forwarding sockets it creates live in
    // the netns of the thread that runs loop(), which starts here inside "upstream".
    auto server =
        inNetns(namespaces_[0].fd(), [&] { return DnsServer::start(DnsServer::Options{timeout}); });
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(*server);
  }

  DnsContainerConfig config(const std::string& key, int ns_index,
                            std::vector<DnsUpstream> upstreams) {
    DnsContainerConfig c;
    c.key = key;
    c.netns_fd = namespaces_[size_t(ns_index)].fd();
    c.resolver = [key](const std::string& name) -> std::optional<std::vector<Ipv4>> {
      if (name == "web" || name == "web.net1") return std::vector<Ipv4>{ip("172.20.0.2")};
      if (name == "multi") return std::vector<Ipv4>{ip("172.20.0.3"), ip("172.21.0.3")};
      if (name == "self") return std::vector<Ipv4>{key == "c1" ? ip("10.0.0.1") : ip("10.0.0.2")};
      return std::nullopt;
    };
    c.reverse = [](Ipv4 addr) -> std::optional<std::string> {
      if (addr == ip("172.20.0.2")) return std::string("web.net1");
      return std::nullopt;
    };
    c.upstreams = std::move(upstreams);
    return c;
  }

  // One UDP query from inside namespace `ns_index` to 127.0.0.11:53.
  Result<std::vector<uint8_t>> udpExchange(int ns_index, const std::vector<uint8_t>& query,
                                           int wait_ms = 3000) {
    return inNetns(namespaces_[size_t(ns_index)].fd(), [&]() -> Result<std::vector<uint8_t>> {
      UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(53);
      sa.sin_addr.s_addr = ip("127.0.0.11").networkOrder();
      if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
        return errnoError("connect");
      if (::send(fd.get(), query.data(), query.size(), 0) < 0) return errnoError("send");
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, wait_ms) <= 0) return Error(ErrorCode::kDeadlineExceeded, "no answer");
      uint8_t buf[4096];
      ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
      if (n < 0) return errnoError("recv");
      return std::vector<uint8_t>(buf, buf + n);
    });
  }

  Answer udpQuery(int ns_index, const std::string& name, uint16_t type = dns::kTypeA) {
    auto r = udpExchange(ns_index, makeQuery(0x4242, name, type));
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().message();
    return r.ok() ? readAnswer(*r) : Answer{};
  }

  testing::TempDir dir_;
  std::vector<NetNs> namespaces_;
  std::unique_ptr<FakeUpstream> upstream_;
  std::unique_ptr<DnsServer> server_;
  uint16_t dead_port_ = 0;
};

TEST_F(DnsServerTest, AnswersKnownNamesAndForwardsOthers) {
  startServer();
  ASSERT_TRUE(server_->addContainer(config("c1", 1, {{ip("127.0.0.77"), upstream_->port()}})).ok());
  auto web = udpQuery(1, "WEB");
  EXPECT_EQ(web.rcode, dns::kNoError);
  EXPECT_EQ(web.id, 0x4242);
  EXPECT_EQ(web.a, (std::vector<std::string>{"172.20.0.2"}));
  EXPECT_EQ(udpQuery(1, "web.net1.").a, (std::vector<std::string>{"172.20.0.2"}));
  EXPECT_EQ(udpQuery(1, "multi").a.size(), 2u);
  auto aaaa = udpQuery(1, "web", dns::kTypeAaaa);
  EXPECT_EQ(aaaa.rcode, dns::kNoError);
  EXPECT_EQ(aaaa.ancount, 0);
  auto ptr = udpQuery(1, "2.0.20.172.in-addr.arpa", dns::kTypePtr);
  EXPECT_EQ(ptr.ptr, (std::vector<std::string>{"web.net1"}));
  int before = upstream_->queries();
  auto ext = udpQuery(1, "example.com");
  EXPECT_EQ(ext.rcode, dns::kNoError);
  EXPECT_EQ(ext.a, (std::vector<std::string>{"93.184.216.34"}));
  EXPECT_EQ(udpQuery(1, "missing.example").rcode, dns::kNxDomain);
  EXPECT_EQ(upstream_->queries(), before + 2);
  // The upstream never answers: SERVFAIL after the timeout.
  EXPECT_EQ(udpQuery(1, "slow.test").rcode, dns::kServFail);
}

TEST_F(DnsServerTest, FailsOverToTheNextUpstreamAndServfailsWhenNoneAnswers) {
  startServer();
  ASSERT_TRUE(
      server_
          ->addContainer(config(
              "c1", 1, {{ip("127.0.0.78"), dead_port_}, {ip("127.0.0.77"), upstream_->port()}}))
          .ok());
  EXPECT_EQ(udpQuery(1, "example.com").a, (std::vector<std::string>{"93.184.216.34"}));
  ASSERT_TRUE(server_->setUpstreams("c1", {{ip("127.0.0.78"), dead_port_}}).ok());
  EXPECT_EQ(udpQuery(1, "example.com").rcode, dns::kServFail);
  ASSERT_TRUE(server_->setUpstreams("c1", {}).ok());
  EXPECT_EQ(udpQuery(1, "example.com").rcode, dns::kNxDomain);
  EXPECT_EQ(udpQuery(1, "web").a.size(), 1u);
  EXPECT_EQ(server_->setUpstreams("nope", {}).error().code(), ErrorCode::kNotFound);
}

TEST_F(DnsServerTest, ServesSeveralContainersAndTcp) {
  startServer();
  ASSERT_TRUE(server_->addContainer(config("c1", 1, {})).ok());
  ASSERT_TRUE(server_->addContainer(config("c2", 2, {{ip("127.0.0.77"), upstream_->port()}})).ok());
  auto dup = server_->addContainer(config("c1", 1, {}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  // Each container gets its own resolver's view.
  EXPECT_EQ(udpQuery(1, "self").a, (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(udpQuery(2, "self").a, (std::vector<std::string>{"10.0.0.2"}));

  // TCP: length-prefixed queries on one connection (one local, one forwarded).
  auto tcp = inNetns(namespaces_[2].fd(), [&]() -> Result<std::vector<Answer>> {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    sa.sin_addr.s_addr = ip("127.0.0.11").networkOrder();
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      return errnoError("connect");
    std::vector<uint8_t> out;
    // A response-flagged message first: dropped without an answer, the next ones still served.
    auto junk = makeQuery(9, "web", dns::kTypeA);
    junk[2] |= 0x80;
    for (const auto& q :
         {junk, makeQuery(1, "web", dns::kTypeA), makeQuery(2, "example.com", dns::kTypeA)}) {
      out.push_back(uint8_t(q.size() >> 8));
      out.push_back(uint8_t(q.size()));
      out.insert(out.end(), q.begin(), q.end());
    }
    if (::send(fd.get(), out.data(), out.size(), 0) != ssize_t(out.size()))
      return errnoError("send");
    std::vector<uint8_t> in;
    std::vector<Answer> answers;
    while (answers.size() < 2) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 3000) <= 0) return Error(ErrorCode::kDeadlineExceeded, "no tcp answer");
      uint8_t buf[4096];
      ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
      if (n <= 0) return internalError("tcp connection closed");
      in.insert(in.end(), buf, buf + n);
      while (in.size() >= 2 && in.size() >= 2 + size_t((in[0] << 8) | in[1])) {
        size_t len = size_t((in[0] << 8) | in[1]);
        answers.push_back(
            readAnswer(std::vector<uint8_t>(in.begin() + 2, in.begin() + 2 + long(len))));
        in.erase(in.begin(), in.begin() + 2 + long(len));
      }
    }
    return answers;
  });
  ASSERT_TRUE(tcp.ok()) << tcp.error().message();
  EXPECT_EQ((*tcp)[0].id, 1);
  EXPECT_EQ((*tcp)[0].a, (std::vector<std::string>{"172.20.0.2"}));
  EXPECT_EQ((*tcp)[1].id, 2);
  EXPECT_EQ((*tcp)[1].a, (std::vector<std::string>{"93.184.216.34"}));

  server_->removeContainer("c1");
  server_->removeContainer("c1");  // unknown is fine
  auto gone = udpExchange(1, makeQuery(3, "web", dns::kTypeA), 300);
  EXPECT_FALSE(gone.ok());
  EXPECT_EQ(udpQuery(2, "web").a.size(), 1u);
  // The address is free again in c1's netns.
  ASSERT_TRUE(server_->addContainer(config("c1", 1, {})).ok());
  EXPECT_EQ(udpQuery(1, "web").a.size(), 1u);
}

TEST_F(DnsServerTest, MalformedInputNeverStopsTheServer) {
  startServer();
  ASSERT_TRUE(server_->addContainer(config("c1", 1, {})).ok());
  // Short garbage is dropped (no answer); a readable header with a broken question is FORMERR.
  EXPECT_FALSE(udpExchange(1, {0x01}, 300).ok());
  auto bad = makeQuery(0x0707, "web", dns::kTypeA);
  bad[12] = 0xC0;
  auto formerr = udpExchange(1, bad);
  ASSERT_TRUE(formerr.ok());
  EXPECT_EQ(readAnswer(*formerr).rcode, dns::kFormErr);
  EXPECT_EQ(readAnswer(*formerr).id, 0x0707);
  // A response sent to the server is ignored.
  auto answer = makeQuery(5, "web", dns::kTypeA);
  answer[2] |= 0x80;
  EXPECT_FALSE(udpExchange(1, answer, 300).ok());
  // A non-QUERY opcode is NOTIMP.
  auto notify = makeQuery(6, "web", dns::kTypeA);
  notify[2] = uint8_t((4 << 3) | 1);
  auto notimp = udpExchange(1, notify);
  ASSERT_TRUE(notimp.ok());
  EXPECT_EQ(readAnswer(*notimp).rcode, dns::kNotImp);
  // Still serving.
  EXPECT_EQ(udpQuery(1, "web").a.size(), 1u);
}

TEST_F(DnsServerTest, RejectsAMissingNetns) {
  startServer();
  DnsContainerConfig c = config("none", 1, {});
  c.netns_fd = -1;
  auto added = server_->addContainer(c);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().message(), "start dns server for none: no netns");
}

}  // namespace
}  // namespace berth::network
