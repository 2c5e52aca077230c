#include "runtime/plan_builder.h"

#include <fcntl.h>
#include <sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.h"
#include "runtime/cgroups/cgroup_v1.h"
#include "runtime/seccomp/filter_cache.h"
#include "runtime/seccomp/seccomp_filter.h"
#include "sys/capabilities.h"
#include "sys/open_in_root.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {
namespace {

struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},   {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},          {"defaults", false, 0},
    {"dev", true, MS_NODEV},           {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},    {"exec", true, MS_NOEXEC},
    {"mand", false, MS_MANDLOCK},      {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},        {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},      {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},      {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},  {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"strictatime", false, MS_STRICTATIME}, {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},   {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
};

struct NsInfo {
  const char* type;
  int flag;
  const char* proc;
};
constexpr NsInfo kNamespaces[] = {
    {"user", CLONE_NEWUSER, "user"}, {"mount", CLONE_NEWNS, "mnt"},
    {"pid", CLONE_NEWPID, "pid"},    {"network", CLONE_NEWNET, "net"},
    {"ipc", CLONE_NEWIPC, "ipc"},    {"uts", CLONE_NEWUTS, "uts"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", CLONE_NEWTIME, "time"},
};

constexpr std::pair<const char*, int> kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool hasNamespace(const std::vector<oci::LinuxNamespace>& ns, std::string_view type) {
  return std::any_of(ns.begin(), ns.end(), [&](const auto& n) { return n.type == type; });
}

std::string cleanPath(const std::string& path) {
  std::vector<std::string> parts;
  for (auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return "/" + join(parts, "/");
}

// The v1 hierarchies mounted on this machine: mount point → root inside the hierarchy is "/".
std::vector<std::string> cgroupV1Mounts() {
  std::vector<std::string> out;
  auto text = cgroups::readMountinfo("/proc/self/mountinfo");
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string fstype;
    rest >> fstype;
    if (fstype != "cgroup") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mountpoint;
    head >> id >> parent >> dev >> root >> mountpoint;
    if (mountpoint.rfind("/sys/fs/cgroup/", 0) == 0) out.push_back(mountpoint);
  }
  return out;
}

Result<PlanMount> planMount(const oci::Mount& m, const PlanContext& ctx) {
  BERTH_TRY_CTX(MountOptions opts, parseMountOptions(m.options),
                "mount " + m.destination);
  PlanMount pm;
  pm.destination = cleanPath(m.destination);
  pm.source = m.source;
  pm.type = m.type;
  pm.data = opts.data;
  pm.flags = opts.flags;
  pm.propagation = opts.propagation;
  pm.bind = opts.bind || m.type == "bind";
  if (pm.bind) {
    // The kernel ignores data for a bind mount: an option we do not know would silently do
    // nothing (e.g. the recursive "rro", applied with mount_setattr by newer runtimes).
    if (!opts.data.empty()) {
      return invalidArgument("mount " + m.destination + ": option(s) \"" + opts.data +
                             "\" not supported for bind mounts");
    }
    pm.flags |= MS_BIND;
    pm.type.clear();
    pm.data.clear();
    if (!pm.source.empty() && pm.source[0] != '/') pm.source = ctx.bundle + "/" + pm.source;
    struct stat st;
    if (::stat(pm.source.c_str(), &st) != 0) {
      return errnoError("mount " + m.source + " on " + m.destination + ": stat " + pm.source);
    }
    pm.file = !S_ISDIR(st.st_mode);
    pm.remount = (pm.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0;
  }
  return pm;
}

Result<void> addDevice(InitPlan& plan, const oci::LinuxDevice& d, bool bind) {
  PlanDevice pd;
  pd.path = cleanPath(d.path);
  mode_t type = 0;
  if (d.type == "c" || d.type == "u") type = S_IFCHR;
  else if (d.type == "b") type = S_IFBLK;
  else if (d.type == "p") type = S_IFIFO;
  else return invalidArgument("device " + d.path + ": unknown type \"" + d.type + "\"");
  pd.mode = type | (d.fileMode ? *d.fileMode & 07777 : 0666);
  pd.dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  pd.uid = d.uid.value_or(0);
  pd.gid = d.gid.value_or(0);
  pd.bind = bind && type != S_IFIFO;
  auto it = std::find_if(plan.devices.begin(), plan.devices.end(),
                         [&](const PlanDevice& x) { return x.path == pd.path; });
  if (it != plan.devices.end()) *it = pd;
  else plan.devices.push_back(pd);
  return {};
}

bool hasEnv(const std::vector<std::string>& env, std::string_view name) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
    return e.size() > name.size() && e.compare(0, name.size(), name) == 0 &&
           e[name.size()] == '=';
  });
}

