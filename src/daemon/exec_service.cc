#include "daemon/exec_service.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "daemon/create_config.h"
#include "daemon/names.h"
#include "oci/runtime_spec_json.h"
#include "runtime/runtime.h"
#include "sys/capabilities.h"

extern char** environ;

namespace berth::daemon {
namespace {

namespace routes = api::routes;

// Finished records are dropped after this long (moby's exec GC runs every 5 minutes), and
// records never started (their client went away between create and start) after kKeepUnstarted.
constexpr auto kKeepFinished = std::chrono::minutes(5);
constexpr auto kKeepUnstarted = std::chrono::hours(1);

Error notRunning(const std::string& id) {
  return conflict("Container " + id + " is not running");
}

Error pausedError(const std::string& id) {
  return conflict("Container " + id + " is paused, unpause the container before exec");
}

// Docker's exit code for an exec that could not start: 127 when the command does not exist,
// 126 otherwise.
int startFailureCode(const Error& e) {
  const std::string& m = e.message();
  if (m.find("executable file not found") != std::string::npos ||
      (m.find("exec: ") != std::string::npos &&
       m.find("no such file or directory") != std::string::npos)) {
    return 127;
  }
  return 126;
}

void writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Runs `ps args...` (posix_spawn: no code runs in a forked child of this threaded process) and
// returns its stdout.
Result<std::string> runPs(const std::vector<std::string>& args) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
  UniqueFd out_r(p[0]), out_w(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  ScopeGuard fa_done([&] { posix_spawn_file_actions_destroy(&fa); });
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> argv_s = {"ps"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "ps", &fa, nullptr, argv.data(), environ);
  if (rc != 0) return sysError("run ps", rc);
  out_w.reset();
  std::string output;
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return internalError("ps exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return output;
}

}  // namespace

Result<std::unique_ptr<ExecService>> ExecService::open(ContainerService* containers,
                                                       EventSink events) {
  std::unique_ptr<ExecService> s(new ExecService(containers, std::move(events)));
  s->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!s->epoll_) return errnoError("epoll_create1");
  s->wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->wake_) return errnoError("eventfd");
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.fd = s->wake_.get();
  if (::epoll_ctl(s->epoll_.get(), EPOLL_CTL_ADD, s->wake_.get(), &ev) != 0) {
    return errnoError("epoll_ctl");
  }
  ExecService* raw = s.get();
  s->watcher_ = std::thread([raw] { raw->watcherLoop(); });
  containers->setExecIdsSource([raw](const std::string& id) { return raw->execIds(id); });
  return s;
}

ExecService::~ExecService() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<ExecService::Record> ExecService::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = execs_.find(id);
  return it == execs_.end() ? nullptr : it->second;
}

void ExecService::publish(const Record& r, const std::string& action,
                          std::map<std::string, std::string> extra) {
  if (!events_) return;
  Event e;
  e.type = "container";
  e.action = action;
  e.actor_id = r.container_id;
  e.attributes = r.labels;
  e.attributes["image"] = r.image;
  e.attributes["name"] = r.container_name;
  e.attributes["execID"] = r.id;
  for (auto& [k, v] : extra) e.attributes[k] = v;
  events_(std::move(e));
}

std::vector<std::string> ExecService::execIds(const std::string& container_id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [id, r] : execs_) {
    if (r->container_id == container_id && !r->exit_code) out.push_back(id);
  }
  return out;
}

