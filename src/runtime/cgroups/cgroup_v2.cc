#include "runtime/cgroups/cgroup_v2.h"

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/device_filter.h"

namespace berth::runtime::cgroups {
namespace {

using namespace std::chrono_literals;

constexpr auto kFreezeTimeout = 5s;

std::string maxOr(int64_t value) {
  return value < 0 ? "max" : std::to_string(value);
}

std::string devNumber(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// The value of `key` in a flat keyed file ("populated 1\nfrozen 0\n").
std::optional<std::string> keyedValue(const std::string& text, std::string_view key) {
  for (const std::string& line : split(text, '\n')) {
    auto [k, v] = splitOnce(line, ' ');
    if (k == key) return std::string(trim(v));
  }
  return std::nullopt;
}

// Enables the wanted controllers that `dir` offers for its children. Controllers that cannot be
// enabled (e.g. in a cgroup with processes) are skipped; writing their files later names them.
Result<void> enableControllers(const std::string& dir) {
  BERTH_TRY(std::string available, readCgroupValue(dir, "cgroup.controllers"));
  BERTH_TRY(std::string enabled, readCgroupValue(dir, "cgroup.subtree_control"));
  const std::vector<std::string> offered = split(available, ' ');
  const std::vector<std::string> on = split(enabled, ' ');
  std::vector<std::string> wanted;
  for (std::string_view c : kV2Controllers) {
    if (std::find(offered.begin(), offered.end(), c) != offered.end() &&
        std::find(on.begin(), on.end(), c) == on.end()) {
      wanted.push_back("+" + std::string(c));
    }
  }
  if (wanted.empty()) return {};
  if (writeCgroupFile(dir, "cgroup.subtree_control", join(wanted, " "))) return {};
  for (const std::string& c : wanted) {
    auto one = writeCgroupFile(dir, "cgroup.subtree_control", c);
    if (!one) log::warn("enable cgroup controller: " + one.error().message());
  }
  return {};
}

}  // namespace

uint64_t cpuSharesToWeight(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkioWeightToIoWeight(uint64_t weight) {
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + ((weight - 10) * 9999) / 990;
}

Result<std::optional<std::string>> swapMaxValue(std::optional<int64_t> limit,
                                                std::optional<int64_t> swap) {
  if (limit && *limit == 0) limit.reset();
  if (swap && *swap == 0) swap.reset();
  // Unlimited memory with swap unset means unlimited swap too, as in runc.
  if (limit && *limit < 0 && !swap) return std::optional<std::string>("max");
  if (!swap) return std::optional<std::string>();
  if (*swap < 0) return std::optional<std::string>("max");
  if (!limit || *limit < 0) {
    return invalidArgument("memory swap limit " + std::to_string(*swap) +
                           " needs a memory limit (OCI swap is memory+swap)");
  }
  if (*swap < *limit) {
    return invalidArgument("memory+swap limit " + std::to_string(*swap) +
                           " is below the memory limit " + std::to_string(*limit));
  }
  return std::optional<std::string>(std::to_string(*swap - *limit));
}

CgroupV2Manager::CgroupV2Manager(std::string mount_root, std::string path)
    : mount_root_(std::move(mount_root)), path_(std::move(path)), dir_(mount_root_ + path_) {}

Result<void> CgroupV2Manager::create() {
  std::string dir = mount_root_;
  for (const std::string& part : split(path_, '/')) {
    if (part.empty()) continue;
    BERTH_TRY_VOID(enableControllers(dir));
    dir += "/" + part;
    BERTH_TRY_VOID(makeCgroupDir(dir));
  }
  return {};
}

Result<void> CgroupV2Manager::validate(const oci::LinuxResources& r) const {
  if (!r.devices.empty()) BERTH_TRY_VOID(buildDeviceFilter(r.devices));
  if (r.memory) {
    const oci::LinuxMemory& m = *r.memory;
    if (m.swappiness) return invalidArgument("swappiness is not supported on cgroup v2");
    if ((m.kernel && *m.kernel != 0) || (m.kernelTCP && *m.kernelTCP != 0)) {
      return invalidArgument("kernel memory limits are not supported on cgroup v2");
    }
    if (m.disableOOMKiller.value_or(false)) {
      return invalidArgument("disabling the OOM killer is not supported on cgroup v2");
    }
    BERTH_TRY_VOID(swapMaxValue(m.limit, m.swap));
  }
  if (r.cpu && ((r.cpu->realtimeRuntime && *r.cpu->realtimeRuntime != 0) ||
                (r.cpu->realtimePeriod && *r.cpu->realtimePeriod != 0))) {
    return invalidArgument("realtime cpu limits are not supported on cgroup v2");
  }
  if (r.blockIO) {
    bool leaf = r.blockIO->leafWeight.has_value();
    for (const auto& d : r.blockIO->weightDevice) leaf = leaf || d.leafWeight.has_value();
    if (leaf) return invalidArgument("block io leaf weight is not supported on cgroup v2");
  }
  if (r.network && (r.network->classID || !r.network->priorities.empty())) {
    return invalidArgument(
        "network class id and priorities need cgroup v1 (net_cls, net_prio); this machine "
        "uses cgroup v2");
  }
  for (const oci::LinuxHugepageLimit& l : r.hugepageLimits) {
    if (l.pageSize.empty() || l.pageSize.find('/') != std::string::npos) {
      return invalidArgument("hugetlb limit for page size " + l.pageSize + ": bad page size");
    }
  }
  for (const auto& [key, value] : r.unified) {
    if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos) {
      return invalidArgument("unified resource \"" + key + "\": not a cgroup file name");
    }
    if (!fileExists(dir_, key)) {
      auto [controller, rest] = splitOnce(key, '.');
      return Error(ErrorCode::kNotFound,
                   "unified resource \"" + key + "\": " + filePath(dir_, key) +
                       " does not exist (is the " + std::string(controller) +
                       " controller enabled?)",
                   ENOENT);
    }
  }
  return {};
}

Result<void> CgroupV2Manager::setResources(const oci::LinuxResources& r) {
  // Check everything first so that an unsupported field changes nothing.
  BERTH_TRY_VOID(validate(r));
  if (r.memory) BERTH_TRY_VOID(setMemory(*r.memory));
  if (r.cpu) BERTH_TRY_VOID(setCpu(*r.cpu));
  if (r.pids) {
    BERTH_TRY_VOID(requireFile(dir_, "pids.max", "pids limit", "pids controller not enabled"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "pids.max",
                                   r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  }
  if (r.blockIO) BERTH_TRY_VOID(setIo(*r.blockIO));
  if (!r.devices.empty()) BERTH_TRY_VOID(applyDeviceFilter(dir_, r.devices));
  for (const oci::LinuxHugepageLimit& l : r.hugepageLimits) {
    const std::string file = "hugetlb." + l.pageSize + ".max";
    BERTH_TRY_VOID(requireFile(dir_, file, "hugetlb limit for page size " + l.pageSize,
                               "hugetlb controller not enabled or page size not supported"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, file, std::to_string(l.limit)));
  }
  for (const auto& [device, limits] : r.rdma) {
    if (!limits.hcaHandles && !limits.hcaObjects) continue;
    BERTH_TRY_VOID(requireFile(dir_, "rdma.max", "rdma limits", "rdma controller not enabled"));
    std::string line = device;
    if (limits.hcaHandles) line += " hca_handle=" + std::to_string(*limits.hcaHandles);
    if (limits.hcaObjects) line += " hca_object=" + std::to_string(*limits.hcaObjects);
    BERTH_TRY_VOID(writeCgroupFile(dir_, "rdma.max", line));
  }
  // Last, so that an explicit unified value overrides the mapped one.
  for (const auto& [key, value] : r.unified) BERTH_TRY_VOID(writeCgroupFile(dir_, key, value));
  return {};
}

Result<void> CgroupV2Manager::setMemory(const oci::LinuxMemory& m) {
  constexpr std::string_view kHint = "memory controller not enabled";
  auto given = [](const std::optional<int64_t>& v) { return v && *v != 0; };
  if (m.checkBeforeUpdate.value_or(false) && given(m.limit) && *m.limit > 0) {
    BERTH_TRY(uint64_t usage, readCgroupUint(dir_, "memory.current"));
    if (usage > static_cast<uint64_t>(*m.limit)) {
      return invalidArgument("memory limit " + std::to_string(*m.limit) +
                             " is below the current usage " + std::to_string(usage));
    }
  }
  BERTH_TRY(std::optional<std::string> swap_max, swapMaxValue(m.limit, m.swap));
  if (swap_max) {
    if (!fileExists(dir_, "memory.swap.max")) {
      // Without swap accounting there is no swap to limit: "max" and "0" mean nothing.
      if (*swap_max != "max" && *swap_max != "0") {
        return Error(ErrorCode::kNotImplemented,
                     "memory swap limit " + std::to_string(m.swap.value_or(0)) +
                         ": swap limit not supported: kernel lacks swap accounting (no " +
                         filePath(dir_, "memory.swap.max") + ")",
                     ENOENT);
      }
    } else {
      BERTH_TRY_VOID(writeCgroupFile(dir_, "memory.swap.max", *swap_max));
    }
  }
  if (given(m.limit)) {
    BERTH_TRY_VOID(requireFile(dir_, "memory.max", "memory limit", kHint));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "memory.max", maxOr(*m.limit)));
  }
  if (given(m.reservation)) {
    BERTH_TRY_VOID(requireFile(dir_, "memory.low", "memory reservation", kHint));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "memory.low", maxOr(*m.reservation)));
  }
  return {};
}

