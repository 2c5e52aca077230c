#pragma once
// Device access control on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE,
// attached to the container's cgroup, decides each open/mknod of a device node (v2 has no
// devices.allow/deny files). Built from the OCI rules (linux.resources.devices) directly as BPF
// instructions; loaded and attached with the bpf(2) syscall.
//
// Semantics: the rules are read from last to first and the first that matches decides (so a
// later rule overrides an earlier one, as in Docker's specs: "deny all", then exceptions); a
// request no rule matches is allowed, as in a fresh v1 cgroup. An allow rule matches when it
// grants every access bit asked for; a deny rule when it names any of them. Stricter than v1's
// exception lists in one corner: a deny of one device inside an allowed wildcard denies it
// (v1 would keep the wildcard).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"

namespace berth::runtime::cgroups {

// One eBPF instruction (struct bpf_insn's layout), so that the program can be built and
// unit-tested without the kernel headers' macros.
struct BpfInsn {
  uint8_t code = 0;
  uint8_t dst_src = 0;  // dst in the low nibble, src in the high nibble
  int16_t off = 0;
  int32_t imm = 0;
};
static_assert(sizeof(BpfInsn) == 8);

// The program for `rules`. Errors for rules the kernel could not express (a type other than
// a/b/c, access letters other than r/w/m, a negative major or minor other than -1).
Result<std::vector<BpfInsn>> buildDeviceFilter(const std::vector<oci::LinuxDeviceCgroup>& rules);

// Runs the program on one request, as the kernel would (for tests): type 'b' or 'c', access a
// subset of "rwm".
Result<bool> evaluateDeviceFilter(const std::vector<BpfInsn>& program, char type, uint32_t major,
                                  uint32_t minor, const std::string& access);

// Loads the program for `rules` and attaches it to the cgroup directory `cgroup_dir`, then
// detaches the device programs attached there before (so an update replaces the old rules
// without a moment of no rules). Errors name the step ("load device filter: ...").
Result<void> applyDeviceFilter(const std::string& cgroup_dir,
                               const std::vector<oci::LinuxDeviceCgroup>& rules);

}  // namespace berth::runtime::cgroups
