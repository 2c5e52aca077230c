#include "shim/shim.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/file_util.h"
#include "base/time_format.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec_json.h"
#include "runtime/runtime.h"
#include "shim/exec_session.h"
#include "shim/json_log.h"
#include "shim/protocol.h"
#include "sys/sys_result.h"
#include "sys/unix_socket.h"

namespace berth::shim {
namespace {

using nlohmann::json;

constexpr std::size_t kReadChunk = 32 * 1024;
// A client with more than this queued stops the reading of the container's output (as a
// blocked attach stream does in Docker) until it drains.
constexpr std::size_t kHighWater = 1024 * 1024;
constexpr std::size_t kStdinHighWater = 64 * 1024;

// One read buffer for the whole process (the loop is single-threaded).
char g_buf[kReadChunk];

std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string okReply(json extra = json::object()) {
  extra["ok"] = true;
  return dumpJson(extra);
}

void setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// The file that counts OOM kills of the memory cgroup `pid` is in, and the key of that count
// (cgroup v1: memory.oom_control "oom_kill N"; v2: memory.events "oom_kill N").
std::string oomFileOf(pid_t pid) {
  auto text = readFile("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return "";
  std::string unified;
  for (const std::string& line : split(*text, '\n')) {
    auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (controllers.empty()) {
      unified = path;
      continue;
    }
    for (const std::string& c : split(controllers, ',')) {
      if (c == "memory") return "/sys/fs/cgroup/memory" + path + "/memory.oom_control";
    }
  }
  if (!unified.empty()) return "/sys/fs/cgroup" + unified + "/memory.events";
  return "";
}

bool oomKilled(const std::string& file) {
  if (file.empty()) return false;
  auto text = readFile(file);
  if (!text) return false;
  for (const std::string& line : split(*text, '\n')) {
    if (std::string_view(line).starts_with("oom_kill ")) {
      std::string_view n = std::string_view(line).substr(9);
      return !n.empty() && n != "0";
    }
  }
  return false;
}

struct Client {
  UniqueFd fd;
  AttachOptions opts;
  std::string keys;         // detach sequence (tty only)
  std::size_t matched = 0;  // bytes of `keys` seen so far (held back from the container)
  std::string out;          // queued output
  std::size_t out_off = 0;
  bool reading = false;  // attached stdin still open
  bool closing = false;  // close once `out` is flushed
  uint32_t events = 0;   // registered epoll interest
};

class Shim {
 public:
  explicit Shim(ShimConfig cfg) : cfg_(std::move(cfg)), runtime_({cfg_.runtime_root, false, cfg_.seccomp_cache_dir}) {}

  // Sets everything up and creates the container; the error goes to the ready pipe.
  Result<void> init();
  void loop();
  // Cleans up before the process exits.
  void finish();

 private:
  enum class State { kCreated, kRunning, kExited };

  Result<void> createContainer();
  void watch(int fd, uint32_t events);
  void unwatch(int fd);
  void setEvents(Client& c);
  void updateOutputInterest();

  void onSignal();
  void reap();
  void onContainerExit(int status);
  void onOutput(int fd, StreamKind stream, bool drain);
  void deliver(StreamKind stream, const char* data, std::size_t n);
  void onAccept();
  void onControl(int fd);
  std::string handle(const json& req, UniqueFd passed, int conn, bool* keep_conn);
  Result<void> attach(UniqueFd conn, const json& req);
  void onClient(Client& c, uint32_t events);
  void clientInput(Client& c);
  void flushClient(Client& c);
  void dropClient(Client& c);
  // Input from an attached client (through the detach-key matcher with a tty).
  void clientData(Client& c, std::string_view data);
  void writeStdin();
  void closeContainerStdin();
  Client* findClient(int fd);
  void sweepClients();
  // docker exec (exec_session.h): starts the process, answers on `conn`, which then waits
  // for the exit message.
  void startExec(const json& req, UniqueFd client, UniqueFd conn);
  Result<pid_t> execProcess(const json& req, UniqueFd client, UniqueFd& conn);
  ExecSession* findExec(int fd);
  ExecSession* findExecById(const std::string& id);
  void sweepExecs();

  ShimConfig cfg_;
  runtime::Runtime runtime_;
  UniqueFd epoll_, signal_fd_, listen_, dev_null_;
  UniqueFd stdin_w_;        // pipe write end, or a dup of the pty master; closed = container EOF
  UniqueFd out_r_, err_r_;  // with a tty out_r_ is the pty master and err_r_ is unused
  bool output_paused_ = false;
  std::string stdin_buf_;
  bool close_stdin_after_flush_ = false;
  std::optional<JsonFileLog> log_;
  std::string oom_file_;
  pid_t init_pid_ = -1;
  State state_ = State::kCreated;
  std::string started_at_;
  ExitRecord exit_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<UniqueFd> controls_;  // accepted control connections awaiting their request
  std::vector<UniqueFd> watchers_;  // watch_exit connections
  // fds closed during one epoll batch are closed after it, so that a number cannot be reused
  // (by accept4) while stale events for it are still being dispatched.
  std::vector<UniqueFd> graveyard_;
  bool created_ = false;
  bool quit_ = false;
  std::vector<std::unique_ptr<ExecSession>> execs_;
  std::map<std::string, int> exec_exits_;  // exit codes of finished exec sessions
};

void Shim::watch(int fd, uint32_t events) {
  struct epoll_event ev {};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
  }
}

void Shim::unwatch(int fd) {
  if (fd >= 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Result<void> Shim::init() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return errnoError("epoll_create1");
  dev_null_.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null_) return errnoError("open /dev/null");

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return errnoError("signalfd");
  watch(signal_fd_.get(), EPOLLIN);

  if (!cfg_.log_path.empty()) {
    BERTH_TRY(JsonFileLog l,
              JsonFileLog::open(cfg_.log_path, cfg_.log_max_size, cfg_.log_max_files));
    log_.emplace(std::move(l));
  }

  // Bound relative to the state directory (the shim's cwd): no sun_path length limit.
  std::string sock_path = cfg_.state_dir + "/" + kSocketName;
  ::unlink(kSocketName);
  listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) return errnoError("socket");
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, kSocketName, sizeof kSocketName);
  if (::bind(listen_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    return errnoError("bind " + sock_path);
  }
  ::chmod(kSocketName, 0600);
  if (::listen(listen_.get(), 64) != 0) return errnoError("listen " + sock_path);
  watch(listen_.get(), EPOLLIN);

  BERTH_TRY_VOID(createContainer());
  created_ = true;
  auto pid_written =
      writeFileReplace(cfg_.state_dir + "/" + kPidFileName, std::to_string(::getpid()), 0644);
  if (!pid_written) {
    (void)runtime_.remove(cfg_.id, true);
    return pid_written.error();
  }
  return {};
}

Result<void> Shim::createContainer() {
  runtime::CreateOptions copts;
  copts.id = cfg_.id;
  copts.bundle = cfg_.bundle;
  copts.loopback_up = true;
  UniqueFd console_ours, console_theirs;
  UniqueFd in_r, out_w, err_w;
  if (cfg_.tty) {
    int sp[2];
    if (auto s = sys::socketPair(SOCK_STREAM, sp); !s) return sysError("socketpair", s.err);
    console_ours.reset(sp[0]);
    console_theirs.reset(sp[1]);
    copts.console_fd = sp[1];
  } else {
    int p[2];
    if (cfg_.open_stdin) {
      if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
      in_r.reset(p[0]);
      stdin_w_.reset(p[1]);
    }
    if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
    out_r_.reset(p[0]);
    out_w.reset(p[1]);
    if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
    err_r_.reset(p[0]);
    err_w.reset(p[1]);
  }
  // Init inherits fds 0-2 from this process (clone without exec), so they are the container's
  // stdio for the duration of create; afterwards they are /dev/null again, and the shim keeps
  // no write end of the output pipes: EOF means every container process is gone.
  int in_fd = in_r ? in_r.get() : dev_null_.get();
  int out_fd = out_w ? out_w.get() : dev_null_.get();
  int err_fd = err_w ? err_w.get() : dev_null_.get();
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  auto created = runtime_.create(copts);
  ::dup2(dev_null_.get(), 0);
  ::dup2(dev_null_.get(), 1);
  ::dup2(dev_null_.get(), 2);
  if (!created) return created.error();

  auto state = runtime_.state(cfg_.id);
  if (!state) {
    (void)runtime_.remove(cfg_.id, true);
    return state.error();
  }
  init_pid_ = state->pid;
  oom_file_ = oomFileOf(init_pid_);

  if (cfg_.tty) {
    console_theirs.reset();
    char name[64];
    int master = -1;
    auto r = sys::recvFd(console_ours.get(), &master, name, sizeof name);
    if (!r || master < 0) {
      (void)runtime_.remove(cfg_.id, true);
      return internalError("receive pty master from container " + cfg_.id);
    }
    out_r_.reset(master);
    if (cfg_.open_stdin) {
      stdin_w_.reset(::fcntl(master, F_DUPFD_CLOEXEC, 3));
      if (!stdin_w_) return errnoError("dup pty master");
    }
  }
  for (int fd : {out_r_.get(), err_r_.get(), stdin_w_.get()}) {
    if (fd >= 0) setNonBlocking(fd);
  }
  if (out_r_) watch(out_r_.get(), EPOLLIN);
  if (err_r_) watch(err_r_.get(), EPOLLIN);
  return {};
}

Client* Shim::findClient(int fd) {
  for (auto& c : clients_) {
    if (c->fd.get() == fd) return c.get();
  }
  return nullptr;
}

void Shim::setEvents(Client& c) {
  if (!c.fd) return;
  uint32_t ev = 0;
  if (c.reading && !c.closing && stdin_buf_.size() < kStdinHighWater) ev |= EPOLLIN;
  if (c.out.size() > c.out_off) ev |= EPOLLOUT;
  if (ev == c.events) return;
  c.events = ev;
  struct epoll_event e {};
  e.events = ev;
  e.data.fd = c.fd.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &e);
}

