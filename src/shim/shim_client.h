#pragma once
// ShimClient: how berthd drives berth-shim, the small per-container supervisor process.
//
// One shim per container. The shim owns the container's stdio (pipes, or a pty master with Tty),
// writes the json-file log, serves attach clients, records the exit status in
// <state_dir>/exit.json (atomically) and outlives berthd: a restarted daemon finds it again with
// connect(state_dir). Every call opens its own connection to <state_dir>/shim.sock (see
// protocol.h), so a ShimClient holds no connection and may be used from several threads at once
// (it is a value: the state dir and the shim's pid). Calls on a shim that has gone away return
// NotFound / Unavailable errors.
//
// Lifetime of the shim: it exits only after shutdown(), which it honours once the container has
// exited or if it was never started (then the created container is deleted); while it runs,
// shutdown() kills nothing and returns Conflict. If the daemon never calls
// shutdown(), the shim stays, holding the exit record, until it does (~200 KB of private memory;
// VmRSS 2-4 MB, mostly the binary's and libc's pages, shared by all shims).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::shim {

struct ShimSpawnOptions {
  std::string shim_binary;    // path of berth-shim (berthd passes its own dir + "/berth-shim")
  std::string id;             // container id (64 hex)
  std::string bundle;         // dir with config.json (and rootfs path inside config)
  std::string runtime_root;   // berth::runtime state root
  std::string state_dir;      // shim's dir: control socket "shim.sock", "exit.json", "shim.pid"
  std::string log_path;       // json-file log; "" = no logging
  uint64_t log_max_size = 0;  // bytes, 0 = unlimited
  int log_max_files = 1;
  bool tty = false;
  bool open_stdin = false;  // keep a stdin pipe/pty input open for attach clients
  bool stdin_once = false;  // close the container's stdin when the first attached client detaches
  // A seccomp::FilterCache directory the daemon prepared (runtime/seccomp/filter_cache.h); ""
  // = the shim compiles the container's seccomp profile itself.
  std::string seccomp_cache_dir;
};

struct ExitRecord {
  int exit_code = 0;  // as Docker reports it: the exit code, or 128 + signal
  int signal = 0;     // the killing signal, 0 if the process exited
  bool oom_killed = false;
  std::string started_at, finished_at;  // RFC 3339 with nanoseconds, UTC
};

struct AttachOptions {
  bool stdin = false, stdout = true, stderr = true;
  bool multiplexed = true;  // Docker stream framing (8-byte headers); use false with a tty
  std::string detach_keys;  // "ctrl-p,ctrl-q" default; "" = default
  // Input the client sent before its connection was handed over (it arrived with the attach
  // request): the shim treats it as the first bytes read from the connection. At most
  // kMaxStdinPrefix bytes (it travels in the control message).
  std::string stdin_prefix;
};

// docker exec (protocol.h "exec").
struct ExecStartOptions {
  std::string exec_id;
  std::string process_json;  // the oci::Process to run (processToJson)
  bool privileged = false;   // run without the container's seccomp filter
  bool stdin = false, stdout = false, stderr = false;
  std::string detach_keys;  // with a tty and stdin; "" = ctrl-p,ctrl-q
};

struct ExecStarted {
  pid_t pid = -1;
  // Receives one message when the process has exited (read it with readExecExit), or EOF if
  // the shim dies first.
  UniqueFd exit_watch;
};

struct ExecStatus {
  bool running = false;
  int exit_code = 0;  // when not running
};
inline constexpr std::size_t kMaxStdinPrefix = 6 * 1024;

class ShimClient {
 public:
  // Spawns berth-shim (posix_spawn, no code run after fork in the caller), which daemonises
  // (new session, reparented away from the caller), creates the container with the runtime
  // library (not started), and listens on state_dir/shim.sock. Returns once it listens, or the
  // runtime's error (e.g. a bad mount, with the runtime's message). state_dir is created.
  static Result<ShimClient> spawn(const ShimSpawnOptions&);
  // Connects to a running shim (daemon restart). NotFound if the shim is gone.
  static Result<ShimClient> connect(const std::string& state_dir);

  // Hands an attach client connection (already hijacked by the HTTP server) to the shim, which
  // pumps the container's streams to/from it directly (the daemon keeps no thread for it).
  // Attaching after the container has exited closes `conn` at once (the client sees EOF).
  Result<void> attach(UniqueFd conn, const AttachOptions&);
  Result<pid_t> start();  // starts the container; returns its pid
  Result<void> kill(int signal, bool all);
  Result<void> resize(unsigned rows, unsigned cols);
  Result<void> closeStdin();
  Result<pid_t> containerPid();
  Result<std::optional<ExitRecord>> exitStatus();  // nullopt while running (or not started)
  // A connected socket for the daemon's watcher: it becomes readable (one message, then EOF)
  // when the container has exited and exit.json is written — at once if it already has — or
  // EOF when the shim dies. Then call exitStatus() / readExitRecord(). The shim stays up after
  // the container exits (until shutdown()), so openPidfd() alone does not tell about exits.
  Result<UniqueFd> watchExit();
  // After exit (or before start): the shim deletes the runtime container and exits. Idempotent
  // (OK when the shim is already gone). Conflict while the container is running. Returns once
  // the shim has deleted the container (the shim process may still be exiting).
  Result<void> shutdown();
  // Starts an exec process. `conn` is the hijacked client connection the shim pumps the
  // process's stdio to (-1 for a detached exec; the caller keeps its own copy).
  Result<ExecStarted> exec(const ExecStartOptions& options, int conn);
  // NotFound ("No such exec instance: <id>") when the shim does not know the exec.
  Result<ExecStatus> execStatus(const std::string& exec_id);
  Result<void> execResize(const std::string& exec_id, unsigned rows, unsigned cols);
  pid_t shimPid() const { return shim_pid_; }
  // A pidfd of the shim process (for the daemon's watcher; POLLIN when the shim exits).
  Result<UniqueFd> openPidfd() const;

  const std::string& stateDir() const { return state_dir_; }

 private:
  ShimClient(std::string state_dir, pid_t shim_pid)
      : state_dir_(std::move(state_dir)), shim_pid_(shim_pid) {}

  std::string state_dir_;
  pid_t shim_pid_ = -1;
};

// The exit record the shim wrote (survives both the shim and a daemon restart); nullopt if the
// container has not exited (or the shim never got that far).
Result<std::optional<ExitRecord>> readExitRecord(const std::string& state_dir);

// Reads an exec's exit message from ExecStarted::exit_watch: the exit code, nullopt on EOF
// (the shim went away before the process was seen exiting).
Result<std::optional<int>> readExecExit(int exit_watch);

}  // namespace berth::shim
