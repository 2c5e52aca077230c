#pragma once
// Spec → InitPlan: everything the child path needs, computed in the parent. The small parsers
// (mount options, namespaces, rlimits, id maps, PATH) are exposed for unit tests.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroups/cgroup_manager.h"
#include "runtime/init/init_plan.h"

namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_* (MS_BIND|MS_REC for bind/rbind)
  unsigned long propagation = 0;  // MS_SHARED/... | MS_REC
  std::string data;               // options the kernel gets as data, comma-joined
  bool bind = false;
};

// Parses OCI mount options ("ro", "rbind", "rslave", "size=64m", ...) as runc does.
Result<MountOptions> parseMountOptions(const std::vector<std::string>& options);
// "rslave" → MS_SLAVE|MS_REC; InvalidArgument for anything else.
Result<unsigned long> parsePropagation(std::string_view name);
// "network" → CLONE_NEWNET; InvalidArgument for an unknown type.
Result<int> namespaceFlag(std::string_view type);
// The /proc/<pid>/ns/ file name of a namespace type ("network" → "net").
std::string namespaceProcName(std::string_view type);
// "0 1000 65536\n..." for /proc/<pid>/uid_map.
std::string idMapString(const std::vector<oci::LinuxIDMapping>& maps);
// "RLIMIT_NOFILE" → RLIMIT_NOFILE.
Result<int> rlimitResource(std::string_view name);
// The PATH entries of an environment ("PATH=/a:/b" → {"/a", "/b"}); a default PATH if unset.
std::vector<std::string> pathDirs(const std::vector<std::string>& env);
// Checks a sysctl key against the namespaces the container gets (as runc): IPC keys need an ipc
// namespace, net.* a network namespace, kernel.hostname/domainname a uts namespace.
Result<void> validateSysctl(std::string_view key, const std::vector<oci::LinuxNamespace>& ns);
// linux.personality → the personality(2) persona: LINUX → PER_LINUX, LINUX32 → PER_LINUX32.
// InvalidArgument for another domain or any flag (the spec defines none).
Result<unsigned long> personalityPersona(const oci::LinuxPersonality& personality);
// process.scheduler validated (as runc) and converted for sched_setattr.
Result<PlanScheduler> planScheduler(const oci::LinuxScheduler& scheduler);
// process.ioPriority → the ioprio_set value (class << 13 | priority).
Result<int> ioPriorityValue(const oci::LinuxIOPriority& priority);
// Whether AppArmor / SELinux are enabled on this host (/sys/module/apparmor/parameters/enabled,
// /sys/fs/selinux/enforce).
bool apparmorEnabled();
bool selinuxEnabled();
// Process fields that berth-runtime cannot apply give errors here rather than being ignored:
// selinuxLabel (no SELinux support), apparmorProfile when AppArmor is not enabled.
Result<void> checkProcessSecurity(const oci::Process& process);

struct PlanContext {
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  bool no_pivot = false;
  int preserve_fds = 0;
  int console_fd = -1;
  int state_dir_fd = -1;
  bool loopback_up = false;  // CreateOptions::loopback_up
  std::string cgroup_path;  // the container's cgroup, relative to each hierarchy
  cgroups::Version cgroup_version = cgroups::Version::kV1;
  std::string session_keyring;  // "_ses.<id>"; "" with --no-new-keyring
  std::string seccomp_cache_dir;  // RuntimeOptions::seccomp_cache_dir
};

// A plan plus the fds it refers to (namespace fds to join), owned by the parent.
struct BuiltPlan {
  InitPlan plan;
  std::vector<UniqueFd> fds;
  UniqueFd pid_ns;   // to setns in the parent before clone (pid_for_children)
  UniqueFd time_ns;  // same for time namespaces
};

Result<BuiltPlan> buildInitPlan(const oci::Spec& spec, const PlanContext& ctx);

// An exec into the running container whose init is `init_pid`: joins its namespaces.
Result<BuiltPlan> buildExecPlan(const oci::Spec& spec, const oci::Process& process,
                                pid_t init_pid, int console_fd, int preserve_fds,
                                const std::string& seccomp_cache_dir = {});

}  // namespace berth::runtime
