#include "runtime/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/time_format.h"
#include "oci/runtime_spec_json.h"
#include "runtime/cgroups/cgroup_manager.h"
#include "runtime/hooks.h"
#include "runtime/plan_builder.h"
#include "runtime/state_store.h"
#include "sys/process.h"
#include "sys/unix_socket.h"

namespace berth::runtime {
namespace {

constexpr const char* kFifo = "exec.fifo";

struct Launched {
  pid_t pid = 0;
  UniqueFd pidfd;
};


std::string lowerStrerror(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Turns a {step, errno, index} report of the child into a full error.
Error initError(const InitPlan& plan, const oci::Process& process, const InitMessage& msg) {
  int err = msg.err;
  int idx = msg.index;
  std::string what;
  auto in = [&](auto& v) { return idx >= 0 && static_cast<std::size_t>(idx) < v.size(); };
  switch (msg.step) {
    case InitStep::kMount:
    case InitStep::kRemount:
    case InitStep::kMountPropagation:
    case InitStep::kMountTarget:
      if (in(plan.mounts)) {
        const auto& m = plan.mounts[idx];
        std::string src = m.bind ? m.source : (m.source.empty() ? m.type : m.source);
        if (msg.step == InitStep::kMountTarget) what = "create mount destination " + m.destination;
        else if (msg.step == InitStep::kRemount) what = "remount " + m.destination;
        else if (msg.step == InitStep::kMountPropagation) what = "set propagation of " + m.destination;
        else what = "mount " + src + " on " + m.destination;
      }
      break;
    case InitStep::kRlimit:
      if (idx >= 0 && static_cast<std::size_t>(idx) < process.rlimits.size()) {
        const auto& r = process.rlimits[idx];
        what = "setrlimit " + r.type + " to " + std::to_string(r.hard);
        struct rlimit cur;
        if (err == EPERM && ::getrlimit(plan.rlimits[idx].resource, &cur) == 0) {
          std::string hard = cur.rlim_max == RLIM_INFINITY ? "unlimited"
                                                           : std::to_string(cur.rlim_max);
          return Error(ErrorCode::kForbidden,
                       what + ": " + lowerStrerror(err) + " (hard limit is " + hard + ")", err);
        }
      }
      break;
    case InitStep::kLookPath: {
      std::string arg0 = plan.argv.items().empty() ? "" : plan.argv.items()[0];
      if (arg0.find('/') == std::string::npos) {
        if (err == ENOENT) {
          return Error(ErrorCode::kNotFound,
                       "exec: \"" + arg0 + "\": executable file not found in $PATH", err);
        }
        return Error(ErrorCode::kForbidden, "exec: \"" + arg0 + "\": " + lowerStrerror(err), err);
      }
      if (err == EACCES) {
        return Error(ErrorCode::kForbidden, "exec: \"" + arg0 + "\": permission denied", err);
      }
      return Error(ErrorCode::kNotFound,
                   "exec: \"" + arg0 + "\": stat " + arg0 + ": " + lowerStrerror(err), err);
    }
    case InitStep::kExec:
      what = "exec " + (plan.argv.items().empty() ? "" : plan.argv.items()[0]);
      break;
    case InitStep::kDevice:
      if (in(plan.devices)) what = "create device " + plan.devices[idx].path;
      break;
    case InitStep::kSymlink:
      if (in(plan.symlinks)) what = "create symlink " + plan.symlinks[idx].second;
      break;
    case InitStep::kSysctl:
      if (in(plan.sysctls)) what = "write sysctl " + plan.sysctls[idx].first;
      break;
    case InitStep::kReadonlyPath:
      if (in(plan.readonly_paths)) what = "make " + plan.readonly_paths[idx] + " read-only";
      break;
    case InitStep::kMaskPath:
      if (in(plan.masked_paths)) what = "mask " + plan.masked_paths[idx];
      break;
    case InitStep::kChdir:
      what = "chdir to cwd (\"" + plan.cwd + "\" set in config.json)";
      break;
    case InitStep::kSetuid:
      what = "setuid " + std::to_string(plan.uid);
      break;
    case InitStep::kScheduler:
      if (process.scheduler) what = "set scheduler policy " + process.scheduler->policy;
      break;
    case InitStep::kIoPriority:
      if (process.ioPriority) {
        what = "set io priority " + process.ioPriority->ioClass + " " +
               std::to_string(process.ioPriority->priority);
      }
      break;
    case InitStep::kApparmor:
      what = "apply apparmor profile \"" + process.apparmorProfile + "\"";
      break;
    case InitStep::kSetgid:
      what = "setgid " + std::to_string(plan.gid);
      break;
    default:
      break;
  }
  if (what.empty()) what = initStepName(msg.step);
  return sysError(what, err);
}

std::string stateJson(const ContainerRecord& rec, oci::Status status, pid_t pid) {
  oci::State st;
  st.ociVersion = rec.oci_version;
  st.id = rec.id;
  st.status = status;
  st.pid = pid;
  st.bundle = rec.bundle;
  st.annotations = rec.annotations;
  return oci::stateToJson(st);
}

oci::Status computeStatus(const StateStore& store, const ContainerRecord& rec) {
  if (rec.pid <= 0) return oci::Status::kStopped;
  auto start = sys::processStartTime(rec.pid);
  if (!start || *start != rec.start_time || !sys::processAlive(rec.pid)) {
    return oci::Status::kStopped;
  }
  if (pathExists(store.dir(rec.id) + "/" + kFifo)) return oci::Status::kCreated;
  if (rec.paused) return oci::Status::kPaused;
  return oci::Status::kRunning;
}

Result<oci::Spec> loadSavedSpec(const StateStore& store, const std::string& id) {
  BERTH_TRY(std::string text, readFile(store.dir(id) + "/config.json"));
  return oci::parseSpec(text);
}

Result<std::unique_ptr<cgroups::CgroupManager>> managerFor(const ContainerRecord& rec) {
  return cgroups::makeManager(rec.cgroups_path, rec.id);
}

std::string absPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

// setns(CLONE_NEWPID/NEWTIME) for our future children, restored when the guard goes.
class ChildrenNamespace {
 public:
  Result<void> enter(int fd, int type, const char* self) {
    if (fd < 0) return {};
    UniqueFd saved(::open(self, O_RDONLY | O_CLOEXEC));
    if (!saved) return errnoError(std::string("open ") + self);
    if (::setns(fd, type) != 0) return errnoError("setns " + std::string(self));
    saved_.push_back({std::move(saved), type});
    return {};
  }
  ~ChildrenNamespace() {
    for (auto& [fd, type] : saved_) (void)::setns(fd.get(), type);
  }

 private:
  std::vector<std::pair<UniqueFd, int>> saved_;
};

Result<void> sendGo(int sock, const std::string& payload) {
  std::string buf(sizeof(InitMessage), '\0');
  InitMessage msg{MessageType::kGo, InitStep::kNone, 0, -1};
  std::memcpy(buf.data(), &msg, sizeof msg);
  buf += payload;
  if (::send(sock, buf.data(), buf.size(), MSG_NOSIGNAL) < 0) return errnoError("sync with init");
  return {};
}

// Reads one message; nullopt on EOF.
Result<std::optional<InitMessage>> readMessage(int sock) {
  InitMessage msg;
  ssize_t n = sys::retryEintr([&] { return ::recv(sock, &msg, sizeof msg, 0); });
  if (n < 0) return errnoError("sync with init");
  if (n == 0) return std::optional<InitMessage>();
  if (n != sizeof msg) return internalError("sync with init: short message");
  return std::optional<InitMessage>(msg);
}

std::string childExitText(pid_t pid) {
  auto st = sys::waitPid(pid, WNOHANG);
  if (!st || st.value < 0) return "init process exited unexpectedly";
  if (WIFSIGNALED(st.value)) {
    return "init process killed by signal " + std::to_string(WTERMSIG(st.value));
  }
  return "init process exited with status " + std::to_string(WEXITSTATUS(st.value));
}

std::vector<int> keepFds(const BuiltPlan& built, int sync, int preserve) {
  std::vector<int> keep;
  for (int fd = 3; fd < 3 + preserve; ++fd) keep.push_back(fd);
  keep.push_back(sync);
  if (built.plan.console_fd >= 0) keep.push_back(built.plan.console_fd);
  if (built.plan.state_dir_fd >= 0) keep.push_back(built.plan.state_dir_fd);
  for (const auto& j : built.plan.joins) keep.push_back(j.fd);
  std::sort(keep.begin(), keep.end());
  return keep;
}

void killAndReap(pid_t pid, int pidfd) {
  if (pidfd >= 0) (void)sys::pidfdSendSignal(pidfd, SIGKILL);
  else ::kill(pid, SIGKILL);
  (void)sys::waitPid(pid);
}

// Waits for the process behind pidfd (our child), forwarding the signals in `set` (blocked by
// the caller) and copying a terminal if `master` is valid. Returns the shell exit code.
Result<int> waitForwarding(pid_t pid, int pidfd, const sigset_t& set, int master) {
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return errnoError("signalfd");
  struct termios saved{};
  bool raw = false;
  if (master >= 0 && ::isatty(0) && ::tcgetattr(0, &saved) == 0) {
    struct termios t = saved;
    ::cfmakeraw(&t);
    raw = ::tcsetattr(0, TCSANOW, &t) == 0;
    struct winsize ws;
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
  }
  ScopeGuard restore([&] {
    if (raw) ::tcsetattr(0, TCSANOW, &saved);
  });
  bool stdin_open = master >= 0;
  char buf[8192];
  for (;;) {
    struct pollfd fds[4] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0},
                            {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    int rc = ::poll(fds, 4, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return errnoError("poll");
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) continue;
        if (sig == SIGWINCH && master >= 0) {
          struct winsize ws;
          if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
          continue;
        }
        (void)sys::pidfdSendSignal(pidfd, sig);
      }
    }
    if (master >= 0 && (fds[2].revents & (POLLIN | POLLHUP))) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) (void)!::write(1, buf, static_cast<std::size_t>(n));
    }
    if (stdin_open && (fds[3].revents & (POLLIN | POLLHUP))) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) (void)!::write(master, buf, static_cast<std::size_t>(n));
      else stdin_open = false;
    }
    if (fds[0].revents & POLLIN) {
      if (master >= 0) {
        // Drain what the process wrote before it exited.
        for (;;) {
          struct pollfd p{master, POLLIN, 0};
          if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
          ssize_t n = ::read(master, buf, sizeof buf);
          if (n <= 0) break;
          (void)!::write(1, buf, static_cast<std::size_t>(n));
        }
      }
      auto st = sys::waitPid(pid);
      if (!st) return sysError("wait for container process", st.err);
      return sys::exitCodeOf(st.value);
    }
  }
}