Result<void> CgroupV2Manager::setCpu(const oci::LinuxCPU& c) {
  constexpr std::string_view kHint = "cpu controller not enabled";
  if (c.shares && *c.shares != 0) {
    BERTH_TRY_VOID(requireFile(dir_, "cpu.weight", "cpu shares", kHint));
    BERTH_TRY_VOID(
        writeCgroupFile(dir_, "cpu.weight", std::to_string(cpuSharesToWeight(*c.shares))));
  }
  const bool quota = c.quota && *c.quota != 0;
  const bool period = c.period && *c.period != 0;
  if (quota || period) {
    // "max" keeps the quota unlimited; without a period the kernel keeps the current one.
    std::string value = quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
    if (period) value += " " + std::to_string(*c.period);
    BERTH_TRY_VOID(requireFile(dir_, "cpu.max", "cpu quota", kHint));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "cpu.max", value));
  }
  if (c.burst) {
    BERTH_TRY_VOID(requireFile(dir_, "cpu.max.burst", "cpu burst", "kernel older than 5.14"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "cpu.max.burst", std::to_string(*c.burst)));
  }
  if (c.idle) {
    BERTH_TRY_VOID(requireFile(dir_, "cpu.idle", "cpu idle", "kernel older than 5.15"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "cpu.idle", std::to_string(*c.idle)));
  }
  if (!c.cpus.empty()) {
    BERTH_TRY_VOID(
        requireFile(dir_, "cpuset.cpus", "cpuset cpus", "cpuset controller not enabled"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "cpuset.cpus", c.cpus));
  }
  if (!c.mems.empty()) {
    BERTH_TRY_VOID(
        requireFile(dir_, "cpuset.mems", "cpuset mems", "cpuset controller not enabled"));
    BERTH_TRY_VOID(writeCgroupFile(dir_, "cpuset.mems", c.mems));
  }
  return {};
}

