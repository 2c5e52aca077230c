// The default seccomp profile in containers: what it refuses, for every container and not only
// the first (berthd compiles a profile once and its shims load the compiled filter), and per
// capability set (a profile resolved for other capabilities is another filter).

#include "engine_fixture.h"

namespace berth::e2e::engine {
namespace {

class SeccompTest : public EngineTest {};
BERTH_ENGINE_SUITE(SeccompTest);

// unshare(CLONE_NEWUSER) needs no capability, but Docker's default profile allows unshare(2)
// only to containers with CAP_SYS_ADMIN: without that capability the refusal is seccomp's.
TEST_P(SeccompTest, DefaultProfileRefusesUnshareInEveryContainer) {
  // The precondition through the reference client (the berth CLI has no --security-opt yet).
  ProcResult unconfined =
      docker({"run", "--rm", "--network", "none", "--pull=never", "--security-opt",
              "seccomp=unconfined", "busybox", "unshare", "-U", "true"});
  if (unconfined.exit_code != 0) {
    GTEST_SKIP() << "user namespaces are not available to containers here: "
                 << unconfined.describe();
  }
  for (int i = 0; i < 3; ++i) {
    ProcResult r = runRm({}, {"unshare", "-U", "true"});
    EXPECT_NE(r.exit_code, 0) << "run " << i << ": " << r.describe();
    EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos)
        << "run " << i << ": " << r.describe();
  }
}

TEST_P(SeccompTest, ProfileFollowsTheCapabilities) {
  ProcResult admin = runRm({"--cap-add", "SYS_ADMIN"}, {"unshare", "-U", "true"});
  if (admin.exit_code != 0 && admin.err.find("Operation not permitted") == std::string::npos) {
    GTEST_SKIP() << "user namespaces are not available to containers here: " << admin.describe();
  }
  EXPECT_EQ(admin.exit_code, 0) << admin.describe();
  // Back to the default capabilities: the stricter filter again.
  ProcResult r = runRm({}, {"unshare", "-U", "true"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.describe();
  ProcResult admin_again = runRm({"--cap-add", "SYS_ADMIN"}, {"unshare", "-U", "true"});
  EXPECT_EQ(admin_again.exit_code, 0) << admin_again.describe();
}

}  // namespace
}  // namespace berth::e2e::engine