// The home directory of `uid` in the container's /etc/passwd (resolved inside root_fd), or "/"
// as runc and Docker use when the user has no entry.
std::string homeDirFor(int root_fd, uint32_t uid) {
  UniqueFd fd(sys::openInRoot(root_fd, "/etc/passwd", O_RDONLY));
  if (!fd) return "/";
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0 && text.size() < (1u << 20)) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  for (const std::string& line : split(text, '\n')) {
    auto fields = split(line, ':');
    if (fields.size() < 7) continue;
    auto id = parseUint(fields[2]);
    if (id && *id == uid && !fields[5].empty()) return fields[5];
  }
  return "/";
}

// Docker and runc give the process HOME from /etc/passwd when its environment lacks one.
void setProcess(InitPlan& plan, oci::Process p, int root_fd) {
  if (!hasEnv(p.env, "HOME")) p.env.push_back("HOME=" + homeDirFor(root_fd, p.user.uid));
  plan.terminal = p.terminal;
  if (p.consoleSize) {
    plan.console_rows = static_cast<unsigned short>(p.consoleSize->height);
    plan.console_cols = static_cast<unsigned short>(p.consoleSize->width);
  }
  plan.uid = p.user.uid;
  plan.gid = p.user.gid;
  plan.additional_gids.assign(p.user.additionalGids.begin(), p.user.additionalGids.end());
  plan.umask = p.user.umask ? static_cast<int>(*p.user.umask) : -1;
  plan.no_new_privs = p.noNewPrivileges;
  plan.cwd = p.cwd.empty() ? "/" : p.cwd;
  plan.argv = CStringArray(p.args);
  plan.envp = CStringArray(p.env);
  plan.path_dirs = pathDirs(p.env);
  if (p.oomScoreAdj) plan.oom_score_adj = std::to_string(*p.oomScoreAdj);
}

Result<void> setProcessLimits(InitPlan& plan, const oci::Process& p) {
  BERTH_TRY_VOID(checkProcessSecurity(p));
  if (!p.apparmorProfile.empty()) plan.apparmor_exec = "exec " + p.apparmorProfile;
  if (p.scheduler) {
    BERTH_TRY_CTX(PlanScheduler sched, planScheduler(*p.scheduler), "process.scheduler");
    plan.scheduler = sched;
  }
  if (p.ioPriority) {
    BERTH_TRY_CTX(plan.ioprio, ioPriorityValue(*p.ioPriority), "process.ioPriority");
  }
  for (const auto& r : p.rlimits) {
    BERTH_TRY(int res, rlimitResource(r.type));
    plan.rlimits.push_back({res, r.soft, r.hard});
  }
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    BERTH_TRY(auto sets, sys::resolveCapabilities(c.bounding, c.effective, c.inheritable,
                                                  c.permitted, c.ambient));
    // The kernel refuses an ambient capability that is not both permitted and inheritable;
    // runc ignores those raise failures (its default spec lists ambient without inheritable).
    sets.ambient &= sets.permitted & sets.inheritable;
    plan.caps = sets;
  }
  return {};
}