void Shim::updateOutputInterest() {
  bool pause = false;
  for (auto& c : clients_) {
    if (c->out.size() - c->out_off > kHighWater) pause = true;
  }
  if (pause == output_paused_) return;
  output_paused_ = pause;
  uint32_t ev = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
  for (int fd : {out_r_.get(), err_r_.get()}) {
    if (fd < 0) continue;
    struct epoll_event e {};
    e.events = ev;
    e.data.fd = fd;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &e);
  }
}

void Shim::loop() {
  struct epoll_event events[16];
  while (!quit_) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("epoll_wait: " + std::string(std::strerror(errno)));
      return;
    }
    for (int i = 0; i < n && !quit_; ++i) {
      int fd = events[i].data.fd;
      uint32_t ev = events[i].events;
      if (fd == signal_fd_.get()) {
        onSignal();
      } else if (fd == listen_.get()) {
        onAccept();
      } else if (out_r_ && fd == out_r_.get()) {
        onOutput(fd, StreamKind::kStdout, false);
      } else if (err_r_ && fd == err_r_.get()) {
        onOutput(fd, StreamKind::kStderr, false);
      } else if (stdin_w_ && fd == stdin_w_.get()) {
        writeStdin();
      } else if (Client* c = findClient(fd)) {
        onClient(*c, ev);
      } else if (ExecSession* e = findExec(fd)) {
        e->onEvent(fd, ev);
      } else {
        onControl(fd);
      }
    }
    sweepClients();
    sweepExecs();
    graveyard_.clear();
  }
}