sigset_t forwardedSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) {
    sigdelset(&set, sig);
  }
  return set;
}

Result<Launched> createContainer(const RuntimeOptions& ropts, const CreateOptions& o) {
  BERTH_TRY_VOID(validateId(o.id));
  if (ropts.systemd_cgroup) {
    return notImplemented("systemd cgroup driver is not supported (--systemd-cgroup)");
  }
  StateStore store(ropts.root);
  std::string bundle = absPath(o.bundle.empty() ? "." : o.bundle);
  auto text = readFile(bundle + "/config.json");
  if (!text) return sysError("open " + bundle + "/config.json", ENOENT);
  BERTH_TRY(oci::Spec spec, oci::parseSpec(*text));
  if (!spec.root || spec.root->path.empty()) return invalidArgument("config.json: root.path is required");
  std::string rootfs = spec.root->path[0] == '/' ? spec.root->path : bundle + "/" + spec.root->path;
  rootfs = absPath(rootfs);
  struct stat st;
  if (::stat(rootfs.c_str(), &st) != 0) return errnoError("rootfs " + rootfs);
  bool terminal = spec.process && spec.process->terminal;
  bool have_console = !o.console_socket.empty() || o.console_fd >= 0;
  if (terminal && !have_console) {
    return invalidArgument(
        "cannot allocate tty if berth-runtime will detach without setting console socket");
  }
  if (!terminal && !o.console_socket.empty()) {
    return invalidArgument(
        "cannot use console socket if berth-runtime will not detach or allocate tty");
  }

  std::shared_ptr<cgroups::CgroupManager> manager;
  Launched launched;
  RollbackStack rollback;  // after what its undo steps use: it runs first at scope exit
  BERTH_TRY_VOID(store.createDir(o.id));
  rollback.push([&] { (void)store.removeDir(o.id); });
  BERTH_TRY(UniqueFd lock, store.lock(o.id));
  std::string dir = store.dir(o.id);
  if (::mkfifo((dir + "/" + kFifo).c_str(), 0622) != 0) return errnoError("create exec fifo");
  ::chmod((dir + "/" + kFifo).c_str(), 0622);
  UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return errnoError("open " + dir);

  std::string cgroups_path = spec.linux ? spec.linux->cgroupsPath : "";
  BERTH_TRY(manager, cgroups::makeManager(cgroups_path, o.id));
  BERTH_TRY_VOID_CTX(manager->create(), "create cgroup");
  rollback.push([&] { (void)manager->destroy(); });
  // Device rules are applied once init has made the container's device nodes (as runc does):
  // a deny rule must not stop mknod of a device the spec lists.
  oci::LinuxResources device_rules;
  if (spec.linux && spec.linux->resources) {
    oci::LinuxResources resources = *spec.linux->resources;
    device_rules.devices = std::move(resources.devices);
    resources.devices.clear();
    if (!device_rules.devices.empty()) {
      // As runc: the default devices are always allowed after the spec's rules.
      const std::pair<int64_t, std::optional<int64_t>> kAllowed[] = {
          {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, std::nullopt}};
      for (const auto& [major, minor] : kAllowed) {
        device_rules.devices.push_back({true, "c", major, minor, "rwm"});
      }
    }
    BERTH_TRY_VOID_CTX(manager->setResources(resources), "set cgroup resources");
  }

  UniqueFd console;
  int console_fd = o.console_fd;
  if (!o.console_socket.empty()) {
    auto c = sys::connectUnix(o.console_socket.c_str());
    if (!c) return sysError("connect to console socket " + o.console_socket, c.err);
    console.reset(c.value);
    console_fd = c.value;
  }

  PlanContext ctx;
  ctx.bundle = bundle;
  ctx.rootfs = rootfs;
  ctx.no_pivot = o.no_pivot;
  ctx.preserve_fds = o.preserve_fds;
  ctx.console_fd = terminal ? console_fd : -1;
  ctx.state_dir_fd = dir_fd.get();
  ctx.loopback_up = o.loopback_up;
  ctx.cgroup_path = manager->path();
  ctx.cgroup_version = manager->version();
  if (!o.no_new_keyring) ctx.session_keyring = "_ses." + o.id;
  ctx.seccomp_cache_dir = ropts.seccomp_cache_dir;
  BERTH_TRY(BuiltPlan built, buildInitPlan(spec, ctx));

  int sp[2];
  if (auto s = sys::socketPair(SOCK_SEQPACKET, sp); !s) return sysError("socketpair", s.err);
  UniqueFd parent_sock(sp[0]), child_sock(sp[1]);
  built.plan.keep_fds = keepFds(built, child_sock.get(), o.preserve_fds);
  BERTH_TRY(UniqueFd cgroup_fd, manager->openForClone());

  {
    ChildrenNamespace children_ns;
    BERTH_TRY_VOID(children_ns.enter(built.pid_ns.get(), CLONE_NEWPID,
                                     "/proc/self/ns/pid_for_children"));
    BERTH_TRY_VOID(children_ns.enter(built.time_ns.get(), CLONE_NEWTIME,
                                     "/proc/self/ns/time_for_children"));
    int pidfd = -1;
    auto pid = sys::clone3(built.plan.clone_flags, cgroup_fd.get(), &pidfd);
    if (!pid) return sysError("clone init process", pid.err);
    if (pid.value == 0) runInit(built.plan, child_sock.get());
    launched.pid = pid.value;
    launched.pidfd.reset(pidfd);
  }
  rollback.push([&] { killAndReap(launched.pid, launched.pidfd.get()); });
  child_sock.reset();
  std::string pid_text = std::to_string(launched.pid);
  if (!cgroup_fd) BERTH_TRY_VOID_CTX(manager->addProcess(launched.pid), "join cgroup");
  if (built.plan.new_user_ns) {
    const auto& lx = *spec.linux;
    if (!lx.gidMappings.empty()) {
      BERTH_TRY_VOID_CTX(writeFile("/proc/" + pid_text + "/gid_map", idMapString(lx.gidMappings)),
                         "write gid_map");
    }
    if (!lx.uidMappings.empty()) {
      BERTH_TRY_VOID_CTX(writeFile("/proc/" + pid_text + "/uid_map", idMapString(lx.uidMappings)),
                         "write uid_map");
    }
  }

  ContainerRecord rec;
  rec.id = o.id;
  rec.oci_version = spec.ociVersion;
  rec.bundle = bundle;
  rec.rootfs = rootfs;
  rec.cgroups_path = cgroups_path;
  rec.annotations = spec.annotations;
  rec.no_new_keyring = o.no_new_keyring;
  std::string start_state = stateJson(rec, oci::Status::kCreated, launched.pid);
  BERTH_TRY_VOID(sendGo(parent_sock.get(), start_state));
  for (;;) {
    BERTH_TRY(auto msg, readMessage(parent_sock.get()));
    if (!msg) return internalError(childExitText(launched.pid));
    if (msg->type == MessageType::kError) return initError(built.plan, *spec.process, *msg);
    if (msg->type == MessageType::kReady) break;
    if (msg->type == MessageType::kHooks) {
      std::string creating = stateJson(rec, oci::Status::kCreating, launched.pid);
      BERTH_TRY_VOID(runHooks(spec.hooks->prestart, "prestart", creating));
      BERTH_TRY_VOID(runHooks(spec.hooks->createRuntime, "createRuntime", creating));
      BERTH_TRY_VOID(
          runHooks(spec.hooks->createContainer, "createContainer", creating, launched.pid));
      BERTH_TRY_VOID(sendGo(parent_sock.get(), start_state));
    }
  }

  if (!device_rules.devices.empty()) {
    BERTH_TRY_VOID_CTX(manager->setResources(device_rules), "set device cgroup rules");
  }
  auto start_time = sys::processStartTime(launched.pid);
  if (!start_time) return internalError(childExitText(launched.pid));
  rec.pid = launched.pid;
  rec.start_time = *start_time;
  rec.created = nowRfc3339Nano();
  BERTH_TRY_VOID(writeFile(dir + "/config.json", *text, 0600));
  BERTH_TRY_VOID(store.save(rec));
  if (!o.pid_file.empty()) {
    BERTH_TRY_VOID_CTX(writeFileReplace(absPath(o.pid_file), pid_text, 0644), "write pid file");
  }
  rollback.commit();
  return launched;
}

