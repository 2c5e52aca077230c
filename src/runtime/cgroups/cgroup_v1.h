#pragma once
// The cgroup v1 driver: one directory per hierarchy (memory, cpu, cpuset, ...), resources
// written to each controller's files as runc's fs driver does. Internal to berth_cgroups; the
// runtime uses CgroupManager and makeManager().

#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroups/cgroup_manager.h"

namespace berth::runtime::cgroups {

// One mounted v1 hierarchy.
struct V1Hierarchy {
  std::vector<std::string> controllers;  // {"cpu", "cpuacct"}, or {"name=systemd"}
  std::string mount_point;               // "/sys/fs/cgroup/cpu,cpuacct"
  std::string mount_root = "/";          // the cgroup shown at mount_point (mountinfo "root")
};

// The text of a mountinfo file. /proc/self/mountinfo lists every mount of the namespace: with
// hundreds of containers' overlay mounts the kernel spends milliseconds formatting it, and
// creating a container looks at it several times, so the real file is read at most once a
// second per process (the cgroup mounts it is read for do not change under a running engine).
// Other paths (tests' fake files) are always read. Thread-safe.
Result<std::string> readMountinfo(const std::string& path);

// The v1 hierarchies at or below roots.mount_root: the "cgroup" mounts in roots.mountinfo, or,
// when there are none there (a test tree), the subdirectories of mount_root (symlinks and v2
// directories skipped), each named by its comma-separated controllers. Empty when none.
Result<std::vector<V1Hierarchy>> findV1Hierarchies(const CgroupRoots& roots);

class CgroupV1Manager final : public CgroupManager {
 public:
  // One member of the cgroup: a hierarchy and the cgroup's path in it ("/berth/abc").
  struct Member {
    V1Hierarchy hierarchy;
    std::string path;
    std::string dir() const { return hierarchy.mount_point + path; }
  };

  // REQUIRES: members non-empty; paths normalised (no ".."), not the hierarchy root.
  // `path` is what path() reports.
  CgroupV1Manager(std::vector<Member> members, std::string path);

  Version version() const override { return Version::kV1; }
  Result<void> create() override;
  Result<void> setResources(const oci::LinuxResources& resources) override;
  Result<void> addProcess(pid_t pid) override;
  Result<UniqueFd> openForClone() override { return UniqueFd(); }
  Result<void> freeze() override;
  Result<void> thaw() override;
  Result<bool> isFrozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<CgroupStats> stats() override;
  Result<void> killAll(int sig) override;
  Result<void> destroy() override;
  const std::string& path() const override { return path_; }

  // The cgroup's directory in the hierarchy holding `controller`, or NotFound
  // "<what>: <controller> cgroup is not mounted".
  Result<std::string> dirFor(std::string_view controller, std::string_view what) const;

 private:
  const Member* memberFor(std::string_view controller) const;
  Result<void> createMember(const Member& member);
  Result<void> setMemory(const oci::LinuxMemory& memory);
  Result<void> setCpu(const oci::LinuxCPU& cpu);
  Result<void> setBlockIo(const oci::LinuxBlockIO& blkio);
  Result<void> setDevices(const std::vector<oci::LinuxDeviceCgroup>& devices);
  Result<void> setHugetlb(const std::vector<oci::LinuxHugepageLimit>& limits);
  Result<void> setNetwork(const oci::LinuxNetwork& network);
  Result<void> setRdma(const std::map<std::string, oci::LinuxRdma>& rdma);
  Result<void> setFreezerState(std::string_view state);

  std::vector<Member> members_;
  std::string path_;
};

// The devices.allow / devices.deny line for one rule ("c 1:3 rwm", "a *:* rwm").
Result<std::string> deviceRuleLine(const oci::LinuxDeviceCgroup& rule);

}  // namespace berth::runtime::cgroups
