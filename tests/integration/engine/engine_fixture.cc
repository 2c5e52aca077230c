#include "engine_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace berth::e2e::engine {
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Small helpers

bool processAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::string stat = readFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

std::string procStatusField(const std::string& pid, const std::string& field) {
  for (const auto& line : splitLines(readFileOrEmpty("/proc/" + pid + "/status"))) {
    if (line.rfind(field + ":", 0) == 0) return trim(line.substr(field.size() + 1));
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment

std::string daemonPath() {
  const char* p = std::getenv("BERTH_TEST_DAEMON");
  return p == nullptr ? "" : p;
}

bool daemonIsDockerd() {
  return fs::path(daemonPath()).filename().string().find("dockerd") != std::string::npos;
}

std::string dockerCliPath() {
  const char* p = std::getenv("BERTH_TEST_DOCKER_CLI");
  return findInPath(p != nullptr && *p != '\0' ? p : "docker");
}

std::string berthCliPath() {
  const char* p = std::getenv("BERTH_TEST_CLI");
  std::string path = p != nullptr && *p != '\0' ? p : std::string(BERTH_BIN_DIR) + "/berth";
  return access(path.c_str(), X_OK) == 0 ? path : "";
}

std::string sourceDir() { return BERTH_SOURCE_DIR; }

std::string busyboxArchive(std::string* error) {
  static std::string built;
  static std::string build_error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::string dir = std::string(BERTH_BINARY_DIR) + "/tests/engine-e2e";
    std::error_code ec;
    fs::create_directories(dir, ec);
    // Built per process into a private name, then renamed: parallel ctest runs do not collide.
    std::string tmp = dir + "/busybox.tar.tmp." + std::to_string(getpid());
    ProcResult r = runCommand({sourceDir() + "/scripts/make-busybox-image", tmp}, {.timeout = 120s});
    if (r.exit_code != 0) {
      build_error = "make-busybox-image failed: " + r.describe();
      fs::remove(tmp, ec);
    } else {
      std::string final_path = dir + "/busybox.tar";
      fs::rename(tmp, final_path, ec);
      if (ec) {
        build_error = "rename " + tmp + ": " + ec.message();
      } else {
        built = final_path;
      }
    }
  }
  if (built.empty() && error != nullptr) *error = build_error;
  return built;
}

// ---------------------------------------------------------------------------------------------
// Daemon

namespace {
// Pids of the daemons this process started, for the fatal-signal handler: when the test program
// aborts (assertion in a library, crash), its daemons get SIGTERM instead of living on.
constexpr int kMaxDaemons = 8;
std::atomic<pid_t> g_daemon_pids[kMaxDaemons];

void onFatalSignal(int sig) {
  for (auto& p : g_daemon_pids) {
    pid_t pid = p.load();
    if (pid > 0) kill(pid, SIGTERM);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void trackDaemon(pid_t pid) {
  static bool installed = false;
  if (!installed) {
    installed = true;
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM, SIGHUP}) {
      signal(sig, onFatalSignal);
    }
  }
  for (auto& p : g_daemon_pids) {
    pid_t expected = 0;
    if (p.compare_exchange_strong(expected, pid)) return;
  }
}

void untrackDaemon(pid_t pid) {
  for (auto& p : g_daemon_pids) {
    pid_t expected = pid;
    p.compare_exchange_strong(expected, 0);
  }
}
}  // namespace

std::string freeTestSubnet() {
  static std::mutex mu;
  static std::set<uint32_t> handed_out;
  std::lock_guard lock(mu);
  std::set<uint32_t> routed;  // network addresses (host order) of the host's /24-or-wider routes
  std::vector<std::pair<uint32_t, uint32_t>> routes;  // (dest, mask), host order
  for (const auto& line : splitLines(readFileOrEmpty("/proc/net/route"))) {
    std::istringstream in(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(in >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
    if (iface == "Iface") continue;
    uint32_t d = ntohl(static_cast<uint32_t>(std::strtoul(dest.c_str(), nullptr, 16)));
    uint32_t m = ntohl(static_cast<uint32_t>(std::strtoul(mask.c_str(), nullptr, 16)));
    if (m != 0) routes.emplace_back(d, m);
  }
  uint32_t seed = static_cast<uint32_t>(getpid()) * 2654435761u;
  for (uint32_t i = 0; i < 2048; ++i) {
    uint32_t k = (seed + i) % 2048;  // 10.200.0.0 + k * 256
    uint32_t net = (10u << 24) | (200u << 16) | (k << 8);
    if (handed_out.count(net)) continue;
    bool clash = false;
    for (auto [d, m] : routes) {
      uint32_t common = m & 0xffffff00u;
      if ((net & common) == (d & common)) clash = true;
    }
    if (clash) continue;
    handed_out.insert(net);
    return std::to_string(net >> 24) + "." + std::to_string((net >> 16) & 255) + "." +
           std::to_string((net >> 8) & 255) + ".0/24";
  }
  return "10.255.254.0/24";
}

Daemon::Daemon(Options opts) : opts_(opts) {
  dir_ = makeTempDir("berth-engine-e2e-");
  std::string bin = opts_.binary.empty() ? daemonPath() : opts_.binary;
  if (fs::path(bin).filename().string().find("dockerd") == std::string::npos) {
    static std::atomic<int> counter{0};
    bridge_ = "bt" + std::to_string(getpid() % 100000) + "x" + std::to_string(counter++);
    std::string subnet = freeTestSubnet();
    gateway_ = subnet.substr(0, subnet.rfind('.')) + ".1";
  }
}

Daemon::~Daemon() {
  if (dir_.empty()) return;
  if (running()) removeAllContainers();
  stop();
  killLeftovers();
  unmountAll();
  removeNetworking();
  std::error_code ec;
  // Only when nothing is mounted below any more: remove_all must not walk into a mount.
  bool mounted = false;
  for (const auto& line : splitLines(readFileOrEmpty("/proc/self/mountinfo"))) {
    std::istringstream in(line);
    std::string f1, f2, f3, f4, mp;
    in >> f1 >> f2 >> f3 >> f4 >> mp;
    if (mp.rfind(dir_ + "/", 0) == 0) mounted = true;
  }
  if (!mounted) {
    fs::remove_all(dir_, ec);
  } else {
    std::fprintf(stderr, "engine_e2e: %s still has mounts; left in place\n", dir_.c_str());
  }
}

// The bridges berthd made (its default one and those of networks a test left) and its nft table.
void Daemon::removeNetworking() {
  if (bridge_.empty()) return;
  std::vector<std::string> links = {bridge_};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ + "/root/network/networks", ec)) {
    Json n = Json::parse(readFileOrEmpty(e.path().string()), nullptr, false);
    if (n.is_object() && n.value("BerthBridgeName", "") != "" && n.value("Name", "") != "bridge") {
      links.push_back(n.value("BerthBridgeName", ""));
    }
  }
  for (const auto& l : links) runCommand({"ip", "link", "del", l});
  runCommand({"nft", "delete", "table", "ip", "berth-" + bridge_});
}

std::string Daemon::logTail(size_t bytes) const {
  std::string log = readFileOrEmpty(dir_ + "/daemon.log");
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

std::string Daemon::httpGet(const std::string& path) const {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = socketPath();
  if (sock.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return "";
  }
  std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return resp;
}

bool Daemon::start(std::string* error) {
  if (dir_.empty()) {
    *error = "cannot create a temporary directory";
    return false;
  }
  std::string bin = opts_.binary.empty() ? daemonPath() : opts_.binary;
  if (bin.empty() || access(bin.c_str(), X_OK) != 0) {
    *error = "daemon binary not executable: '" + bin + "'";
    return false;
  }
  std::vector<std::string> argv = {bin,          "--data-root", dir_ + "/root", "--exec-root",
                                   dir_ + "/exec", "-H",        host(),          "--pidfile",
                                   dir_ + "/pid"};
  if (!bridge_.empty()) {
    std::string config = dir_ + "/daemon.json";
    std::ofstream(config) << "{\"bridge\": \"" << bridge_ << "\", \"bip\": \"" << gateway_
                          << "/24\"}\n";
    argv.insert(argv.end(), {"--config-file", config});
  }
  if (fs::path(bin).filename().string().find("dockerd") != std::string::npos) {
    for (const char* a : {"--iptables=false", "--ip-forward=false", "--ip-masq=false",
                          "--bridge=none", "--storage-driver=overlay2", "--containerd-namespace",
                          "berthtest", "--containerd-plugins-namespace", "berthtestp"}) {
      argv.emplace_back(a);
    }
    if (opts_.live_restore) argv.emplace_back("--live-restore");
  }
  argv.insert(argv.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  std::string log = dir_ + "/daemon.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<char*> cenv;
  for (auto& s : env_strings) cenv.push_back(s.data());
  cenv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = "posix_spawn " + bin + ": " + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  trackDaemon(pid_);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      untrackDaemon(pid_);
      pid_ = -1;
      *error = "daemon exited during start-up (status " + std::to_string(wstatus) +
               "); log:\n" + logTail();
      return false;
    }
    std::string resp = httpGet("/_ping");
    if (resp.rfind("HTTP/1.1 200", 0) == 0 || resp.rfind("HTTP/1.0 200", 0) == 0) return true;
    std::this_thread::sleep_for(100ms);
  }
  *error = "daemon did not answer /_ping within 30 s; log:\n" + logTail();
  stop();
  return false;
}

bool Daemon::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  int wstatus = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t w = waitpid(pid_, &wstatus, WNOHANG);
    if (w == pid_ || (w < 0 && errno == ECHILD)) {
      untrackDaemon(pid_);
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  untrackDaemon(pid_);
  pid_ = -1;
  return false;
}

std::map<std::string, std::string> Daemon::cliEnv() const {
  return {{"DOCKER_HOST", host()},
          {"DOCKER_CONFIG", dir_ + "/cliconfig"},
          {"BERTH_HOST", host()},
          {"DOCKER_CLI_HINTS", "false"}};
}

ProcResult Daemon::docker(const std::vector<std::string>& args, const RunOptions& opts) const {
  std::vector<std::string> argv = {dockerCliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o = opts;
  for (const auto& [k, v] : cliEnv()) o.env[k] = v;
  o.unset_env.push_back("DOCKER_CONTEXT");
  return runCommand(argv, o);
}

void Daemon::removeAllContainers() const {
  ProcResult ps = docker({"ps", "-aq", "--no-trunc"});
  std::vector<std::string> ids;
  for (const auto& l : splitLines(ps.out)) {
    if (!trim(l).empty()) ids.push_back(trim(l));
  }
  if (ids.empty()) return;
  std::vector<std::string> args = {"rm", "-f"};
  args.insert(args.end(), ids.begin(), ids.end());
  docker(args);
}

// Processes our daemon left: command line naming our directory (shims, containerd), or a root
// directory below it (container processes). They exist only because our daemon started them.
void Daemon::killLeftovers() {
  if (dir_.empty()) return;
  for (int round = 0; round < 3; ++round) {
    std::vector<pid_t> victims;
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return;
    while (dirent* e = readdir(proc)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || pid <= 1 || pid == getpid()) continue;
      std::string base = std::string("/proc/") + e->d_name;
      std::string cmdline = readFileOrEmpty(base + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      std::error_code ec;
      std::string root = fs::read_symlink(base + "/root", ec).string();
      if (cmdline.find(dir_ + "/") != std::string::npos || root.rfind(dir_ + "/", 0) == 0) {
        victims.push_back(static_cast<pid_t>(pid));
      }
    }
    closedir(proc);
    if (victims.empty()) return;
    for (pid_t v : victims) kill(v, SIGKILL);
    std::this_thread::sleep_for(300ms);
  }
}

void Daemon::unmountAll() {
  for (int round = 0; round < 5; ++round) {
    std::vector<std::string> points;
    for (const auto& line : splitLines(readFileOrEmpty("/proc/self/mountinfo"))) {
      std::istringstream in(line);
      std::string f1, f2, f3, f4, mp;
      in >> f1 >> f2 >> f3 >> f4 >> mp;
      if (mp == dir_ || mp.rfind(dir_ + "/", 0) == 0) points.push_back(mp);
    }
    if (points.empty()) return;
    std::sort(points.begin(), points.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& p : points) umount2(p.c_str(), MNT_DETACH);
  }
}

// ---------------------------------------------------------------------------------------------
// The shared daemon

namespace {
std::unique_ptr<Daemon>& sharedSlot() {
  static std::unique_ptr<Daemon> d;
  return d;
}
std::string& sharedError() {
  static std::string e;
  return e;
}

class SharedDaemonEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { sharedSlot().reset(); }
};
const auto* kEnvironment = ::testing::AddGlobalTestEnvironment(new SharedDaemonEnvironment);
}  // namespace

Daemon* sharedDaemon(std::string* error) {
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::string archive = busyboxArchive(&sharedError());
    if (!archive.empty()) {
      auto d = std::make_unique<Daemon>(Daemon::Options{});
      if (d->start(&sharedError())) {
        ProcResult load = d->docker({"load", "-i", archive});
        if (load.exit_code != 0) {
          sharedError() = "docker load of busybox failed: " + load.describe();
        } else {
          sharedSlot() = std::move(d);
        }
      }
    }
  }
  if (!sharedSlot() && error != nullptr) *error = sharedError();
  return sharedSlot().get();
}

