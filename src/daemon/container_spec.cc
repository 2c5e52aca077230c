#include "daemon/container_spec.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/log.h"
#include "base/strings.h"
#include "oci/runtime_spec_json.h"
#include "runtime/seccomp/seccomp_filter.h"
#include "sys/capabilities.h"

namespace berth::daemon {
namespace {

std::string normalizeCap(const std::string& name) {
  std::string upper;
  for (char c : name) upper.push_back(static_cast<char>(toupper(static_cast<unsigned char>(c))));
  if (upper == "ALL") return upper;
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  return upper;
}

bool isKnownCapabilityName(const std::string& cap) {
  return sys::capabilityFromName(cap).has_value();
}

// Every char and block device under /dev, for privileged containers (as moby's
// devices.HostDevices, without following symlinks).
std::vector<oci::LinuxDevice> hostDevices() {
  std::vector<oci::LinuxDevice> out;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it("/dev", ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    std::string p = path.string();
    if (p.starts_with("/dev/pts") || p.starts_with("/dev/mqueue") || p.starts_with("/dev/shm") ||
        p == "/dev/console" || p == "/dev/ptmx") {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) continue;
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    oci::LinuxDevice d;
    d.path = p;
    d.type = S_ISCHR(st.st_mode) ? "c" : "b";
    d.major = major(st.st_rdev);
    d.minor = minor(st.st_rdev);
    d.fileMode = st.st_mode & 07777;
    d.uid = st.st_uid;
    d.gid = st.st_gid;
    out.push_back(std::move(d));
  }
  return out;
}

oci::LinuxDeviceCgroup allowDevice(const char* type, std::optional<int64_t> major,
                                   std::optional<int64_t> minor, const char* access) {
  oci::LinuxDeviceCgroup rule;
  rule.allow = true;
  rule.type = type;
  rule.major = major;
  rule.minor = minor;
  rule.access = access;
  return rule;
}

}  // namespace

Result<std::vector<std::string>> containerCapabilities(const ContainerHostConfig& hc) {
  std::vector<std::string> adds, drops;
  for (const auto& c : hc.CapAdd) adds.push_back(normalizeCap(c));
  for (const auto& c : hc.CapDrop) drops.push_back(normalizeCap(c));
  for (const auto* list : {&adds, &drops}) {
    for (const auto& c : *list) {
      if (c != "ALL" && !isKnownCapabilityName(c)) {
        return invalidArgument("unknown capability: \"" + c + "\"");
      }
    }
  }
  auto has = [](const std::vector<std::string>& v, const std::string& c) {
    return std::find(v.begin(), v.end(), c) != v.end();
  };
  // A container can only get what berthd's own bounding set has (this VM lacks
  // CAP_SYS_RESOURCE, for one): privileged means all of those; asking for another is an error.
  std::vector<std::string> available = sys::boundingCapabilities();
  if (hc.Privileged || has(adds, "ALL")) return available;
  for (const auto& c : adds) {
    if (!has(available, c)) {
      return invalidArgument("cannot add capability " + c +
                             ": berthd itself does not have it (not in its bounding set)");
    }
  }
  std::vector<std::string> caps;
  if (!has(drops, "ALL")) {
    for (const auto& c : sys::dockerDefaultCapabilities()) {
      if (!has(drops, c)) caps.push_back(c);
    }
  }
  for (const auto& c : adds) {
    if (!has(caps, c)) caps.push_back(c);
  }
  return caps;
}

Result<ParsedBind> parseBind(const std::string& bind) {
  auto parts = split(bind, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return invalidArgument("invalid volume specification: '" + bind + "'");
  }
  const std::string& src = parts[0];
  const std::string& dst = parts[1];
  if (src[0] != '/') {
    return invalidArgument("named volumes are not supported yet: \"" + src +
                           "\" (use an absolute host path)");
  }
  if (dst[0] != '/') {
    return invalidArgument("invalid mount config for type \"bind\": invalid mount path: '" + dst +
                           "' mount path must be absolute");
  }
  if (dst == "/") {
    return invalidArgument("invalid specification: destination can't be '/' in '" + bind + "'");
  }
  bool rw = true;
  std::string propagation = "rprivate";
  std::string mode;
  if (parts.size() == 3) {
    mode = parts[2];
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro") {
        rw = false;
      } else if (opt == "rw" || opt == "z" || opt == "Z" || opt == "nocopy") {
      } else if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" ||
                 opt == "private" || opt == "rprivate") {
        propagation = opt;
      } else {
        return invalidArgument("invalid mode: " + opt);
      }
    }
  }
  ParsedBind out;
  out.mount.destination = dst;
  out.mount.type = "bind";
  out.mount.source = src;
  out.mount.options = {"rbind", propagation};
  if (!rw) out.mount.options.push_back("ro");
  out.point.Type = "bind";
  out.point.Source = src;
  out.point.Destination = dst;
  out.point.Mode = mode;
  out.point.RW = rw;
  out.point.Propagation = propagation;
  return out;
}