// Tears a container down: kill what is left, poststop hooks, cgroup, state directory.
Result<void> destroyContainer(StateStore& store, const ContainerRecord& rec, oci::Status status) {
  auto manager = managerFor(rec);
  if (status != oci::Status::kStopped) {
    if (manager && status == oci::Status::kPaused) (void)(*manager)->thaw();
    auto pidfd = sys::pidfdOpen(rec.pid);
    if (manager) (void)(*manager)->killAll(SIGKILL);
    if (pidfd) {
      UniqueFd owner(pidfd.value);
      (void)sys::pidfdSendSignal(pidfd.value, SIGKILL);
      struct pollfd p{pidfd.value, POLLIN, 0};
      (void)sys::retryEintr([&] { return ::poll(&p, 1, 10000); });
    }
    (void)sys::waitPid(rec.pid, WNOHANG);
  }
  if (manager) {
    // Processes of the cgroup may take a moment to leave it.
    for (int i = 0; i < 100; ++i) {
      auto pids = (*manager)->pids();
      if (!pids || pids->empty()) break;
      (void)(*manager)->killAll(SIGKILL);
      ::usleep(10000);
    }
  }
  auto spec = loadSavedSpec(store, rec.id);
  if (spec && spec->hooks && !spec->hooks->poststop.empty()) {
    auto r = runHooks(spec->hooks->poststop, "poststop",
                      stateJson(rec, oci::Status::kStopped, rec.pid));
    if (!r) log::warn(r.error().message());
  }
  if (manager) BERTH_TRY_VOID_CTX((*manager)->destroy(), "remove cgroup");
  return store.removeDir(rec.id);
}

}  // namespace

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {}