// ---------------------------------------------------------------------------------------------
// EngineTest

std::vector<std::string> cliParams() { return {"docker", "berth"}; }

std::string cliParamName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

void EngineTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  if (daemonPath().empty()) GTEST_SKIP() << "BERTH_TEST_DAEMON is not set";
  if (access(daemonPath().c_str(), X_OK) != 0)
    GTEST_SKIP() << "daemon " << daemonPath() << " not built";
  if (dockerCliPath().empty()) GTEST_SKIP() << "the docker CLI is not installed";
  if (GetParam() == "berth" && berthCliPath().empty())
    GTEST_SKIP() << "the berth CLI is not available (BERTH_TEST_CLI unset or not executable)";
  std::string error;
  if (wantsOwnDaemon()) {
    std::string archive = busyboxArchive(&error);
    ASSERT_FALSE(archive.empty()) << error;
    own_daemon_ = std::make_unique<Daemon>(ownDaemonOptions());
    ASSERT_TRUE(own_daemon_->start(&error)) << error;
    daemon_ = own_daemon_.get();
    ProcResult load = docker({"load", "-i", archive});
    ASSERT_EQ(load.exit_code, 0) << load.describe();
  } else {
    daemon_ = sharedDaemon(&error);
  }
  ASSERT_NE(daemon_, nullptr) << error;
  ProcResult id = docker({"image", "inspect", "-f", "{{.Id}}", "busybox:latest"});
  if (id.exit_code != 0) {  // a test removed it: load it again
    std::string archive = busyboxArchive(&error);
    ASSERT_EQ(docker({"load", "-i", archive}).exit_code, 0);
    id = docker({"image", "inspect", "-f", "{{.Id}}", "busybox:latest"});
  }
  ASSERT_EQ(id.exit_code, 0) << id.describe();
  busybox_id_ = trim(id.out);
}

