#pragma once

// End-to-end fixture for Docker-compatible engines (berthd, and dockerd to validate the suite).
//
// The daemon under test is the binary named by BERTH_TEST_DAEMON (berthd or dockerd, told apart
// by its file name). The suite starts it ITSELF in a private temporary directory D (data root
// D/root, exec root D/exec, socket D/sock, pidfile D/pid, log D/daemon.log), waits for /_ping,
// loads the busybox image (scripts/make-busybox-image, built once per process into the build
// dir) and drives it with CLIs:
//   - "docker": the real docker CLI (BERTH_TEST_DOCKER_CLI, else `docker` on PATH), with
//     DOCKER_HOST=unix://D/sock and a private DOCKER_CONFIG;
//   - "berth":  the berth CLI: BERTH_TEST_CLI, else build/bin/berth (its tests skip if missing).
// One shared daemon serves every EngineTest of the process (ctest runs one test per process,
// so each ctest test has its own daemon). After each test every container is force-removed and
// every image other than busybox:latest is removed, so tests do not see each other.
// Teardown of a daemon: rm -f of all containers, SIGTERM to the pid it started (SIGKILL after
// 10 s), SIGKILL of processes left over from it (their command line names D, or their root
// directory lies below D: shims, containerd, container processes), lazy unmount of everything
// still mounted below D, removal of D. It never signals a process it cannot tie to D.
//
// Not thread-safe: used from the test's thread.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

#include "../common/run_command.h"
#include "../common/text_util.h"

namespace berth::e2e::engine {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// ProcResult, RunOptions, runCommand and makeTempDir: ../common/run_command.h.
// kill(pid, 0) == 0 and the process is not a zombie.
bool processAlive(pid_t pid);
// The CapEff / CapBnd line of /proc/<pid>/status ("self" allowed), as hex text.
std::string procStatusField(const std::string& pid, const std::string& field);

// The daemon under test.
std::string daemonPath();   // BERTH_TEST_DAEMON, "" when unset
bool daemonIsDockerd();     // file name contains "dockerd"
std::string dockerCliPath();  // "" when not found
std::string berthCliPath();   // BERTH_TEST_CLI or build/bin/berth when executable, else ""
std::string sourceDir();      // the repository (for scripts/)
// The busybox archive (built on first call; "" and *error on failure).
std::string busyboxArchive(std::string* error);

// One daemon process in its own temporary directory.
class Daemon {
 public:
  struct Options {
    bool live_restore = false;  // dockerd only: --live-restore (berthd always keeps containers)
    std::vector<std::string> extra_args;  // appended to the daemon's command line
    std::string binary;         // "" = the daemon under test (BERTH_TEST_DAEMON)
  };
  explicit Daemon(Options opts);
  ~Daemon();  // stop() + cleanup of the directory
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the daemon and waits (30 s) for /_ping. On failure returns false with *error set
  // (including the tail of the daemon log); the process, if it started, is stopped.
  bool start(std::string* error);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns true when it exited before SIGKILL.
  // Does nothing when not running. Running containers are not touched.
  bool stop(std::chrono::milliseconds grace = 10s);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  const std::string& dir() const { return dir_; }
  std::string socketPath() const { return dir_ + "/sock"; }
  std::string host() const { return "unix://" + socketPath(); }
  std::string logTail(size_t bytes = 4000) const;
  // GET path over the socket; the raw HTTP response ("" on connection failure).
  std::string httpGet(const std::string& path) const;

  // Environment for a CLI talking to this daemon.
  std::map<std::string, std::string> cliEnv() const;
  // The docker CLI against this daemon.
  ProcResult docker(const std::vector<std::string>& args, const RunOptions& opts = {}) const;

  // Force-removes every container (docker ps -aq | docker rm -f).
  void removeAllContainers() const;

  // berthd only: its own default bridge and subnet (daemon.json "bridge" and "bip"), so that
  // parallel test daemons never share a bridge or an nft table; removed after the daemon stops.
  const std::string& bridgeName() const { return bridge_; }
  const std::string& bridgeGateway() const { return gateway_; }

 private:
  void removeNetworking();

  void killLeftovers();
  void unmountAll();

  Options opts_;
  std::string dir_;
  pid_t pid_ = -1;
  std::string bridge_;
  std::string gateway_;
};

// The shared daemon of the process: started on first use (with busybox loaded), stopped when
// the test program ends. Returns nullptr with *error when it cannot start.
Daemon* sharedDaemon(std::string* error);

// A /24 under 10.200.0.0/13 that no host route uses and that this process has not handed out
// ("10.203.17.0/24"): for test bridges and networks, so that parallel test programs do not
// collide.
std::string freeTestSubnet();

// Base fixture. GetParam() is the CLI name: "docker" or "berth".
class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A fixture that returns true gets a daemon of its own (started in SetUp with busybox loaded,
  // dockerd with --live-restore, destroyed in TearDown) instead of the shared one.
  virtual bool wantsOwnDaemon() const { return false; }
  // The options of that own daemon (called in SetUp, before it starts).
  virtual Daemon::Options ownDaemonOptions() { return {.live_restore = true}; }

  // The CLI under test (the parameter) against the daemon.
  ProcResult cli(const std::vector<std::string>& args, const RunOptions& opts = {});
  // The docker CLI (the reference client), for set-up and for checking effects.
  ProcResult docker(const std::vector<std::string>& args, const RunOptions& opts = {});
  // `<cli> run --rm --network none --pull=never FLAGS... busybox CMD...`.
  ProcResult runRm(const std::vector<std::string>& flags, const std::vector<std::string>& cmd,
                   const RunOptions& opts = {});
  // `<cli> run -d --name NAME --network none --pull=never FLAGS... busybox CMD...` with a new
  // unique name, which it returns; the test fails (fatally: check HasFatalFailure) when the
  // command fails.
  std::string runDetached(const std::vector<std::string>& flags,
                          const std::vector<std::string>& cmd);
  // `docker inspect NAME` parsed (the first element); null on failure.
  Json inspect(const std::string& name);
  // Polls inspect until State.Status == status; false on timeout.
  bool waitStatus(const std::string& name, const std::string& status,
                  std::chrono::milliseconds timeout = 15s);
  // A unique container/image name for this test: "e2e-<n>-<suffix>".
  std::string uniqueName(const std::string& suffix = "c");
  // A scratch directory of this test (removed at teardown).
  const std::string& scratch();

  bool isDockerd() const { return daemonIsDockerd(); }
  bool isBerthCli() const { return GetParam() == "berth"; }
  Daemon* daemon() { return daemon_; }

  std::string busybox_id_;  // sha256:... of busybox:latest

 private:
  Daemon* daemon_ = nullptr;
  std::unique_ptr<Daemon> own_daemon_;
  std::string scratch_;
};

// The CLI parameter values and a printable name for each.
std::vector<std::string> cliParams();
std::string cliParamName(const ::testing::TestParamInfo<std::string>& info);

#define BERTH_ENGINE_SUITE(Suite) \
  INSTANTIATE_TEST_SUITE_P(Cli, Suite, ::testing::ValuesIn(::berth::e2e::engine::cliParams()), \
                           ::berth::e2e::engine::cliParamName)

// Skips when the daemon under test is dockerd (with the reason dockerd differs).
#define SKIP_ON_DOCKERD(reason)                                             \
  do {                                                                      \
    if (::berth::e2e::engine::daemonIsDockerd())                            \
      GTEST_SKIP() << "dockerd 20.10 differs from the issue: " << (reason); \
  } while (0)

}  // namespace berth::e2e::engine
