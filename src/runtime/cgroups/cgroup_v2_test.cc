#include "runtime/cgroups/cgroup_v2.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "runtime/cgroups/cgroup_test_util.h"

namespace berth::runtime::cgroups {
namespace {

using testing::TempTree;
using testing::WriteRecorder;
using Writes = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAll = "cpuset cpu io memory hugetlb pids rdma misc\n";

// A unified tree: the root, /berth and /berth/abc with the files the kernel would show.
class V2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tree_.path() + "/cgroup";
    roots_.mount_root = root_;
    roots_.mountinfo = tree_.path() + "/mountinfo";
    roots_.self_cgroup = tree_.path() + "/self_cgroup";
    tree_.put("mountinfo", "");
    tree_.put("self_cgroup", "0::/user.slice/session\n");
    for (const char* dir : {"cgroup", "cgroup/berth"}) {
      tree_.put(std::string(dir) + "/cgroup.controllers", kAll);
      tree_.put(std::string(dir) + "/cgroup.subtree_control", "\n");
    }
    const std::string c = "cgroup/berth/abc/";
    tree_.put(c + "cgroup.controllers", kAll);
    tree_.put(c + "cgroup.subtree_control", "\n");
    tree_.put(c + "cgroup.procs", "");
    tree_.put(c + "cgroup.freeze", "0\n");
    tree_.put(c + "cgroup.events", "populated 0\nfrozen 0\n");
    for (const char* f :
         {"memory.max", "memory.low", "memory.swap.max", "memory.high", "cpu.max", "pids.max",
          "io.max", "hugetlb.2MB.max", "cpu.max.burst", "cpu.idle", "rdma.max"}) {
      tree_.put(c + f, "max\n");
    }
    tree_.put(c + "memory.current", "8192\n");
    tree_.put(c + "cpu.weight", "100\n");
    tree_.put(c + "io.weight", "default 100\n");
    tree_.put(c + "cpuset.cpus", "");
    tree_.put(c + "cpuset.mems", "");
    tree_.put(c + "pids.current", "2\n");
    tree_.put(c + "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  }

  std::unique_ptr<CgroupManager> manager(const std::string& path = "") {
    auto m = makeManager(Version::kV2, path, "abc", roots_);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
    return m.ok() ? std::move(*m) : nullptr;
  }
  std::string file(const std::string& name) { return tree_.read("cgroup/berth/abc/" + name); }
  static std::string c(const std::string& name) { return "berth/abc/" + name; }

  TempTree tree_;
  std::string root_;
  CgroupRoots roots_;
};

TEST(V2Conversions, CpuSharesToWeight) {
  EXPECT_EQ(cpuSharesToWeight(2), 1u);
  EXPECT_EQ(cpuSharesToWeight(1024), 39u);
  EXPECT_EQ(cpuSharesToWeight(512), 20u);
  EXPECT_EQ(cpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(cpuSharesToWeight(1), 1u);            // clamped to 2
  EXPECT_EQ(cpuSharesToWeight(1000000), 10000u);  // clamped to 262144
}

TEST(V2Conversions, BlkioWeightToIoWeight) {
  EXPECT_EQ(blkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(blkioWeightToIoWeight(500), 4950u);
  EXPECT_EQ(blkioWeightToIoWeight(1000), 10000u);
}

TEST(V2Conversions, SwapMax) {
  constexpr int64_t kM = 1 << 20;
  EXPECT_EQ(*swapMaxValue(64 * kM, 128 * kM), std::optional<std::string>("67108864"));
  EXPECT_EQ(*swapMaxValue(64 * kM, 64 * kM), std::optional<std::string>("0"));
  EXPECT_EQ(*swapMaxValue(64 * kM, -1), std::optional<std::string>("max"));
  EXPECT_EQ(*swapMaxValue(-1, std::nullopt), std::optional<std::string>("max"));
  EXPECT_EQ(*swapMaxValue(64 * kM, std::nullopt), std::optional<std::string>());
  EXPECT_EQ(*swapMaxValue(std::nullopt, std::nullopt), std::optional<std::string>());
  EXPECT_FALSE(swapMaxValue(std::nullopt, 128 * kM).ok());
  EXPECT_FALSE(swapMaxValue(128 * kM, 64 * kM).ok());
}

TEST_F(V2Test, DetectsV2ByControllersFile) {
  auto version = detectVersion(roots_);
  ASSERT_TRUE(version.ok()) << version.error().message();
  EXPECT_EQ(*version, Version::kV2);
  auto m = makeManager("", "abc", roots_);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->version(), Version::kV2);
}

TEST_F(V2Test, PathRules) {
  auto m = manager();
  EXPECT_EQ(m->path(), "/berth/abc");
  EXPECT_EQ(static_cast<CgroupV2Manager&>(*m).dir(), root_ + "/berth/abc");
  auto relative = manager("ctr");
  EXPECT_EQ(relative->path(), "/user.slice/session/ctr");
  auto dotdot = makeManager(Version::kV2, "a/../../b", "abc", roots_);
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.error().code(), ErrorCode::kInvalidArgument);
  auto systemd = makeManager(Version::kV2, "system.slice:berth:abc", "abc", roots_);
  ASSERT_FALSE(systemd.ok());
  EXPECT_EQ(systemd.error().code(), ErrorCode::kNotImplemented);
}

TEST_F(V2Test, CreateEnablesAvailableControllersInAncestors) {
  tree_.put("cgroup/cgroup.controllers", "cpu memory pids misc\n");
  auto m = manager();
  WriteRecorder writes(root_);
  ASSERT_TRUE(m->create().ok());
  EXPECT_EQ(writes.to("subtree_control"),
            (Writes{{"cgroup.subtree_control", "+memory +pids +cpu"},
                    {"berth/cgroup.subtree_control", "+memory +pids +cpu +io +cpuset +hugetlb"}}));
  // Already enabled: nothing to write.
  tree_.put("cgroup/cgroup.subtree_control", "cpu memory pids\n");
  tree_.put("cgroup/berth/cgroup.subtree_control", "cpuset cpu io memory hugetlb pids\n");
  writes.clear();
  ASSERT_TRUE(m->create().ok());
  EXPECT_TRUE(writes.writes().empty());
}

TEST_F(V2Test, CreateMakesDirectories) {
  auto m = manager("/new/ctr");
  tree_.put("cgroup/new/cgroup.controllers", kAll);  // what the kernel shows after mkdir
  tree_.put("cgroup/new/cgroup.subtree_control", "");
  ASSERT_TRUE(m->create().ok());
  EXPECT_TRUE(tree_.exists("cgroup/new/ctr"));
}

TEST_F(V2Test, ResourceMapping) {
  auto m = manager();
  WriteRecorder writes(root_);
  oci::LinuxResources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  r.memory->reservation = 32 << 20;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  r.pids = oci::LinuxPids{20};
  r.blockIO.emplace();
  r.blockIO->weight = 500;
  r.blockIO->weightDevice.push_back({8, 0, uint16_t{1000}, std::nullopt});
  r.blockIO->throttleReadBpsDevice.push_back({8, 0, 1048576});
  r.blockIO->throttleWriteIOPSDevice.push_back({8, 0, 100});
  r.blockIO->throttleReadBpsDevice.push_back({8, 16, 5});
  r.hugepageLimits.push_back({"2MB", 4194304});
  r.rdma["mlx4_0"] = oci::LinuxRdma{10, std::nullopt};
  r.unified["memory.high"] = "50M";
  ASSERT_TRUE(m->setResources(r).ok());
  EXPECT_EQ(writes.writes(), (Writes{{c("memory.swap.max"), "67108864"},
                                     {c("memory.max"), "67108864"},
                                     {c("memory.low"), "33554432"},
                                     {c("cpu.weight"), "39"},
                                     {c("cpu.max"), "50000 100000"},
                                     {c("cpuset.cpus"), "0-1"},
                                     {c("cpuset.mems"), "0"},
                                     {c("pids.max"), "20"},
                                     {c("io.weight"), "4950"},
                                     {c("io.weight"), "8:0 10000"},
                                     {c("io.max"), "8:0 rbps=1048576 wiops=100"},
                                     {c("io.max"), "8:16 rbps=5"},
                                     {c("hugetlb.2MB.max"), "4194304"},
                                     {c("rdma.max"), "mlx4_0 hca_handle=10"},
                                     {c("memory.high"), "50M"}}));
  EXPECT_EQ(file("memory.max"), "67108864");
}

TEST_F(V2Test, CpuMaxForms) {
  auto m = manager();
  oci::LinuxResources r;
  r.cpu.emplace();
  r.cpu->quota = -1;
  r.cpu->period = 100000;
  ASSERT_TRUE(m->setResources(r).ok());
  EXPECT_EQ(file("cpu.max"), "max 100000");
  r.cpu->period.reset();
  r.cpu->quota = 20000;
  ASSERT_TRUE(m->setResources(r).ok());
  EXPECT_EQ(file("cpu.max"), "20000");
}

TEST_F(V2Test, MemoryUnlimitedAndPidsMax) {
  auto m = manager();
  oci::LinuxResources r;
  r.memory.emplace();
  r.memory->limit = -1;
  r.pids = oci::LinuxPids{-1};
  tree_.put("cgroup/berth/abc/memory.swap.max", "0\n");
  ASSERT_TRUE(m->setResources(r).ok());
  EXPECT_EQ(file("memory.max"), "max");
  EXPECT_EQ(file("memory.swap.max"), "max");
  EXPECT_EQ(file("pids.max"), "max");
}

TEST_F(V2Test, UnsupportedFieldsChangeNothing) {
  auto m = manager();
  WriteRecorder writes(root_);
  auto expectError = [&](const oci::LinuxResources& r, ErrorCode code, const std::string& text) {
    auto result = m->setResources(r);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.error().code(), code) << result.error().message();
    EXPECT_NE(result.error().message().find(text), std::string::npos) << result.error().message();
  };
  oci::LinuxResources r;
  r.pids = oci::LinuxPids{5};  // valid, but must not be written when another field fails
  r.memory.emplace();
  r.memory->swappiness = 10;
  expectError(r, ErrorCode::kInvalidArgument, "swappiness is not supported on cgroup v2");
  r.memory.reset();
  r.devices.push_back({false, "x", std::nullopt, std::nullopt, "rwm"});
  expectError(r, ErrorCode::kInvalidArgument, "device rule type \"x\": expected a, b or c");
  r.devices.clear();
  r.unified["../memory.max"] = "1";
  expectError(r, ErrorCode::kInvalidArgument, "not a cgroup file name");
  r.unified.clear();
  r.unified["memory.oom.group"] = "1";
  expectError(r, ErrorCode::kNotFound, "memory.oom.group does not exist");
  r.unified.clear();
  r.network.emplace();
  r.network->classID = 1;
  expectError(r, ErrorCode::kInvalidArgument, "need cgroup v1");
  r.network.reset();
  r.cpu.emplace();
  r.cpu->realtimeRuntime = 1000;
  expectError(r, ErrorCode::kInvalidArgument, "realtime");
  EXPECT_TRUE(writes.writes().empty());
}

TEST_F(V2Test, MissingControllerFilesAreNamed) {
  ASSERT_EQ(::unlink((root_ + "/berth/abc/memory.max").c_str()), 0);
  ASSERT_EQ(::unlink((root_ + "/berth/abc/memory.swap.max").c_str()), 0);
  auto m = manager();
  oci::LinuxResources r;
  r.memory.emplace();
  r.memory->limit = 1 << 20;
  auto no_memory = m->setResources(r);
  ASSERT_FALSE(no_memory.ok());
  EXPECT_EQ(no_memory.error().message(), "memory limit: " + root_ +
                                             "/berth/abc/memory.max does not exist (memory "
                                             "controller not enabled)");
  r.memory->swap = 2 << 20;
  auto no_swap = m->setResources(r);
  ASSERT_FALSE(no_swap.ok());
  EXPECT_NE(
      no_swap.error().message().find("swap limit not supported: kernel lacks swap accounting"),
      std::string::npos);
  // Unlimited swap without swap accounting is fine.
  tree_.put("cgroup/berth/abc/memory.max", "max\n");
  r.memory->swap = -1;
  EXPECT_TRUE(m->setResources(r).ok());

  oci::LinuxResources h;
  h.hugepageLimits.push_back({"1GB", 1 << 30});
  auto no_page = m->setResources(h);
  ASSERT_FALSE(no_page.ok());
  EXPECT_NE(no_page.error().message().find("page size 1GB"), std::string::npos);
}

TEST_F(V2Test, FreezeThawFollowEvents) {
  auto m = manager();
  tree_.put("cgroup/berth/abc/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(m->freeze().ok());
  EXPECT_EQ(file("cgroup.freeze"), "1");
  EXPECT_TRUE(*m->isFrozen());
  tree_.put("cgroup/berth/abc/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_TRUE(m->thaw().ok());
  EXPECT_EQ(file("cgroup.freeze"), "0");
  EXPECT_FALSE(*m->isFrozen());
}

TEST_F(V2Test, KillUsesCgroupKillForSigkill) {
  tree_.put("cgroup/berth/abc/cgroup.kill", "");
  auto m = manager();
  WriteRecorder writes(root_);
  ASSERT_TRUE(m->killAll(SIGKILL).ok());
  EXPECT_EQ(writes.writes(), (Writes{{c("cgroup.kill"), "1"}}));
}

TEST_F(V2Test, PidsStatsAndCloneFd) {
  tree_.put("cgroup/berth/abc/cgroup.procs", "7\n");
  tree_.put("cgroup/berth/abc/child/cgroup.procs", "8\n9\n");
  auto m = manager();
  EXPECT_EQ(*m->pids(), (std::vector<pid_t>{7, 8, 9}));
  auto s = m->stats();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory_usage, 8192u);
  EXPECT_EQ(s->memory_limit, 0u);
  EXPECT_EQ(s->pids_current, 2u);
  EXPECT_EQ(s->cpu_usage_ns, 1500000u);
  auto fd = m->openForClone();
  ASSERT_TRUE(fd.ok());
  struct stat st {};
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(V2Test, DestroyRemovesNestedAndIgnoresMissing) {
  tree_.mkdir("cgroup/gone/a/b");
  auto m = manager("/gone");
  ASSERT_TRUE(m->destroy().ok());
  EXPECT_FALSE(tree_.exists("cgroup/gone"));
  EXPECT_TRUE(m->destroy().ok());
}

}  // namespace
}  // namespace berth::runtime::cgroups

namespace berth::runtime::cgroups {
namespace {

TEST(RemoveIfEmpty, RemovesOnlyAnEmptyParent) {
  TempTree tree;
  tree.put("cgroup.controllers", "cpu memory pids\n");
  ASSERT_TRUE(makeDirs(tree.path() + "/berth/abc").ok());
  CgroupRoots roots;
  roots.mount_root = tree.path();
  removeIfEmpty("/berth", roots);
  EXPECT_TRUE(pathExists(tree.path() + "/berth/abc")) << "a parent with a child must stay";
  ASSERT_EQ(::rmdir((tree.path() + "/berth/abc").c_str()), 0);
  removeIfEmpty("/berth", roots);
  EXPECT_FALSE(pathExists(tree.path() + "/berth"));
  removeIfEmpty("/berth", roots);  // missing: nothing to do, no error
}

}  // namespace
}  // namespace berth::runtime::cgroups
