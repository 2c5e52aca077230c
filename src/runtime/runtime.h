#pragma once
// Runtime: the OCI container lifecycle (runtime.md) as a library. berth-runtime's CLI is a thin
// layer over it, and berthd's shim will use it the same way.
//
// State lives under <root>/<id>/state.json (atomic writes). A container whose init process has
// exited is reported as stopped. Operations in the wrong state are Conflict errors
// ("container abc is not created: it is running").
//
// Thread safety: one Runtime per thread; operations on one container from several processes are
// serialised with a lock file in the container's state directory.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

struct RuntimeOptions {
  std::string root = "/run/berth-runtime";  // runc: /run/runc
  bool systemd_cgroup = false;              // unsupported: create gives NotImplemented
  // A seccomp::FilterCache directory (berthd's <exec-root>/seccomp): linux.seccomp is loaded
  // from there when the daemon compiled the same section, else compiled. "" = always compile.
  std::string seccomp_cache_dir;
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";   // directory with config.json
  std::string console_socket;  // AF_UNIX path; receives the pty master via SCM_RIGHTS
  std::string pid_file;        // written with the init pid
  bool no_pivot = false;       // use MS_MOVE + chroot instead of pivot_root
  int preserve_fds = 0;        // fds 3 .. 3+n-1 are passed to the container
  // false: init (and later exec'd processes) join a new session keyring "_ses.<id>", as runc.
  bool no_new_keyring = false;
  // run only: do not delete the container after its process exited (runc's --keep).
  bool keep = false;
  // Bring up "lo" in a new network namespace (what Docker does for every container; runc and
  // the berth-runtime CLI leave it down). Set by berth-shim.
  bool loopback_up = false;
  // Internal (run -t without --console-socket): an already connected socket that receives the
  // pty master instead of console_socket. Not owned.
  int console_fd = -1;
};

struct ExecOptions {
  oci::Process process;        // from -p process.json, or built from the CLI flags
  std::string console_socket;
  std::string pid_file;
  int preserve_fds = 0;
  bool detach = false;
  bool ignore_paused = false;  // allow exec into a paused container
  // Sub-cgroup of the container's cgroup to run the process in (runc's exec --cgroup PATH), ""
  // for the container's own. Must exist. The controller-specific form is not supported.
  std::string sub_cgroup;
  int console_fd = -1;         // internal, as CreateOptions::console_fd
  // Internal (berth-shim, docker exec --privileged): run without the container's seccomp filter.
  bool no_seccomp = false;
  // Internal: receives the pid of the started process (useful with detach).
  pid_t* started_pid = nullptr;
};

struct ContainerSummary {
  oci::State state;
  std::string created;  // RFC 3339
  std::string owner;    // user name of the state directory's owner (as runc's list)
  std::string rootfs;   // absolute
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);

  // Sets up the container and leaves its init process waiting for start() (runtime.md "create").
  // Runs the createRuntime and createContainer hooks. On error nothing is left behind.
  Result<void> create(const CreateOptions& options);
  // Runs startContainer hooks (in the container), releases init to exec the user process,
  // runs poststart hooks.
  Result<void> start(const std::string& id);
  // create + start. Without detach, waits for the process and returns its exit status the way a
  // shell reports it (code, or 128+signal), forwarding signals to it, then deletes the container.
  // With detach, returns 0 after start.
  Result<int> run(const CreateOptions& options, bool detach);
  Result<oci::State> state(const std::string& id);
  // state() plus created, owner and rootfs (what runc's state and list print).
  Result<ContainerSummary> describe(const std::string& id);
  Result<void> kill(const std::string& id, int signal, bool all);
  // Deletes a stopped container (force: kills a running one first). Runs poststop hooks,
  // removes the cgroup and the state directory.
  Result<void> remove(const std::string& id, bool force);
  Result<std::vector<ContainerSummary>> list();
  // Runs a process inside a running container. Without detach, waits and returns its status.
  Result<int> exec(const std::string& id, const ExecOptions& options);
  Result<std::vector<pid_t>> pids(const std::string& id);
  Result<void> pause(const std::string& id);
  Result<void> resume(const std::string& id);
  // The config the container was created with (a copy kept in its state directory).
  Result<oci::Spec> spec(const std::string& id);

  const RuntimeOptions& options() const { return options_; }

 private:
  RuntimeOptions options_;
};

}  // namespace berth::runtime
