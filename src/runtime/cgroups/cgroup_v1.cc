#include "runtime/cgroups/cgroup_v1.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "base/strings.h"
#include "runtime/cgroups/cgroup_fs.h"

namespace berth::runtime::cgroups {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kMemoryLimit = "memory.limit_in_bytes";
constexpr std::string_view kMemswLimit = "memory.memsw.limit_in_bytes";
// v1 reports "no limit" as PAGE_COUNTER_MAX pages, a value near INT64_MAX.
constexpr uint64_t kV1UnlimitedThreshold = uint64_t{1} << 62;
constexpr auto kFreezeTimeout = 5s;

// Mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeMountField(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const char a = field[i + 1], b = field[i + 2], c = field[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool isUnder(const std::string& path, const std::string& root) {
  if (path == root) return true;
  std::string prefix = root;
  if (prefix.empty() || prefix.back() != '/') prefix.push_back('/');
  return path.compare(0, prefix.size(), prefix) == 0;
}

// "36 35 98:0 /root /mnt rw,relatime shared:1 - cgroup cgroup rw,cpu,cpuacct"
Result<std::vector<V1Hierarchy>> hierarchiesFromMountinfo(const CgroupRoots& roots) {
  BERTH_TRY(std::string content, readMountinfo(roots.mountinfo));
  std::vector<V1Hierarchy> result;
  std::set<std::string> seen;
  for (const std::string& line : split(content, '\n')) {
    std::vector<std::string> fields;
    for (const std::string& f : split(line, ' ')) {
      if (!f.empty()) fields.push_back(f);
    }
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 3 >= fields.size()) continue;
    if (fields[dash + 1] != "cgroup") continue;
    std::string mount_point = unescapeMountField(fields[4]);
    if (!isUnder(mount_point, roots.mount_root)) continue;
    if (!seen.insert(mount_point).second) continue;  // the same mount listed twice
    V1Hierarchy h;
    h.mount_point = mount_point;
    h.mount_root = unescapeMountField(fields[3]);
    for (const std::string& option : split(fields[dash + 3], ',')) {
      if (option == "rw" || option == "ro" || option.empty()) continue;
      // Super options besides controllers ("xattr", "clone_children", "noprefix",
      // "release_agent=...") are not hierarchies; named hierarchies are "name=...".
      if (option == "xattr" || option == "clone_children" || option == "noprefix" ||
          option == "cpuset_v2_mode" || option.starts_with("release_agent=")) {
        continue;
      }
      h.controllers.push_back(option);
    }
    if (!h.controllers.empty()) result.push_back(std::move(h));
  }
  return result;
}

// A test tree: every real subdirectory of mount_root without cgroup.controllers.
Result<std::vector<V1Hierarchy>> hierarchiesFromDirectory(const CgroupRoots& roots) {
  DIR* d = ::opendir(roots.mount_root.c_str());
  if (d == nullptr) return errnoError("open cgroup root " + roots.mount_root);
  std::vector<V1Hierarchy> result;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = roots.mount_root + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (fileExists(path, "cgroup.controllers")) continue;  // a v2 mount ("unified")
    V1Hierarchy h;
    h.mount_point = path;
    h.controllers = split(name, ',');
    result.push_back(std::move(h));
  }
  ::closedir(d);
  return result;
}

std::string limitString(int64_t value) {
  return std::to_string(value < 0 ? -1 : value);
}

std::string rdmaLine(const std::string& device, const oci::LinuxRdma& rdma) {
  std::string line = device;
  if (rdma.hcaHandles) line += " hca_handle=" + std::to_string(*rdma.hcaHandles);
  if (rdma.hcaObjects) line += " hca_object=" + std::to_string(*rdma.hcaObjects);
  return line;
}