void ExecService::pruneLocked() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = execs_.begin(); it != execs_.end();) {
    const Record& r = *it->second;
    bool finished_long_ago = r.exit_code && r.die_published && now - r.finished > kKeepFinished;
    bool never_started = !r.started && now - r.created > kKeepUnstarted;
    if (finished_long_ago || never_started) {
      it = execs_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::string> ExecService::createExec(const std::string& container, std::string_view body) {
  BERTH_TRY(ExecConfig config, parseExecConfig(body));
  BERTH_TRY(auto target, containers_->execTarget(container));
  if (!target.running) return notRunning(target.id);
  if (target.paused) return pausedError(container);
  if (target.restarting) {
    return conflict("Container " + target.id +
                    " is restarting, wait until the container is running");
  }
  auto r = std::make_shared<Record>();
  r->id = generateContainerId();
  r->container_id = target.id;
  r->container_name = target.name;
  r->image = target.image;
  r->labels = target.labels;
  r->config = std::move(config);
  r->created = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    pruneLocked();
    execs_[r->id] = r;
  }
  publish(*r, execEventAction("exec_create", r->config.Cmd));
  return r->id;
}

Result<std::string> ExecService::buildProcess(
    const ContainerService::ExecTarget& target, const ExecConfig& config,
    std::optional<std::pair<unsigned, unsigned>> console_size) {
  BERTH_TRY(std::string text, readFile(target.bundle + "/config.json"));
  BERTH_TRY(oci::Spec spec, oci::parseSpec(text));
  if (!spec.process) return internalError("bundle of container " + target.id + " has no process");
  oci::Process p = *spec.process;
  p.args = config.Cmd;
  p.terminal = config.Tty;
  p.consoleSize.reset();
  if (config.Tty && console_size && console_size->first > 0 && console_size->second > 0) {
    p.consoleSize = oci::Box{console_size->first, console_size->second};
  }
  if (!config.WorkingDir.empty()) p.cwd = config.WorkingDir;
  std::string user = config.User.empty() ? target.config.User : config.User;
  // Resolved in the container's root as mounted now, without following links out of it.
  if (!spec.root) return internalError("bundle of container " + target.id + " has no root");
  BERTH_TRY(ResolvedUser resolved, resolveUserInRootfs(spec.root->path, user));
  p.user.uid = resolved.uid;
  p.user.gid = resolved.gid;
  p.user.additionalGids = resolved.additional_gids;
  ContainerConfig env_config = target.config;
  env_config.Tty = config.Tty;
  for (const auto& e : config.Env) env_config.Env.push_back(e);
  p.env = processEnv(env_config, resolved.home);
  if (config.Privileged) {
    std::vector<std::string> all = sys::boundingCapabilities();
    oci::LinuxCapabilities caps;
    caps.bounding = all;
    caps.effective = all;
    caps.permitted = all;
    caps.inheritable = all;
    p.capabilities = caps;
  }
  return oci::processToJson(p, false);
}

Result<bool> ExecService::startExec(const std::string& id, std::string_view body,
                                    const std::function<Result<UniqueFd>(bool)>& hijack) {
  BERTH_TRY(ExecStartConfig start, parseExecStart(body));
  std::shared_ptr<Record> r = find(id);
  if (!r) return notFound("No such exec instance: " + id);
  ExecConfig config;
  std::string container_id;
  {
    std::lock_guard lock(mu_);
    if (r->running) return conflict("Error: Exec command " + id + " is already running");
    if (r->started || r->exit_code)
      return conflict("Error: Exec command " + id + " has already run");
    r->started = true;
    config = r->config;
    container_id = r->container_id;
  }
  auto give_back = [&] {
    std::lock_guard lock(mu_);
    r->started = false;
  };
  auto target = containers_->execTarget(container_id);
  if (!target) {
    give_back();
    return target.error();
  }
  if (!target->running || !target->shim) {
    give_back();
    return notRunning(target->id);
  }
  if (target->paused) {
    give_back();
    return pausedError(target->id);
  }
  bool detach = start.Detach;
  // Docker's start takes Tty from the start request; the config's is the default.
  bool tty = config.Tty || start.Tty;
  config.Tty = tty;
  auto size = start.ConsoleSize ? start.ConsoleSize : config.ConsoleSize;

  UniqueFd conn;
  if (!detach) {
    auto hijacked = hijack(tty);
    if (!hijacked) {
      give_back();
      return hijacked.error();
    }
    conn = std::move(*hijacked);
  }
  auto fail = [&](const Error& e, bool from_runtime) -> Result<bool> {
    int code = startFailureCode(e);
    {
      std::lock_guard lock(mu_);
      finishLocked(*r, code);
      r->die_published = true;  // it never started: no exec_die, as moby
    }
    std::string text = from_runtime ? "OCI runtime exec failed: exec failed: unable to start "
                                      "container process: " +
                                          e.message() + ": unknown"
                                    : e.message();
    // Detached: the answer to the start request (400 from the runtime, as dockerd).
    if (detach) return from_runtime ? invalidArgument(text) : Error(ErrorCode::kInternal, text);
    // As moby: after the hijack the error is the stream's content (stdout frame without a tty).
    text += "\r\n";
    writeAll(conn.get(), tty ? text : routes::multiplexFrame(routes::kStdout, text));
    return false;
  };

  auto process = buildProcess(*target, config, size);
  if (!process) return fail(process.error(), false);
  shim::ExecStartOptions so;
  so.exec_id = id;
  so.process_json = std::move(*process);
  so.privileged = config.Privileged;
  so.stdin = config.AttachStdin;
  so.stdout = config.AttachStdout;
  so.stderr = config.AttachStderr;
  so.detach_keys = config.DetachKeys;
  auto started = target->shim->exec(so, detach ? -1 : conn.get());
  if (!started) return fail(started.error(), true);
  {
    std::lock_guard lock(mu_);
    r->running = true;
    r->pid = started->pid;
    r->shim = target->shim;
    int fd = started->exit_watch.get();
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      log::error("watch exec " + id + ": " + std::string(std::strerror(errno)));
    } else {
      watched_[fd] = {id, std::move(started->exit_watch)};
    }
  }
  publish(*r, execEventAction("exec_start", config.Cmd));
  return detach;
}

