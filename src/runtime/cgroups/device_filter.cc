#include "runtime/cgroups/device_filter.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::runtime::cgroups {
namespace {

// The opcodes the filter uses (linux/bpf_common.h, linux/bpf.h).
constexpr uint8_t kLdxMemW = 0x61;     // BPF_LDX | BPF_MEM | BPF_W
constexpr uint8_t kAndImm32 = 0x54;    // BPF_ALU | BPF_AND | BPF_K
constexpr uint8_t kRshImm32 = 0x74;    // BPF_ALU | BPF_RSH | BPF_K
constexpr uint8_t kMovReg64 = 0xbf;    // BPF_ALU64 | BPF_MOV | BPF_X
constexpr uint8_t kMovImm64 = 0xb7;    // BPF_ALU64 | BPF_MOV | BPF_K
constexpr uint8_t kJneImm = 0x55;      // BPF_JMP | BPF_JNE | BPF_K
constexpr uint8_t kJeqImm = 0x15;      // BPF_JMP | BPF_JEQ | BPF_K
constexpr uint8_t kExit = 0x95;        // BPF_JMP | BPF_EXIT

// struct bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor.
constexpr int16_t kCtxAccessType = 0, kCtxMajor = 4, kCtxMinor = 8;
constexpr int32_t kTypeBlock = 1, kTypeChar = 2;                  // BPF_DEVCG_DEV_*
constexpr int32_t kAccMknod = 1, kAccRead = 2, kAccWrite = 4;     // BPF_DEVCG_ACC_*
constexpr int32_t kAccAll = kAccMknod | kAccRead | kAccWrite;

// Registers: r1 context, r2 type, r3 access, r4 major, r5 minor, r0 scratch / result.
BpfInsn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return BpfInsn{code, static_cast<uint8_t>((dst & 0x0f) | (src << 4)), off, imm};
}

Result<int32_t> accessBits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= kAccRead;
    else if (c == 'w') bits |= kAccWrite;
    else if (c == 'm') bits |= kAccMknod;
    else return invalidArgument("device rule access \"" + access + "\": expected letters of rwm");
  }
  return bits == 0 ? kAccAll : bits;  // "" means all, as runc reads it
}

Result<std::optional<int32_t>> deviceNumber(const std::optional<int64_t>& n, const char* what) {
  if (!n || *n == -1) return std::optional<int32_t>();
  if (*n < 0 || *n > 0xfffff) {
    return invalidArgument(std::string("device rule ") + what + " " + std::to_string(*n) +
                           " is out of range");
  }
  return std::optional<int32_t>(static_cast<int32_t>(*n));
}

long bpfCall(int cmd, union bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

}  // namespace

Result<std::vector<BpfInsn>> buildDeviceFilter(const std::vector<oci::LinuxDeviceCgroup>& rules) {
  std::vector<BpfInsn> prog = {
      insn(kLdxMemW, 2, 1, kCtxAccessType, 0), insn(kAndImm32, 2, 0, 0, 0xffff),
      insn(kLdxMemW, 3, 1, kCtxAccessType, 0), insn(kRshImm32, 3, 0, 0, 16),
      insn(kLdxMemW, 4, 1, kCtxMajor, 0),      insn(kLdxMemW, 5, 1, kCtxMinor, 0),
  };
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const oci::LinuxDeviceCgroup& rule = *it;
    std::vector<BpfInsn> block;  // conditional jumps use off = -1 until the block length is known
    if (rule.type == "b" || rule.type == "c") {
      block.push_back(insn(kJneImm, 2, 0, -1, rule.type == "b" ? kTypeBlock : kTypeChar));
    } else if (!rule.type.empty() && rule.type != "a") {
      return invalidArgument("device rule type \"" + rule.type + "\": expected a, b or c");
    }
    BERTH_TRY(int32_t bits, accessBits(rule.access));
    if (bits != kAccAll) {
      block.push_back(insn(kMovReg64, 0, 3, 0, 0));
      if (rule.allow) {
        // Matches when nothing outside `bits` is asked for.
        block.push_back(insn(kAndImm32, 0, 0, 0, kAccAll & ~bits));
        block.push_back(insn(kJneImm, 0, 0, -1, 0));
      } else {
        // Matches when any of `bits` is asked for.
        block.push_back(insn(kAndImm32, 0, 0, 0, bits));
        block.push_back(insn(kJeqImm, 0, 0, -1, 0));
      }
    }
    BERTH_TRY(auto major, deviceNumber(rule.major, "major"));
    BERTH_TRY(auto minor, deviceNumber(rule.minor, "minor"));
    if (major) block.push_back(insn(kJneImm, 4, 0, -1, *major));
    if (minor) block.push_back(insn(kJneImm, 5, 0, -1, *minor));
    block.push_back(insn(kMovImm64, 0, 0, 0, rule.allow ? 1 : 0));
    block.push_back(insn(kExit, 0, 0, 0, 0));
    bool conditional = false;
    for (size_t i = 0; i < block.size(); ++i) {
      if (block[i].off == -1) {
        block[i].off = static_cast<int16_t>(block.size() - i - 1);
        conditional = true;
      }
    }
    prog.insert(prog.end(), block.begin(), block.end());
    // A rule that matches everything decides for all earlier ones; the verifier refuses
    // unreachable instructions after it.
    if (!conditional) return prog;
  }
  prog.push_back(insn(kMovImm64, 0, 0, 0, 1));  // no rule matched: allowed
  prog.push_back(insn(kExit, 0, 0, 0, 0));
  if (prog.size() > 4096) {
    return invalidArgument("too many device rules for one cgroup v2 device filter");
  }
  return prog;
}

