// Unit tests for berthd's pure pieces: configuration, names, create merging, user resolution,
// spec generation, filters, the create-request checks and log lines.

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/config.h"
#include "daemon/container.h"
#include "daemon/container_spec.h"
#include "daemon/create_config.h"
#include "daemon/filters.h"
#include "daemon/log_reader.h"
#include "daemon/names.h"
#include "sys/capabilities.h"

namespace berth::daemon {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(ConfigTest, FlagsAndDefaults) {
  std::map<std::string, std::string> keys;
  auto c = parseDaemonFlags({"-H", "unix:///tmp/a.sock", "--host=tcp://127.0.0.1:0", "--data-root",
                             "/d", "-D", "--storage-driver=vfs"},
                            &keys);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->hosts, (std::vector<std::string>{"unix:///tmp/a.sock", "tcp://127.0.0.1:0"}));
  EXPECT_EQ(c->data_root, "/d");
  EXPECT_EQ(c->exec_root, "/run/berth");
  EXPECT_TRUE(c->debug);
  EXPECT_EQ(c->storage_driver, "vfs");
  EXPECT_TRUE(keys.count("hosts") && keys.count("data-root") && keys.count("debug"));
  EXPECT_FALSE(parseDaemonFlags({"--bogus"}, nullptr).ok());
  EXPECT_FALSE(parseDaemonFlags({"--data-root"}, nullptr).ok());
  EXPECT_FALSE(parseDaemonFlags({"--log-level", "loud"}, nullptr).ok());
}

TEST(ConfigTest, FileKeysConflictsAndUnknown) {
  DaemonConfig c;
  ASSERT_TRUE(mergeConfigFile(R"({"data-root":"/x","log-opts":{"max-size":"10m","max-file":"3"},
      "default-ulimits":{"nofile":{"Name":"nofile","Soft":1024,"Hard":2048}}})",
                              {}, &c)
                  .ok());
  EXPECT_EQ(c.data_root, "/x");
  EXPECT_EQ(c.log_max_size, 10u << 20);
  EXPECT_EQ(c.log_max_files, 3);
  ASSERT_EQ(c.default_ulimits.size(), 1u);
  EXPECT_EQ(c.default_ulimits[0].hard, 2048);

  auto unknown = mergeConfigFile(R"({"foo":1,"bar":2})", {}, &c);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "the following directives don't match any configuration option: bar, foo");
  auto both = mergeConfigFile(R"({"hosts":["unix:///b"]})", {{"hosts", "[unix:///a]"}}, &c);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message(),
            "the following directives are specified both as a flag and in the configuration "
            "file: hosts: (from flag: [unix:///a], from file: [unix:///b])");
  auto bip = mergeConfigFile(R"({"default-address-pools":[]})", {}, &c);
  ASSERT_FALSE(bip.ok());
  EXPECT_EQ(bip.error().message(),
            "\"default-address-pools\" is not supported yet (networking issue)");
  ASSERT_TRUE(mergeConfigFile(R"({"bip":"10.0.0.1/24","icc":false,"bridge":"br9"})", {}, &c));
  EXPECT_EQ(c.bip, "10.0.0.1/24");
  EXPECT_FALSE(c.icc);
  EXPECT_EQ(c.bridge, "br9");
  EXPECT_FALSE(mergeConfigFile(R"({"bip":"10.0.0.1"})", {}, &c).ok());
  EXPECT_FALSE(mergeConfigFile(R"({"log-opts":{"mode":"non-blocking"}})", {}, &c).ok());
}