void ExecService::finishLocked(Record& r, int exit_code) {
  if (r.exit_code) return;
  r.exit_code = exit_code;
  r.running = false;
  r.finished = std::chrono::steady_clock::now();
}

void ExecService::watcherLoop() {
  struct epoll_event events[16];
  while (!stopping_) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("exec watcher: epoll_wait: " + std::string(std::strerror(errno)));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_.get()) continue;
      std::string id;
      UniqueFd watch;
      {
        std::lock_guard lock(mu_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) continue;
        id = it->second.first;
        watch = std::move(it->second.second);
        watched_.erase(it);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      }
      auto code = shim::readExecExit(watch.get());
      // No message: the shim went away with the container, which kills its processes.
      int exit_code = code && *code ? **code : 137;
      std::shared_ptr<Record> r = find(id);
      if (!r) continue;
      bool publish_die = false;
      {
        std::lock_guard lock(mu_);
        finishLocked(*r, exit_code);
        if (!r->die_published) {
          r->die_published = true;
          publish_die = true;
        }
      }
      if (publish_die) publish(*r, "exec_die", {{"exitCode", std::to_string(*r->exit_code)}});
    }
  }
}

Result<void> ExecService::resizeExec(const std::string& id, unsigned height, unsigned width) {
  std::shared_ptr<Record> r = find(id);
  if (!r) return notFound("No such exec instance: " + id);
  std::optional<shim::ShimClient> shim;
  // The CLI sends its first resize as soon as the start request is answered (101), which can be
  // before the shim has started the process: give the start a moment.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu_);
      if (r->running && r->shim) {
        shim = r->shim;
        break;
      }
      if (!r->started || r->exit_code) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!shim) return conflict("Exec " + id + " is not running");
  return shim->execResize(id, height, width);
}

Result<std::string> ExecService::inspectExec(const std::string& id) {
  std::shared_ptr<Record> r = find(id);
  if (!r) return notFound("No such exec instance: " + id);
  std::optional<shim::ShimClient> shim;
  {
    std::lock_guard lock(mu_);
    if (r->running) shim = r->shim;
  }
  if (shim) {
    // The stream may have ended before the watcher saw the exit: ask the shim.
    auto status = shim->execStatus(id);
    if (status && !status->running) {
      std::lock_guard lock(mu_);
      finishLocked(*r, status->exit_code);
    }
  }
  std::lock_guard lock(mu_);
  ExecInspect view;
  view.id = r->id;
  view.container_id = r->container_id;
  view.running = r->running;
  view.exit_code = r->exit_code;
  view.config = r->config;
  view.pid = r->pid;
  view.can_remove = false;
  return execInspectJson(view);
}

Result<std::string> ExecService::topContainer(const std::string& name, const std::string& ps_args) {
  BERTH_TRY(std::vector<std::string> args, topPsArgs(ps_args));
  BERTH_TRY(auto target, containers_->execTarget(name));
  if (!target.running) return notRunning(target.id);
  if (target.restarting) {
    return conflict("Container " + target.id +
                    " is restarting, wait until the container is running");
  }
  runtime::Runtime rt({target.runtime_root, false});
  BERTH_TRY(std::vector<pid_t> pid_list, rt.pids(target.id));
  std::set<pid_t> pids(pid_list.begin(), pid_list.end());
  // ps with the container's pids first ("-q" lists just those); some options (f) do not mix
  // with -q, so fall back to all processes, filtered afterwards.
  std::string q;
  for (pid_t pid : pids) q += (q.empty() ? "" : ",") + std::to_string(pid);
  std::vector<std::string> with_q = args;
  if (!q.empty()) {
    with_q.push_back("-q");
    with_q.push_back(q);
  }
  auto out = runPs(with_q);
  if (!out) out = runPs(args);
  if (!out) return internalError("Error running ps: " + out.error().message());
  return topFromPsOutput(*out, pids);
}

Result<void> ExecService::renameContainer(const std::string& name, const std::string& new_name) {
  return containers_->renameContainer(name, new_name);
}

}  // namespace berth::daemon