Result<void> CgroupV2Manager::setIo(const oci::LinuxBlockIO& b) {
  // io.weight (1..10000) needs the iocost controller; with BFQ the file is io.bfq.weight and
  // takes the blkio weight (1..1000) as is.
  const bool have_weight = fileExists(dir_, "io.weight");
  const bool have_bfq = fileExists(dir_, "io.bfq.weight");
  auto writeWeight = [&](const std::string& prefix, uint16_t weight) -> Result<void> {
    if (have_weight) {
      return writeCgroupFile(dir_, "io.weight",
                             prefix + std::to_string(blkioWeightToIoWeight(weight)));
    }
    if (have_bfq) return writeCgroupFile(dir_, "io.bfq.weight", prefix + std::to_string(weight));
    return Error(ErrorCode::kNotFound,
                 "block io weight: " + filePath(dir_, "io.weight") +
                     " does not exist (io controller not enabled, or no weight-based io "
                     "scheduler)",
                 ENOENT);
  };
  if (b.weight) BERTH_TRY_VOID(writeWeight("", *b.weight));
  for (const oci::LinuxWeightDevice& d : b.weightDevice) {
    if (d.weight) BERTH_TRY_VOID(writeWeight(devNumber(d.major, d.minor) + " ", *d.weight));
  }
  // One io.max line per device with every limit given for it.
  std::vector<std::pair<std::string, std::string>> lines;
  auto add = [&](const std::vector<oci::LinuxThrottleDevice>& devices, std::string_view key) {
    for (const oci::LinuxThrottleDevice& d : devices) {
      const std::string dev = devNumber(d.major, d.minor);
      auto it = std::find_if(lines.begin(), lines.end(),
                             [&](const auto& line) { return line.first == dev; });
      if (it == lines.end()) it = lines.insert(lines.end(), {dev, dev});
      it->second += " " + std::string(key) + "=" + std::to_string(d.rate);
    }
  };
  add(b.throttleReadBpsDevice, "rbps");
  add(b.throttleWriteBpsDevice, "wbps");
  add(b.throttleReadIOPSDevice, "riops");
  add(b.throttleWriteIOPSDevice, "wiops");
  if (!lines.empty()) {
    BERTH_TRY_VOID(requireFile(dir_, "io.max", "block io throttle", "io controller not enabled"));
  }
  for (const auto& [dev, line] : lines) BERTH_TRY_VOID(writeCgroupFile(dir_, "io.max", line));
  return {};
}