void Shim::onSignal() {
  struct signalfd_siginfo si;
  while (::read(signal_fd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
  }
  reap();
}

void Shim::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == init_pid_ && state_ != State::kExited) {
      onContainerExit(status);
      continue;
    }
    for (auto& e : execs_) {
      if (e->pid() == pid && !e->exitCode()) {
        e->onExit(status);
        break;
      }
    }
  }
}

void Shim::onContainerExit(int status) {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  // Every process of the container's pid namespace is gone once init is reapable: what they
  // wrote is in the pipes (or the pty), so drain it before telling anyone.
  if (out_r_) onOutput(out_r_.get(), StreamKind::kStdout, true);
  if (err_r_) onOutput(err_r_.get(), StreamKind::kStderr, true);
  if (log_) {
    (void)log_->finish(StreamKind::kStdout);
    (void)log_->finish(StreamKind::kStderr);
  }
  exit_ = {};
  if (WIFSIGNALED(status)) {
    exit_.signal = WTERMSIG(status);
    exit_.exit_code = 128 + exit_.signal;
  } else {
    exit_.exit_code = WEXITSTATUS(status);
  }
  exit_.oom_killed = oomKilled(oom_file_);
  exit_.started_at = started_at_;
  exit_.finished_at =
      formatRfc3339Nano(static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec);
  auto w = writeFileReplace(cfg_.state_dir + "/" + kExitFileName, exitRecordToJson(exit_), 0644);
  if (!w) log::error("container " + cfg_.id + ": " + w.error().message());
  log::info("container " + cfg_.id + " exited with code " + std::to_string(exit_.exit_code));
  state_ = State::kExited;

  for (UniqueFd* fd : {&out_r_, &err_r_, &stdin_w_}) {
    unwatch(fd->get());
    graveyard_.push_back(std::move(*fd));
  }
  stdin_buf_.clear();
  for (auto& c : clients_) {
    c->closing = true;
    c->reading = false;
    flushClient(*c);  // closes it once its queue is written
  }
  std::string msg = okReply({{"exited", true}});
  for (UniqueFd& w : watchers_) {
    unwatch(w.get());
    (void)sendMessage(w.get(), msg);
    graveyard_.push_back(std::move(w));
  }
  watchers_.clear();
}

