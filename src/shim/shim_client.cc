#include "shim/shim_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/file_util.h"
#include "shim/protocol.h"
#include "shim/shim_config.h"
#include "sys/sys_result.h"

namespace berth::shim {
namespace {

using nlohmann::json;

constexpr int kReplyTimeoutSeconds = 120;  // start runs hooks; shutdown may wait for a kill
constexpr int kSpawnTimeoutMs = 120 * 1000;

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

// Parses a reply; errors become the Error the shim sent.
Result<json> parseReply(const std::string& text) {
  if (text.empty()) return Error(ErrorCode::kUnavailable, "shim closed the connection");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return internalError("bad reply from shim: " + text.substr(0, 200));
  }
  if (!j.value("ok", false)) return errorFromReply(text);
  return j;
}

Result<json> call(const std::string& state_dir, const json& request, int fd = -1) {
  BERTH_TRY(UniqueFd sock, connectControl(state_dir));
  struct timeval tv {
    kReplyTimeoutSeconds, 0
  };
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  BERTH_TRY_VOID(sendMessage(sock.get(), request.dump(), fd));
  auto reply = recvMessage(sock.get(), nullptr);
  if (!reply) {
    if (reply.error().sysErrno() == EAGAIN) {
      return Error(ErrorCode::kDeadlineExceeded, "shim in " + state_dir + " did not answer");
    }
    return std::move(reply).error();
  }
  return parseReply(*reply);
}

Result<pid_t> readPid(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_integer()) {
    return internalError(std::string("shim reply without ") + key);
  }
  return static_cast<pid_t>(j[key].get<int64_t>());
}

Result<std::optional<ExitRecord>> recordOf(const json& reply) {
  if (!reply.value("exited", false)) return std::optional<ExitRecord>();
  if (!reply.contains("record")) return internalError("shim reply without exit record");
  BERTH_TRY(ExitRecord r, exitRecordFromJson(reply["record"].dump()));
  return std::optional<ExitRecord>(std::move(r));
}

}  // namespace

Result<ShimClient> ShimClient::spawn(const ShimSpawnOptions& o) {
  if (o.shim_binary.empty() || o.id.empty() || o.bundle.empty() || o.runtime_root.empty() ||
      o.state_dir.empty()) {
    return invalidArgument(
        "shim spawn: binary, id, bundle, runtime root and state dir are required");
  }
  ShimConfig cfg;
  cfg.id = o.id;
  cfg.bundle = absolute(o.bundle);
  cfg.runtime_root = absolute(o.runtime_root);
  cfg.state_dir = absolute(o.state_dir);
  cfg.log_path = absolute(o.log_path);
  cfg.log_max_size = o.log_max_size;
  cfg.log_max_files = o.log_max_files;
  cfg.tty = o.tty;
  cfg.open_stdin = o.open_stdin;
  cfg.stdin_once = o.stdin_once;
  cfg.ready_fd = 3;
  if (!o.seccomp_cache_dir.empty()) cfg.seccomp_cache_dir = absolute(o.seccomp_cache_dir);
  BERTH_TRY_VOID(makeDirs(cfg.state_dir, 0711));
  ::unlink((cfg.state_dir + "/" + kExitFileName).c_str());

  // Everything the child needs is built before posix_spawn: no code of ours runs after fork.
  std::vector<std::string> args = shimArgs(cfg);
  args.insert(args.begin(), o.shim_binary);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env.data(), nullptr};

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return errnoError("pipe");
  UniqueFd ready_r(p[0]), ready_w(p[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  struct Cleanup {
    posix_spawn_file_actions_t* a;
    posix_spawnattr_t* t;
    ~Cleanup() {
      posix_spawn_file_actions_destroy(a);
      posix_spawnattr_destroy(t);
    }
  } cleanup{&actions, &attr};
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, ready_w.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child = -1;
  int rc = ::posix_spawn(&child, o.shim_binary.c_str(), &actions, &attr, argv.data(), envp);
  if (rc != 0) return sysError("start shim " + o.shim_binary, rc);
  ready_w.reset();
  // berth-shim forks at once and its first process exits: reap it (it is our child).
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }

  std::string reply;
  char buf[4096];
  struct timespec start;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed >= kSpawnTimeoutMs) {
      return Error(ErrorCode::kDeadlineExceeded, "shim for container " + o.id + " did not start");
    }
    struct pollfd pfd {
      ready_r.get(), POLLIN, 0
    };
    int n = ::poll(&pfd, 1, static_cast<int>(kSpawnTimeoutMs - elapsed));
    if (n < 0 && errno != EINTR) return errnoError("wait for shim");
    if (n <= 0) continue;
    ssize_t got = ::read(ready_r.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errnoError("read from shim");
    if (got == 0) break;
    reply.append(buf, static_cast<std::size_t>(got));
  }
  if (reply.empty()) {
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      return internalError("shim for container " + o.id + " exited with status " +
                           std::to_string(WEXITSTATUS(status)));
    }
    return internalError("shim for container " + o.id + " exited during start-up (see " +
                         cfg.state_dir + "/" + kShimLogName + ")");
  }
  BERTH_TRY(json j, parseReply(reply));
  BERTH_TRY(pid_t pid, readPid(j, "pid"));
  return ShimClient(cfg.state_dir, pid);
}

Result<ShimClient> ShimClient::connect(const std::string& state_dir) {
  std::string dir = absolute(state_dir);
  BERTH_TRY(json j, call(dir, {{"op", "info"}}));
  BERTH_TRY(pid_t pid, readPid(j, "pid"));
  return ShimClient(dir, pid);
}