Result<void> Runtime::create(const CreateOptions& options) {
  BERTH_TRY(Launched l, createContainer(options_, options));
  (void)l;
  return {};
}

Result<void> Runtime::start(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(UniqueFd lock, store.lock(id));
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::Status status = computeStatus(store, rec);
  if (status == oci::Status::kStopped) return conflict("cannot start a container that has stopped");
  if (status != oci::Status::kCreated) return conflict("cannot start an already running container");
  std::string fifo_path = store.dir(id) + "/" + kFifo;
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return errnoError("open exec fifo");
  auto pidfd = sys::pidfdOpen(rec.pid);
  if (!pidfd) return sysError("open init process", pidfd.err);
  UniqueFd pidfd_owner(pidfd.value);
  // Init writes "0" once its startContainer hooks succeeded and keeps the write end open until
  // execve closes it: end-of-file means the user process runs (or init died).
  bool hooks_ok = false;
  bool writer_seen = false;
  for (;;) {
    struct pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.value, POLLIN, 0}};
    int rc = ::poll(fds, 2, 100);
    if (rc < 0 && errno != EINTR) return errnoError("poll exec fifo");
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char c;
      ssize_t n = ::read(fifo.get(), &c, 1);
      if (n == 1) {
        hooks_ok = hooks_ok || c == '0';
        writer_seen = true;
        continue;
      }
      if (n == 0 && (writer_seen || (fds[0].revents & POLLHUP))) break;
    }
    if (fds[1].revents & POLLIN) break;
  }
  ::unlink(fifo_path.c_str());
  if (!hooks_ok) {
    auto spec = loadSavedSpec(store, id);
    if (spec && spec->hooks && !spec->hooks->startContainer.empty()) {
      return internalError("start container " + id + ": startContainer hook failed");
    }
    return conflict("cannot start a container that has stopped");
  }
  auto spec = loadSavedSpec(store, id);
  if (spec && spec->hooks && !spec->hooks->poststart.empty()) {
    auto r = runHooks(spec->hooks->poststart, "poststart",
                      stateJson(rec, oci::Status::kRunning, rec.pid));
    if (!r) log::warn(r.error().message());
  }
  return {};
}