void Shim::onOutput(int fd, StreamKind stream, bool drain) {
  // Without drain, one read per wake-up keeps the loop fair to other fds.
  for (int reads = 0; drain || reads < 4; ++reads) {
    ssize_t n = ::read(fd, g_buf, sizeof g_buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return;
      // EOF, or EIO on a pty master whose slave is closed everywhere.
      unwatch(fd);
      UniqueFd& owner = fd == err_r_.get() ? err_r_ : out_r_;
      graveyard_.push_back(std::move(owner));
      if (log_) (void)log_->finish(stream);
      return;
    }
    deliver(stream, g_buf, static_cast<std::size_t>(n));
  }
}

void Shim::deliver(StreamKind stream, const char* data, std::size_t n) {
  if (log_) {
    auto r = log_->feed(stream, std::string_view(data, n));
    if (!r) log::warn("container " + cfg_.id + ": " + r.error().message());
  }
  for (auto& c : clients_) {
    if (c->closing) continue;
    bool wanted = stream == StreamKind::kStdout ? c->opts.stdout : c->opts.stderr;
    if (!wanted || !c->fd) continue;
    if (c->out_off > 0 && c->out_off == c->out.size()) {
      c->out.clear();
      c->out_off = 0;
    }
    if (c->opts.multiplexed) {
      char header[8] = {static_cast<char>(stream),
                        0,
                        0,
                        0,
                        static_cast<char>((n >> 24) & 0xff),
                        static_cast<char>((n >> 16) & 0xff),
                        static_cast<char>((n >> 8) & 0xff),
                        static_cast<char>(n & 0xff)};
      c->out.append(header, sizeof header);
    }
    c->out.append(data, n);
    flushClient(*c);
  }
  updateOutputInterest();
}

void Shim::flushClient(Client& c) {
  while (c.fd && c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOTSOCK) {
      n = ::write(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off);
    }
    if (n < 0) {
      if (errno == EAGAIN) break;
      dropClient(c);
      return;
    }
    c.out_off += static_cast<std::size_t>(n);
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
    // Give back the memory a burst took.
    if (c.out.capacity() > 64 * 1024) c.out.shrink_to_fit();
    if (c.closing) {
      dropClient(c);
      return;
    }
  }
  setEvents(c);
}

void Shim::dropClient(Client& c) {
  if (!c.fd) return;
  // A stdin client that vanished without a clean EOF ends the container's stdin as EOF would.
  if (c.reading && cfg_.stdin_once && !cfg_.tty) closeContainerStdin();
  unwatch(c.fd.get());
  graveyard_.push_back(std::move(c.fd));
  c.closing = true;
  c.reading = false;
}

void Shim::sweepClients() {
  auto it = std::remove_if(clients_.begin(), clients_.end(),
                           [](const std::unique_ptr<Client>& c) { return !c->fd; });
  if (it != clients_.end()) {
    clients_.erase(it, clients_.end());
    updateOutputInterest();
  }
}

void Shim::onClient(Client& c, uint32_t events) {
  if (events & EPOLLOUT) flushClient(c);
  if (!c.fd) return;
  if (events & EPOLLIN) clientInput(c);
  if (!c.fd) return;
  if (events & EPOLLERR) {
    dropClient(c);
  } else if (events & EPOLLHUP) {
    // Both directions are shut: take the input that is left (up to its EOF), then let go.
    for (int i = 0; i < 64 && c.fd && c.reading; ++i) clientInput(c);
    dropClient(c);
  }
}

