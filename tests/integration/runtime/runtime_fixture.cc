#include "runtime_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#ifndef BERTH_SOURCE_DIR
#error "BERTH_SOURCE_DIR must name the source tree (for scripts/make-busybox-rootfs)"
#endif

extern char** environ;

namespace berth::e2e {
namespace fs = std::filesystem;

namespace {

// The `runc spec` template (runc 1.1.5), terminal=false. Kept literal so fixtures never depend
// on the runtime's own `spec` command.
constexpr const char* kDefaultSpec = R"json({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
})json";

const std::map<std::string, int>& capNumbers() {
  static const std::map<std::string, int> kCaps = {
      {"CAP_CHOWN", 0},
      {"CAP_DAC_OVERRIDE", 1},
      {"CAP_DAC_READ_SEARCH", 2},
      {"CAP_FOWNER", 3},
      {"CAP_FSETID", 4},
      {"CAP_KILL", 5},
      {"CAP_SETGID", 6},
      {"CAP_SETUID", 7},
      {"CAP_SETPCAP", 8},
      {"CAP_LINUX_IMMUTABLE", 9},
      {"CAP_NET_BIND_SERVICE", 10},
      {"CAP_NET_BROADCAST", 11},
      {"CAP_NET_ADMIN", 12},
      {"CAP_NET_RAW", 13},
      {"CAP_IPC_LOCK", 14},
      {"CAP_IPC_OWNER", 15},
      {"CAP_SYS_MODULE", 16},
      {"CAP_SYS_RAWIO", 17},
      {"CAP_SYS_CHROOT", 18},
      {"CAP_SYS_PTRACE", 19},
      {"CAP_SYS_PACCT", 20},
      {"CAP_SYS_ADMIN", 21},
      {"CAP_SYS_BOOT", 22},
      {"CAP_SYS_NICE", 23},
      {"CAP_SYS_RESOURCE", 24},
      {"CAP_SYS_TIME", 25},
      {"CAP_SYS_TTY_CONFIG", 26},
      {"CAP_MKNOD", 27},
      {"CAP_LEASE", 28},
      {"CAP_AUDIT_WRITE", 29},
      {"CAP_AUDIT_CONTROL", 30},
      {"CAP_SETFCAP", 31},
      {"CAP_MAC_OVERRIDE", 32},
      {"CAP_MAC_ADMIN", 33},
      {"CAP_SYSLOG", 34},
      {"CAP_WAKE_ALARM", 35},
      {"CAP_BLOCK_SUSPEND", 36},
      {"CAP_AUDIT_READ", 37},
      {"CAP_PERFMON", 38},
      {"CAP_BPF", 39},
      {"CAP_CHECKPOINT_RESTORE", 40},
  };
  return kCaps;
}

// The busybox rootfs is built once per process and copied per bundle (building takes ~0.4 s).
class RootfsCache : public ::testing::Environment {
 public:
  static RootfsCache* instance() {
    static RootfsCache* cache = [] {
      auto* c = new RootfsCache;
      ::testing::AddGlobalTestEnvironment(c);  // gtest owns it; TearDown removes the dir
      return c;
    }();
    return cache;
  }

  // Path of the master rootfs, built on first use; "" (and *error) on failure.
  std::string get(std::string* error) {
    std::lock_guard lock(mu_);
    if (!path_.empty()) return path_ + "/rootfs";
    std::string dir = makeTempDir("berth-e2e-rootfs-");
    if (dir.empty()) {
      *error = std::string("mkdtemp: ") + std::strerror(errno);
      return "";
    }
    std::string script = std::string(BERTH_SOURCE_DIR) + "/scripts/make-busybox-rootfs";
    ProcResult r = runCommand({script, dir + "/rootfs"}, {.timeout = 60s});
    if (r.exit_code != 0) {
      *error = "make-busybox-rootfs: " + r.describe();
      std::error_code ec;
      fs::remove_all(dir, ec);
      return "";
    }
    path_ = dir;
    return path_ + "/rootfs";
  }

  void TearDown() override {
    std::lock_guard lock(mu_);
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
      path_.clear();
    }
  }

 private:
  std::mutex mu_;
  std::string path_;
};

// Registers the cache before main() runs so TearDown happens even if no test uses it.
[[maybe_unused]] RootfsCache* const kRootfsCacheRegistration = RootfsCache::instance();

std::atomic<int> g_id_counter{0};

std::string sanitizeId(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  }
  return s;
}

// Mount points of all cgroup (v1) and cgroup2 hierarchies on the host.
struct CgroupMount {
  std::string mount_point;
  std::string root;
  std::string fstype;
  std::vector<std::string> options;  // super options: controllers for v1
};