void EngineTest::TearDown() {
  if (daemon_ != nullptr && daemon_->running() && !own_daemon_) {
    daemon_->removeAllContainers();
    // Every image but busybox:latest goes, so that the next test starts from the same state.
    ProcResult images = docker({"images", "-a", "--no-trunc", "--format", "{{.ID}}"});
    std::vector<std::string> args = {"rmi", "-f"};
    for (const auto& l : splitLines(images.out)) {
      std::string id = trim(l);
      if (!id.empty() && id != busybox_id_ &&
          std::find(args.begin(), args.end(), id) == args.end()) {
        args.push_back(id);
      }
    }
    if (args.size() > 2) docker(args);
    // Tags added to busybox itself.
    ProcResult tags = docker({"image", "inspect", "-f", "{{json .RepoTags}}", busybox_id_});
    Json repo_tags = Json::parse(trim(tags.out), nullptr, false);
    if (repo_tags.is_array()) {
      for (const auto& t : repo_tags) {
        if (t.is_string() && t.get<std::string>() != "busybox:latest") {
          docker({"rmi", t.get<std::string>()});
        }
      }
    }
  }
  own_daemon_.reset();
  if (!scratch_.empty()) {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }
}

ProcResult EngineTest::cli(const std::vector<std::string>& args, const RunOptions& opts) {
  if (GetParam() == "docker") return docker(args, opts);
  std::vector<std::string> argv = {berthCliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o = opts;
  for (const auto& [k, v] : daemon_->cliEnv()) o.env[k] = v;
  return runCommand(argv, o);
}

ProcResult EngineTest::docker(const std::vector<std::string>& args, const RunOptions& opts) {
  return daemon_->docker(args, opts);
}

ProcResult EngineTest::runRm(const std::vector<std::string>& flags,
                             const std::vector<std::string>& cmd, const RunOptions& opts) {
  std::vector<std::string> args = {"run", "--rm", "--network", "none", "--pull=never"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("busybox");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return cli(args, opts);
}

std::string EngineTest::runDetached(const std::vector<std::string>& flags,
                                    const std::vector<std::string>& cmd) {
  std::string name = uniqueName();
  std::vector<std::string> args = {"run", "-d", "--name", name, "--network", "none",
                                   "--pull=never"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("busybox");
  args.insert(args.end(), cmd.begin(), cmd.end());
  ProcResult r = cli(args);
  [&] { ASSERT_EQ(r.exit_code, 0) << r.describe(); }();
  return name;
}

Json EngineTest::inspect(const std::string& name) {
  ProcResult r = docker({"inspect", "--type", "container", name});
  if (r.exit_code != 0) return nullptr;
  Json j = Json::parse(r.out, nullptr, false);
  if (!j.is_array() || j.empty()) return nullptr;
  return j[0];
}

bool EngineTest::waitStatus(const std::string& name, const std::string& status,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    ProcResult r = docker({"inspect", "-f", "{{.State.Status}}", name});
    if (r.exit_code == 0 && trim(r.out) == status) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::string EngineTest::uniqueName(const std::string& suffix) {
  static std::atomic<int> counter{0};
  return "e2e-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + suffix;
}

const std::string& EngineTest::scratch() {
  if (scratch_.empty()) scratch_ = makeTempDir("berth-engine-scratch-");
  return scratch_;
}

}  // namespace berth::e2e::engine