void Shim::clientInput(Client& c) {
  ssize_t n = ::read(c.fd.get(), g_buf, sizeof g_buf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    dropClient(c);
    return;
  }
  if (n == 0) {
    // The client closed its stdin (docker's CloseWrite). As moby: with StdinOnce and no tty the
    // container's stdin is closed; otherwise this client is detached.
    c.reading = false;
    if (cfg_.stdin_once && !cfg_.tty) {
      if (stdin_buf_.empty())
        closeContainerStdin();
      else
        close_stdin_after_flush_ = true;
      setEvents(c);
    } else {
      c.closing = true;
      flushClient(c);
    }
    return;
  }
  clientData(c, std::string_view(g_buf, static_cast<std::size_t>(n)));
}

void Shim::clientData(Client& c, std::string_view data) {
  if (!stdin_w_) return;  // stdin already closed: input is dropped
  if (c.keys.empty()) {
    stdin_buf_.append(data);
  } else {
    // moby's escape proxy: bytes matching the detach sequence are held back; the full
    // sequence detaches the client, a mismatch releases them.
    for (char ch : data) {
      if (ch == c.keys[c.matched]) {
        if (++c.matched == c.keys.size()) {
          writeStdin();
          log::info("container " + cfg_.id + ": attach client detached");
          c.matched = 0;
          c.closing = true;
          c.reading = false;
          flushClient(c);
          return;
        }
        continue;
      }
      if (c.matched > 0) {
        stdin_buf_.append(c.keys, 0, c.matched);
        c.matched = 0;
        if (ch == c.keys[0]) {
          c.matched = 1;
          continue;
        }
      }
      stdin_buf_ += ch;
    }
  }
  writeStdin();
}

void Shim::writeStdin() {
  while (stdin_w_ && !stdin_buf_.empty()) {
    ssize_t n = ::write(stdin_w_.get(), stdin_buf_.data(), stdin_buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN) break;
      // The container closed its stdin (EPIPE): input has nowhere to go.
      stdin_buf_.clear();
      closeContainerStdin();
      break;
    }
    stdin_buf_.erase(0, static_cast<std::size_t>(n));
  }
  if (stdin_w_) {
    if (stdin_buf_.empty()) {
      unwatch(stdin_w_.get());
      if (close_stdin_after_flush_) closeContainerStdin();
    } else {
      watch(stdin_w_.get(), EPOLLOUT);
    }
  }
  for (auto& c : clients_) setEvents(*c);
}

void Shim::closeContainerStdin() {
  close_stdin_after_flush_ = false;
  if (!stdin_w_) return;
  if (cfg_.tty) return;  // the pty has no half-close; its master stays open for output
  unwatch(stdin_w_.get());
  stdin_w_.reset();
  stdin_buf_.clear();
}

void Shim::onAccept() {
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    controls_.emplace_back(fd);
    watch(fd, EPOLLIN);
  }
}

void Shim::onControl(int fd) {
  auto it = std::find_if(controls_.begin(), controls_.end(),
                         [&](const UniqueFd& c) { return c.get() == fd; });
  if (it == controls_.end()) {
    // A watcher that hung up.
    auto w = std::find_if(watchers_.begin(), watchers_.end(),
                          [&](const UniqueFd& c) { return c.get() == fd; });
    unwatch(fd);
    if (w != watchers_.end()) {
      graveyard_.push_back(std::move(*w));
      watchers_.erase(w);
    }
    return;
  }
  UniqueFd conn = std::move(*it);
  controls_.erase(it);
  unwatch(fd);
  ScopeGuard bury([&] {
    if (conn) graveyard_.push_back(std::move(conn));
  });
  UniqueFd passed;
  auto msg = recvMessage(conn.get(), &passed);
  if (!msg || msg->empty()) return;
  json req = json::parse(*msg, nullptr, false);
  if (req.is_object() && req.value("op", std::string()) == "exec") {
    startExec(req, std::move(passed), std::move(conn));
    return;
  }
  std::string reply;
  bool keep = false;
  if (req.is_discarded() || !req.is_object()) {
    reply = errorReply(invalidArgument("bad request to shim"));
  } else {
    try {
      reply = handle(req, std::move(passed), conn.get(), &keep);
    } catch (const json::exception& e) {
      reply = errorReply(invalidArgument(std::string("bad request to shim: ") + e.what()));
    }
  }
  if (keep) {
    watchers_.push_back(std::move(conn));
    watch(watchers_.back().get(), EPOLLIN);  // EPOLLIN/HUP: the watcher went away
    return;
  }
  (void)sendMessage(conn.get(), reply);
}