Result<int> Runtime::run(const CreateOptions& options, bool detach) {
  if (detach && options.keep) return invalidArgument("--detach and --keep cannot both be set");
  if (detach) {
    BERTH_TRY_VOID(create(options));
    auto started = start(options.id);
    if (!started) {
      (void)remove(options.id, true);
      return started.error();
    }
    return 0;
  }
  sigset_t set = forwardedSignals();
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  ScopeGuard unblock([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });

  CreateOptions copts = options;
  UniqueFd console_ours, console_theirs;
  if (options.console_socket.empty()) {
    auto text = readFile(absPath(options.bundle.empty() ? "." : options.bundle) + "/config.json");
    if (text && text->find("\"terminal\"") != std::string::npos) {
      auto spec = oci::parseSpec(*text);
      if (spec && spec->process && spec->process->terminal) {
        int sp[2];
        if (auto s = sys::socketPair(SOCK_STREAM, sp); !s) return sysError("socketpair", s.err);
        console_ours.reset(sp[0]);
        console_theirs.reset(sp[1]);
        copts.console_fd = sp[1];
      }
    }
  }
  BERTH_TRY(Launched l, createContainer(options_, copts));
  console_theirs.reset();
  UniqueFd master;
  if (console_ours) {
    char name[64];
    int fd = -1;
    auto r = sys::recvFd(console_ours.get(), &fd, name, sizeof name);
    if (!r || fd < 0) {
      (void)remove(options.id, true);
      return internalError("receive pty master from container");
    }
    master.reset(fd);
  }
  auto started = start(options.id);
  if (!started) {
    (void)remove(options.id, true);
    return started.error();
  }
  auto code = waitForwarding(l.pid, l.pidfd.get(), set, master.get());
  if (options.keep) {
    if (!code) return code.error();
    return *code;
  }
  auto removed = remove(options.id, true);
  if (!code) return code.error();
  if (!removed) return removed.error();
  return *code;
}