// Linux-level fields berth-runtime does not apply: errors instead of silently running without.
Result<void> checkUnsupported(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (!m.uidMappings.empty() || !m.gidMappings.empty()) {
      return notImplemented("mount " + m.destination +
                            ": idmapped mounts (uidMappings/gidMappings) are not supported");
    }
  }
  if (!spec.linux) return {};
  const oci::Linux& lx = *spec.linux;
  if (!lx.mountLabel.empty()) {
    if (!selinuxEnabled()) {
      return invalidArgument(
          "linux.mountLabel: selinux label is specified in config, but selinux is disabled or "
          "not supported");
    }
    return notImplemented("linux.mountLabel: selinux labels are not supported by berth-runtime");
  }
  if (lx.seccomp && (!lx.seccomp->listenerPath.empty() || !lx.seccomp->listenerMetadata.empty())) {
    return notImplemented("seccomp notify (linux.seccomp.listenerPath) is not supported");
  }
  return {};
}

// The personality, for init and exec alike (an exec'd process is the container's too).
Result<void> setPersonality(InitPlan& plan, const oci::Spec& spec) {
  if (spec.linux && spec.linux->personality) {
    BERTH_TRY_CTX(plan.personality, personalityPersona(*spec.linux->personality),
                  "linux.personality");
  }
  return {};
}

// `cache_dir`: a seccomp::FilterCache directory whose filter is used when it was compiled from
// the same section (seccomp/filter_cache.h), "" to compile here.
Result<void> setSeccomp(InitPlan& plan, const oci::Spec& spec, const std::string& cache_dir) {
  if (!spec.linux || !spec.linux->seccomp) return {};
  BERTH_TRY_CTX(auto filter, seccomp::compileCached(*spec.linux->seccomp, cache_dir), "seccomp");
  if (filter.needs_listener) {
    return notImplemented(
        "seccomp: action SCMP_ACT_NOTIFY is not supported (seccomp notify needs a listener)");
  }
  plan.seccomp = std::move(filter);
  return {};
}

bool fileStartsWith(const char* path, char c) {
  std::ifstream in(path);
  char first = 0;
  return in.get(first) && first == c;
}

}  // namespace

Result<unsigned long> personalityPersona(const oci::LinuxPersonality& personality) {
  if (!personality.flags.empty()) {
    return invalidArgument("unknown personality flag \"" + personality.flags[0] + "\"");
  }
  if (personality.domain == "LINUX") return PER_LINUX;
  if (personality.domain == "LINUX32") return PER_LINUX32;
  return invalidArgument("unknown personality domain \"" + personality.domain + "\"");
}

Result<PlanScheduler> planScheduler(const oci::LinuxScheduler& s) {
  static const std::pair<const char*, uint32_t> kPolicies[] = {
      {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO},   {"SCHED_RR", SCHED_RR},
      {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE},   {"SCHED_ISO", 4},
      {"SCHED_DEADLINE", 6},
  };
  static const std::pair<const char*, uint64_t> kFlags[] = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
      {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
      {"SCHED_FLAG_KEEP_PARAMS", 0x10},
  };
  PlanScheduler out;
  if (s.policy.empty()) return invalidArgument("scheduler policy is required");
  auto pol = std::find_if(std::begin(kPolicies), std::end(kPolicies),
                          [&](const auto& p) { return s.policy == p.first; });
  if (pol == std::end(kPolicies)) {
    return invalidArgument("unknown scheduler policy \"" + s.policy + "\"");
  }
  if (s.policy == "SCHED_ISO") {
    return invalidArgument("scheduler policy SCHED_ISO is not implemented by the linux kernel");
  }
  out.policy = pol->second;
  int32_t nice = s.nice.value_or(0);
  if (nice < -20 || nice > 19) {
    return invalidArgument("invalid scheduler nice " + std::to_string(nice) +
                           ": must be within -20 to 19");
  }
  out.nice = nice;
  int32_t prio = s.priority.value_or(0);
  bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
  if (prio != 0 && !realtime) {
    return invalidArgument("scheduler priority can only be specified for SCHED_FIFO or SCHED_RR");
  }
  if (prio < 0 || prio > 99) {
    return invalidArgument("invalid scheduler priority " + std::to_string(prio) +
                           ": must be within 1 to 99");
  }
  out.priority = static_cast<uint32_t>(prio);
  bool deadline = s.policy == "SCHED_DEADLINE";
  if (!deadline && (s.runtime.value_or(0) || s.deadline.value_or(0) || s.period.value_or(0))) {
    return invalidArgument(
        "scheduler runtime/deadline/period can only be specified for SCHED_DEADLINE");
  }
  out.runtime = s.runtime.value_or(0);
  out.deadline = s.deadline.value_or(0);
  out.period = s.period.value_or(0);
  for (const auto& f : s.flags) {
    auto it = std::find_if(std::begin(kFlags), std::end(kFlags),
                           [&](const auto& k) { return f == k.first; });
    if (it == std::end(kFlags)) {
      if (f == "SCHED_FLAG_UTIL_CLAMP_MIN" || f == "SCHED_FLAG_UTIL_CLAMP_MAX") {
        return notImplemented("scheduler flag " + f +
                              " is not supported (the spec carries no utilization value)");
      }
      return invalidArgument("unknown scheduler flag \"" + f + "\"");
    }
    out.flags |= it->second;
  }
  return out;
}