std::string devNumber(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace

Result<std::string> readMountinfo(const std::string& path) {
  if (path != "/proc/self/mountinfo") return readTextFile(path);
  constexpr auto kMaxAge = 1s;
  static std::mutex mu;
  static std::string cached;
  static std::chrono::steady_clock::time_point read_at;
  static bool valid = false;
  std::lock_guard lock(mu);
  auto now = std::chrono::steady_clock::now();
  if (!valid || now - read_at > kMaxAge) {
    BERTH_TRY(cached, readTextFile(path));
    read_at = now;
    valid = true;
  }
  return cached;
}

Result<std::vector<V1Hierarchy>> findV1Hierarchies(const CgroupRoots& roots) {
  BERTH_TRY(std::vector<V1Hierarchy> mounted, hierarchiesFromMountinfo(roots));
  if (!mounted.empty()) return mounted;
  return hierarchiesFromDirectory(roots);
}

Result<std::string> deviceRuleLine(const oci::LinuxDeviceCgroup& rule) {
  std::string type = rule.type.empty() ? "a" : rule.type;
  if (type != "a" && type != "b" && type != "c") {
    return invalidArgument("device cgroup rule: bad type \"" + rule.type + "\" (want a, b or c)");
  }
  std::string access = rule.access.empty() ? "rwm" : rule.access;
  for (char c : access) {
    if (c != 'r' && c != 'w' && c != 'm') {
      return invalidArgument("device cgroup rule: bad access \"" + rule.access +
                             "\" (want letters of rwm)");
    }
  }
  auto number = [](const std::optional<int64_t>& n) {
    return n && *n >= 0 ? std::to_string(*n) : std::string("*");
  };
  return type + " " + number(rule.major) + ":" + number(rule.minor) + " " + access;
}

CgroupV1Manager::CgroupV1Manager(std::vector<Member> members, std::string path)
    : members_(std::move(members)), path_(std::move(path)) {}

const CgroupV1Manager::Member* CgroupV1Manager::memberFor(std::string_view controller) const {
  for (const Member& m : members_) {
    for (const std::string& c : m.hierarchy.controllers) {
      if (c == controller) return &m;
    }
  }
  return nullptr;
}

Result<std::string> CgroupV1Manager::dirFor(std::string_view controller,
                                            std::string_view what) const {
  const Member* m = memberFor(controller);
  if (m == nullptr) {
    return notFound(std::string(what) + ": " + std::string(controller) + " cgroup is not mounted");
  }
  return m->dir();
}

Result<void> CgroupV1Manager::createMember(const Member& member) {
  const bool cpuset = memberFor("cpuset") == &member;
  std::string dir = member.hierarchy.mount_point;
  for (const std::string& part : split(member.path, '/')) {
    if (part.empty()) continue;
    const std::string parent = dir;
    dir += "/" + part;
    BERTH_TRY_VOID(makeCgroupDir(dir));
    if (!cpuset) continue;
    // A new cpuset cgroup starts with empty cpus and mems and cannot take tasks until they are
    // set; inherit the parent's.
    for (std::string_view file : {"cpuset.cpus", "cpuset.mems"}) {
      BERTH_TRY(std::string current, readCgroupValue(dir, file));
      if (!current.empty()) continue;
      BERTH_TRY(std::string inherited, readCgroupValue(parent, file));
      BERTH_TRY_VOID(writeCgroupFile(dir, file, inherited));
    }
  }
  return {};
}

Result<void> CgroupV1Manager::create() {
  for (const Member& m : members_) BERTH_TRY_VOID(createMember(m));
  return {};
}

Result<void> CgroupV1Manager::setResources(const oci::LinuxResources& r) {
  if (!r.unified.empty()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : r.unified) keys.push_back(key);
    return invalidArgument("unified resources need cgroup v2 (this machine uses cgroup v1): " +
                           join(keys, ", "));
  }
  if (r.memory) BERTH_TRY_VOID(setMemory(*r.memory));
  if (r.cpu) BERTH_TRY_VOID(setCpu(*r.cpu));
  if (r.pids) {
    BERTH_TRY(std::string dir, dirFor("pids", "pids limit"));
    BERTH_TRY_VOID(writeCgroupFile(dir, "pids.max",
                                   r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  }
  if (r.blockIO) BERTH_TRY_VOID(setBlockIo(*r.blockIO));
  if (!r.devices.empty()) BERTH_TRY_VOID(setDevices(r.devices));
  if (!r.hugepageLimits.empty()) BERTH_TRY_VOID(setHugetlb(r.hugepageLimits));
  if (r.network) BERTH_TRY_VOID(setNetwork(*r.network));
  if (!r.rdma.empty()) BERTH_TRY_VOID(setRdma(r.rdma));
  return {};
}

Result<void> CgroupV1Manager::setMemory(const oci::LinuxMemory& m) {
  BERTH_TRY(std::string dir, dirFor("memory", "memory limits"));
  // 0 means "not set" for the limits, as in runc.
  auto given = [](const std::optional<int64_t>& v) { return v && *v != 0; };
  std::optional<int64_t> limit = given(m.limit) ? m.limit : std::nullopt;
  std::optional<int64_t> swap = given(m.swap) ? m.swap : std::nullopt;

  if (m.checkBeforeUpdate.value_or(false) && limit && *limit > 0) {
    BERTH_TRY(uint64_t usage, readCgroupUint(dir, "memory.usage_in_bytes"));
    if (usage > static_cast<uint64_t>(*limit)) {
      return invalidArgument("memory limit " + std::to_string(*limit) +
                             " is below the current usage " + std::to_string(usage));
    }
  }
  // Unlimited memory with swap unset: lift the swap limit too, or the kernel refuses the memory
  // limit above the old memory+swap limit.
  if (limit && *limit < 0 && !swap && fileExists(dir, kMemswLimit)) swap = -1;
  if (swap) {
    if (!fileExists(dir, kMemswLimit)) {
      return Error(ErrorCode::kNotImplemented,
                   "memory swap limit " + std::to_string(*swap) +
                       ": swap limit not supported: kernel lacks swap accounting (no " +
                       filePath(dir, kMemswLimit) + ")",
                   ENOENT);
    }
    if (limit && *limit > 0 && *swap > 0 && *swap < *limit) {
      return invalidArgument("memory+swap limit " + std::to_string(*swap) +
                             " is below the memory limit " + std::to_string(*limit));
    }
  }
  // The kernel keeps memory.limit <= memory.memsw.limit at every step: when the new memsw limit
  // is above the current memory limit, raise memsw first; otherwise lower the memory limit first.
  if (limit && swap) {
    BERTH_TRY(uint64_t current, readCgroupUint(dir, kMemoryLimit));
    if (*swap < 0 || current < static_cast<uint64_t>(*swap)) {
      BERTH_TRY_VOID(writeCgroupFile(dir, kMemswLimit, limitString(*swap)));
      BERTH_TRY_VOID(writeCgroupFile(dir, kMemoryLimit, limitString(*limit)));
    } else {
      BERTH_TRY_VOID(writeCgroupFile(dir, kMemoryLimit, limitString(*limit)));
      BERTH_TRY_VOID(writeCgroupFile(dir, kMemswLimit, limitString(*swap)));
    }
  } else if (limit) {
    BERTH_TRY_VOID(writeCgroupFile(dir, kMemoryLimit, limitString(*limit)));
  } else if (swap) {
    BERTH_TRY_VOID(writeCgroupFile(dir, kMemswLimit, limitString(*swap)));
  }

  if (given(m.reservation)) {
    BERTH_TRY_VOID(writeCgroupFile(dir, "memory.soft_limit_in_bytes", limitString(*m.reservation)));
  }
  if (given(m.kernel)) {
    BERTH_TRY_VOID(requireFile(dir, "memory.kmem.limit_in_bytes", "kernel memory limit",
                               "kernel memory accounting is not available"));
    BERTH_TRY_VOID(writeCgroupFile(dir, "memory.kmem.limit_in_bytes", limitString(*m.kernel)));
  }
  if (given(m.kernelTCP)) {
    BERTH_TRY_VOID(requireFile(dir, "memory.kmem.tcp.limit_in_bytes", "kernel TCP memory limit",
                               "kernel TCP memory accounting is not available"));
    BERTH_TRY_VOID(
        writeCgroupFile(dir, "memory.kmem.tcp.limit_in_bytes", limitString(*m.kernelTCP)));
  }
  if (m.swappiness) {
    if (*m.swappiness > 100) {
      return invalidArgument("memory swappiness " + std::to_string(*m.swappiness) +
                             " is out of range 0-100");
    }
    BERTH_TRY_VOID(writeCgroupFile(dir, "memory.swappiness", std::to_string(*m.swappiness)));
  }
  if (m.disableOOMKiller.value_or(false)) {
    BERTH_TRY_VOID(writeCgroupFile(dir, "memory.oom_control", "1"));
  }
  if (m.useHierarchy) {
    BERTH_TRY_VOID(writeCgroupFile(dir, "memory.use_hierarchy", *m.useHierarchy ? "1" : "0"));
  }
  return {};
}

Result<void> CgroupV1Manager::setCpu(const oci::LinuxCPU& c) {
  const bool cfs = (c.shares && *c.shares != 0) || (c.quota && *c.quota != 0) ||
                   (c.period && *c.period != 0) || (c.burst.has_value()) ||
                   (c.realtimeRuntime && *c.realtimeRuntime != 0) ||
                   (c.realtimePeriod && *c.realtimePeriod != 0) || c.idle.has_value();
  if (cfs) {
    BERTH_TRY(std::string dir, dirFor("cpu", "cpu limits"));
    if (c.shares && *c.shares != 0) {
      const std::string value = std::to_string(*c.shares);
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.shares", value));
      // The kernel clamps shares to [2, 262144] silently; say so rather than run with another
      // value than asked.
      BERTH_TRY(uint64_t actual, readCgroupUint(dir, "cpu.shares"));
      if (actual != *c.shares) {
        return invalidArgument("cpu shares " + value + " out of range: the kernel set " +
                               std::to_string(actual) + " (range 2-262144)");
      }
    }
    // A smaller period can be refused (EINVAL) while the old quota still applies against the
    // parent's limit; then set the quota first and the period after it.
    bool period_pending = false;
    const bool quota_given = c.quota && *c.quota != 0;
    if (c.period && *c.period != 0) {
      auto written = writeCgroupFile(dir, "cpu.cfs_period_us", std::to_string(*c.period));
      if (!written) {
        if (written.error().sysErrno() != EINVAL || !quota_given) return written;
        period_pending = true;
      }
    }
    if (quota_given) {
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.cfs_quota_us", limitString(*c.quota)));
      if (period_pending) {
        BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.cfs_period_us", std::to_string(*c.period)));
      }
    }
    if (c.burst) {
      BERTH_TRY_VOID(requireFile(dir, "cpu.cfs_burst_us", "cpu burst", "kernel older than 5.14"));
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.cfs_burst_us", std::to_string(*c.burst)));
    }
    // The runtime must fit in the period: period first.
    if (c.realtimePeriod && *c.realtimePeriod != 0) {
      BERTH_TRY_VOID(requireFile(dir, "cpu.rt_period_us", "realtime cpu period",
                                 "kernel built without CONFIG_RT_GROUP_SCHED"));
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.rt_period_us", std::to_string(*c.realtimePeriod)));
    }
    if (c.realtimeRuntime && *c.realtimeRuntime != 0) {
      BERTH_TRY_VOID(requireFile(dir, "cpu.rt_runtime_us", "realtime cpu runtime",
                                 "kernel built without CONFIG_RT_GROUP_SCHED"));
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.rt_runtime_us", std::to_string(*c.realtimeRuntime)));
    }
    if (c.idle) {
      BERTH_TRY_VOID(requireFile(dir, "cpu.idle", "cpu idle", "kernel older than 5.15"));
      BERTH_TRY_VOID(writeCgroupFile(dir, "cpu.idle", std::to_string(*c.idle)));
    }
  }
  if (!c.cpus.empty() || !c.mems.empty()) {
    BERTH_TRY(std::string dir, dirFor("cpuset", "cpuset"));
    if (!c.cpus.empty()) BERTH_TRY_VOID(writeCgroupFile(dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) BERTH_TRY_VOID(writeCgroupFile(dir, "cpuset.mems", c.mems));
  }
  return {};
}

Result<void> CgroupV1Manager::setBlockIo(const oci::LinuxBlockIO& b) {
  BERTH_TRY(std::string dir, dirFor("blkio", "block io limits"));
  // CFQ exposes blkio.weight; with BFQ (kernels without CFQ) the file is blkio.bfq.weight.
  auto weightFile = [&](std::string_view cfq, std::string_view bfq) -> Result<std::string> {
    if (fileExists(dir, cfq)) return std::string(cfq);
    if (fileExists(dir, bfq)) return std::string(bfq);
    return Error(ErrorCode::kNotFound,
                 "block io weight: " + filePath(dir, cfq) +
                     " does not exist (no CFQ or BFQ io scheduler weight support)",
                 ENOENT);
  };
  if (b.weight) {
    BERTH_TRY(std::string file, weightFile("blkio.weight", "blkio.bfq.weight"));
    BERTH_TRY_VOID(writeCgroupFile(dir, file, std::to_string(*b.weight)));
  }
  if (b.leafWeight) {
    BERTH_TRY_VOID(requireFile(dir, "blkio.leaf_weight", "block io leaf weight",
                               "needs the CFQ io scheduler"));
    BERTH_TRY_VOID(writeCgroupFile(dir, "blkio.leaf_weight", std::to_string(*b.leafWeight)));
  }
  for (const oci::LinuxWeightDevice& d : b.weightDevice) {
    const std::string dev = devNumber(d.major, d.minor);
    if (d.weight) {
      BERTH_TRY(std::string file, weightFile("blkio.weight_device", "blkio.bfq.weight_device"));
      BERTH_TRY_VOID(writeCgroupFile(dir, file, dev + " " + std::to_string(*d.weight)));
    }
    if (d.leafWeight) {
      BERTH_TRY_VOID(requireFile(dir, "blkio.leaf_weight_device", "block io leaf weight",
                                 "needs the CFQ io scheduler"));
      BERTH_TRY_VOID(writeCgroupFile(dir, "blkio.leaf_weight_device",
                                     dev + " " + std::to_string(*d.leafWeight)));
    }
  }
  struct Throttle {
    const std::vector<oci::LinuxThrottleDevice>* devices;
    std::string_view file;
  };
  for (const Throttle& t :
       {Throttle{&b.throttleReadBpsDevice, "blkio.throttle.read_bps_device"},
        Throttle{&b.throttleWriteBpsDevice, "blkio.throttle.write_bps_device"},
        Throttle{&b.throttleReadIOPSDevice, "blkio.throttle.read_iops_device"},
        Throttle{&b.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device"}}) {
    for (const oci::LinuxThrottleDevice& d : *t.devices) {
      BERTH_TRY_VOID(
          writeCgroupFile(dir, t.file, devNumber(d.major, d.minor) + " " + std::to_string(d.rate)));
    }
  }
  return {};
}

Result<void> CgroupV1Manager::setDevices(const std::vector<oci::LinuxDeviceCgroup>& devices) {
  BERTH_TRY(std::string dir, dirFor("devices", "device rules"));
  // Validate every rule before writing the first, so a bad rule leaves the old rules in place.
  std::vector<std::string> lines;
  for (const oci::LinuxDeviceCgroup& rule : devices) {
    BERTH_TRY(std::string line, deviceRuleLine(rule));
    lines.push_back(std::move(line));
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    BERTH_TRY_VOID(
        writeCgroupFile(dir, devices[i].allow ? "devices.allow" : "devices.deny", lines[i]));
  }
  return {};
}

Result<void> CgroupV1Manager::setHugetlb(const std::vector<oci::LinuxHugepageLimit>& limits) {
  for (const oci::LinuxHugepageLimit& l : limits) {
    const std::string what = "hugetlb limit for page size " + l.pageSize;
    if (l.pageSize.empty() || l.pageSize.find('/') != std::string::npos) {
      return invalidArgument(what + ": bad page size");
    }
    BERTH_TRY(std::string dir, dirFor("hugetlb", what));
    const std::string file = "hugetlb." + l.pageSize + ".limit_in_bytes";
    BERTH_TRY_VOID(requireFile(dir, file, what, "page size not supported by this kernel"));
    BERTH_TRY_VOID(writeCgroupFile(dir, file, std::to_string(l.limit)));
  }
  return {};
}

Result<void> CgroupV1Manager::setNetwork(const oci::LinuxNetwork& n) {
  if (n.classID) {
    BERTH_TRY(std::string dir, dirFor("net_cls", "network class id"));
    BERTH_TRY_VOID(writeCgroupFile(dir, "net_cls.classid", std::to_string(*n.classID)));
  }
  if (!n.priorities.empty()) {
    BERTH_TRY(std::string dir, dirFor("net_prio", "network priorities"));
    for (const oci::LinuxInterfacePriority& p : n.priorities) {
      BERTH_TRY_VOID(
          writeCgroupFile(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority)));
    }
  }
  return {};
}

Result<void> CgroupV1Manager::setRdma(const std::map<std::string, oci::LinuxRdma>& rdma) {
  BERTH_TRY(std::string dir, dirFor("rdma", "rdma limits"));
  for (const auto& [device, limits] : rdma) {
    if (!limits.hcaHandles && !limits.hcaObjects) continue;
    BERTH_TRY_VOID(writeCgroupFile(dir, "rdma.max", rdmaLine(device, limits)));
  }
  return {};
}

Result<void> CgroupV1Manager::addProcess(pid_t pid) {
  for (const Member& m : members_) {
    BERTH_TRY_VOID(writeCgroupFile(m.dir(), "cgroup.procs", std::to_string(pid)));
  }
  return {};
}

Result<void> CgroupV1Manager::setFreezerState(std::string_view state) {
  BERTH_TRY(std::string dir, dirFor("freezer", state == "FROZEN" ? "freeze" : "thaw"));
  BERTH_TRY_VOID(writeCgroupFile(dir, "freezer.state", state));
  // FROZEN is reached once every task has stopped; until then the state reads FREEZING. Tasks
  // that were busy in the kernel can miss the first request, so repeat it now and then.
  const auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
  for (int round = 1;; ++round) {
    BERTH_TRY(std::string current, readCgroupValue(dir, "freezer.state"));
    if (current == state) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorCode::kDeadlineExceeded,
                   "set " + filePath(dir, "freezer.state") + " = " + std::string(state) +
                       ": state still " + current + " after 5s",
                   ETIMEDOUT);
    }
    std::this_thread::sleep_for(round < 10 ? 1ms : 10ms);
    if (round % 10 == 0) BERTH_TRY_VOID(writeCgroupFile(dir, "freezer.state", state));
  }
}

Result<void> CgroupV1Manager::freeze() {
  auto frozen = setFreezerState("FROZEN");
  if (!frozen && frozen.error().code() == ErrorCode::kDeadlineExceeded) {
    (void)setFreezerState("THAWED");  // do not leave it half frozen
  }
  return frozen;
}

Result<void> CgroupV1Manager::thaw() {
  return setFreezerState("THAWED");
}

Result<bool> CgroupV1Manager::isFrozen() {
  BERTH_TRY(std::string dir, dirFor("freezer", "freezer state"));
  BERTH_TRY(std::string state, readCgroupValue(dir, "freezer.state"));
  return state == "FROZEN";
}

Result<std::vector<pid_t>> CgroupV1Manager::pids() {
  const Member* m = memberFor("pids");
  if (m == nullptr) m = memberFor("memory");
  if (m == nullptr) m = &members_.front();
  return readProcsRecursive(m->dir());
}

Result<CgroupStats> CgroupV1Manager::stats() {
  CgroupStats s;
  if (const Member* m = memberFor("memory")) {
    BERTH_TRY(s.memory_usage, readCgroupUint(m->dir(), "memory.usage_in_bytes"));
    BERTH_TRY(uint64_t limit, readCgroupUint(m->dir(), kMemoryLimit));
    s.memory_limit = limit >= kV1UnlimitedThreshold ? 0 : limit;
  }
  if (const Member* m = memberFor("pids")) {
    BERTH_TRY(s.pids_current, readCgroupUint(m->dir(), "pids.current"));
  }
  if (const Member* m = memberFor("cpuacct")) {
    BERTH_TRY(s.cpu_usage_ns, readCgroupUint(m->dir(), "cpuacct.usage"));
  }
  return s;
}

Result<void> CgroupV1Manager::killAll(int sig) {
  // Frozen tasks cannot fork, so no child escapes between reading the list and signalling.
  const bool freezer = memberFor("freezer") != nullptr;
  if (freezer) BERTH_TRY_VOID(freeze());
  auto list = pids();
  std::optional<Error> failure;
  if (list) {
    for (pid_t pid : *list) {
      if (::kill(pid, sig) != 0 && errno != ESRCH && !failure) {
        failure = errnoError("kill process " + std::to_string(pid) + " with signal " +
                             std::to_string(sig));
      }
    }
  } else {
    failure = std::move(list).error();
  }
  if (freezer) {
    auto thawed = thaw();
    if (!thawed && !failure) failure = std::move(thawed).error();
  }
  if (failure) return *std::move(failure);
  return {};
}

Result<void> CgroupV1Manager::destroy() {
  std::optional<Error> failure;
  std::set<std::string> done;
  for (const Member& m : members_) {
    const std::string dir = m.dir();
    if (!done.insert(dir).second) continue;
    auto removed = removeCgroupTree(dir);
    if (!removed && !failure) failure = std::move(removed).error();
  }
  if (failure) return *std::move(failure);
  return {};
}

}  // namespace berth::runtime::cgroups
