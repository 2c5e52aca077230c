// The daemon's networking pieces that need no kernel: hosts/resolv.conf texts, network records,
// create requests, endpoint requests and container NetworkSettings JSON.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/container.h"
#include "daemon/network_create.h"
#include "daemon/network_files.h"
#include "daemon/network_record.h"
#include "daemon/network_settings.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

TEST(NetworkFilesTest, HostsFileAsDockerWritesIt) {
  HostsInput in;
  in.ip = "172.17.0.2";
  in.hostname = "abc";
  in.extra_hosts = {"db:10.0.0.5"};
  in.link_lines = {"172.17.0.3\tweb 0123456789ab other"};
  std::string hosts = buildHostsFile(in);
  EXPECT_TRUE(hosts.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost"));
  EXPECT_NE(hosts.find("10.0.0.5\tdb\n172.17.0.3\tweb 0123456789ab other\n172.17.0.2\tabc\n"),
            std::string::npos)
      << hosts;
  in.domainname = "example.org";
  EXPECT_NE(buildHostsFile(in).find("172.17.0.2\tabc.example.org abc\n"), std::string::npos);
}

TEST(NetworkFilesTest, ResolvConf) {
  ResolvInput in;
  in.host_resolv_conf = "nameserver 127.0.0.53\nnameserver 10.0.0.1\nsearch corp\noptions edns0\n";
  EXPECT_EQ(buildResolvConf(in), "search corp\nnameserver 10.0.0.1\noptions edns0\n");
  in.dns = {"1.1.1.1"};
  in.dns_search = {"a.test", "b.test"};
  in.dns_options = {"ndots:2"};
  EXPECT_EQ(buildResolvConf(in),
            "search a.test b.test\nnameserver 1.1.1.1\noptions ndots:2\n");
  in.embedded_dns = true;
  EXPECT_EQ(buildResolvConf(in),
            "search a.test b.test\nnameserver 127.0.0.11\noptions ndots:2\n");
  ResolvInput only_local;
  only_local.host_resolv_conf = "nameserver 127.0.0.53\n";
  EXPECT_EQ(buildResolvConf(only_local), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  only_local.host_network = true;
  EXPECT_EQ(buildResolvConf(only_local), "nameserver 127.0.0.53\n");
  ResolvInput embedded;
  embedded.embedded_dns = true;
  EXPECT_EQ(buildResolvConf(embedded), "nameserver 127.0.0.11\noptions ndots:0\n");
}

TEST(NetworkRecordTest, JsonShapeAndRoundTrip) {
  NetworkRecord n;
  n.Name = "n1";
  n.Id = std::string(64, 'a');
  n.Created = "2024-01-02T03:04:05.5Z";
  n.Driver = "bridge";
  n.IpamConfig = {{"10.1.0.0/24", "", "10.1.0.1"}};
  n.Labels = {{"k", "v"}};
  n.BridgeName = "br-aaaaaaaaaaaa";
  n.Endpoints[std::string(64, 'c')] = {"web", std::string(64, 'e'), "02:42:0a:01:00:02",
                                       "10.1.0.2/24", {"alias"}, "veth1234567"};
  json j = json::parse(networkToJson(n, true));
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["IPAM"]["Driver"], "default");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Subnet"], "10.1.0.0/24");
  EXPECT_FALSE(j["IPAM"]["Config"][0].contains("IPRange"));
  EXPECT_EQ(j["ConfigFrom"]["Network"], "");
  auto& c = j["Containers"][std::string(64, 'c')];
  EXPECT_EQ(c["Name"], "web");
  EXPECT_EQ(c["IPv4Address"], "10.1.0.2/24");
  EXPECT_EQ(c["IPv6Address"], "");
  EXPECT_FALSE(c.contains("HostVeth"));
  EXPECT_TRUE(json::parse(networkToJson(n, false))["Containers"].empty());
  auto back = parseNetworkRecord(networkRecordToJson(n));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->BridgeName, n.BridgeName);
  EXPECT_EQ(back->Endpoints.begin()->second.HostVeth, "veth1234567");
  EXPECT_EQ(back->Endpoints.begin()->second.Aliases, std::vector<std::string>{"alias"});
  EXPECT_FALSE(parseNetworkRecord("{}").ok());
}