std::vector<CgroupMount> cgroupMounts() {
  std::vector<CgroupMount> mounts;
  std::istringstream in(readFileOrEmpty("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    std::string w;
    while (fields >> w) f.push_back(w);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    std::string fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m{f[4], f[3], fstype, {}};
    std::stringstream opts(*(dash + 3));
    std::string o;
    while (std::getline(opts, o, ',')) m.options.push_back(o);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

}  // namespace

std::string runtimePath() {
  const char* p = std::getenv("BERTH_TEST_RUNTIME");
  return p == nullptr ? "" : p;
}

std::string runtimeName() {
  return fs::path(runtimePath()).filename().string();
}

bool runtimeIsBerth() {
  return runtimeName().find("berth") != std::string::npos;
}
bool runtimeIsRunc() {
  return runtimeName() == "runc";
}

Json defaultSpec() {
  return Json::parse(kDefaultSpec);
}

std::string capMask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto it = capNumbers().find(n);
    if (it != capNumbers().end()) mask |= uint64_t{1} << it->second;
  }
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

bool MountInfo::hasOption(const std::string& o) const {
  return std::find(options.begin(), options.end(), o) != options.end();
}

bool MountInfo::hasSuperOption(const std::string& o) const {
  return std::find(super_options.begin(), super_options.end(), o) != super_options.end();
}

std::vector<MountInfo> parseMountinfo(const std::string& text) {
  auto splitComma = [](const std::string& s) {
    std::vector<std::string> v;
    std::stringstream in(s);
    for (std::string o; std::getline(in, o, ',');) v.push_back(o);
    return v;
  };
  std::vector<MountInfo> mounts;
  for (const auto& line : splitLines(text)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 4) continue;
    MountInfo m;
    m.root = f[3];
    m.mount_point = f[4];
    m.options = splitComma(f[5]);
    m.fstype = *(dash + 1);
    m.source = *(dash + 2);
    m.super_options = splitComma(*(dash + 3));
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::optional<MountInfo> findMount(const std::vector<MountInfo>& mounts,
                                   const std::string& mount_point) {
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    if (it->mount_point == mount_point) return *it;
  }
  return std::nullopt;
}

void Bundle::write() const {
  std::ofstream out(dir + "/config.json", std::ios::trunc);
  out << spec.dump(2);
}

void RuntimeTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (OCI runtimes create namespaces and cgroups)";
  if (runtimePath().empty()) GTEST_SKIP() << "BERTH_TEST_RUNTIME is not set";
  if (access(runtimePath().c_str(), X_OK) != 0)
    GTEST_SKIP() << "runtime " << runtimePath() << " is not executable";
  work_dir_ = makeTempDir("berth-e2e-");
  ASSERT_FALSE(work_dir_.empty()) << "mkdtemp: " << std::strerror(errno);
  root_ = work_dir_ + "/state";
  ASSERT_EQ(mkdir(root_.c_str(), 0700), 0) << std::strerror(errno);
}

void RuntimeTest::TearDown() {
  if (work_dir_.empty()) return;
  for (const auto& id : ids_) runtime({"delete", "-f", id}, {.timeout = 30s});
  for (const auto& c : foreign_) {
    runCommand({c.binary, "--root", c.root, "delete", "-f", c.id}, {.timeout = 30s});
  }
  // No cgroup of ours may survive delete.
  auto mounts = cgroupMounts();
  std::vector<std::string> all_ids = ids_;
  for (const auto& c : foreign_) all_ids.push_back(c.id);
  for (const auto& id : all_ids) {
    for (const auto& m : mounts) {
      std::string dir = m.mount_point + cgroupsPathFor(id);
      if (fs::exists(dir)) {
        ADD_FAILURE() << "cgroup left behind after delete -f: " << dir;
        rmdir(dir.c_str());
      }
    }
  }
  std::error_code ec;
  fs::remove_all(work_dir_, ec);
  if (ec) ADD_FAILURE() << "remove " << work_dir_ << ": " << ec.message();
}

Bundle RuntimeTest::makeBundle(const std::vector<std::string>& args) {
  Bundle b;
  b.dir = work_dir_ + "/bundle" + std::to_string(++bundle_count_);
  b.rootfs = b.dir + "/rootfs";
  b.spec = defaultSpec();
  b.spec["process"]["args"] = args;
  std::string error;
  std::string master = RootfsCache::instance()->get(&error);
  if (master.empty()) {
    ADD_FAILURE() << "building the busybox rootfs: " << error;
    return b;
  }
  fs::create_directories(b.dir);
  chmod(b.dir.c_str(), 0755);
  ProcResult cp = runCommand({"/bin/cp", "-a", master, b.rootfs});
  EXPECT_EQ(cp.exit_code, 0) << "cp rootfs: " << cp.describe();
  return b;
}