Result<int> ioPriorityValue(const oci::LinuxIOPriority& p) {
  int cls = 0;
  if (p.ioClass == "IOPRIO_CLASS_RT") cls = 1;
  else if (p.ioClass == "IOPRIO_CLASS_BE") cls = 2;
  else if (p.ioClass == "IOPRIO_CLASS_IDLE") cls = 3;
  else return invalidArgument("unknown io priority class \"" + p.ioClass + "\"");
  if (p.priority < 0 || p.priority > 7) {
    return invalidArgument("invalid io priority " + std::to_string(p.priority) +
                           ": must be within 0 to 7");
  }
  return cls << 13 | p.priority;
}

bool apparmorEnabled() { return fileStartsWith("/sys/module/apparmor/parameters/enabled", 'Y'); }

bool selinuxEnabled() { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }

Result<void> checkProcessSecurity(const oci::Process& p) {
  if (!p.selinuxLabel.empty()) {
    if (!selinuxEnabled()) {
      return invalidArgument(
          "process.selinuxLabel: selinux label is specified in config, but selinux is disabled "
          "or not supported");
    }
    return notImplemented("process.selinuxLabel: selinux labels are not supported by "
                          "berth-runtime");
  }
  if (!p.apparmorProfile.empty() && !apparmorEnabled()) {
    return invalidArgument("apparmor profile \"" + p.apparmorProfile +
                           "\" is set but AppArmor is not enabled on this system");
  }
  return {};
}

Result<MountOptions> parseMountOptions(const std::vector<std::string>& options) {
  MountOptions out;
  std::vector<std::string> data;
  for (const auto& opt : options) {
    auto it = std::find_if(std::begin(kFlagOptions), std::end(kFlagOptions),
                           [&](const FlagOption& f) { return opt == f.name; });
    if (it != std::end(kFlagOptions)) {
      if (it->clear) out.flags &= ~it->flag;
      else out.flags |= it->flag;
      if (it->flag & MS_BIND) out.bind = true;
      continue;
    }
    auto prop = parsePropagation(opt);
    if (prop) {
      out.propagation = *prop;
      continue;
    }
    if (opt == "tmpcopyup" || opt == "idmap" || opt == "ridmap") {
      return invalidArgument("mount option \"" + opt + "\" is not supported");
    }
    data.push_back(opt);
  }
  out.data = join(data, ",");
  return out;
}

Result<unsigned long> parsePropagation(std::string_view name) {
  static const std::map<std::string_view, unsigned long> kProps = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  auto it = kProps.find(name);
  if (it == kProps.end()) {
    return invalidArgument("unknown propagation \"" + std::string(name) + "\"");
  }
  return it->second;
}

Result<int> namespaceFlag(std::string_view type) {
  for (const auto& ns : kNamespaces) {
    if (type == ns.type) return ns.flag;
  }
  return invalidArgument("unknown namespace type \"" + std::string(type) + "\"");
}

