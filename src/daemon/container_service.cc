#include "daemon/container_service.h"

#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "daemon/config.h"
#include "daemon/container_spec.h"
#include "daemon/create_config.h"
#include "daemon/exec_config.h"
#include "daemon/filters.h"
#include "daemon/image_service.h"
#include "daemon/log_reader.h"
#include "daemon/names.h"
#include "oci/runtime_spec_json.h"
#include "runtime/signals.h"
#include "shim/protocol.h"

namespace berth::daemon {
namespace {

using nlohmann::json;
namespace routes = api::routes;

constexpr const char* kRecordFile = "config.v2.json";

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Docker's units.HumanDuration.
std::string humanDuration(int64_t nanos) {
  int64_t s = nanos / 1000000000;
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return std::to_string(m) + " minutes";
  int64_t h = (m + 30) / 60;
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return std::to_string(h / 24) + " days";
  if (h < 24 * 30 * 2) return std::to_string(h / 24 / 7) + " weeks";
  if (h < 24 * 365 * 2) return std::to_string(h / 24 / 30) + " months";
  return std::to_string(h / 24 / 365) + " years";
}

std::string statusText(const Container& c) {
  const auto& s = c.State;
  int64_t now = nowNanos();
  if (s.Running) {
    auto started = parseRfc3339Nano(s.StartedAt).value_or(now);
    return "Up " + humanDuration(now - started) + (s.Paused ? " (Paused)" : "");
  }
  if (s.Status == "exited") {
    auto finished = parseRfc3339Nano(s.FinishedAt).value_or(now);
    return "Exited (" + std::to_string(s.ExitCode) + ") " + humanDuration(now - finished) + " ago";
  }
  if (s.Status == "created") return "Created";
  if (s.Status == "dead") return "Dead";
  if (s.Status == "removing") return "Removal In Progress";
  return s.Status;
}

// Where a start failed: building the spec in berthd, or in the shim and runtime (spawn creates
// the container, start starts it).
enum class StartStage { kSpec, kRuntime };

// Docker's message, exit code and error class for a failed start (moby's libcontainerd NewTask
// wrapping and translateContainerdStartErr; the CLI maps the texts to 127 and 126).
Error startError(const Error& cause, StartStage stage, int* exit_code) {
  std::string text = cause.message();
  if (stage == StartStage::kRuntime) {
    text =
        "failed to create task for container: failed to create shim task: OCI runtime create "
        "failed: berth-runtime create failed: unable to start container process: " +
        text + ": unknown";
  }
  auto has = [&](const char* s) { return text.find(s) != std::string::npos; };
  if (has("executable file not found") || has("no such file or directory")) {
    *exit_code = 127;
    return invalidArgument(text);
  }
  if (has("permission denied") || has("is a directory")) {
    *exit_code = 126;
    return invalidArgument(text);
  }
  *exit_code = 128;
  if (has("not a directory")) {
    return invalidArgument(text +
                           ": Are you trying to mount a directory onto a file (or vice-versa)? "
                           "Check if the specified host path exists and is the expected type");
  }
  return Error(ErrorCode::kInternal, text);
}

std::string hostHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

constexpr const char* kNoneHosts =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Set-up, records.

Result<std::unique_ptr<ContainerService>> ContainerService::open(ContainerServiceOptions options,
                                                                 ImageService* images,
                                                                 EventSink events) {
  std::unique_ptr<ContainerService> svc(
      new ContainerService(std::move(options), images, std::move(events)));
  BERTH_TRY_VOID(makeDirs(svc->options_.data_root + "/containers", 0710));
  BERTH_TRY_VOID(makeDirs(svc->options_.exec_root + "/containers", 0700));
  BERTH_TRY_VOID(makeDirs(svc->options_.exec_root + "/runtime", 0700));
  svc->seccomp_cache_ =
      std::make_unique<runtime::seccomp::FilterCache>(svc->options_.exec_root + "/seccomp");
  svc->epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!svc->epoll_) return errnoError("epoll_create1");
  svc->wake_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!svc->wake_) return errnoError("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = svc->wake_.get();
  if (epoll_ctl(svc->epoll_.get(), EPOLL_CTL_ADD, svc->wake_.get(), &ev) != 0) {
    return errnoError("epoll_ctl");
  }
  svc->watcher_ = std::thread([s = svc.get()] { s->watcherLoop(); });
  BERTH_TRY_VOID(svc->loadAll());
  return svc;
}

ContainerService::~ContainerService() {
  stopping_ = true;
  uint64_t one = 1;
  if (wake_) (void)!::write(wake_.get(), &one, sizeof(one));
  if (watcher_.joinable()) watcher_.join();
}

std::string ContainerService::containerDir(const std::string& id) const {
  return options_.data_root + "/containers/" + id;
}
std::string ContainerService::bundleDir(const std::string& id) const {
  return options_.exec_root + "/containers/" + id;
}
std::string ContainerService::shimStateDir(const std::string& id) const {
  return bundleDir(id) + "/shim";
}

Result<void> ContainerService::save(const Container& c) {
  return writeFileAtomic(containerDir(c.ID) + "/" + kRecordFile, containerToJson(c), 0600);
}

void ContainerService::publish(const Container& c, const std::string& action,
                               std::map<std::string, std::string> extra) {
  if (!events_) return;
  Event e;
  e.type = "container";
  e.action = action;
  e.actor_id = c.ID;
  e.attributes = c.Config.Labels;
  e.attributes["image"] = c.Config.Image;
  e.attributes["name"] = c.Name.substr(1);
  for (auto& [k, v] : extra) e.attributes[k] = v;
  events_(std::move(e));
}

std::vector<std::shared_ptr<ContainerService::Entry>> ContainerService::entries() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Entry>> out;
  out.reserve(containers_.size());
  for (auto& [id, e] : containers_) out.push_back(e);
  return out;
}