Result<void> CgroupV2Manager::addProcess(pid_t pid) {
  return writeCgroupFile(dir_, "cgroup.procs", std::to_string(pid));
}

Result<UniqueFd> CgroupV2Manager::openForClone() {
  UniqueFd fd(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errnoError("open cgroup " + dir_);
  return fd;
}

Result<void> CgroupV2Manager::setFrozen(bool frozen) {
  const char* what = frozen ? "freeze" : "thaw";
  BERTH_TRY_VOID(requireFile(dir_, "cgroup.freeze", what, "kernel older than 5.2"));
  const std::string want = frozen ? "1" : "0";
  BERTH_TRY_VOID(writeCgroupFile(dir_, "cgroup.freeze", want));
  // cgroup.events reports "frozen 1" once every task has stopped.
  const auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
  for (int round = 1;; ++round) {
    BERTH_TRY(std::string events, readCgroupFile(dir_, "cgroup.events"));
    if (keyedValue(events, "frozen") == want) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorCode::kDeadlineExceeded,
                   std::string(what) + " " + dir_ + ": " + filePath(dir_, "cgroup.events") +
                       " does not report frozen " + want + " after 5s",
                   ETIMEDOUT);
    }
    std::this_thread::sleep_for(round < 10 ? 1ms : 10ms);
  }
}

Result<void> CgroupV2Manager::freeze() {
  auto frozen = setFrozen(true);
  if (!frozen && frozen.error().code() == ErrorCode::kDeadlineExceeded) {
    (void)writeCgroupFile(dir_, "cgroup.freeze", "0");  // do not leave it half frozen
  }
  return frozen;
}

Result<void> CgroupV2Manager::thaw() {
  return setFrozen(false);
}

Result<bool> CgroupV2Manager::isFrozen() {
  BERTH_TRY(std::string want, readCgroupValue(dir_, "cgroup.freeze"));
  if (want != "1") return false;
  BERTH_TRY(std::string events, readCgroupFile(dir_, "cgroup.events"));
  return keyedValue(events, "frozen") == "1";
}

Result<std::vector<pid_t>> CgroupV2Manager::pids() {
  return readProcsRecursive(dir_);
}

Result<CgroupStats> CgroupV2Manager::stats() {
  CgroupStats s;
  // A controller that is not enabled has no files: its numbers stay 0.
  if (fileExists(dir_, "memory.current")) {
    BERTH_TRY(s.memory_usage, readCgroupUint(dir_, "memory.current"));
    BERTH_TRY(uint64_t limit, readCgroupUint(dir_, "memory.max"));
    s.memory_limit = limit == kUnlimited ? 0 : limit;
  }
  if (fileExists(dir_, "pids.current")) {
    BERTH_TRY(s.pids_current, readCgroupUint(dir_, "pids.current"));
  }
  if (fileExists(dir_, "cpu.stat")) {
    BERTH_TRY(std::string text, readCgroupFile(dir_, "cpu.stat"));
    std::optional<std::string> usec = keyedValue(text, "usage_usec");
    std::optional<uint64_t> value = usec ? parseUint(*usec) : std::nullopt;
    if (!value) return internalError("read " + filePath(dir_, "cpu.stat") + ": no usage_usec");
    s.cpu_usage_ns = *value * 1000;
  }
  return s;
}

Result<void> CgroupV2Manager::killAll(int sig) {
  if (sig == SIGKILL && fileExists(dir_, "cgroup.kill")) {
    return writeCgroupFile(dir_, "cgroup.kill", "1");
  }
  // Frozen tasks cannot fork, so no child escapes between reading the list and signalling.
  const bool freezer = fileExists(dir_, "cgroup.freeze");
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

Result<void> CgroupV2Manager::destroy() {
  return removeCgroupTree(dir_);
}

}  // namespace berth::runtime::cgroups