std::string namespaceProcName(std::string_view type) {
  for (const auto& ns : kNamespaces) {
    if (type == ns.type) return ns.proc;
  }
  return std::string(type);
}

std::string idMapString(const std::vector<oci::LinuxIDMapping>& maps) {
  std::string out;
  for (const auto& m : maps) {
    out += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " +
           std::to_string(m.size) + "\n";
  }
  return out;
}

Result<int> rlimitResource(std::string_view name) {
  for (const auto& [n, r] : kRlimits) {
    if (name == n) return r;
  }
  return invalidArgument("unknown rlimit type \"" + std::string(name) + "\"");
}

std::vector<std::string> pathDirs(const std::vector<std::string>& env) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->rfind("PATH=", 0) == 0) return split(it->substr(5), ':');
  }
  return split(kDefaultPath, ':');
}

Result<void> validateSysctl(std::string_view key, const std::vector<oci::LinuxNamespace>& ns) {
  static const char* kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                               "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                               "kernel.shmmni", "kernel.shm_rmid_forced"};
  std::string k(key);
  auto notSeparate = [&](const char* what) {
    return invalidArgument("sysctl \"" + k + "\" is not in a separate kernel namespace (" +
                           what + ")");
  };
  for (const char* ipc : kIpc) {
    if (k == ipc) {
      if (!hasNamespace(ns, "ipc")) return notSeparate("ipc");
      return {};
    }
  }
  if (k.rfind("fs.mqueue.", 0) == 0) {
    if (!hasNamespace(ns, "ipc")) return notSeparate("ipc");
    return {};
  }
  if (k.rfind("net.", 0) == 0) {
    if (!hasNamespace(ns, "network")) return notSeparate("network");
    return {};
  }
  if (k == "kernel.hostname" || k == "kernel.domainname") {
    if (!hasNamespace(ns, "uts")) return notSeparate("uts");
    return {};
  }
  return invalidArgument("sysctl \"" + k + "\" is not whitelisted");
}

