#pragma once
// Builds a container's OCI runtime config (the bundle's config.json) from its record, as dockerd
// does (moby daemon/oci_linux.go): Docker's default capabilities and seccomp profile, masked and
// read-only /proc paths, /dev/shm of 64M, the hostname/hosts/resolv.conf files bind-mounted from
// the container's directory, Binds, Privileged, CapAdd/CapDrop, ReadonlyRootfs, Ulimits and the
// resource limits, cgroupsPath "/berth/<id>", and the network namespace for none/host.
// Pure except for reading /dev (privileged devices), the CPU count and the seccomp profile data.

#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/container.h"
#include "daemon/create_config.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp/filter_cache.h"

namespace berth::daemon {

struct SpecInputs {
  std::string rootfs;  // the mounted rw layer
  ResolvedUser user;
  std::vector<ContainerUlimit> default_ulimits;  // daemon.json default-ulimits
  // When set, the container's seccomp section is compiled into this cache (once per distinct
  // section) for the shim to load; a failure there is logged and left to the shim.
  runtime::seccomp::FilterCache* seccomp_cache = nullptr;
  std::string netns_path;  // join this network namespace (sandbox, container:<x>)
  bool host_netns = false; // share the host's (host mode, container:<host-mode container>)
};

Result<oci::Spec> buildContainerSpec(const Container& container, const SpecInputs& inputs);

// Docker's CapAdd/CapDrop rules (moby oci/caps TweakCapabilities): names with or without CAP_,
// any case; "ALL" in CapAdd grants every capability, "ALL" in CapDrop starts from none and adds
// CapAdd. Unknown names: InvalidArgument `unknown capability: "CAP_FOO"`.
Result<std::vector<std::string>> containerCapabilities(const ContainerHostConfig& host_config);

// Bind "src:dst[:opts]" → mount + mount point; opts ro|rw, z|Z (ignored: no SELinux), and the
// propagation modes. Relative sources are refused (named volumes are not supported yet).
struct ParsedBind {
  oci::Mount mount;
  MountPoint point;
};
Result<ParsedBind> parseBind(const std::string& bind);

// "nofile" → "RLIMIT_NOFILE"; InvalidArgument "invalid ulimit type: foo" otherwise.
Result<std::string> rlimitTypeOf(const std::string& name);

// Validates and normalises the resource fields at create, as dockerd does (minimum memory 6MB,
// swap ≥ memory, MemorySwap = 2×Memory when unset, NanoCpus vs CpuQuota/CpuPeriod, CPU range).
Result<void> validateResources(ContainerHostConfig* host_config);

}  // namespace berth::daemon