Result<std::shared_ptr<ContainerService::Entry>> ContainerService::find(
    const std::string& name_or_id) {
  std::lock_guard lock(mu_);
  if (name_or_id.empty()) return notFound("No such container: " + name_or_id);
  if (auto it = containers_.find(name_or_id); it != containers_.end()) return it->second;
  std::string as_name = name_or_id[0] == '/' ? name_or_id : "/" + name_or_id;
  if (auto it = names_.find(as_name); it != names_.end()) return containers_.at(it->second);
  std::shared_ptr<Entry> match;
  for (auto it = containers_.lower_bound(name_or_id);
       it != containers_.end() && it->first.starts_with(name_or_id); ++it) {
    if (match) {
      return invalidArgument("multiple IDs found with provided prefix: " + name_or_id);
    }
    match = it->second;
  }
  if (!match) return notFound("No such container: " + name_or_id);
  return match;
}

Result<void> ContainerService::loadAll() {
  std::string dir = options_.data_root + "/containers";
  DIR* d = opendir(dir.c_str());
  if (!d) return errnoError("open " + dir);
  std::vector<std::string> ids;
  while (dirent* de = readdir(d)) {
    if (isFullContainerId(de->d_name)) ids.push_back(de->d_name);
  }
  closedir(d);
  std::vector<std::string> to_remove;
  for (const auto& id : ids) {
    auto text = readFile(containerDir(id) + "/" + kRecordFile);
    if (!text) {
      log::warn("skipping container " + id + ": " + text.error().message());
      continue;
    }
    auto c = parseContainerJson(*text);
    if (!c) {
      log::warn("skipping container " + id + ": " + c.error().message());
      continue;
    }
    auto entry = std::make_shared<Entry>();
    entry->c = std::move(*c);
    if (entry->c.State.Running) {
      auto shim = shim::ShimClient::connect(shimStateDir(id));
      std::optional<shim::ExitRecord> record;
      std::string error;
      if (shim) {
        auto status = shim->exitStatus();
        if (status && !*status) {
          entry->shim = *shim;
          restoreNetwork(entry->c);
          if (auto w = watch(id, *shim); !w)
            log::warn("watch container " + id + ": " + w.error().message());
        } else if (status) {
          record = **status;
          entry->shim = *shim;
        }
      } else {
        auto r = shim::readExitRecord(shimStateDir(id));
        if (r && *r) {
          record = **r;
        } else {
          record = shim::ExitRecord{};
          record->exit_code = 255;
          record->finished_at = nowRfc3339Nano();
          error = "container state lost";
        }
      }
      if (record) {
        log::info("container " + id + " exited while berthd was down (code " +
                  std::to_string(record->exit_code) + ")");
        if (markExited(*entry, *record, error)) to_remove.push_back(id);
      }
    }
    std::lock_guard lock(mu_);
    names_[entry->c.Name] = id;
    containers_[id] = entry;
  }
  reconcileNetwork();
  for (const auto& id : to_remove) autoRemove(id);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Exit watching.

Result<void> ContainerService::watch(const std::string& id, const shim::ShimClient& shim) {
  BERTH_TRY(UniqueFd sock, shim::connectControl(shim.stateDir()));
  BERTH_TRY_VOID(shim::sendMessage(sock.get(), R"({"op":"watch_exit"})"));
  std::lock_guard lock(watch_mu_);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLHUP | EPOLLERR;
  ev.data.fd = sock.get();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sock.get(), &ev) != 0) {
    return errnoError("epoll_ctl add");
  }
  int fd = sock.get();
  watched_[fd] = {id, std::move(sock)};
  return {};
}

void ContainerService::watcherLoop() {
  epoll_event events[32];
  while (!stopping_) {
    int n = epoll_wait(epoll_.get(), events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("exit watcher: epoll_wait: " + std::string(strerror(errno)));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_.get()) continue;
      std::string id;
      {
        std::lock_guard lock(watch_mu_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) continue;
        id = it->second.first;
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        watched_.erase(it);  // closes the connection
      }
      handleExit(id);
    }
  }
}