Result<void> ShimClient::attach(UniqueFd conn, const AttachOptions& o) {
  json req = {{"op", "attach"},
              {"stdin", o.stdin},
              {"stdout", o.stdout},
              {"stderr", o.stderr},
              {"multiplexed", o.multiplexed},
              {"detach_keys", o.detach_keys}};
  if (!o.stdin_prefix.empty()) {
    if (o.stdin_prefix.size() > kMaxStdinPrefix) {
      return invalidArgument("attach: " + std::to_string(o.stdin_prefix.size()) +
                             " bytes of input arrived with the attach request; at most " +
                             std::to_string(kMaxStdinPrefix) + " are supported");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char ch : o.stdin_prefix) {
      hex += kHex[ch >> 4];
      hex += kHex[ch & 15];
    }
    req["stdin_prefix_hex"] = hex;
  }
  BERTH_TRY(json j, call(state_dir_, req, conn.get()));
  (void)j;
  return {};
}

Result<pid_t> ShimClient::start() {
  BERTH_TRY(json j, call(state_dir_, {{"op", "start"}}));
  return readPid(j, "pid");
}

Result<void> ShimClient::kill(int signal, bool all) {
  BERTH_TRY(json j, call(state_dir_, {{"op", "kill"}, {"signal", signal}, {"all", all}}));
  (void)j;
  return {};
}

Result<void> ShimClient::resize(unsigned rows, unsigned cols) {
  BERTH_TRY(json j, call(state_dir_, {{"op", "resize"}, {"rows", rows}, {"cols", cols}}));
  (void)j;
  return {};
}

Result<void> ShimClient::closeStdin() {
  BERTH_TRY(json j, call(state_dir_, {{"op", "close_stdin"}}));
  (void)j;
  return {};
}

Result<pid_t> ShimClient::containerPid() {
  BERTH_TRY(json j, call(state_dir_, {{"op", "info"}}));
  return readPid(j, "container_pid");
}

Result<std::optional<ExitRecord>> ShimClient::exitStatus() {
  BERTH_TRY(json j, call(state_dir_, {{"op", "exit_status"}}));
  return recordOf(j);
}

Result<UniqueFd> ShimClient::watchExit() {
  BERTH_TRY(UniqueFd sock, connectControl(state_dir_));
  BERTH_TRY_VOID(sendMessage(sock.get(), json({{"op", "watch_exit"}}).dump()));
  return sock;
}

Result<void> ShimClient::shutdown() {
  auto r = call(state_dir_, {{"op", "shutdown"}});
  if (!r && r.error().code() == ErrorCode::kNotFound) return {};  // already gone
  if (!r && r.error().code() == ErrorCode::kUnavailable) return {};
  if (!r) return std::move(r).error();
  return {};
}

Result<UniqueFd> ShimClient::openPidfd() const {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, shim_pid_, 0));
  if (fd < 0) {
    if (errno == ESRCH) return notFound("shim process " + std::to_string(shim_pid_) + " is gone");
    return errnoError("pidfd_open shim " + std::to_string(shim_pid_));
  }
  return UniqueFd(fd);
}

Result<std::optional<ExitRecord>> readExitRecord(const std::string& state_dir) {
  std::string path = state_dir + "/" + kExitFileName;
  auto text = readFile(path);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) return std::optional<ExitRecord>();
    return std::move(text).error();
  }
  BERTH_TRY(ExitRecord r, exitRecordFromJson(*text));
  return std::optional<ExitRecord>(std::move(r));
}

}  // namespace berth::shim

namespace berth::shim {

Result<ExecStarted> ShimClient::exec(const ExecStartOptions& o, int conn) {
  json process = json::parse(o.process_json, nullptr, false);
  if (process.is_discarded()) return invalidArgument("exec: bad process");
  json req = {{"op", "exec"},       {"exec_id", o.exec_id},
              {"process", process}, {"privileged", o.privileged},
              {"stdin", o.stdin},   {"stdout", o.stdout},
              {"stderr", o.stderr}, {"detach_keys", o.detach_keys}};
  BERTH_TRY(UniqueFd sock, connectControl(state_dir_));
  struct timeval tv {
    kReplyTimeoutSeconds, 0
  };
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  BERTH_TRY_VOID(sendMessage(sock.get(), req.dump(), conn));
  BERTH_TRY(std::string reply, recvMessage(sock.get(), nullptr));
  BERTH_TRY(json j, parseReply(reply));
  BERTH_TRY(pid_t pid, readPid(j, "pid"));
  // The exit message may take as long as the process runs.
  struct timeval none {
    0, 0
  };
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return ExecStarted{pid, std::move(sock)};
}

Result<ExecStatus> ShimClient::execStatus(const std::string& exec_id) {
  BERTH_TRY(json j, call(state_dir_, {{"op", "exec_status"}, {"exec_id", exec_id}}));
  ExecStatus s;
  s.running = j.value("running", false);
  s.exit_code = j.value("exit_code", 0);
  return s;
}

Result<void> ShimClient::execResize(const std::string& exec_id, unsigned rows, unsigned cols) {
  BERTH_TRY_VOID(call(
      state_dir_, {{"op", "exec_resize"}, {"exec_id", exec_id}, {"rows", rows}, {"cols", cols}}));
  return {};
}

Result<std::optional<int>> readExecExit(int exit_watch) {
  BERTH_TRY(std::string msg, recvMessage(exit_watch, nullptr));
  if (msg.empty()) return std::optional<int>();
  BERTH_TRY(json j, parseReply(msg));
  if (!j.value("exited", false)) return internalError("bad exec exit message from shim");
  return std::optional<int>(j.value("exit_code", 0));
}

}  // namespace berth::shim