std::string Shim::handle(const json& req, UniqueFd passed, int conn, bool* keep_conn) {
  (void)conn;
  std::string op = req.value("op", std::string());
  const char* status = state_ == State::kCreated   ? "created"
                       : state_ == State::kRunning ? "running"
                                                   : "exited";
  if (op == "info") {
    return okReply({{"pid", ::getpid()}, {"container_pid", init_pid_}, {"status", status}});
  }
  if (op == "start") {
    if (state_ != State::kCreated) {
      return errorReply(conflict("container " + cfg_.id + " is not created: it is " + status));
    }
    auto r = runtime_.start(cfg_.id);
    if (!r) {
      log::error("start container " + cfg_.id + ": " + r.error().message());
      return errorReply(r.error());
    }
    started_at_ = nowRfc3339Nano();
    state_ = State::kRunning;
    // It may already have exited; reap() sees to that on the next SIGCHLD.
    return okReply({{"pid", init_pid_}});
  }
  if (op == "kill") {
    if (state_ == State::kExited) {
      return errorReply(conflict("container " + cfg_.id + " is not running"));
    }
    auto r = runtime_.kill(cfg_.id, req.value("signal", SIGTERM), req.value("all", false));
    return r ? okReply() : errorReply(r.error());
  }
  if (op == "resize") {
    if (cfg_.tty && out_r_) {
      struct winsize ws {};
      ws.ws_row = static_cast<unsigned short>(req.value("rows", 0u));
      ws.ws_col = static_cast<unsigned short>(req.value("cols", 0u));
      if (::ioctl(out_r_.get(), TIOCSWINSZ, &ws) != 0) {
        return errorReply(errnoError("resize tty of container " + cfg_.id));
      }
    }
    return okReply();
  }
  if (op == "close_stdin") {
    if (stdin_buf_.empty())
      closeContainerStdin();
    else
      close_stdin_after_flush_ = true;
    return okReply();
  }
  if (op == "exit_status") {
    if (state_ != State::kExited) return okReply({{"exited", false}});
    return okReply({{"exited", true}, {"record", json::parse(exitRecordToJson(exit_))}});
  }
  if (op == "watch_exit") {
    if (state_ == State::kExited) return okReply({{"exited", true}});
    *keep_conn = true;
    return "";
  }
  if (op == "attach") {
    if (!passed) return errorReply(invalidArgument("attach: no connection passed"));
    auto r = attach(std::move(passed), req);
    return r ? okReply() : errorReply(r.error());
  }
  if (op == "exec_status" || op == "exec_resize") {
    std::string exec_id = req.value("exec_id", std::string());
    ExecSession* e = findExecById(exec_id);
    if (op == "exec_resize") {
      if (e == nullptr) return errorReply(notFound("No such exec instance: " + exec_id));
      auto r = e->resize(req.value("rows", 0u), req.value("cols", 0u));
      return r ? okReply() : errorReply(r.error());
    }
    if (e != nullptr) {
      if (!e->exitCode()) return okReply({{"running", true}, {"pid", e->pid()}});
      return okReply({{"running", false}, {"exit_code", *e->exitCode()}});
    }
    if (auto it = exec_exits_.find(exec_id); it != exec_exits_.end()) {
      return okReply({{"running", false}, {"exit_code", it->second}});
    }
    return errorReply(notFound("No such exec instance: " + exec_id));
  }
  if (op == "shutdown") {
    if (state_ == State::kRunning) {
      return errorReply(conflict("container " + cfg_.id + " is running: stop it first"));
    }
    auto r = runtime_.remove(cfg_.id, true);
    if (!r && r.error().code() != ErrorCode::kNotFound) {
      log::error("delete container " + cfg_.id + ": " + r.error().message());
      return errorReply(r.error());
    }
    reap();
    quit_ = true;
    log::info("container " + cfg_.id + " deleted; shim exits");
    return okReply();
  }
  return errorReply(invalidArgument("unknown shim request \"" + op + "\""));
}