bool ContainerService::markExited(Entry& entry, const shim::ExitRecord& record,
                                  const std::string& error) {
  Container& c = entry.c;
  c.State.Running = false;
  c.State.Paused = false;
  c.State.Restarting = false;
  c.State.Status = "exited";
  c.State.Pid = 0;
  c.State.ExitCode = record.exit_code;
  c.State.OOMKilled = record.oom_killed;
  c.State.Error = error;
  c.State.FinishedAt = record.finished_at.empty() ? nowRfc3339Nano() : record.finished_at;
  if (entry.shim) {
    if (auto r = entry.shim->shutdown(); !r) {
      log::warn("shutdown shim of " + c.ID + ": " + r.error().message());
    }
    entry.shim.reset();
  }
  releaseNetwork(c);
  if (auto r = images_->unmountContainerLayer(c.ID); !r) {
    log::warn("unmount rootfs of " + c.ID + ": " + r.error().message());
  }
  // An AutoRemove record is deleted next (and removed at restart if a crash came first): its
  // exit state is written without an fsync.
  std::string record_path = containerDir(c.ID) + "/" + kRecordFile;
  auto saved = c.HostConfig.AutoRemove
                   ? writeFileReplace(record_path, containerToJson(c), 0600)
                   : save(c);
  if (!saved) log::error("save container " + c.ID + ": " + saved.error().message());
  publish(c, "die", {{"exitCode", std::to_string(record.exit_code)}});
  ++entry.exits;
  entry.cv.notify_all();
  return c.HostConfig.AutoRemove;
}

void ContainerService::handleExit(const std::string& id) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    entry = it->second;
  }
  bool remove = false;
  {
    std::lock_guard lock(entry->mu);
    if (!entry->c.State.Running || !entry->shim) return;
    std::optional<shim::ExitRecord> record;
    std::string error;
    auto status = entry->shim->exitStatus();
    if (status && *status) {
      record = **status;
    } else if (status) {
      // Still running: the watch connection broke; watch again.
      if (watch(id, *entry->shim)) return;
    }
    if (!record) {
      auto r = shim::readExitRecord(shimStateDir(id));
      if (r && *r) {
        record = **r;
      } else {
        record = shim::ExitRecord{};
        record->exit_code = 255;
        error = "container state lost";
      }
    }
    remove = markExited(*entry, *record, error);
  }
  if (remove) autoRemove(id);
}

void ContainerService::autoRemove(const std::string& id) {
  if (auto r = removeContainer(id, true, false); !r && r.error().code() != ErrorCode::kNotFound) {
    log::warn("auto-remove container " + id + ": " + r.error().message());
  }
}

// ---------------------------------------------------------------------------------------------
// Create.