TEST(ConfigTest, LoadRejectsMissingExplicitFileAndOtherLogDrivers) {
  EXPECT_FALSE(loadDaemonConfig({"--config-file", "/nonexistent/daemon.json"}).ok());
  auto c = loadDaemonConfig({"--config-file=/dev/null"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->hosts, std::vector<std::string>{kDefaultHost});
  EXPECT_EQ(parseByteSize("1k").valueOr(0), 1024);
  EXPECT_EQ(parseByteSize("2MB").valueOr(0), 2 << 20);
  EXPECT_FALSE(parseByteSize("x").ok());
}

TEST(NamesTest, RulesGenerationIds) {
  EXPECT_EQ(normalizeContainerName("web-1.a_b").valueOr(""), "/web-1.a_b");
  EXPECT_EQ(normalizeContainerName("/web").valueOr(""), "/web");
  auto bad = normalizeContainerName("a b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_FALSE(normalizeContainerName("_x").ok());
  EXPECT_FALSE(normalizeContainerName("x").ok());
  for (int i = 0; i < 50; ++i) {
    std::string n = generateContainerName();
    EXPECT_TRUE(normalizeContainerName(n).ok()) << n;
    EXPECT_NE(n.find('_'), std::string::npos);
    std::string id = generateContainerId();
    EXPECT_TRUE(isFullContainerId(id)) << id;
  }
  EXPECT_NE(generateContainerId(), generateContainerId());
}

TEST(CreateConfigTest, EntrypointAndCmdRules) {
  oci::ContainerConfig image;
  image.entrypoint = {"/entry"};
  image.cmd = {"default"};
  image.env = {"PATH=/img", "A=image"};
  image.labels = {{"l", "image"}, {"k", "v"}};
  image.workingDir = "/w";
  image.user = "nobody";

  ContainerConfig none;
  mergeImageConfig(image, &none);
  EXPECT_EQ(*none.Entrypoint, std::vector<std::string>{"/entry"});
  EXPECT_EQ(*none.Cmd, std::vector<std::string>{"default"});
  EXPECT_EQ(none.WorkingDir, "/w");
  EXPECT_EQ(none.User, "nobody");

  ContainerConfig cmd;
  cmd.Cmd = std::vector<std::string>{"echo", "hi"};
  cmd.Env = {"A=mine"};
  cmd.Labels = {{"l", "mine"}};
  mergeImageConfig(image, &cmd);
  EXPECT_EQ(*cmd.Entrypoint, std::vector<std::string>{"/entry"});
  EXPECT_EQ(*cmd.Cmd, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(cmd.Env, (std::vector<std::string>{"A=mine", "PATH=/img"}));
  EXPECT_EQ(cmd.Labels.at("l"), "mine");
  EXPECT_EQ(cmd.Labels.at("k"), "v");

  ContainerConfig entry;
  entry.Entrypoint = std::vector<std::string>{"/other"};
  mergeImageConfig(image, &entry);
  EXPECT_EQ(*entry.Entrypoint, std::vector<std::string>{"/other"});
  EXPECT_FALSE(entry.Cmd.has_value());  // a request Entrypoint drops the image's Cmd

  ContainerConfig empty_entry;  // --entrypoint ""
  empty_entry.Entrypoint = std::vector<std::string>{};
  mergeImageConfig(image, &empty_entry);
  EXPECT_TRUE(empty_entry.Entrypoint->empty());
  EXPECT_EQ(*empty_entry.Cmd, std::vector<std::string>{"default"});
  auto command = commandOf(empty_entry);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->first, "default");

  ContainerConfig nothing;
  EXPECT_FALSE(commandOf(nothing).ok());
}

TEST(CreateConfigTest, ProcessEnv) {
  ContainerConfig c;
  c.Hostname = "abc";
  c.Tty = true;
  c.Env = {"PATH=/bin", "X=1", "TERM"};
  auto env = processEnv(c, "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "HOSTNAME=abc", "X=1", "HOME=/root"}));
}

TEST(CreateConfigTest, ResolveUser) {
  const char* passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
      "app:x:1000:1000::/home/app:/bin/sh\n";
  const char* group =
      "root:x:0:root\n"
      "wheel:x:10:root,app\n"
      "app:x:1000:\n"
      "video:x:27:app\n";
  auto root = resolveUser("", passwd, group);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->home, "/root");
  EXPECT_EQ(root->additional_gids, (std::vector<uint32_t>{0, 10}));

  auto app = resolveUser("app", passwd, group);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1000u);
  EXPECT_EQ(app->additional_gids, (std::vector<uint32_t>{1000, 10, 27}));

  auto numeric = resolveUser("1:wheel", passwd, group);
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->uid, 1u);
  EXPECT_EQ(numeric->gid, 10u);
  EXPECT_EQ(numeric->additional_gids, std::vector<uint32_t>{10});  // a group given: no others

  auto unknown_uid = resolveUser("4242:4343", passwd, group);
  ASSERT_TRUE(unknown_uid.ok());
  EXPECT_EQ(unknown_uid->uid, 4242u);
  EXPECT_EQ(unknown_uid->gid, 4343u);
  EXPECT_EQ(unknown_uid->additional_gids, std::vector<uint32_t>{4343});
  auto by_uid = resolveUser("1000", passwd, group);  // a uid with an entry: as its name
  ASSERT_TRUE(by_uid.ok());
  EXPECT_EQ(by_uid->home, "/home/app");
  EXPECT_EQ(by_uid->additional_gids, (std::vector<uint32_t>{1000, 10, 27}));

  auto missing = resolveUser("nobody", passwd, group);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "unable to find user nobody: no matching entries in passwd file");
  EXPECT_FALSE(resolveUser("app:nogroup", passwd, group).ok());
}