Result<void> Shim::attach(UniqueFd conn, const json& req) {
  auto c = std::make_unique<Client>();
  c->opts.stdin = req.value("stdin", false);
  c->opts.stdout = req.value("stdout", true);
  c->opts.stderr = req.value("stderr", true);
  c->opts.multiplexed = req.value("multiplexed", !cfg_.tty);
  c->opts.detach_keys = req.value("detach_keys", std::string());
  if (cfg_.tty && c->opts.stdin) {
    BERTH_TRY(c->keys, parseDetachKeys(c->opts.detach_keys));
  }
  if (state_ == State::kExited) return {};  // conn closes: the client sees EOF
  setNonBlocking(conn.get());
  c->fd = std::move(conn);
  c->reading = c->opts.stdin && cfg_.open_stdin && stdin_w_.valid();
  // Interest in EPOLLRDHUP is not needed: output-only clients find out on write.
  struct epoll_event e {};
  e.events = 0;
  e.data.fd = c->fd.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->fd.get(), &e) != 0) {
    return errnoError("attach: epoll_ctl");
  }
  clients_.push_back(std::move(c));
  Client& added = *clients_.back();
  setEvents(added);
  std::string hex = req.value("stdin_prefix_hex", std::string());
  if (!hex.empty() && added.reading) {
    std::string prefix;
    auto nibble = [](char ch) { return ch <= '9' ? ch - '0' : ch - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      prefix += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
    }
    clientData(added, prefix);
  }
  return {};
}

ExecSession* Shim::findExec(int fd) {
  for (auto& e : execs_) {
    if (e->owns(fd)) return e.get();
  }
  return nullptr;
}

ExecSession* Shim::findExecById(const std::string& id) {
  for (auto& e : execs_) {
    if (e->id() == id) return e.get();
  }
  return nullptr;
}

void Shim::sweepExecs() {
  auto it =
      std::remove_if(execs_.begin(), execs_.end(), [&](const std::unique_ptr<ExecSession>& e) {
        if (!e->finished()) return false;
        // Bounded: the daemon records the code too; this is for its queries racing the exit.
        if (exec_exits_.size() >= 4096) exec_exits_.erase(exec_exits_.begin());
        exec_exits_[e->id()] = *e->exitCode();
        return true;
      });
  execs_.erase(it, execs_.end());
}

void Shim::startExec(const json& req, UniqueFd client, UniqueFd conn) {
  Result<pid_t> pid = internalError("exec: bad request");
  try {
    pid = execProcess(req, std::move(client), conn);
  } catch (const json::exception& e) {
    pid = invalidArgument(std::string("bad exec request to shim: ") + e.what());
  }
  if (!pid) {
    log::warn("exec in container " + cfg_.id + ": " + pid.error().message());
    if (conn) {
      (void)sendMessage(conn.get(), errorReply(pid.error()));
      graveyard_.push_back(std::move(conn));
    }
  }
}

Result<pid_t> Shim::execProcess(const json& req, UniqueFd client, UniqueFd& conn) {
  if (state_ != State::kRunning) {
    return conflict("Container " + cfg_.id + " is not running");
  }
  ExecSessionOptions so;
  so.id = req.at("exec_id").get<std::string>();
  if (so.id.empty() || findExecById(so.id) != nullptr || exec_exits_.count(so.id) != 0) {
    return conflict("exec " + so.id + " has already been started");
  }
  BERTH_TRY(oci::Process process, oci::parseProcess(req.at("process").dump()));
  bool attached = client.valid();
  so.tty = process.terminal;
  so.stdin = attached && req.value("stdin", false);
  so.stdout = attached && req.value("stdout", false);
  so.stderr = attached && req.value("stderr", false);
  if (so.tty && so.stdin) {
    BERTH_TRY(so.detach_keys, parseDetachKeys(req.value("detach_keys", std::string())));
  }
  runtime::ExecOptions eo;
  eo.process = std::move(process);
  eo.detach = true;
  eo.no_seccomp = req.value("privileged", false);
  pid_t pid = -1;
  eo.started_pid = &pid;

  UniqueFd in_w, out_r, err_r, in_r, out_w, err_w, console_ours, console_theirs;
  if (so.tty) {
    int sp[2];
    if (auto s = sys::socketPair(SOCK_STREAM, sp); !s) return sysError("socketpair", s.err);
    console_ours.reset(sp[0]);
    console_theirs.reset(sp[1]);
    eo.console_fd = sp[1];
  } else {
    int p[2];
    if (so.stdin) {
      if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
      in_r.reset(p[0]);
      in_w.reset(p[1]);
    }
    if (so.stdout) {
      if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
      out_r.reset(p[0]);
      out_w.reset(p[1]);
    }
    if (so.stderr) {
      if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
      err_r.reset(p[0]);
      err_w.reset(p[1]);
    }
  }
  // As for create: the process inherits fds 0-2 of this (single-threaded) process.
  ::dup2(in_r ? in_r.get() : dev_null_.get(), 0);
  ::dup2(out_w ? out_w.get() : dev_null_.get(), 1);
  ::dup2(err_w ? err_w.get() : dev_null_.get(), 2);
  auto started = runtime_.exec(cfg_.id, eo);
  ::dup2(dev_null_.get(), 0);
  ::dup2(dev_null_.get(), 1);
  ::dup2(dev_null_.get(), 2);
  if (!started) return started.error();
  in_r.reset();
  out_w.reset();
  err_w.reset();
  if (so.tty) {
    console_theirs.reset();
    char name[64];
    int master = -1;
    auto r = sys::recvFd(console_ours.get(), &master, name, sizeof name);
    if (!r || master < 0) {
      ::kill(pid, SIGKILL);
      return internalError("receive pty master of exec " + so.id);
    }
    out_r.reset(master);
    if (so.stdin) {
      in_w.reset(::fcntl(master, F_DUPFD_CLOEXEC, 3));
      if (!in_w) return errnoError("dup pty master");
    }
  }
  for (int fd : {in_w.get(), out_r.get(), err_r.get(), client.get()}) {
    if (fd >= 0) setNonBlocking(fd);
  }
  (void)sendMessage(conn.get(), okReply({{"pid", pid}}));
  auto session = std::make_unique<ExecSession>(epoll_.get(), &graveyard_, std::move(so),
                                               std::move(client), std::move(conn));
  session->begin(pid, std::move(in_w), std::move(out_r), std::move(err_r));
  execs_.push_back(std::move(session));
  return pid;
}