Result<routes::ContainerCreateResult> ContainerService::createContainer(const std::string& name,
                                                                        std::string_view body) {
  BERTH_TRY(CreateRequest request, parseCreateRequest(body));
  if (request.config.Image.empty())
    return invalidArgument("config cannot be empty in order to create a container");
  BERTH_TRY(ResolvedImage image, images_->resolve(request.config.Image));

  Container c;
  c.ID = generateContainerId();
  c.Created = nowRfc3339Nano();
  c.Config = std::move(request.config);
  c.HostConfig = std::move(request.host_config);
  c.Image = image.id;
  routes::ContainerCreateResult result;
  if (image.config.config) {
    if (!image.config.config->volumes.empty()) {
      std::string list = join(image.config.config->volumes, ", ");
      result.warnings.push_back("image volumes (" + list +
                                ") are plain directories in the container's layer: volumes are "
                                "not supported yet");
    }
    mergeImageConfig(*image.config.config, &c.Config);
    for (const auto& port : image.config.config->exposedPorts) c.Config.ExposedPorts[port];
    c.Config.Volumes.clear();
  }
  BERTH_TRY(auto command, commandOf(c.Config));
  c.Path = command.first;
  c.Args = command.second;
  BERTH_TRY_VOID(validateResources(&c.HostConfig));
  BERTH_TRY_VOID(containerCapabilities(c.HostConfig));
  for (const auto& bind : c.HostConfig.Binds) {
    BERTH_TRY(ParsedBind parsed, parseBind(bind));
    c.Mounts.push_back(parsed.point);
  }
  if (c.Config.Hostname.empty()) {
    c.Config.Hostname = c.HostConfig.NetworkMode == "host" ? hostHostname() : c.ID.substr(0, 12);
  }
  BERTH_TRY_VOID(prepareNetwork(&c, request.endpoints));
  if (c.HostConfig.LogConfig.Type.empty()) c.HostConfig.LogConfig.Type = "json-file";
  c.Driver = images_->driverName();
  c.GraphDriver.Name = c.Driver;

  // Reserve the name.
  {
    std::lock_guard lock(mu_);
    if (name.empty()) {
      for (int retry = 0;; ++retry) {
        c.Name = "/" + generateContainerName(retry);
        if (!names_.count(c.Name)) break;
      }
    } else {
      BERTH_TRY(c.Name, normalizeContainerName(name));
      if (auto it = names_.find(c.Name); it != names_.end()) {
        return conflict("Conflict. The container name \"" + c.Name +
                        "\" is already in use by container \"" + it->second +
                        "\". You have to remove (or rename) that container to be able to reuse "
                        "that name.");
      }
    }
    names_[c.Name] = c.ID;
  }
  RollbackStack rollback;
  rollback.push([&] {
    std::lock_guard lock(mu_);
    names_.erase(c.Name);
  });
  normalizeLinks(&c);

  std::string dir = containerDir(c.ID);
  BERTH_TRY_VOID(makeDirs(dir, 0710));
  rollback.push([&] { (void)removeAll(dir); });
  c.HostnamePath = dir + "/hostname";
  c.HostsPath = dir + "/hosts";
  c.ResolvConfPath = dir + "/resolv.conf";
  c.LogPath = dir + "/" + c.ID + "-json.log";
  BERTH_TRY_VOID(writeFile(c.HostnamePath, c.Config.Hostname + "\n"));
  std::string hosts = kNoneHosts;
  if (c.HostConfig.NetworkMode == "host") {
    if (auto h = readFile("/etc/hosts")) hosts = *h;
  }
  BERTH_TRY_VOID(writeFile(c.HostsPath, hosts));
  auto resolv = readFile("/etc/resolv.conf");
  BERTH_TRY_VOID(writeFile(c.ResolvConfPath, resolv ? *resolv : std::string()));
  BERTH_TRY_VOID(writeNetworkFiles(c));

  BERTH_TRY_VOID(images_->createContainerLayer(c.ID, image.id));
  rollback.push([&] { (void)images_->removeContainerLayer(c.ID); });
  if (auto data = images_->graphDriverData(c.ID)) c.GraphDriver.Data = *data;

  BERTH_TRY_VOID(save(c));
  auto entry = std::make_shared<Entry>();
  entry->c = c;
  {
    std::lock_guard lock(mu_);
    containers_[c.ID] = entry;
  }
  rollback.commit();
  publish(c, "create");
  result.id = c.ID;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Start, stop, kill.

Result<bool> ContainerService::startContainer(const std::string& name) {
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  // A client attaches before it starts (docker run); let attaches already answered finish
  // registering. Bounded, so a stuck attach cannot block the start for good.
  entry->cv.wait_for(lock, std::chrono::seconds(5), [&] { return entry->attaching == 0; });
  auto started = startLocked(entry, lock);
  if (started) return started;
  // As moby's containerStart: attach connections waiting for this start end (the client then
  // reports the start error), and an AutoRemove container is removed.
  for (auto& p : entry->pending) p.conn.reset();
  entry->pending.clear();
  bool remove = entry->c.HostConfig.AutoRemove && !entry->c.State.Running;
  std::string id = entry->c.ID;
  lock.unlock();
  if (remove) autoRemove(id);
  return started;
}

Result<bool> ContainerService::startLocked(const std::shared_ptr<Entry>& entry,
                                           std::unique_lock<std::mutex>&) {
  Container& c = entry->c;
  if (c.State.Running) return false;
  if (entry->removing) return conflict("container is marked for removal and cannot be started");

  RollbackStack rollback;
  BERTH_TRY(std::string rootfs, images_->mountContainerLayer(c.ID));
  rollback.push([&] { (void)images_->unmountContainerLayer(c.ID); });

  auto fail = [&](const Error& cause, StartStage stage = StartStage::kSpec) -> Error {
    int code = 128;
    Error err = startError(cause, stage, &code);
    c.State.ExitCode = code;
    c.State.Error = err.message();
    (void)save(c);
    return err;
  };

  SpecInputs inputs;
  inputs.rootfs = rootfs;
  inputs.default_ulimits = options_.default_ulimits;
  inputs.seccomp_cache = seccomp_cache_.get();
  auto user = resolveUserInRootfs(rootfs, c.Config.User);
  if (!user) return fail(user.error());
  inputs.user = *user;
  // Docker creates a missing bind source as a directory.
  for (const auto& m : c.Mounts) {
    if (m.Type == "bind" && !pathExists(m.Source)) BERTH_TRY_VOID(makeDirs(m.Source));
  }
  auto netns = startNetwork(c);
  if (!netns) return fail(netns.error());
  rollback.push([&] { releaseNetwork(c); });
  inputs.netns_path = netns->path;
  inputs.host_netns = netns->host;
  auto spec = buildContainerSpec(c, inputs);
  if (!spec) return fail(spec.error());

  std::string bundle = bundleDir(c.ID);
  BERTH_TRY_VOID(makeDirs(bundle, 0700));
  // The bundle is exec-root state, rewritten at every start: no fsync.
  BERTH_TRY_VOID(writeFileReplace(bundle + "/config.json", oci::specToJson(*spec), 0600));
  (void)removeAll(shimStateDir(c.ID));

  shim::ShimSpawnOptions so;
  so.shim_binary = options_.shim_binary;
  so.id = c.ID;
  so.bundle = bundle;
  so.runtime_root = options_.exec_root + "/runtime";
  so.state_dir = shimStateDir(c.ID);
  so.log_path = c.LogPath;
  so.log_max_size = options_.log_max_size;
  so.log_max_files = options_.log_max_files;
  {
    // Validated at create; a container's own options override the daemon's log-opts.
    BERTH_TRY(LogOptions log_opts, parseLogOpts(c.HostConfig.LogConfig.Config));
    if (log_opts.max_size) so.log_max_size = *log_opts.max_size;
    if (log_opts.max_files) so.log_max_files = *log_opts.max_files;
  }
  so.tty = c.Config.Tty;
  so.open_stdin = c.Config.OpenStdin;
  so.stdin_once = c.Config.StdinOnce;
  so.seccomp_cache_dir = seccomp_cache_->dir();
  auto shim = shim::ShimClient::spawn(so);
  if (!shim) return fail(shim.error(), StartStage::kRuntime);
  rollback.push([&] { (void)shim->shutdown(); });

  for (auto& p : entry->pending) {
    if (auto r = shim->attach(std::move(p.conn), p.options); !r) {
      log::warn("attach to " + c.ID + ": " + r.error().message());
    }
  }
  entry->pending.clear();

  auto pid = shim->start();
  if (!pid) return fail(pid.error(), StartStage::kRuntime);
  entry->shim = *shim;
  rollback.commit();

  c.State = ContainerState{};
  c.State.Status = "running";
  c.State.Running = true;
  c.State.Pid = *pid;
  c.State.StartedAt = nowRfc3339Nano();
  c.State.FinishedAt = "0001-01-01T00:00:00Z";
  if (auto r = watch(c.ID, *shim); !r) {
    log::error("watch container " + c.ID + ": " + r.error().message());
  }
  BERTH_TRY_VOID(save(c));
  publish(c, "start");
  return true;
}

Result<bool> ContainerService::stopContainer(const std::string& name, const std::string& signal,
                                             std::optional<int> timeout) {
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  return stopLocked(entry, lock, signal, timeout);
}

Result<bool> ContainerService::stopLocked(const std::shared_ptr<Entry>& entry,
                                          std::unique_lock<std::mutex>& lock,
                                          const std::string& signal_text,
                                          std::optional<int> timeout) {
  Container& c = entry->c;
  if (!c.State.Running || !entry->shim) return false;
  std::string sig_name = !signal_text.empty()           ? signal_text
                         : !c.Config.StopSignal.empty() ? c.Config.StopSignal
                                                        : "SIGTERM";
  BERTH_TRY(int sig, runtime::parseSignal(sig_name));
  int seconds = timeout ? *timeout : c.Config.StopTimeout.value_or(10);
  uint64_t exits = entry->exits;
  publish(c, "kill", {{"signal", std::to_string(sig)}});
  if (auto r = entry->shim->kill(sig, false); !r) {
    log::warn("stop " + c.ID + ": " + r.error().message());
  }
  thawAfterKill(*entry);
  auto exited = [&] { return entry->exits != exits; };
  bool done = seconds < 0 ? (entry->cv.wait(lock, exited), true)
                          : entry->cv.wait_for(lock, std::chrono::seconds(seconds), exited);
  if (!done && entry->shim) {
    publish(c, "kill", {{"signal", std::to_string(SIGKILL)}});
    (void)entry->shim->kill(SIGKILL, true);
    if (!entry->cv.wait_for(lock, std::chrono::seconds(30), exited)) {
      return internalError("container " + c.ID + " did not exit after SIGKILL");
    }
  }
  publish(c, "stop");
  return true;
}

Result<void> ContainerService::restartContainer(const std::string& name, const std::string& signal,
                                                std::optional<int> timeout) {
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  BERTH_TRY_VOID(stopLocked(entry, lock, signal, timeout));
  BERTH_TRY_VOID(startLocked(entry, lock));
  publish(entry->c, "restart");
  return {};
}

Result<void> ContainerService::killContainer(const std::string& name, const std::string& signal) {
  BERTH_TRY(auto entry, find(name));
  int sig = SIGKILL;
  if (!signal.empty()) {
    auto parsed = runtime::parseSignal(signal);
    if (!parsed) return invalidArgument("Invalid signal: " + signal);
    sig = *parsed;
  }
  std::lock_guard lock(entry->mu);
  if (!entry->c.State.Running || !entry->shim) {
    return conflict("cannot kill container: " + name + ": container " + entry->c.ID +
                    " is not running");
  }
  BERTH_TRY_VOID(entry->shim->kill(sig, false));
  publish(entry->c, "kill", {{"signal", std::to_string(sig)}});
  thawAfterKill(*entry);
  return {};
}

Result<routes::ContainerWaitResult> ContainerService::waitContainer(
    const std::string& name, const std::string& condition, const std::function<void()>& registered,
    const std::function<bool()>& cancelled) {
  if (condition != "not-running" && condition != "next-exit" && condition != "removed") {
    return invalidArgument("invalid condition: \"" + condition + "\"");
  }
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  routes::ContainerWaitResult out;
  if (condition == "not-running" && !entry->c.State.Running) {
    out.status_code = entry->c.State.ExitCode;
    return out;
  }
  uint64_t exits = entry->exits;
  lock.unlock();
  registered();
  lock.lock();
  for (;;) {
    bool done = condition == "removed" ? entry->removed : entry->exits != exits;
    if (done) break;
    if (entry->cv.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout) {
      lock.unlock();
      bool gone = cancelled();
      lock.lock();
      if (gone) return Error(ErrorCode::kCancelled, "client went away");
    }
  }
  out.status_code = entry->c.State.ExitCode;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Remove, list, inspect.

Result<void> ContainerService::removeContainer(const std::string& name, bool force, bool) {
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  if (entry->removed) return notFound("No such container: " + name);
  Container& c = entry->c;
  if (c.State.Running) {
    if (!force) {
      std::string procedure = "Stop the container before attempting removal or force remove";
      if (c.State.Paused) {
        procedure = "Unpause and then stop the container before attempting removal or force remove";
      }
      return conflict("You cannot remove a " + std::string(c.State.Paused ? "paused" : "running") +
                      " container " + c.ID + ". " + procedure);
    }
    BERTH_TRY_VOID(stopLocked(entry, lock, "SIGKILL", 0));
  }
  if (entry->removing && entry->removed) return {};
  entry->removing = true;
  if (entry->shim) {
    (void)entry->shim->shutdown();
    entry->shim.reset();
  }
  for (auto& p : entry->pending) p.conn.reset();
  entry->pending.clear();
  (void)images_->unmountContainerLayer(c.ID);
  if (auto r = images_->removeContainerLayer(c.ID);
      !r && r.error().code() != ErrorCode::kNotFound) {
    entry->removing = false;
    return r.error().wrap("remove container " + c.ID);
  }
  (void)removeAll(bundleDir(c.ID));
  (void)removeAll(containerDir(c.ID));
  {
    std::lock_guard map_lock(mu_);
    names_.erase(c.Name);
    containers_.erase(c.ID);
  }
  entry->removed = true;
  entry->cv.notify_all();
  publish(c, "destroy");
  return {};
}

Result<std::string> ContainerService::inspectContainer(const std::string& name, bool size) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  std::optional<int64_t> rw, root;
  if (size) {
    rw = images_->containerLayerSize(entry->c.ID).valueOr(0);
    root = *rw;
  }
  if (exec_ids_) return withExecIds(containerToJson(entry->c, rw, root), exec_ids_(entry->c.ID));
  return containerToJson(entry->c, rw, root);
}

Result<std::string> ContainerService::listContainers(const routes::ContainerListOptions& o) {
  BERTH_TRY(Filters f,
            parseFilters(o.filters, {"ancestor", "before", "expose", "exited", "health", "id",
                                     "isolation", "is-task", "label", "name", "network", "publish",
                                     "since", "status", "volume"}));
  for (const auto& key :
       {"expose", "health", "isolation", "is-task", "network", "publish", "volume"}) {
    if (f.count(key))
      return invalidArgument(std::string("filter '") + key + "' is not supported yet");
  }
  for (const auto& s : f["status"]) {
    static const std::vector<std::string> ok = {"created", "restarting", "running", "removing",
                                                "paused",  "exited",     "dead"};
    if (std::find(ok.begin(), ok.end(), s) == ok.end()) {
      return invalidArgument("invalid filter 'status=" + s + "'");
    }
  }
  std::vector<Container> all;
  for (auto& e : entries()) {
    std::lock_guard lock(e->mu);
    if (!e->removed) all.push_back(e->c);
  }
  // Created strings trim trailing zeros (Go's RFC3339Nano): compare them as times.
  auto createdNanos = [](const Container& c) { return parseRfc3339Nano(c.Created).value_or(0); };
  std::stable_sort(all.begin(), all.end(), [&](const Container& a, const Container& b) {
    return createdNanos(a) > createdNanos(b);
  });
  auto createdOf = [&](const std::string& ref) -> Result<int64_t> {
    BERTH_TRY(auto e, find(ref));
    std::lock_guard lock(e->mu);
    return createdNanos(e->c);
  };
  std::optional<int64_t> before, since;
  if (!f["before"].empty()) {
    BERTH_TRY(int64_t t, createdOf(f["before"][0]));
    before = t;
  }
  if (!f["since"].empty()) {
    BERTH_TRY(int64_t t, createdOf(f["since"][0]));
    since = t;
  }
  for (const auto& code : f["exited"]) {
    if (!parseInt(code)) return invalidArgument("invalid filter 'exited=" + code + "'");
  }
  std::vector<std::string> ancestor_ids;
  for (const auto& a : f["ancestor"]) {
    if (auto img = images_->resolve(a)) ancestor_ids.push_back(img->id);
  }

  json out = json::array();
  int64_t count = 0;
  bool all_flag = o.all || o.limit > 0 || !f["status"].empty() || !f["exited"].empty();
  for (const auto& c : all) {
    if (!all_flag && !c.State.Running) continue;
    if (before && createdNanos(c) >= *before) continue;
    if (since && createdNanos(c) <= *since) continue;
    if (!filterMatchesAny(f["status"], c.State.Status)) continue;
    if (!f["exited"].empty()) {
      if (c.State.Status != "exited") continue;
      if (!filterMatchesAny(f["exited"], std::to_string(c.State.ExitCode))) continue;
    }
    if (!f["id"].empty()) {
      // moby's Args.Match: an exact value, else a regular expression searched in the ID.
      bool any = false;
      for (const auto& id : f["id"]) {
        try {
          any = any || c.ID == id || std::regex_search(c.ID, std::regex(id));
        } catch (const std::regex_error&) {
          return invalidArgument("invalid filter 'id=" + id + "'");
        }
      }
      if (!any) continue;
    }
    if (!f["name"].empty()) {
      bool any = false;
      for (const auto& n : f["name"]) {
        try {
          any = any || std::regex_search(c.Name.substr(1), std::regex(n)) ||
                std::regex_search(c.Name, std::regex(n));
        } catch (const std::regex_error&) {
          return invalidArgument("invalid filter 'name=" + n + "'");
        }
      }
      if (!any) continue;
    }
    if (!labelsMatch(f["label"], c.Config.Labels)) continue;
    if (!f["ancestor"].empty()) {
      bool any = std::find(ancestor_ids.begin(), ancestor_ids.end(), c.Image) != ancestor_ids.end();
      for (const auto& a : f["ancestor"]) any = any || c.Config.Image == a;
      if (!any) continue;
    }
    if (o.limit > 0 && count >= o.limit) break;
    ++count;
    std::string command = c.Path;
    for (const auto& a : c.Args) command += " " + a;
    json mounts = json::array();
    for (const auto& m : c.Mounts) {
      mounts.push_back({{"Type", m.Type},
                        {"Source", m.Source},
                        {"Destination", m.Destination},
                        {"Mode", m.Mode},
                        {"RW", m.RW},
                        {"Propagation", m.Propagation}});
    }
    json item = {{"Id", c.ID},
                 {"Names", {c.Name}},
                 {"Image", c.Config.Image},
                 {"ImageID", c.Image},
                 {"Command", command},
                 {"Created", parseRfc3339Nano(c.Created).value_or(0) / 1000000000},
                 {"Ports", psPortsJson(c.NetworkSettings, c.State.Running)},
                 {"Labels", c.Config.Labels},
                 {"State", c.State.Status},
                 {"Status", statusText(c)},
                 {"HostConfig", {{"NetworkMode", c.HostConfig.NetworkMode}}},
                 {"NetworkSettings",
                  {{"Networks", psNetworksJson(c.NetworkSettings, c.HostConfig.NetworkMode)}}},
                 {"Mounts", mounts}};
    if (o.size) {
      int64_t rw = images_->containerLayerSize(c.ID).valueOr(0);
      item["SizeRw"] = rw;
      item["SizeRootFs"] = rw;
    }
    out.push_back(std::move(item));
  }
  return out.dump();
}

// ---------------------------------------------------------------------------------------------
// Logs, attach, resize, prune.

Result<void> ContainerService::containerLogs(
    const std::string& name, const routes::ContainerLogsOptions& o,
    const std::function<bool(bool)>& begin,
    const std::function<bool(int, std::string_view)>& write) {
  BERTH_TRY(auto entry, find(name));
  std::string path;
  bool tty = false;
  uint64_t exits = 0;
  {
    std::lock_guard lock(entry->mu);
    path = entry->c.LogPath;
    tty = entry->c.Config.Tty;
    exits = entry->exits;
  }
  LogReadOptions ro;
  ro.details = o.details;
  ro.stdout = o.stdout;
  ro.stderr = o.stderr;
  ro.timestamps = o.timestamps;
  ro.follow = o.follow;
  ro.max_files = std::max(options_.log_max_files, 1);
  if (!o.tail.empty() && o.tail != "all") {
    auto n = parseInt(o.tail);
    if (n && *n >= 0) ro.tail = *n;
  }
  if (!o.since.empty()) {
    BERTH_TRY(int64_t s, parseUnixTimestamp(o.since));
    if (s > 0) ro.since_nanos = s;
  }
  if (!o.until.empty()) {
    BERTH_TRY(int64_t u, parseUnixTimestamp(o.until));
    if (u > 0) ro.until_nanos = u;
  }
  if (!begin(tty)) return {};
  // As Docker, a follower ends with the run it started on: a restart (even one that holds the
  // lock across stop and start) bumps `exits`.
  return readContainerLog(path, ro, write, [entry, exits] {
    std::lock_guard lock(entry->mu);
    return entry->c.State.Running && !entry->removed && entry->exits == exits;
  });
}

namespace {

// moby's term.ToBytes rules (the shim turns valid keys into bytes): single characters or
// ctrl-<a-z @ [ \ ] ^ _>, comma-separated.
bool detachKeysValid(const std::string& spec) {
  if (spec.empty()) return true;
  for (const std::string& key : split(spec, ',')) {
    if (key.size() == 1) continue;
    if (key.size() != 6 || !key.starts_with("ctrl-")) return false;
    char c = key[5];
    if (!(c >= 'a' && c <= 'z') && std::string_view("@[\\]^_").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<void> ContainerService::attachContainer(
    const std::string& name, const routes::ContainerAttachOptions& o,
    const std::function<Result<api::HijackedConnection>(bool)>& hijack) {
  BERTH_TRY(auto entry, find(name));
  if (!detachKeysValid(o.detach_keys)) {
    return invalidArgument("Invalid detach keys (" + o.detach_keys + ") provided");
  }
  bool tty = false;
  std::string log_path;
  {
    std::lock_guard lock(entry->mu);
    tty = entry->c.Config.Tty;
    log_path = entry->c.LogPath;
    ++entry->attaching;
  }
  ScopeGuard done_attaching([&] {
    {
      std::lock_guard lock(entry->mu);
      --entry->attaching;
    }
    entry->cv.notify_all();
  });
  BERTH_TRY(api::HijackedConnection hijacked, hijack(tty));
  UniqueFd conn = std::move(hijacked.fd);
  bool multiplexed = !tty && !o.raw_streams;
  if (o.logs) {
    LogReadOptions ro;
    ro.stdout = o.stdout;
    ro.stderr = o.stderr;
    ro.max_files = std::max(options_.log_max_files, 1);
    int fd = conn.get();
    (void)readContainerLog(
        log_path, ro,
        [&](int stream, std::string_view data) {
          std::string bytes =
              multiplexed ? routes::multiplexFrame(stream, data) : std::string(data);
          size_t off = 0;
          while (off < bytes.size()) {
            ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
            if (n <= 0) return false;
            off += static_cast<size_t>(n);
          }
          return true;
        },
        [] { return false; });
  }
  if (!o.stream) return {};
  shim::AttachOptions ao;
  ao.stdin = o.stdin;
  ao.stdout = o.stdout;
  ao.stderr = o.stderr;
  ao.multiplexed = multiplexed;
  ao.detach_keys = o.detach_keys;
  // Input that came in the same packet as the request (docker's CLI may write at once).
  if (o.stdin) ao.stdin_prefix = std::move(hijacked.buffered);
  std::lock_guard lock(entry->mu);
  if (entry->c.State.Running && entry->shim) return entry->shim->attach(std::move(conn), ao);
  if (entry->c.State.Status == "created" && !entry->removed) {
    entry->pending.push_back({std::move(conn), ao});
  }
  return {};  // an exited container: the connection closes (EOF)
}

Result<void> ContainerService::resizeContainer(const std::string& name, unsigned height,
                                               unsigned width) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  if (!entry->c.State.Running || !entry->shim) {
    return conflict("Container " + entry->c.ID + " is not running");
  }
  return entry->shim->resize(height, width);
}

Result<std::string> ContainerService::pruneContainers(const std::string& filters) {
  BERTH_TRY(Filters f, parseFilters(filters, {"label", "label!", "until"}));
  std::optional<int64_t> until;
  if (!f["until"].empty()) {
    if (f["until"].size() > 1) return invalidArgument("more than one until filter specified");
    BERTH_TRY(int64_t u, parseFilterTime(f["until"][0], nowNanos()));
    until = u;
  }
  std::vector<std::pair<std::string, Container>> candidates;
  for (auto& e : entries()) {
    std::lock_guard elock(e->mu);
    if (!e->c.State.Running && !e->removed) candidates.emplace_back(e->c.ID, e->c);
  }
  json deleted = json::array();
  int64_t reclaimed = 0;
  for (auto& [id, c] : candidates) {
    if (!labelsMatch(f["label"], c.Config.Labels)) continue;
    // moby's matchLabels: label! excludes a container that matches all of its values.
    if (!f["label!"].empty() && labelsMatch(f["label!"], c.Config.Labels)) continue;
    if (until && parseRfc3339Nano(c.Created).value_or(0) >= *until) continue;
    int64_t size = images_->containerLayerSize(id).valueOr(0);
    if (removeContainer(id, false, false)) {
      deleted.push_back(id);
      reclaimed += size;
    }
  }
  if (events_) {
    Event e;
    e.type = "container";
    e.action = "prune";
    e.attributes["reclaimed"] = std::to_string(reclaimed);
    events_(std::move(e));
  }
  json out = {{"ContainersDeleted", deleted.empty() ? json(nullptr) : deleted},
              {"SpaceReclaimed", reclaimed}};
  return out.dump();
}

ContainerService::Counts ContainerService::counts() {
  Counts out;
  for (auto& e : entries()) {
    std::lock_guard elock(e->mu);
    if (e->removed) continue;
    ++out.total;
    if (e->c.State.Paused) {
      ++out.paused;
    } else if (e->c.State.Running) {
      ++out.running;
    } else {
      ++out.stopped;
    }
  }
  return out;
}

std::optional<store::ImageUser> ContainerService::imageUser(const std::string& image_id) {
  for (auto& e : entries()) {
    std::lock_guard elock(e->mu);
    if (!e->removed && e->c.Image == image_id) {
      return store::ImageUser{e->c.ID, e->c.State.Running};
    }
  }
  return std::nullopt;
}

}  // namespace berth::daemon
