// Networking: the four modes, user-defined networks and their embedded DNS, the default bridge
// (no DNS by name, --link), published ports reached from the host, live connect/disconnect,
// icc=false, and a daemon restart keeping addresses and rules. All traffic stays on loopback and
// the bridges and namespaces the tests create; containers get --dns on an unused loopback
// address, and the forwarding test answers from its own resolver on 127.0.0.x.
//
// The fixture starts dockerd with --bridge=none --iptables=false (its bridge would program the
// host's iptables): tests of the default bridge, published ports, icc and restart run against
// berthd only; the others (user networks, DNS, connect, modes) run against both.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "engine_fixture.h"

namespace berth::e2e::engine {
namespace {

constexpr const char* kNoDns = "127.0.0.77";  // nothing listens there: no query leaves

// GET / over TCP; the body, "" on failure.
std::string httpGet(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// A tiny DNS server on ip:53 (UDP) answering every A query with `answer`.
class FakeResolver {
 public:
  FakeResolver(const std::string& ip, const std::string& answer) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    in_addr ans{};
    inet_pton(AF_INET, answer.c_str(), &ans);
    if (ok_) thread_ = std::thread([this, ans] { serve(ans); });
  }
  ~FakeResolver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  int queries() const { return queries_; }

 private:
  void serve(in_addr ans) {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      unsigned char buf[512];
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      ++queries_;
      // Header: same id, QR+RD+RA, one question, one answer; then the question as sent.
      size_t qend = 12;
      while (qend < static_cast<size_t>(n) && buf[qend] != 0) qend += buf[qend] + 1;
      qend += 5;  // zero label, qtype, qclass
      if (qend > static_cast<size_t>(n)) continue;
      std::string out(reinterpret_cast<char*>(buf), qend);
      out[2] = static_cast<char>(0x81);
      out[3] = static_cast<char>(0x80);
      out[4] = 0, out[5] = 1, out[6] = 0, out[7] = 1;
      out[8] = out[9] = out[10] = out[11] = 0;
      const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
      out.append(reinterpret_cast<const char*>(rr), sizeof(rr));
      out.append(reinterpret_cast<const char*>(&ans), 4);
      sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  int fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

#define SKIP_WITHOUT_BRIDGE()                                                                  \
  if (isDockerd())                                                                             \
  GTEST_SKIP() << "the fixture runs dockerd with --bridge=none --iptables=false: its default "  \
                  "bridge, published ports and icc would program the host's iptables"

class NetworkTest : public EngineTest {
 protected:
  void TearDown() override {
    if (daemon() != nullptr && daemon()->running()) {
      daemon()->removeAllContainers();
      for (const auto& n : networks_) docker({"network", "rm", n});
      if (!isDockerd()) expectNoLeftovers();
    }
    EngineTest::TearDown();
  }

  // A user-defined network on a free subnet; removed after the test.
  std::string createNetwork(const std::vector<std::string>& extra = {},
                            std::string* subnet_out = nullptr) {
    std::string name = uniqueName("net");
    std::string subnet = freeTestSubnet();
    std::vector<std::string> args = {"network", "create", "--subnet", subnet};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(name);
    ProcResult r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    networks_.push_back(name);
    if (subnet_out) *subnet_out = subnet;
    return name;
  }

  // Runs a detached container on `network` (busybox sleep unless cmd is given).
  std::string runOn(const std::string& network, const std::vector<std::string>& flags = {},
                    const std::vector<std::string>& cmd = {"sleep", "1000"}) {
    std::string name = uniqueName();
    std::vector<std::string> args = {"run", "-d", "--name", name, "--dns", kNoDns,
                                     "--pull=never"};
    if (!network.empty()) args.insert(args.end(), {"--network", network});
    args.insert(args.end(), flags.begin(), flags.end());
    args.emplace_back("busybox");
    args.insert(args.end(), cmd.begin(), cmd.end());
    ProcResult r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return name;
  }

  ProcResult runOnce(const std::string& network, const std::vector<std::string>& cmd,
                     const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"run", "--rm", "--dns", kNoDns, "--pull=never"};
    if (!network.empty()) args.insert(args.end(), {"--network", network});
    args.insert(args.end(), flags.begin(), flags.end());
    args.emplace_back("busybox");
    args.insert(args.end(), cmd.begin(), cmd.end());
    return cli(args, {.timeout = 60s});
  }

  std::string ipOn(const std::string& container, const std::string& network) {
    Json c = inspect(container);
    if (!c.is_object()) return "";
    return c["NetworkSettings"]["Networks"][network].value("IPAddress", "");
  }


  // berthd: no sandbox file, no container rule left once the containers are gone.
  void expectNoLeftovers() {
    std::error_code ec;
    int files = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator(daemon()->dir() + "/exec/netns", ec)) {
      ++files;
    }
    EXPECT_EQ(files, 0) << "sandbox netns files left";
    ProcResult rules = runCommand({"nft", "list", "table", "ip", "berth-" + daemon()->bridgeName()});
    EXPECT_EQ(rules.out.find("ctr:"), std::string::npos) << rules.out;
    ProcResult links = runCommand({"ip", "-o", "link", "show", "master", daemon()->bridgeName()});
    EXPECT_EQ(trim(links.out), "") << "veths left on the default bridge";
  }

  std::vector<std::string> networks_;
};
BERTH_ENGINE_SUITE(NetworkTest);

TEST_P(NetworkTest, PredefinedNetworksListInspectAndCannotBeRemoved) {
  ProcResult r = cli({"network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("host host local"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("none null local"), std::string::npos) << r.out;
  if (!isDockerd()) {
    EXPECT_NE(r.out.find("bridge bridge local"), std::string::npos) << r.out;
  }
  r = cli({"network", "ls"});
  EXPECT_TRUE(r.out.starts_with("NETWORK ID     NAME      DRIVER    SCOPE\n")) << r.out;
  r = cli({"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}", "host"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "host host local false\n");
  r = cli({"network", "rm", "host"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("host is a pre-defined network and cannot be removed"), std::string::npos)
      << r.err;
  r = cli({"network", "inspect", "no-such-net-x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("network no-such-net-x not found"), std::string::npos) << r.err;
  if (!isDockerd()) {
    Json bridge = Json::parse(cli({"network", "inspect", "bridge"}).out, nullptr, false);
    ASSERT_TRUE(bridge.is_array());
    EXPECT_EQ(bridge[0]["IPAM"]["Config"][0].value("Gateway", ""), daemon()->bridgeGateway());
    EXPECT_EQ(bridge[0]["Options"].value("com.docker.network.bridge.name", ""),
              daemon()->bridgeName());
  }
}

TEST_P(NetworkTest, UserNetworkCreateInspectFilterRemove) {
  std::string subnet = freeTestSubnet();
  std::string gw = subnet.substr(0, subnet.rfind('.')) + ".254";
  std::string net = uniqueName("net");
  ProcResult c = cli({"network", "create", "--subnet", subnet, "--gateway", gw, "--label",
                      "tier=e2e", "--internal", net});
  ASSERT_EQ(c.exit_code, 0) << c.describe();
  networks_.push_back(net);
  ProcResult r = cli({"network", "inspect", net});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Json n = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(n.is_array() && n.size() == 1) << r.out;
  EXPECT_EQ(n[0].value("Driver", ""), "bridge");
  EXPECT_EQ(n[0].value("Scope", ""), "local");
  EXPECT_EQ(n[0].value("Internal", false), true);
  EXPECT_EQ(n[0]["IPAM"].value("Driver", ""), "default");
  EXPECT_EQ(n[0]["IPAM"]["Config"][0].value("Subnet", ""), subnet);
  EXPECT_EQ(n[0]["IPAM"]["Config"][0].value("Gateway", ""), gw);
  EXPECT_EQ(n[0]["Labels"].value("tier", ""), "e2e");
  EXPECT_TRUE(n[0]["Containers"].is_object());
  std::string id = n[0].value("Id", "");
  r = cli({"network", "ls", "-q", "--filter", "label=tier=e2e"});
  EXPECT_EQ(trim(r.out), id.substr(0, 12)) << r.describe();
  r = cli({"network", "ls", "--no-trunc", "-q", "--filter", "type=custom", "--filter",
           "name=" + net});
  EXPECT_EQ(trim(r.out), id) << r.describe();
  r = cli({"network", "ls", "-q", "--filter", "type=builtin", "--filter", "name=" + net});
  EXPECT_EQ(trim(r.out), "") << r.describe();
  r = cli({"network", "create", "--subnet", freeTestSubnet(), net});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("network with name " + net + " already exists"), std::string::npos)
      << r.err;
  r = cli({"network", "rm", net});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, net + "\n");
  EXPECT_NE(cli({"network", "inspect", net}).exit_code, 0);
}

TEST_P(NetworkTest, UserNetworkResolvesNamesAliasesAndShortIds) {
  std::string subnet;
  std::string net = createNetwork({}, &subnet);
  ASSERT_FALSE(HasFatalFailure());
  std::string a = runOn(net, {"--network-alias", "alpha"});
  std::string b = runOn(net);
  ASSERT_FALSE(HasFatalFailure());
  std::string a_ip = ipOn(a, net);
  std::string prefix = subnet.substr(0, subnet.rfind('.') + 1);
  EXPECT_TRUE(a_ip.starts_with(prefix)) << a_ip;
  std::string a_id = inspect(a).value("Id", "").substr(0, 12);
  ProcResult r = runOnce(net, {"sh", "-c",
                               "cat /etc/resolv.conf; for n in " + a + " alpha " + a_id + " " + b +
                                   "; do ping -c1 -W3 $n >/dev/null && echo ok-$n; done"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("nameserver 127.0.0.11"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nameserver " + std::string(kNoDns)), std::string::npos) << r.out;
  for (const auto& n : {a, std::string("alpha"), a_id, b}) {
    EXPECT_NE(r.out.find("ok-" + n + "\n"), std::string::npos) << n << "\n" << r.out;
  }
  r = runOnce(net, {"nslookup", "alpha", "127.0.0.11"});
  EXPECT_NE(r.out.find(a_ip), std::string::npos) << r.describe();
  Json ep = inspect(a)["NetworkSettings"]["Networks"][net];
  EXPECT_EQ(ep.value("IPAddress", ""), a_ip);
  EXPECT_EQ(ep.value("Gateway", ""), prefix + "1");
  EXPECT_FALSE(ep.value("EndpointID", "").empty());
  EXPECT_FALSE(ep.value("NetworkID", "").empty());
  bool has_alias = false;
  for (const auto& al : ep["Aliases"]) has_alias = has_alias || al == "alpha";
  EXPECT_TRUE(has_alias) << ep.dump();
  Json netj = Json::parse(cli({"network", "inspect", net}).out, nullptr, false);
  ASSERT_TRUE(netj.is_array());
  bool listed = false;
  for (const auto& [id, c] : netj[0]["Containers"].items()) {
    if (c.value("Name", "") == a) {
      listed = true;
      EXPECT_EQ(c.value("IPv4Address", ""), a_ip + "/24");
    }
  }
  EXPECT_TRUE(listed) << netj.dump();
  // Removing a network in use is refused.
  r = cli({"network", "rm", net});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("has active endpoints"), std::string::npos) << r.err;
}

TEST_P(NetworkTest, EmbeddedDnsForwardsOtherNamesToTheContainersDns) {
  std::string net = createNetwork();
  ASSERT_FALSE(HasFatalFailure());
  if (isDockerd()) {
    GTEST_SKIP() << "dockerd 20.10 forwards to the container's --dns from the container's netns, "
                    "where a loopback resolver of the host is not reachable";
  }
  FakeResolver upstream("127.0.0.53", "10.9.8.7");
  if (!upstream.ok()) GTEST_SKIP() << "cannot bind 127.0.0.53:53 (in use)";
  ProcResult r = cli({"run", "--rm", "--network", net, "--dns", "127.0.0.53", "--pull=never",
                      "busybox", "nslookup", "outside.berth.test"},
                     {.timeout = 60s});
  EXPECT_NE(r.out.find("10.9.8.7"), std::string::npos) << r.describe();
  EXPECT_GT(upstream.queries(), 0);
}

TEST_P(NetworkTest, DefaultBridgeHasNoDnsByNameButLinksWork) {
  SKIP_WITHOUT_BRIDGE();
  std::string a = runOn("");
  ASSERT_FALSE(HasFatalFailure());
  std::string a_ip = ipOn(a, "bridge");
  Json c = inspect(a);
  EXPECT_EQ(c["HostConfig"].value("NetworkMode", ""), "default");
  EXPECT_EQ(c["NetworkSettings"].value("IPAddress", ""), a_ip);
  EXPECT_EQ(c["NetworkSettings"].value("Gateway", ""), daemon()->bridgeGateway());
  std::string mac = c["NetworkSettings"].value("MacAddress", "");
  EXPECT_TRUE(mac.starts_with("02:42:")) << mac;
  ProcResult r = runOnce("", {"sh", "-c", "ping -c1 -W3 " + a_ip + " >/dev/null && echo ip-ok; "
                                          "ping -c1 -W2 " + a + " >/dev/null 2>&1 || echo no-name"});
  EXPECT_NE(r.out.find("ip-ok"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("no-name"), std::string::npos) << r.describe();
  r = runOnce("", {"sh", "-c", "grep db /etc/hosts; ping -c1 -W3 db >/dev/null && echo link-ok"},
              {"--link", a + ":db"});
  EXPECT_NE(r.out.find(a_ip + "\tdb"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("link-ok"), std::string::npos) << r.describe();
  // --add-host, --hostname, --dns-search, --dns-option land in the files as Docker writes them.
  r = runOnce("", {"sh", "-c", "cat /etc/hosts /etc/resolv.conf; hostname"},
              {"--add-host", "db.example:10.1.2.3", "--add-host", "gw:host-gateway", "--hostname",
               "h1", "--dns-search", "example.test", "--dns-option", "ndots:2"});
  EXPECT_NE(r.out.find("10.1.2.3\tdb.example\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(daemon()->bridgeGateway() + "\tgw\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\th1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("search example.test\nnameserver " + std::string(kNoDns) +
                       "\noptions ndots:2\n"),
            std::string::npos)
      << r.out;
}

TEST_P(NetworkTest, PublishedPortsAnswerOnLoopbackAndBridge) {
  SKIP_WITHOUT_BRIDGE();
  std::string www = scratch() + "/www";
  std::filesystem::create_directories(www);
  // A body of this test alone: parallel test programs may get the same host port after ours.
  const std::string hello = "hello from " + uniqueName("web") + "\n";
  std::ofstream(www + "/index.html") << hello;
  std::string web = runOn("", {"-p", "80", "-p", "127.0.0.1::8080/tcp", "--expose", "9090",
                               "-P", "-v", www + ":/www"},
                          {"httpd", "-f", "-p", "80", "-h", "/www"});
  ASSERT_FALSE(HasFatalFailure());
  ProcResult r = cli({"port", web, "80"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::smatch m;
  std::string line = trim(r.out);
  ASSERT_TRUE(std::regex_match(line, m, std::regex("0\\.0\\.0\\.0:(\\d+)"))) << r.out;
  int port = std::stoi(m[1]);
  EXPECT_GE(port, 32768);
  r = cli({"port", web});
  EXPECT_NE(r.out.find("80/tcp -> 0.0.0.0:" + std::to_string(port)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8080/tcp -> 127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("9090/tcp -> 0.0.0.0:"), std::string::npos) << r.out;  // -P
  std::string body;
  for (int i = 0; i < 20 && body.empty(); ++i) {
    body = httpGet("127.0.0.1", port);
    if (body.empty()) std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(body, hello);
  EXPECT_EQ(httpGet(ipOn(web, "bridge"), 80), hello);
  EXPECT_EQ(httpGet(daemon()->bridgeGateway(), port), hello);
  Json ports = inspect(web)["NetworkSettings"]["Ports"];
  EXPECT_EQ(ports["80/tcp"][0].value("HostPort", ""), std::to_string(port)) << ports.dump();
  // The same host port again: Docker's error.
  std::string fixed = std::to_string(port);
  r = cli({"run", "-d", "--pull=never", "-p", fixed + ":80", "busybox", "sleep", "10"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Bind for 0.0.0.0:" + fixed + " failed: port is already allocated"),
            std::string::npos)
      << r.err;
  cli({"rm", "-f", web});
  EXPECT_NE(httpGet("127.0.0.1", port), hello);
}

TEST_P(NetworkTest, ConnectAndDisconnectLive) {
  std::string n1 = createNetwork();
  std::string n2_subnet;
  std::string n2 = createNetwork({}, &n2_subnet);
  ASSERT_FALSE(HasFatalFailure());
  std::string a = runOn(n1);
  std::string b = runOn(n2);
  ASSERT_FALSE(HasFatalFailure());
  std::string fixed_ip = n2_subnet.substr(0, n2_subnet.rfind('.')) + ".77";
  ProcResult r = cli({"network", "connect", "--ip", fixed_ip, "--alias", "late", n2, a});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(ipOn(a, n2), fixed_ip);
  EXPECT_FALSE(ipOn(a, n1).empty());
  r = runOnce(n2, {"sh", "-c", "ping -c1 -W3 late >/dev/null && echo alias-ok; ping -c1 -W3 " +
                                   fixed_ip + " >/dev/null && echo ip-ok"});
  EXPECT_NE(r.out.find("alias-ok"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("ip-ok"), std::string::npos) << r.describe();
  r = cli({"network", "connect", n2, a});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  r = cli({"network", "disconnect", n2, a});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(inspect(a)["NetworkSettings"]["Networks"].count(n2) == 0);
  r = runOnce(n2, {"sh", "-c", "ping -c1 -W2 " + fixed_ip + " >/dev/null 2>&1 || echo gone"});
  EXPECT_NE(r.out.find("gone"), std::string::npos) << r.describe();
  (void)b;
}

TEST_P(NetworkTest, IccFalseBlocksContainersOfTheNetwork) {
  SKIP_WITHOUT_BRIDGE();
  std::string open_net = createNetwork();
  std::string closed = createNetwork({"-o", "com.docker.network.bridge.enable_icc=false"});
  ASSERT_FALSE(HasFatalFailure());
  std::string a = runOn(open_net);
  std::string c = runOn(closed);
  ASSERT_FALSE(HasFatalFailure());
  ProcResult r = runOnce(open_net, {"ping", "-c1", "-W3", ipOn(a, open_net)});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  r = runOnce(closed, {"ping", "-c1", "-W2", ipOn(c, closed)});
  EXPECT_NE(r.exit_code, 0) << r.describe();
}

TEST_P(NetworkTest, NoneHostAndContainerModes) {
  std::string net = createNetwork();
  ASSERT_FALSE(HasFatalFailure());
  ProcResult r = runOnce("none", {"cat", "/proc/net/dev"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("eth0"), std::string::npos) << r.out;
  std::string a = runOn(net);
  ASSERT_FALSE(HasFatalFailure());
  std::string a_ip = ipOn(a, net);
  r = cli({"run", "--rm", "--pull=never", "--network", "container:" + a, "busybox", "ip", "-4",
           "-o", "addr", "show", "eth0"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find(a_ip + "/"), std::string::npos) << r.out;
  std::string stopped = runOn("none", {}, {"true"});
  ASSERT_TRUE(waitStatus(stopped, "exited"));
  r = cli({"run", "--rm", "--pull=never", "--network", "container:" + stopped, "busybox", "true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot join network"), std::string::npos) << r.err;
  r = cli({"run", "--rm", "--pull=never", "--network", "no-such-net-y", "busybox", "true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("network no-such-net-y not found"), std::string::npos) << r.err;
}

class NetworkRestartTest : public NetworkTest {
 protected:
  bool wantsOwnDaemon() const override { return true; }
};
BERTH_ENGINE_SUITE(NetworkRestartTest);

TEST_P(NetworkRestartTest, DaemonRestartKeepsAddressesAndRules) {
  SKIP_WITHOUT_BRIDGE();
  std::string www = scratch() + "/www";
  std::filesystem::create_directories(www);
  std::ofstream(www + "/index.html") << "still here\n";
  std::string net = createNetwork();
  std::string web = runOn("", {"-p", "80", "-v", www + ":/www"},
                          {"httpd", "-f", "-p", "80", "-h", "/www"});
  std::string u = runOn(net);
  ASSERT_FALSE(HasFatalFailure());
  std::string ip = ipOn(web, "bridge");
  std::string u_ip = ipOn(u, net);
  int port = std::stoi(inspect(web)["NetworkSettings"]["Ports"]["80/tcp"][0].value("HostPort", "0"));
  ASSERT_TRUE(daemon()->stop()) << daemon()->logTail();
  std::string error;
  ASSERT_TRUE(daemon()->start(&error)) << error;
  EXPECT_EQ(ipOn(web, "bridge"), ip);
  EXPECT_EQ(ipOn(u, net), u_ip);
  std::string body;
  for (int i = 0; i < 20 && body.empty(); ++i) {
    body = httpGet("127.0.0.1", port);
    if (body.empty()) std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(body, "still here\n");
  // The addresses stay allocated: a new container gets another one; names still resolve.
  std::string other = runOn("");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_NE(ipOn(other, "bridge"), ip);
  ProcResult r = runOnce(net, {"ping", "-c1", "-W3", u});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
}

}  // namespace
}  // namespace berth::e2e::engine