void Shim::finish() {
  ::unlink(kSocketName);
  ::unlink(kPidFileName);
}

}  // namespace

int shimMain(int argc, char** argv) {
  auto parsed = parseShimArgs(argc - 1, argv + 1);
  if (!parsed) {
    std::string msg = "berth-shim: " + parsed.error().message() + "\n";
    (void)!::write(2, msg.data(), msg.size());
    return 2;
  }
  ShimConfig cfg = std::move(*parsed);
  UniqueFd ready(cfg.ready_fd);
  if (ready) ::fcntl(ready.get(), F_SETFD, FD_CLOEXEC);
  auto report = [&](const std::string& msg) {
    if (ready) {
      std::size_t done = 0;
      while (done < msg.size()) {
        ssize_t n = ::write(ready.get(), msg.data() + done, msg.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
    }
    ready.reset();
  };

  // Daemonise: the parent (the caller's child) exits now and is reaped by the caller; this
  // process is reparented to the nearest subreaper (or init) and never had a controlling tty.
  pid_t pid = ::fork();
  if (pid < 0) {
    report(errorReply(errnoError("berth-shim: fork")));
    return 1;
  }
  if (pid > 0) {
    ready.release();  // the child owns the pipe now; exiting closes only our copy
    ::_exit(0);
  }
  if (::getsid(0) != ::getpid()) (void)::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ::prctl(PR_SET_NAME, "berth-shim", 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(022);

  if (::chdir(cfg.state_dir.c_str()) != 0) {
    report(errorReply(errnoError("berth-shim: chdir " + cfg.state_dir)));
    return 1;
  }
  // Standard fds are /dev/null; the shim's own messages go to shim.log.
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    for (int fd = 0; fd < 3; ++fd) {
      if (fd != null_fd) ::dup2(null_fd, fd);
    }
    if (null_fd > 2) ::close(null_fd);
  }
  (void)log::configure(cfg.state_dir + "/" + kShimLogName, log::Format::kText, log::Level::kInfo);

  Shim shim(cfg);
  auto r = shim.init();
  if (!r) {
    log::error("container " + cfg.id + ": " + r.error().message());
    shim.finish();
    report(errorReply(r.error()));
    return 1;
  }
  log::info("container " + cfg.id + " created; shim listening");
  // Creating parsed the bundle and built the init plan: hand those freed pages back, they would
  // otherwise stay resident for the container's whole life (~1 MB per shim).
  ::malloc_trim(0);
  report(okReply({{"pid", ::getpid()}}));
  shim.loop();
  shim.finish();
  return 0;
}

}  // namespace berth::shim
