#include "runtime/cgroups/device_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cstring>

#include "base/file_util.h"
#include "base/scope_guard.h"

namespace berth::runtime::cgroups {
namespace {

using Rule = oci::LinuxDeviceCgroup;

bool allowed(const std::vector<BpfInsn>& prog, char type, uint32_t major, uint32_t minor,
             const std::string& access) {
  auto r = evaluateDeviceFilter(prog, type, major, minor, access);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() && *r;
}

// Docker's default device rules: deny all, then the usual character devices.
std::vector<Rule> dockerRules() {
  return {
      {false, "a", std::nullopt, std::nullopt, "rwm"},
      {true, "c", 1, 3, "rwm"},    // /dev/null
      {true, "c", 1, 5, "rwm"},    // /dev/zero
      {true, "c", 5, 0, "rwm"},    // /dev/tty
      {true, "c", 136, std::nullopt, "rwm"},  // /dev/pts/*
      {true, "c", std::nullopt, std::nullopt, "m"},  // mknod of any char device
      {false, "c", 10, 200, "rwm"},  // /dev/net/tun
  };
}

TEST(DeviceFilterTest, DockerDefaultRules) {
  auto prog = buildDeviceFilter(dockerRules());
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_TRUE(allowed(*prog, 'c', 1, 3, "rw"));
  EXPECT_TRUE(allowed(*prog, 'c', 136, 7, "rw"));
  EXPECT_FALSE(allowed(*prog, 'c', 1, 1, "r"));    // /dev/mem
  EXPECT_FALSE(allowed(*prog, 'b', 8, 0, "r"));    // a disk
  EXPECT_TRUE(allowed(*prog, 'c', 4, 1, "m"));     // mknod of a char device
  EXPECT_FALSE(allowed(*prog, 'c', 4, 1, "r"));    // but not reading it
  EXPECT_FALSE(allowed(*prog, 'b', 8, 0, "m"));    // nor mknod of a block device
  EXPECT_FALSE(allowed(*prog, 'c', 10, 200, "m"));  // the later deny wins
}

TEST(DeviceFilterTest, AccessSubsetsAndOrder) {
  std::vector<Rule> rules = {
      {false, "a", std::nullopt, std::nullopt, "rwm"},
      {true, "c", 1, 9, "r"},
  };
  auto prog = buildDeviceFilter(rules);
  ASSERT_TRUE(prog.ok());
  EXPECT_TRUE(allowed(*prog, 'c', 1, 9, "r"));
  EXPECT_FALSE(allowed(*prog, 'c', 1, 9, "rw"));  // an allow grants only what it names
  EXPECT_FALSE(allowed(*prog, 'c', 1, 9, "w"));

  // Allow all, then deny writes to one device.
  rules = {{true, "a", std::nullopt, std::nullopt, "rwm"}, {false, "b", 8, std::nullopt, "w"}};
  prog = buildDeviceFilter(rules);
  ASSERT_TRUE(prog.ok());
  EXPECT_TRUE(allowed(*prog, 'b', 8, 1, "r"));
  EXPECT_FALSE(allowed(*prog, 'b', 8, 1, "rw"));  // a deny matches any bit it names
  EXPECT_TRUE(allowed(*prog, 'c', 8, 1, "rw"));
  // No rules: everything allowed (a fresh v1 cgroup); empty access means rwm.
  prog = buildDeviceFilter({});
  ASSERT_TRUE(prog.ok());
  EXPECT_TRUE(allowed(*prog, 'b', 1, 1, "rwm"));
  prog = buildDeviceFilter({{false, "", std::nullopt, std::nullopt, ""}});
  ASSERT_TRUE(prog.ok());
  EXPECT_FALSE(allowed(*prog, 'c', 1, 3, "r"));
}

TEST(DeviceFilterTest, BadRulesAreErrors) {
  EXPECT_FALSE(buildDeviceFilter({{true, "x", 1, 1, "r"}}).ok());
  EXPECT_FALSE(buildDeviceFilter({{true, "c", 1, 1, "rq"}}).ok());
  EXPECT_FALSE(buildDeviceFilter({{true, "c", -5, 1, "r"}}).ok());
  EXPECT_TRUE(buildDeviceFilter({{true, "c", -1, -1, "r"}}).ok());  // -1 is the wildcard
}

bool isCgroup2(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// The kernel enforces it: a child in a v2 cgroup with the filter can open /dev/null but not
// /dev/zero, and a second apply replaces the rules. Uses the unified hierarchy (on a hybrid
// host, /sys/fs/cgroup/unified; the device filter needs no v2 controller).
TEST(DeviceFilterTest, KernelEnforcesTheFilter) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  std::string root = isCgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
                     : isCgroup2("/sys/fs/cgroup")     ? "/sys/fs/cgroup"
                                                       : "";
  if (root.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy mounted";
  std::string dir = root + "/berth-devfilter-test-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << std::strerror(errno);
  pid_t child = -1;
  int go[2] = {-1, -1};
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  ScopeGuard cleanup([&] {
    if (child > 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    ::close(go[0]);
    ::close(go[1]);
    ::rmdir(dir.c_str());
  });
  std::vector<Rule> rules = {{false, "a", std::nullopt, std::nullopt, "rwm"},
                             {true, "c", 1, 3, "rw"}};
  auto applied = applyDeviceFilter(dir, rules);
  ASSERT_TRUE(applied.ok()) << applied.error().message();

  // The child waits until it is in the cgroup, then reports: bit 0 /dev/null opened, bit 1
  // /dev/zero opened, bit 2 /dev/zero failed with EPERM.
  child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(100);
    int code = 0;
    int fd = ::open("/dev/null", O_RDWR);
    if (fd >= 0) code |= 1;
    int z = ::open("/dev/zero", O_RDONLY);
    if (z >= 0) code |= 2;
    if (z < 0 && errno == EPERM) code |= 4;
    ::_exit(code);
  }
  ASSERT_TRUE(writeFile(dir + "/cgroup.procs", std::to_string(child)).ok());
  // Replace the rules once (the update path): /dev/null stays, /dev/zero still denied.
  applied = applyDeviceFilter(dir, {{false, "a", std::nullopt, std::nullopt, "rwm"},
                                    {true, "c", 1, 3, "rwm"}});
  ASSERT_TRUE(applied.ok()) << applied.error().message();
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  child = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1 | 4);
}

}  // namespace
}  // namespace berth::runtime::cgroups