Result<bool> evaluateDeviceFilter(const std::vector<BpfInsn>& program, char type, uint32_t major,
                                  uint32_t minor, const std::string& access) {
  BERTH_TRY(int32_t acc, accessBits(access));
  uint32_t ctx[3] = {static_cast<uint32_t>((type == 'b' ? kTypeBlock : kTypeChar) | (acc << 16)),
                     major, minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const BpfInsn& i = program[pc];
    int dst = i.dst_src & 0x0f, src = i.dst_src >> 4;
    switch (i.code) {
      case kLdxMemW:
        reg[dst] = ctx[i.off / 4];
        break;
      case kAndImm32:
        reg[dst] = static_cast<uint32_t>(reg[dst]) & static_cast<uint32_t>(i.imm);
        break;
      case kRshImm32:
        reg[dst] = static_cast<uint32_t>(reg[dst]) >> i.imm;
        break;
      case kMovReg64:
        reg[dst] = reg[src];
        break;
      case kMovImm64:
        reg[dst] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case kJneImm:
        if (reg[dst] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case kJeqImm:
        if (reg[dst] == static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case kExit:
        return reg[0] != 0;
      default:
        return internalError("device filter: unknown opcode " + std::to_string(i.code));
    }
  }
  return internalError("device filter: ran past its end");
}

Result<void> applyDeviceFilter(const std::string& cgroup_dir,
                               const std::vector<oci::LinuxDeviceCgroup>& rules) {
  BERTH_TRY(std::vector<BpfInsn> prog, buildDeviceFilter(rules));
  UniqueFd cgroup(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return errnoError("open cgroup " + cgroup_dir);

  char log[4096] = {};
  static const char kLicense[] = "Apache";
  union bpf_attr load;
  std::memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log);
  load.log_size = sizeof log;
  load.log_level = 1;
  UniqueFd prog_fd(static_cast<int>(bpfCall(BPF_PROG_LOAD, &load)));
  if (!prog_fd) {
    int err = errno;
    std::string detail = log[0] != '\0' ? std::string(": ") + log : "";
    return sysError("load cgroup v2 device filter" + detail, err);
  }

  // The programs attached before (an update): detached once the new one is in place.
  uint32_t old_ids[64] = {};
  union bpf_attr query;
  std::memset(&query, 0, sizeof query);
  query.query.target_fd = static_cast<uint32_t>(cgroup.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  query.query.prog_cnt = 64;
  uint32_t old_count = 0;
  if (bpfCall(BPF_PROG_QUERY, &query) == 0) old_count = query.query.prog_cnt;

  union bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpfCall(BPF_PROG_ATTACH, &attach) != 0) {
    // A program attached without BPF_F_ALLOW_MULTI: attaching without the flag replaces it.
    attach.attach_flags = 0;
    if (bpfCall(BPF_PROG_ATTACH, &attach) != 0) {
      return errnoError("attach device filter to cgroup " + cgroup_dir);
    }
    return {};
  }
  for (uint32_t i = 0; i < old_count && i < 64; ++i) {
    union bpf_attr by_id;
    std::memset(&by_id, 0, sizeof by_id);
    by_id.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(bpfCall(BPF_PROG_GET_FD_BY_ID, &by_id)));
    if (!old) continue;  // already gone
    union bpf_attr detach;
    std::memset(&detach, 0, sizeof detach);
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpfCall(BPF_PROG_DETACH, &detach) != 0 && errno != ENOENT) {
      return errnoError("detach the previous device filter of cgroup " + cgroup_dir);
    }
  }
  return {};
}

}  // namespace berth::runtime::cgroups