Result<BuiltPlan> buildInitPlan(const oci::Spec& spec, const PlanContext& ctx) {
  BuiltPlan built;
  InitPlan& plan = built.plan;
  if (!spec.process) return invalidArgument("config.json: process is required");
  BERTH_TRY_VOID_CTX(checkUnsupported(spec), "config.json");
  plan.session_keyring = ctx.session_keyring;
  const oci::Linux empty_linux;
  const oci::Linux& linux = spec.linux ? *spec.linux : empty_linux;

  // Namespaces.
  bool join_user = false;
  uint64_t create = 0;
  std::vector<PlanJoin> joins;
  for (const auto& ns : linux.namespaces) {
    BERTH_TRY(int flag, namespaceFlag(ns.type));
    if (ns.path.empty()) {
      create |= static_cast<uint64_t>(flag);
      continue;
    }
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errnoError("open " + ns.type + " namespace " + ns.path);
    if (flag == CLONE_NEWPID) {
      built.pid_ns = std::move(fd);
    } else if (flag == CLONE_NEWTIME) {
      built.time_ns = std::move(fd);
    } else {
      if (flag == CLONE_NEWUSER) join_user = true;
      PlanJoin j{fd.get(), flag};
      if (flag == CLONE_NEWUSER) joins.insert(joins.begin(), j);
      else joins.push_back(j);
      built.fds.push_back(std::move(fd));
    }
  }
  plan.joins = joins;
  plan.new_user_ns = (create & CLONE_NEWUSER) != 0;
  plan.loopback_up = ctx.loopback_up && (create & CLONE_NEWNET) != 0;
  // A cgroup namespace is made after the child is in its cgroup (v1 adds it after clone).
  plan.unshare_flags = create & CLONE_NEWCGROUP;
  create &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
  if (join_user) {
    // Namespaces made after joining a user namespace are owned by it.
    plan.unshare_flags |= create & ~static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWTIME);
    create &= CLONE_NEWPID | CLONE_NEWTIME;
  }
  plan.clone_flags = create;
  if (!linux.uidMappings.empty() || !linux.gidMappings.empty()) {
    if (!hasNamespace(linux.namespaces, "user")) {
      return invalidArgument("config.json: uid/gid mappings require a user namespace");
    }
  }
  bool new_net = (create & CLONE_NEWNET) || (plan.unshare_flags & CLONE_NEWNET);
  bool user_ns = hasNamespace(linux.namespaces, "user");

  if (!spec.hostname.empty()) {
    if (!hasNamespace(linux.namespaces, "uts")) {
      return invalidArgument("unable to set hostname without a private UTS namespace");
    }
    plan.hostname = spec.hostname;
    plan.set_hostname = true;
  }
  if (!spec.domainname.empty()) {
    if (!hasNamespace(linux.namespaces, "uts")) {
      return invalidArgument("unable to set domainname without a private UTS namespace");
    }
    plan.domainname = spec.domainname;
    plan.set_domainname = true;
  }

  // Filesystem.
  plan.rootfs = ctx.rootfs;
  plan.no_pivot = ctx.no_pivot;
  plan.rootfs_propagation = MS_SLAVE | MS_REC;
  if (!linux.rootfsPropagation.empty()) {
    BERTH_TRY_CTX(plan.rootfs_propagation, parsePropagation(linux.rootfsPropagation),
                  "config.json: linux.rootfsPropagation");
    plan.make_parent_private = !(plan.rootfs_propagation & MS_SHARED);
  }
  plan.readonly_root = spec.root && spec.root->readonly;
  bool dev_mounted = false;
  for (const auto& m : spec.mounts) {
    if (cleanPath(m.destination) == "/dev") dev_mounted = true;
    if (m.type == "cgroup" || m.type == "cgroup2") {
      BERTH_TRY(MountOptions opts, parseMountOptions(m.options));
      bool ro = (opts.flags & MS_RDONLY) != 0;
      unsigned long base = opts.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
      std::string dest = cleanPath(m.destination);
      if (ctx.cgroup_version == cgroups::Version::kV2) {
        PlanMount pm{"cgroup", dest, "cgroup2", "", base | (ro ? MS_RDONLY : 0)};
        plan.mounts.push_back(pm);
        continue;
      }
      PlanMount tmpfs{"tmpfs", dest, "tmpfs", "mode=755", base};
      tmpfs.readonly_after = ro;
      plan.mounts.push_back(tmpfs);
      for (const auto& mp : cgroupV1Mounts()) {
        std::string name = mp.substr(mp.rfind('/') + 1);
        std::string src = mp + (ctx.cgroup_path == "/" ? "" : ctx.cgroup_path);
        struct stat st;
        if (::stat(src.c_str(), &st) != 0) continue;
        PlanMount b;
        b.source = src;
        b.destination = dest + "/" + name;
        b.bind = true;
        b.flags = MS_BIND | MS_REC | base | (ro ? MS_RDONLY : 0);
        b.remount = true;
        plan.mounts.push_back(b);
      }
      continue;
    }
    if (m.type == "sysfs" && !new_net) {
      // Without its own network namespace a container may not mount sysfs: bind the host's.
      PlanMount pm{"/sys", cleanPath(m.destination), "", "",
                   MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC};
      pm.bind = true;
      pm.remount = true;
      plan.mounts.push_back(pm);
      continue;
    }
    BERTH_TRY(PlanMount pm, planMount(m, ctx));
    plan.mounts.push_back(std::move(pm));
  }

  // Devices: the defaults, then the spec's (same path replaces).
  static const oci::LinuxDevice kDefaults[] = {
      {"/dev/null", "c", 1, 3, 0666, 0, 0},    {"/dev/zero", "c", 1, 5, 0666, 0, 0},
      {"/dev/full", "c", 1, 7, 0666, 0, 0},    {"/dev/random", "c", 1, 8, 0666, 0, 0},
      {"/dev/urandom", "c", 1, 9, 0666, 0, 0}, {"/dev/tty", "c", 5, 0, 0666, 0, 0},
  };
  for (const auto& d : kDefaults) BERTH_TRY_VOID(addDevice(plan, d, user_ns));
  for (const auto& d : linux.devices) BERTH_TRY_VOID(addDevice(plan, d, user_ns));
  plan.symlinks = {{"/proc/self/fd", "/dev/fd"},
                   {"/proc/self/fd/0", "/dev/stdin"},
                   {"/proc/self/fd/1", "/dev/stdout"},
                   {"/proc/self/fd/2", "/dev/stderr"}};
  if (dev_mounted) plan.symlinks.push_back({"pts/ptmx", "/dev/ptmx"});
  if (::access("/proc/kcore", F_OK) == 0) plan.symlinks.push_back({"/proc/kcore", "/dev/core"});

  for (const auto& [key, value] : linux.sysctl) {
    BERTH_TRY_VOID(validateSysctl(key, linux.namespaces));
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    plan.sysctls.push_back({path, value});
  }
  plan.readonly_paths = linux.readonlyPaths;
  plan.masked_paths = linux.maskedPaths;

  // Process.
  {
    UniqueFd root_fd(::open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return errnoError("open rootfs " + ctx.rootfs);
    setProcess(plan, *spec.process, root_fd.get());
  }
  BERTH_TRY_VOID(setProcessLimits(plan, *spec.process));
  plan.mount_console = plan.terminal;
  plan.console_fd = ctx.console_fd;
  plan.state_dir_fd = ctx.state_dir_fd;
  plan.preserve_fds = ctx.preserve_fds;
  BERTH_TRY_VOID(setPersonality(plan, spec));
  BERTH_TRY_VOID(setSeccomp(plan, spec, ctx.seccomp_cache_dir));
  if (spec.hooks) {
    const auto& h = *spec.hooks;
    plan.run_hooks =
        !h.prestart.empty() || !h.createRuntime.empty() || !h.createContainer.empty();
    for (const auto& hook : h.startContainer) {
      PlanHook ph;
      ph.path = hook.path;
      ph.argv = CStringArray(hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args);
      ph.envp = CStringArray(hook.env);
      ph.timeout = hook.timeout.value_or(0);
      plan.start_hooks.push_back(std::move(ph));
    }
  }
  return built;
}