Container baseContainer() {
  Container c;
  c.ID = std::string(64, 'a');
  c.Path = "echo";
  c.Args = {"hi"};
  c.Config.Hostname = "aaaaaaaaaaaa";
  c.HostConfig.NetworkMode = "none";
  c.HostsPath = "/tmp/hosts";
  return c;
}

TEST(ContainerSpecTest, DefaultsAndResources) {
  Container c = baseContainer();
  c.HostConfig.Memory = 64 << 20;
  c.HostConfig.NanoCpus = 1500000000;
  c.HostConfig.PidsLimit = 50;
  c.HostConfig.CpusetCpus = "0";
  c.HostConfig.Ulimits = {{"nofile", 100, 200}};
  ASSERT_TRUE(validateResources(&c.HostConfig).ok());
  EXPECT_EQ(c.HostConfig.MemorySwap, 128 << 20);
  SpecInputs in;
  in.rootfs = "/rootfs";
  in.default_ulimits = {{"nproc", 10, 20}, {"nofile", 1, 2}};
  auto spec = buildContainerSpec(c, in);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->hostname, "aaaaaaaaaaaa");
  EXPECT_EQ(spec->process->args, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(spec->linux->cgroupsPath, "/berth/" + c.ID);
  EXPECT_TRUE(spec->linux->seccomp.has_value());
  EXPECT_EQ(spec->process->capabilities->bounding, sys::dockerDefaultCapabilities());
  EXPECT_FALSE(spec->linux->maskedPaths.empty());
  const auto& r = *spec->linux->resources;
  EXPECT_EQ(*r.memory->limit, 64 << 20);
  EXPECT_EQ(*r.cpu->quota, 150000);
  EXPECT_EQ(*r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->cpus, "0");
  EXPECT_EQ(r.pids->limit, 50);
  ASSERT_EQ(spec->process->rlimits.size(), 2u);
  for (const auto& rl : spec->process->rlimits) {
    if (rl.type == "RLIMIT_NOFILE") {
      EXPECT_EQ(rl.hard, 200u);  // the container's wins
    }
    if (rl.type == "RLIMIT_NPROC") {
      EXPECT_EQ(rl.soft, 10u);
    }
  }
  bool has_ns_net = false, has_hosts = false, shm_ok = false;
  for (const auto& ns : spec->linux->namespaces) has_ns_net |= ns.type == "network";
  for (const auto& m : spec->mounts) {
    has_hosts |= m.destination == "/etc/hosts" && m.source == "/tmp/hosts";
    if (m.destination == "/dev/shm") shm_ok = contains(m.options, "size=67108864");
  }
  EXPECT_TRUE(has_ns_net);
  EXPECT_TRUE(has_hosts);
  EXPECT_TRUE(shm_ok);
}