Result<std::string> rlimitTypeOf(const std::string& name) {
  static const std::set<std::string> names = {
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  if (!names.count(name)) return invalidArgument("invalid ulimit type: " + name);
  std::string upper = "RLIMIT_";
  for (char c : name) upper.push_back(static_cast<char>(toupper(static_cast<unsigned char>(c))));
  return upper;
}

Result<void> validateResources(ContainerHostConfig* hc) {
  constexpr int64_t kMinMemory = 6 * 1024 * 1024;
  if (hc->Memory < 0) hc->Memory = 0;
  if (hc->Memory > 0 && hc->Memory < kMinMemory) {
    return invalidArgument("Minimum memory limit allowed is 6MB");
  }
  if (hc->MemorySwap > 0 && hc->Memory == 0) {
    return invalidArgument(
        "You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if (hc->Memory > 0 && hc->MemorySwap > 0 && hc->MemorySwap < hc->Memory) {
    return invalidArgument(
        "Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (hc->Memory > 0 && hc->MemorySwap == 0) hc->MemorySwap = hc->Memory * 2;
  if (hc->NanoCpus > 0 && (hc->CpuPeriod > 0 || hc->CpuQuota > 0)) {
    return invalidArgument(hc->CpuPeriod > 0
                               ? "Conflicting options: Nano CPUs and CPU Period cannot both be set"
                               : "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (hc->NanoCpus < 0 || (ncpu > 0 && hc->NanoCpus > ncpu * 1000000000LL)) {
    return invalidArgument("Range of CPUs is from 0.01 to " + std::to_string(ncpu) +
                           ".00, as there are only " + std::to_string(ncpu) + " CPUs available");
  }
  if (hc->CpuPeriod != 0 && (hc->CpuPeriod < 1000 || hc->CpuPeriod > 1000000)) {
    return invalidArgument(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s "
        "(i.e. 1000000)");
  }
  if (hc->CpuQuota > 0 && hc->CpuQuota < 1000) {
    return invalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  for (const auto& u : hc->Ulimits) {
    BERTH_TRY_VOID(rlimitTypeOf(u.Name));
    if (u.Soft > u.Hard) {
      return invalidArgument("ulimit soft limit must be less than or equal to hard limit: " +
                             std::to_string(u.Soft) + " > " + std::to_string(u.Hard));
    }
  }
  return {};
}

Result<oci::Spec> buildContainerSpec(const Container& c, const SpecInputs& in) {
  const ContainerHostConfig& hc = c.HostConfig;
  oci::Spec spec = oci::defaultSpec(false);
  spec.hostname = c.Config.Hostname;
  spec.domainname = c.Config.Domainname;
  spec.root = oci::Root{in.rootfs, hc.ReadonlyRootfs};

  oci::Process& proc = *spec.process;
  proc.terminal = c.Config.Tty;
  if (c.Config.Tty && hc.ConsoleSize.size() == 2 && hc.ConsoleSize[0] > 0) {
    proc.consoleSize = oci::Box{static_cast<uint32_t>(hc.ConsoleSize[0]),
                                static_cast<uint32_t>(hc.ConsoleSize[1])};
  }
  proc.args = {c.Path};
  proc.args.insert(proc.args.end(), c.Args.begin(), c.Args.end());
  proc.env = processEnv(c.Config, in.user.home);
  proc.cwd = c.Config.WorkingDir.empty() ? "/" : c.Config.WorkingDir;
  proc.user = oci::User{};
  proc.user.uid = in.user.uid;
  proc.user.gid = in.user.gid;
  proc.user.additionalGids = in.user.additional_gids;
  proc.noNewPrivileges = false;
  for (const auto& opt : hc.SecurityOpt) {
    if (opt.starts_with("no-new-privileges")) proc.noNewPrivileges = true;
  }
  BERTH_TRY(auto caps, containerCapabilities(hc));
  proc.capabilities = oci::LinuxCapabilities{};
  proc.capabilities->bounding = caps;
  proc.capabilities->effective = caps;
  proc.capabilities->permitted = caps;

  // Ulimits: the daemon's defaults, overridden by name by the container's.
  std::map<std::string, ContainerUlimit> ulimits;
  for (const auto& u : in.default_ulimits) ulimits[u.Name] = u;
  for (const auto& u : hc.Ulimits) ulimits[u.Name] = u;
  proc.rlimits.clear();
  for (const auto& [name, u] : ulimits) {
    BERTH_TRY(std::string type, rlimitTypeOf(name));
    proc.rlimits.push_back(
        oci::POSIXRlimit{type, static_cast<uint64_t>(u.Hard), static_cast<uint64_t>(u.Soft)});
  }

  // Mounts: the defaults, then the container's files, then binds (a bind over a default
  // destination replaces it).
  std::vector<oci::Mount> mounts;
  for (auto m : spec.mounts) {
    if (m.destination == "/sys" && hc.Privileged) {
      m.options.erase(std::remove(m.options.begin(), m.options.end(), "ro"), m.options.end());
    }
    if (m.destination == "/sys/fs/cgroup" && hc.Privileged) {
      m.options.erase(std::remove(m.options.begin(), m.options.end(), "ro"), m.options.end());
    }
    if (m.destination == "/dev/shm") {
      int64_t size = hc.ShmSize > 0 ? hc.ShmSize : 64 * 1024 * 1024;
      m.options = {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(size)};
    }
    mounts.push_back(std::move(m));
  }
  auto fileMount = [&](const std::string& source, const char* destination) {
    if (source.empty()) return;
    oci::Mount m;
    m.destination = destination;
    m.type = "bind";
    m.source = source;
    m.options = {"rbind", "rprivate"};
    if (hc.ReadonlyRootfs) m.options.push_back("ro");
    mounts.push_back(std::move(m));
  };
  fileMount(c.ResolvConfPath, "/etc/resolv.conf");
  fileMount(c.HostnamePath, "/etc/hostname");
  fileMount(c.HostsPath, "/etc/hosts");
  for (const auto& bind : hc.Binds) {
    BERTH_TRY(ParsedBind parsed, parseBind(bind));
    mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                                [&](const oci::Mount& m) {
                                  return m.destination == parsed.mount.destination;
                                }),
                 mounts.end());
    mounts.push_back(std::move(parsed.mount));
  }
  spec.mounts = std::move(mounts);

  oci::Linux& linux = *spec.linux;
  linux.cgroupsPath = "/berth/" + c.ID;
  if (!in.netns_path.empty() && !in.host_netns) {
    for (auto& ns : linux.namespaces) {
      if (ns.type == "network") ns.path = in.netns_path;
    }
  }
  if (hc.NetworkMode == "host" || in.host_netns) {
    linux.namespaces.erase(
        std::remove_if(linux.namespaces.begin(), linux.namespaces.end(),
                       [](const oci::LinuxNamespace& ns) { return ns.type == "network"; }),
        linux.namespaces.end());
  }
  if (hc.Privileged) {
    linux.maskedPaths.clear();
    linux.readonlyPaths.clear();
    linux.devices = hostDevices();
  } else {
    linux.maskedPaths = {"/proc/asound",
                         "/proc/acpi",
                         "/proc/kcore",
                         "/proc/keys",
                         "/proc/latency_stats",
                         "/proc/timer_list",
                         "/proc/timer_stats",
                         "/proc/sched_debug",
                         "/proc/scsi",
                         "/sys/firmware",
                         "/sys/devices/virtual/powercap"};
    linux.readonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                           "/proc/sysrq-trigger"};
  }

  oci::LinuxResources resources;
  oci::LinuxDeviceCgroup deny;
  deny.allow = false;
  deny.access = "rwm";
  resources.devices.push_back(deny);
  if (hc.Privileged) {
    resources.devices.push_back(allowDevice("a", std::nullopt, std::nullopt, "rwm"));
  } else {
    // Docker's default device rules (moby oci/devices_linux.go + DefaultLinuxSpec).
    resources.devices.push_back(allowDevice("c", std::nullopt, std::nullopt, "m"));
    resources.devices.push_back(allowDevice("b", std::nullopt, std::nullopt, "m"));
    resources.devices.push_back(allowDevice("c", 1, 3, "rwm"));               // null
    resources.devices.push_back(allowDevice("c", 1, 8, "rwm"));               // random
    resources.devices.push_back(allowDevice("c", 1, 7, "rwm"));               // full
    resources.devices.push_back(allowDevice("c", 5, 0, "rwm"));               // tty
    resources.devices.push_back(allowDevice("c", 1, 5, "rwm"));               // zero
    resources.devices.push_back(allowDevice("c", 1, 9, "rwm"));               // urandom
    resources.devices.push_back(allowDevice("c", 136, std::nullopt, "rwm"));  // pts
    resources.devices.push_back(allowDevice("c", 5, 2, "rwm"));               // ptmx
    resources.devices.push_back(allowDevice("c", 10, 200, "rwm"));            // tun
  }
  if (hc.Memory > 0) {
    oci::LinuxMemory mem;
    mem.limit = hc.Memory;
    if (hc.MemorySwap != 0) mem.swap = hc.MemorySwap;
    resources.memory = mem;
  }
  if (hc.NanoCpus > 0 || hc.CpuShares > 0 || hc.CpuQuota != 0 || hc.CpuPeriod > 0 ||
      !hc.CpusetCpus.empty()) {
    oci::LinuxCPU cpu;
    if (hc.CpuShares > 0) cpu.shares = static_cast<uint64_t>(hc.CpuShares);
    if (hc.NanoCpus > 0) {
      cpu.period = 100000;
      cpu.quota = hc.NanoCpus * 100000 / 1000000000;
    } else {
      if (hc.CpuPeriod > 0) cpu.period = static_cast<uint64_t>(hc.CpuPeriod);
      if (hc.CpuQuota != 0) cpu.quota = hc.CpuQuota;
    }
    cpu.cpus = hc.CpusetCpus;
    resources.cpu = cpu;
  }
  if (hc.PidsLimit && *hc.PidsLimit != 0) {
    resources.pids = oci::LinuxPids{*hc.PidsLimit > 0 ? *hc.PidsLimit : -1};
  }
  linux.resources = std::move(resources);

  bool unconfined = hc.Privileged;
  for (const auto& opt : hc.SecurityOpt) {
    if (opt == "seccomp=unconfined" || opt == "seccomp:unconfined") unconfined = true;
  }
  if (unconfined) {
    linux.seccomp.reset();
  } else {
    BERTH_TRY_CTX(linux.seccomp, runtime::seccomp::dockerDefaultProfile(caps),
                  "default seccomp profile");
    if (in.seccomp_cache != nullptr) {
      if (auto prepared = in.seccomp_cache->prepare(*linux.seccomp); !prepared) {
        log::warn("seccomp filter cache: " + prepared.error().message());
      }
    }
  }
  return spec;
}

}  // namespace berth::daemon