Result<BuiltPlan> buildExecPlan(const oci::Spec& spec, const oci::Process& process,
                                pid_t init_pid, int console_fd, int preserve_fds,
                                const std::string& seccomp_cache_dir) {
  BuiltPlan built;
  InitPlan& plan = built.plan;
  plan.is_exec = true;
  const std::string base = "/proc/" + std::to_string(init_pid) + "/ns/";
  std::vector<PlanJoin> joins;
  if (spec.linux) {
    for (const auto& ns : spec.linux->namespaces) {
      BERTH_TRY(int flag, namespaceFlag(ns.type));
      std::string path = base + namespaceProcName(ns.type);
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return errnoError("open " + path);
      if (flag == CLONE_NEWPID) {
        built.pid_ns = std::move(fd);
      } else if (flag == CLONE_NEWTIME) {
        built.time_ns = std::move(fd);
      } else {
        PlanJoin j{fd.get(), flag};
        if (flag == CLONE_NEWUSER) joins.insert(joins.begin(), j);
        else joins.push_back(j);
        built.fds.push_back(std::move(fd));
      }
    }
  }
  plan.joins = joins;
  {
    std::string root = "/proc/" + std::to_string(init_pid) + "/root";
    UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return errnoError("open " + root);
    setProcess(plan, process, root_fd.get());
  }
  BERTH_TRY_VOID(setProcessLimits(plan, process));
  plan.console_fd = console_fd;
  plan.preserve_fds = preserve_fds;
  BERTH_TRY_VOID(setPersonality(plan, spec));
  BERTH_TRY_VOID(setSeccomp(plan, spec, seccomp_cache_dir));
  return built;
}

}  // namespace berth::runtime