TEST(ContainerSpecTest, PrivilegedReadonlyBindsHostNetwork) {
  Container c = baseContainer();
  c.HostConfig.Privileged = true;
  c.HostConfig.ReadonlyRootfs = true;
  c.HostConfig.NetworkMode = "host";
  c.HostConfig.Binds = {"/tmp:/data:ro"};
  auto spec = buildContainerSpec(c, SpecInputs{"/rootfs", {}, {}});
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_TRUE(spec->root->readonly);
  EXPECT_FALSE(spec->linux->seccomp.has_value());
  EXPECT_TRUE(spec->linux->maskedPaths.empty());
  EXPECT_EQ(spec->process->capabilities->bounding.size(), sys::boundingCapabilities().size());
  for (const auto& ns : spec->linux->namespaces) EXPECT_NE(ns.type, "network");
  bool bind = false;
  for (const auto& m : spec->mounts) {
    if (m.destination == "/data") {
      bind = m.source == "/tmp" && contains(m.options, "ro") && contains(m.options, "rbind");
    }
    if (m.destination == "/sys") {
      EXPECT_FALSE(contains(m.options, "ro"));
    }
  }
  EXPECT_TRUE(bind);
}

TEST(ContainerSpecTest, CapabilitiesAndErrors) {
  ContainerHostConfig hc;
  hc.CapAdd = {"net_admin"};
  hc.CapDrop = {"CAP_CHOWN"};
  auto caps = containerCapabilities(hc);
  ASSERT_TRUE(caps.ok());
  EXPECT_TRUE(contains(*caps, "CAP_NET_ADMIN"));
  EXPECT_FALSE(contains(*caps, "CAP_CHOWN"));
  hc.CapAdd = {"CAP_KILL"};
  hc.CapDrop = {"ALL"};
  EXPECT_EQ(*containerCapabilities(hc), std::vector<std::string>{"CAP_KILL"});
  hc.CapAdd = {"CAP_BOGUS"};
  EXPECT_FALSE(containerCapabilities(hc).ok());

  EXPECT_FALSE(parseBind("relative:/x").ok());
  EXPECT_FALSE(parseBind("/a:rel").ok());
  EXPECT_FALSE(parseBind("/a:/b:bogus").ok());
  EXPECT_EQ(rlimitTypeOf("nofile").valueOr(""), "RLIMIT_NOFILE");
  EXPECT_FALSE(rlimitTypeOf("bogus").ok());
  ContainerHostConfig small;
  small.Memory = 1024;
  EXPECT_FALSE(validateResources(&small).ok());
  ContainerHostConfig conflict;
  conflict.NanoCpus = 1000000000;
  conflict.CpuQuota = 50000;
  EXPECT_FALSE(validateResources(&conflict).ok());
}