TEST(NetworkRecordTest, CreateAndConnectRequests) {
  auto r = parseNetworkCreateRequest(
      R"({"Name":"n","Driver":"bridge","IPAM":{"Driver":"default","Config":[{"Subnet":
      "10.2.0.0/16","IPRange":"10.2.1.0/24","Gateway":"10.2.0.254"}]},"Internal":true,
      "Options":{"com.docker.network.bridge.name":"brx"},"Labels":{"a":"b"}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->IpamConfig[0].IPRange, "10.2.1.0/24");
  EXPECT_TRUE(r->Internal);
  EXPECT_EQ(r->Options["com.docker.network.bridge.name"], "brx");
  EXPECT_FALSE(parseNetworkCreateRequest(
                   R"({"Name":"n","IPAM":{"Config":[{"AuxiliaryAddresses":{"a":"10.0.0.9"}}]}})")
                   .ok());
  auto c = parseNetworkConnectRequest(
      R"({"Container":"c1","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.2.1.9"},
      "Aliases":["x"]}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Container, "c1");
  EXPECT_EQ(c->IPv4Address, "10.2.1.9");
  EXPECT_EQ(c->Aliases, std::vector<std::string>{"x"});
}

TEST(NetworkCreateTest, ModesAndEndpoints) {
  EXPECT_EQ(networkOfMode("default"), "bridge");
  EXPECT_EQ(networkOfMode(""), "bridge");
  EXPECT_EQ(networkOfMode("mynet"), "mynet");
  EXPECT_EQ(networkOfMode("container:x"), "");
  EXPECT_EQ(containerOfMode("container:x"), "x");
  EXPECT_FALSE(validateNetworkMode("container:").ok());
  auto bad = parseEndpointsConfig(
      json::parse(R"({"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv4Address":"172.17.0.9"}}}})"),
      "default");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "user specified IP address is supported on user defined networks only");
  auto alias = parseEndpointsConfig(
      json::parse(R"({"EndpointsConfig":{"bridge":{"Aliases":["a"]}}})"), "bridge");
  EXPECT_FALSE(alias.ok());
}

TEST(NetworkSettingsTest, InspectShapeKeepsTheLegacyBridgeFields) {
  ContainerNetworkSettings s;
  s.SandboxKey = "/run/berth/netns/abc";
  EndpointSettings ep;
  ep.IPAddress = "172.17.0.2";
  ep.IPPrefixLen = 16;
  ep.Gateway = "172.17.0.1";
  ep.MacAddress = "02:42:ac:11:00:02";
  ep.EndpointID = "e";
  s.Networks["bridge"] = ep;
  s.Ports["80/tcp"] = std::vector<PortBinding>{{"0.0.0.0", "8080"}};
  s.Ports["443/tcp"] = std::nullopt;
  json j = networkSettingsInspectJson(s, "default", true);
  EXPECT_EQ(j["IPAddress"], "172.17.0.2");
  EXPECT_EQ(j["IPPrefixLen"], 16);
  EXPECT_EQ(j["Gateway"], "172.17.0.1");
  EXPECT_EQ(j["Ports"]["80/tcp"][0]["HostPort"], "8080");
  EXPECT_TRUE(j["Ports"]["443/tcp"].is_null());
  EXPECT_EQ(j["Networks"]["bridge"]["IPAMConfig"], nullptr);
  EXPECT_TRUE(networkSettingsInspectJson(s, "default", false)["Ports"].empty());
  ContainerNetworkSettings user;
  user.Networks["mynet"] = ep;
  EXPECT_EQ(networkSettingsInspectJson(user, "mynet", true)["IPAddress"], "");
  json none = networkSettingsInspectJson(ContainerNetworkSettings{}, "none", false);
  EXPECT_TRUE(none["Networks"].contains("none"));
  // The record form round-trips.
  json rec = s;
  auto back = rec.get<ContainerNetworkSettings>();
  EXPECT_EQ(back.Networks["bridge"].IPAddress, "172.17.0.2");
  EXPECT_FALSE(back.Ports["443/tcp"].has_value());
}

}  // namespace
}  // namespace berth::daemon