std::string RuntimeTest::newId() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? std::string(info->name()) : "t";
  if (name.size() > 24) name.resize(24);
  std::string id = sanitizeId("e2e-" + name + "-" + std::to_string(getpid()) + "-" +
                              std::to_string(++g_id_counter));
  ids_.push_back(id);
  return id;
}

ProcResult RuntimeTest::runtime(const std::vector<std::string>& args, const RunOptions& opts) {
  return runtimeAt(runtimePath(), root_, args, opts);
}

ProcResult RuntimeTest::runtimeAt(const std::string& binary, const std::string& root,
                                  const std::vector<std::string>& args, const RunOptions& opts) {
  std::vector<std::string> argv = {binary, "--root", root};
  argv.insert(argv.end(), args.begin(), args.end());
  if (binary != runtimePath() && !args.empty() && (args[0] == "run" || args[0] == "create")) {
    // Remember containers made with another runtime so TearDown deletes them too.
    foreign_.push_back({binary, root, args.back()});
  }
  return runCommand(argv, opts);
}

std::string RuntimeTest::cgroupsPathFor(const std::string& id) {
  return "/berth-e2e-" + id;
}

ProcResult RuntimeTest::run(Bundle& bundle, const std::string& id, const RunOptions& opts) {
  if (!bundle.spec["linux"].contains("cgroupsPath")) {
    bundle.spec["linux"]["cgroupsPath"] = cgroupsPathFor(id);
  }
  bundle.write();
  return runtime({"run", "--bundle", bundle.dir, id}, opts);
}

ProcResult RuntimeTest::runSh(const std::string& script, const std::function<void(Json&)>& edit) {
  Bundle b = makeShBundle(script);
  if (edit) edit(b.spec);
  return run(b, newId());
}

void RuntimeTest::create(Bundle& bundle, const std::string& id) {
  if (!bundle.spec["linux"].contains("cgroupsPath")) {
    bundle.spec["linux"]["cgroupsPath"] = cgroupsPathFor(id);
  }
  bundle.write();
  ProcResult r = runtime(
      {"create", "--bundle", bundle.dir, id},
      {.stdout_path = work_dir_ + "/" + id + ".out", .stderr_path = work_dir_ + "/" + id + ".err"});
  ASSERT_EQ(r.exit_code, 0) << "create " << id << ": " << r.describe();
}

std::string RuntimeTest::containerOutput(const std::string& id) const {
  return readFileOrEmpty(work_dir_ + "/" + id + ".out");
}

std::optional<Json> RuntimeTest::state(const std::string& id, ProcResult* failure) {
  ProcResult r = runtime({"state", id});
  if (r.exit_code != 0) {
    if (failure != nullptr) *failure = r;
    return std::nullopt;
  }
  try {
    return Json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "state " << id << " printed invalid JSON (" << e.what() << "): " << r.out;
    return std::nullopt;
  }
}

std::string RuntimeTest::status(const std::string& id) {
  auto s = state(id);
  if (!s || !s->contains("status") || !(*s)["status"].is_string()) return "";
  return (*s)["status"].get<std::string>();
}

int RuntimeTest::initPid(const std::string& id) {
  auto s = state(id);
  if (!s || !s->contains("pid") || !(*s)["pid"].is_number_integer()) return -1;
  return (*s)["pid"].get<int>();
}

bool RuntimeTest::waitStatus(const std::string& id, const std::string& want,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (status(id) == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return status(id) == want;
}

std::string RuntimeTest::hostCgroupDir(int pid, const std::string& controller) {
  std::string path;
  for (const auto& line : splitLines(readFileOrEmpty("/proc/" + std::to_string(pid) + "/cgroup"))) {
    // "N:ctrl1,ctrl2:/path"
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::stringstream ctrls(line.substr(a + 1, b - a - 1));
    std::string c;
    while (std::getline(ctrls, c, ',')) {
      if (c == controller) path = line.substr(b + 1);
    }
  }
  if (path.empty()) return "";
  for (const auto& m : cgroupMounts()) {
    if (m.fstype != "cgroup") continue;
    if (std::find(m.options.begin(), m.options.end(), controller) == m.options.end()) continue;
    return m.mount_point + (m.root == "/" ? path : path.substr(m.root.size()));
  }
  return "";
}

}  // namespace berth::e2e