Result<oci::State> Runtime::state(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::State st;
  st.ociVersion = rec.oci_version;
  st.id = rec.id;
  st.status = computeStatus(store, rec);
  st.pid = st.status == oci::Status::kStopped ? 0 : rec.pid;
  st.bundle = rec.bundle;
  st.annotations = rec.annotations;
  return st;
}

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::Status status = computeStatus(store, rec);
  if (all) {
    BERTH_TRY(auto manager, managerFor(rec));
    if (status == oci::Status::kStopped) {
      auto pids = manager->pids();
      if (!pids || pids->empty()) return conflict("container not running");
    }
    return manager->killAll(signal);
  }
  if (status == oci::Status::kStopped) return conflict("container not running");
  auto pidfd = sys::pidfdOpen(rec.pid);
  if (!pidfd) return conflict("container not running");
  UniqueFd owner(pidfd.value);
  auto s = sys::pidfdSendSignal(pidfd.value, signal);
  if (!s) return sysError("kill container " + id, s.err);
  return {};
}

Result<void> Runtime::remove(const std::string& id, bool force) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(UniqueFd lock, store.lock(id));
  auto rec = store.load(id);
  if (!rec) {
    if (rec.error().code() == ErrorCode::kNotFound) {
      // A half-created container (no state.json yet) is not reported; its directory goes.
      return notFound("container does not exist");
    }
    return rec.error();
  }
  oci::Status status = computeStatus(store, *rec);
  if ((status == oci::Status::kRunning || status == oci::Status::kPaused) && !force) {
    return conflict("cannot delete container " + id +
                    " that is not stopped: " + oci::statusName(status));
  }
  return destroyContainer(store, *rec, status);
}