TEST(CreateRequestTest, UnsupportedFieldsAndNetworkModes) {
  auto ok = parseCreateRequest(R"({"Image":"busybox","Cmd":["echo"],"Entrypoint":[""],
      "Volumes":{},"OnBuild":null,"HostConfig":{"NetworkMode":"none","RestartPolicy":
      {"Name":"no","MaximumRetryCount":0},"MemorySwappiness":-1,"Devices":[],"Dns":[],
      "ConsoleSize":[40,120],"Binds":null},"NetworkingConfig":{"EndpointsConfig":{"none":{}}}})");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_TRUE(ok->config.Entrypoint && ok->config.Entrypoint->empty());
  EXPECT_EQ(ok->host_config.NetworkMode, "none");

  auto devices = parseCreateRequest(
      R"({"Image":"b","HostConfig":{"NetworkMode":"none","Devices":[{"PathOnHost":"/dev/x"}]}})");
  ASSERT_FALSE(devices.ok());
  EXPECT_EQ(devices.error().message(), "HostConfig.Devices is not supported yet");
  auto health = parseCreateRequest(
      R"({"Image":"b","Healthcheck":{"Test":["CMD","true"]},"HostConfig":{"NetworkMode":"none"}})");
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.error().message(), "Config.Healthcheck is not supported yet");
  auto bridge = parseCreateRequest(R"({"Image":"b","HostConfig":{"NetworkMode":"default"},
      "NetworkingConfig":{"EndpointsConfig":{"n1":{"IPAMConfig":{"IPv4Address":"10.1.2.3"},
      "Aliases":["web"]}}}})");
  ASSERT_TRUE(bridge.ok()) << bridge.error().message();
  ASSERT_EQ(bridge->endpoints.count("n1"), 1u);
  EXPECT_EQ(bridge->endpoints["n1"].IPAMConfig->IPv4Address, "10.1.2.3");
  EXPECT_EQ(bridge->endpoints["n1"].Aliases->at(0), "web");
  EXPECT_FALSE(parseCreateRequest(R"({"Image":"b","HostConfig":{"NetworkMode":"container:"}})"));
  auto two = parseCreateRequest(R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":
      {"a":{},"b":{}}}})");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message(), "Container cannot be connected to network endpoints: a, b");
  auto restart = parseCreateRequest(
      R"({"Image":"b","HostConfig":{"NetworkMode":"none","RestartPolicy":{"Name":"always"}}})");
  EXPECT_FALSE(restart.ok());
  auto volumes = parseCreateRequest(
      R"({"Image":"b","Volumes":{"/v":{}},"HostConfig":{"NetworkMode":"host"}})");
  EXPECT_FALSE(volumes.ok());
}

TEST(ContainerRecordTest, RoundTripAndTimes) {
  Container c = baseContainer();
  c.Name = "/x";
  c.Config.Cmd = std::vector<std::string>{"a"};
  c.HostConfig.PidsLimit = 7;
  auto back = parseContainerJson(containerToJson(c, 5, 6));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->Name, "/x");
  EXPECT_EQ(*back->Config.Cmd, std::vector<std::string>{"a"});
  EXPECT_FALSE(back->Config.Entrypoint.has_value());
  EXPECT_EQ(*back->HostConfig.PidsLimit, 7);
  auto t = parseRfc3339Nano("2024-01-02T03:04:05.5Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(formatRfc3339Nano(*t), "2024-01-02T03:04:05.5Z");
  EXPECT_EQ(*parseRfc3339Nano("2024-01-02T04:04:05+01:00"), *t - 500000000);
  EXPECT_FALSE(parseRfc3339Nano("yesterday").has_value());
}

TEST(FiltersTest, ParseAndMatch) {
  auto f = parseFilters(R"({"status":["exited"],"label":{"a=b":true}})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)["status"], std::vector<std::string>{"exited"});
  EXPECT_EQ((*f)["label"], std::vector<std::string>{"a=b"});
  EXPECT_FALSE(parseFilters("{bad").ok());
  auto bad_key = parseFilters(R"({"nope":["x"]})", {"status"});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().message(), "invalid filter 'nope'");
  EXPECT_TRUE(labelsMatch({"a=b", "c"}, {{"a", "b"}, {"c", "d"}}));
  EXPECT_FALSE(labelsMatch({"a=x"}, {{"a", "b"}}));
  EXPECT_EQ(parseUnixTimestamp("12.5").valueOr(0), 12500000000);
  EXPECT_FALSE(parseUnixTimestamp("x").ok());
}

TEST(LogReaderTest, ParseLine) {
  auto e = parseLogLine(R"({"log":"hi\n","stream":"stderr","time":"2024-01-01T00:00:00Z"})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->stream, 2);
  EXPECT_EQ(e->log, "hi\n");
  EXPECT_FALSE(parseLogLine("garbage").has_value());
}

}  // namespace
}  // namespace berth::daemon
