#pragma once

// End-to-end fixture for OCI runtimes with runc's command line (berth-runtime, runc, crun).
//
// The runtime under test is the binary named by the environment variable BERTH_TEST_RUNTIME.
// Every test gets its own state directory (`<runtime> --root DIR`), its own bundles (a busybox
// rootfs and a config.json generated here, equivalent to `runc spec` with terminal=false) and
// unique container ids. TearDown always force-deletes every container the test made, checks
// that no cgroup directory of those containers is left behind, and removes the temporary
// directories. Tests skip (with the reason) when not root or when no runtime is configured.
//
// Not thread-safe: one fixture per test, used from the test's thread (a helper thread may use
// runCommand, which is reentrant).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../common/run_command.h"
#include "../common/text_util.h"

namespace berth::e2e {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// ProcResult, RunOptions, runCommand and makeTempDir: ../common/run_command.h.

// The runtime under test: path from BERTH_TEST_RUNTIME ("" when unset), and its basename.
std::string runtimePath();
std::string runtimeName();
bool runtimeIsBerth();
bool runtimeIsRunc();

// The config.json that `runc spec` writes, with process.terminal=false.
Json defaultSpec();

// Capability names (CAP_CHOWN ...) to the /proc/<pid>/status hex mask ("0000000000000021").
std::string capMask(const std::vector<std::string>& names);


// One line of /proc/<pid>/mountinfo.
struct MountInfo {
  std::string root;                  // field 4: root of the mount within its filesystem
  std::string mount_point;           // field 5
  std::vector<std::string> options;  // field 6: per-mount options (ro, nosuid, ...)
  std::string fstype;
  std::string source;
  std::vector<std::string> super_options;  // superblock options (size=..., mode=...)

  bool hasOption(const std::string& o) const;
  bool hasSuperOption(const std::string& o) const;
};
std::vector<MountInfo> parseMountinfo(const std::string& text);
// The last (topmost) mount at mount_point, if any.
std::optional<MountInfo> findMount(const std::vector<MountInfo>& mounts,
                                   const std::string& mount_point);

// A bundle: DIR/rootfs (busybox) and DIR/config.json written from `spec` by write().
struct Bundle {
  std::string dir;
  std::string rootfs;
  Json spec;

  void write() const;
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A fresh bundle whose process runs args. The spec's cgroupsPath is left for the caller of
  // run()/create() to fill per container (see prepare()).
  Bundle makeBundle(const std::vector<std::string>& args);
  // Shortcut: ["sh", "-c", script].
  Bundle makeShBundle(const std::string& script) { return makeBundle({"sh", "-c", script}); }

  // A new unique container id, registered for teardown.
  std::string newId();

  // Runs `<runtime> --root R args...`.
  ProcResult runtime(const std::vector<std::string>& args, const RunOptions& opts = {});
  // Same with another runtime binary and the given state root (comparison tests).
  ProcResult runtimeAt(const std::string& binary, const std::string& root,
                       const std::vector<std::string>& args, const RunOptions& opts = {});

  // Sets the container's cgroupsPath, writes config.json, runs `run --bundle DIR id` in the
  // foreground and returns its result (the container's stdout/stderr and exit code).
  ProcResult run(Bundle& bundle, const std::string& id, const RunOptions& opts = {});
  // makeShBundle(script), edit(spec) if given, run() with a new id.
  ProcResult runSh(const std::string& script, const std::function<void(Json&)>& edit = {});

  // `create --bundle DIR id`; the container's stdout/stderr go to files whose contents
  // containerOutput(id) returns. Asserts success (fatal for the test).
  void create(Bundle& bundle, const std::string& id);
  std::string containerOutput(const std::string& id) const;

  // `state id` parsed; std::nullopt (and the result in *failure) when the command fails.
  std::optional<Json> state(const std::string& id, ProcResult* failure = nullptr);
  std::string status(const std::string& id);
  int initPid(const std::string& id);
  // Polls `state` until status == want; false on timeout.
  bool waitStatus(const std::string& id, const std::string& want,
                  std::chrono::milliseconds timeout = 10s);

  // The cgroup path of the container as configured: "/berth-e2e-<id>".
  static std::string cgroupsPathFor(const std::string& id);
  // The cgroup v1 directory of a controller ("memory", "pids", "cpu") for a live pid, from
  // /proc/<pid>/cgroup and the host's mounts; "" when not found.
  static std::string hostCgroupDir(int pid, const std::string& controller);

  const std::string& root() const { return root_; }
  const std::string& workDir() const { return work_dir_; }

 private:
  std::string work_dir_;  // everything of this test lives below
  std::string root_;      // --root of the runtime
  std::vector<std::string> ids_;
  struct Foreign {  // a container made through runtimeAt with another runtime binary
    std::string binary, root, id;
  };
  std::vector<Foreign> foreign_;
  int bundle_count_ = 0;
};

// Skips the current test (from a TEST_F body) with a reason when the runtime is not berth.
#define BERTH_ONLY(reason)                                                                        \
  do {                                                                                            \
    if (!::berth::e2e::runtimeIsBerth())                                                          \
      GTEST_SKIP() << "berth-runtime only (" << ::berth::e2e::runtimeName() << "): " << (reason); \
  } while (0)

}  // namespace berth::e2e