namespace {

ContainerSummary summarize(const StateStore& store, const ContainerRecord& r) {
  const ContainerRecord* rec = &r;
  const std::string& id = r.id;
  ContainerSummary s;
    s.state.ociVersion = rec->oci_version;
    s.state.id = rec->id;
    s.state.status = computeStatus(store, *rec);
    s.state.pid = s.state.status == oci::Status::kStopped ? 0 : rec->pid;
    s.state.bundle = rec->bundle;
    s.state.annotations = rec->annotations;
    s.created = rec->created;
    struct stat st;
    if (::stat(store.dir(id).c_str(), &st) == 0) {
      struct passwd* pw = ::getpwuid(st.st_uid);
      s.owner = pw != nullptr ? pw->pw_name : std::to_string(st.st_uid);
    }
    s.rootfs = rec->rootfs;
    return s;
}

}  // namespace

Result<ContainerSummary> Runtime::describe(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(ContainerRecord rec, store.load(id));
  return summarize(store, rec);
}

Result<std::vector<ContainerSummary>> Runtime::list() {
  StateStore store(options_.root);
  std::vector<ContainerSummary> out;
  for (const auto& id : store.ids()) {
    auto rec = store.load(id);
    if (rec) out.push_back(summarize(store, *rec));
  }
  return out;
}

Result<int> Runtime::exec(const std::string& id, const ExecOptions& o) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::Status status = computeStatus(store, rec);
  if (status == oci::Status::kStopped) return conflict("cannot exec in a stopped container");
  if (status == oci::Status::kPaused && !o.ignore_paused) {
    return conflict("cannot exec in a paused container (use --ignore-paused to override)");
  }
  BERTH_TRY(oci::Spec spec, loadSavedSpec(store, id));
  if (o.process.args.empty()) return invalidArgument("exec: args must not be empty");

  sigset_t set = forwardedSignals();
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  ScopeGuard unblock([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });

  UniqueFd console, console_ours;
  int console_fd = o.console_fd;
  if (o.process.terminal) {
    if (!o.console_socket.empty()) {
      auto c = sys::connectUnix(o.console_socket.c_str());
      if (!c) return sysError("connect to console socket " + o.console_socket, c.err);
      console.reset(c.value);
      console_fd = c.value;
    } else if (console_fd < 0) {
      if (o.detach) {
        return invalidArgument(
            "cannot allocate tty if berth-runtime will detach without setting console socket");
      }
      int sp[2];
      if (auto s = sys::socketPair(SOCK_STREAM, sp); !s) return sysError("socketpair", s.err);
      console_ours.reset(sp[0]);
      console.reset(sp[1]);
      console_fd = sp[1];
    }
  } else if (!o.console_socket.empty()) {
    return invalidArgument("cannot use console socket if berth-runtime will not detach or allocate tty");
  }

  BERTH_TRY(BuiltPlan built, buildExecPlan(spec, o.process, rec.pid, o.process.terminal ? console_fd : -1,
                                           o.preserve_fds, options_.seccomp_cache_dir));
  if (!rec.no_new_keyring) built.plan.session_keyring = "_ses." + id;
  if (o.no_seccomp) built.plan.seccomp.reset();
  BERTH_TRY(auto manager, managerFor(rec));
  if (!o.sub_cgroup.empty()) {
    std::string sub = o.sub_cgroup;
    while (!sub.empty() && sub.front() == '/') sub.erase(0, 1);
    bool escapes = sub.empty() || sub == ".." || sub.rfind("../", 0) == 0 ||
                   sub.find("/../") != std::string::npos ||
                   (sub.size() >= 3 && sub.compare(sub.size() - 3, 3, "/..") == 0);
    if (escapes) return invalidArgument("exec --cgroup " + o.sub_cgroup + ": invalid sub-cgroup");
    BERTH_TRY_CTX(manager, cgroups::makeManager(manager->version(), manager->path() + "/" + sub, id),
                  "exec --cgroup " + o.sub_cgroup);
  }
  BERTH_TRY(UniqueFd cgroup_fd, manager->openForClone());
  int sp[2];
  if (auto s = sys::socketPair(SOCK_SEQPACKET, sp); !s) return sysError("socketpair", s.err);
  UniqueFd parent_sock(sp[0]), child_sock(sp[1]);
  built.plan.keep_fds = keepFds(built, child_sock.get(), o.preserve_fds);

  pid_t pid = 0;
  UniqueFd pidfd;
  RollbackStack rollback;
  {
    ChildrenNamespace children_ns;
    BERTH_TRY_VOID(children_ns.enter(built.pid_ns.get(), CLONE_NEWPID,
                                     "/proc/self/ns/pid_for_children"));
    BERTH_TRY_VOID(children_ns.enter(built.time_ns.get(), CLONE_NEWTIME,
                                     "/proc/self/ns/time_for_children"));
    int fd = -1;
    auto r = sys::clone3(built.plan.clone_flags, cgroup_fd.get(), &fd);
    if (!r) return sysError("clone exec process", r.err);
    if (r.value == 0) runInit(built.plan, child_sock.get());
    pid = r.value;
    pidfd.reset(fd);
  }
  rollback.push([&] { killAndReap(pid, pidfd.get()); });
  child_sock.reset();
  console.reset();
  if (!cgroup_fd) {
    BERTH_TRY_VOID_CTX(manager->addProcess(pid),
                       o.sub_cgroup.empty() ? "join cgroup" : "join cgroup " + manager->path());
  }
  BERTH_TRY_VOID(sendGo(parent_sock.get(), ""));
  BERTH_TRY(auto msg, readMessage(parent_sock.get()));
  if (msg) return initError(built.plan, o.process, *msg);
  UniqueFd master;
  if (console_ours) {
    char name[64];
    int fd = -1;
    auto r = sys::recvFd(console_ours.get(), &fd, name, sizeof name);
    if (!r || fd < 0) return internalError("receive pty master from exec process");
    master.reset(fd);
  }
  if (!o.pid_file.empty()) {
    BERTH_TRY_VOID_CTX(writeFileReplace(absPath(o.pid_file), std::to_string(pid), 0644),
                       "write pid file");
  }
  rollback.commit();
  if (o.started_pid != nullptr) *o.started_pid = pid;
  if (o.detach) return 0;
  return waitForwarding(pid, pidfd.get(), set, master.get());
}

Result<std::vector<pid_t>> Runtime::pids(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(ContainerRecord rec, store.load(id));
  BERTH_TRY(auto manager, managerFor(rec));
  return manager->pids();
}

Result<void> Runtime::pause(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(UniqueFd lock, store.lock(id));
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::Status status = computeStatus(store, rec);
  if (status != oci::Status::kRunning && status != oci::Status::kCreated) {
    return conflict("container not running");
  }
  BERTH_TRY(auto manager, managerFor(rec));
  BERTH_TRY_VOID_CTX(manager->freeze(), "pause container " + id);
  rec.paused = true;
  return store.save(rec);
}

Result<void> Runtime::resume(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  BERTH_TRY(UniqueFd lock, store.lock(id));
  BERTH_TRY(ContainerRecord rec, store.load(id));
  oci::Status status = computeStatus(store, rec);
  if (status != oci::Status::kPaused) return conflict("container not paused");
  BERTH_TRY(auto manager, managerFor(rec));
  BERTH_TRY_VOID_CTX(manager->thaw(), "resume container " + id);
  rec.paused = false;
  return store.save(rec);
}

Result<oci::Spec> Runtime::spec(const std::string& id) {
  BERTH_TRY_VOID(validateId(id));
  StateStore store(options_.root);
  return loadSavedSpec(store, id);
}

}  // namespace berth::runtime
