// Root tests: real containers from a busybox bundle through the library.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "oci/runtime_spec_json.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

std::string repoRoot() { return BERTH_SOURCE_DIR; }

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!pathExists("/bin/busybox")) GTEST_SKIP() << "needs busybox-static";
    char tmpl[] = "/tmp/berth-lifecycle-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string cmd = repoRoot() + "/scripts/make-busybox-rootfs " + dir_ + "/rootfs >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    rt_ = std::make_unique<Runtime>(RuntimeOptions{dir_ + "/state"});
  }
  void TearDown() override {
    if (rt_) {
      for (const char* id : {"lc1", "lc2", "lc3"}) (void)rt_->remove(id, true);
    }
    if (!dir_.empty()) (void)removeAll(dir_);
  }
  void writeSpec(const std::vector<std::string>& args,
                 const std::vector<oci::POSIXRlimit>& rlimits = {}) {
    oci::Spec spec = oci::defaultSpec(false);
    spec.process->terminal = false;
    spec.process->args = args;
    spec.process->rlimits = rlimits;
    spec.root->path = "rootfs";
    ASSERT_TRUE(writeFile(dir_ + "/config.json", oci::specToJson(spec)).ok());
  }
  oci::Status waitStatus(const std::string& id, oci::Status want) {
    oci::Status got = oci::Status::kCreating;
    for (int i = 0; i < 200; ++i) {
      auto st = rt_->state(id);
      if (!st.ok()) return got;
      got = st->status;
      if (got == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
  }
  CreateOptions opts(const std::string& id) {
    CreateOptions o;
    o.id = id;
    o.bundle = dir_;
    return o;
  }

  std::string dir_;
  std::unique_ptr<Runtime> rt_;
};

TEST_F(LifecycleTest, CreateStartKillDelete) {
  writeSpec({"sleep", "100"});
  auto created = rt_->create(opts("lc1"));
  ASSERT_TRUE(created.ok()) << created.error().message();
  auto st = rt_->state("lc1");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, oci::Status::kCreated);
  EXPECT_GT(st->pid, 0);
  EXPECT_EQ(st->bundle, dir_);
  EXPECT_FALSE(rt_->create(opts("lc1")).ok()) << "duplicate id";

  ASSERT_TRUE(rt_->start("lc1").ok());
  EXPECT_EQ(waitStatus("lc1", oci::Status::kRunning), oci::Status::kRunning);
  auto again = rt_->start("lc1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "cannot start an already running container");
  auto del = rt_->remove("lc1", false);
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.error().message(), "cannot delete container lc1 that is not stopped: running");
  auto pids = rt_->pids("lc1");
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(pids->size(), 1u);

  ASSERT_TRUE(rt_->kill("lc1", 9, false).ok());
  EXPECT_EQ(waitStatus("lc1", oci::Status::kStopped), oci::Status::kStopped);
  ASSERT_TRUE(rt_->remove("lc1", false).ok());
  EXPECT_FALSE(pathExists(dir_ + "/state/lc1"));
}

TEST_F(LifecycleTest, RunReturnsExitCode) {
  writeSpec({"sh", "-c", "exit 3"});
  auto code = rt_->run(opts("lc2"), false);
  ASSERT_TRUE(code.ok()) << code.error().message();
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE(pathExists(dir_ + "/state/lc2")) << "run deletes the container";
}

TEST_F(LifecycleTest, ErrorsLeaveNothingBehind) {
  writeSpec({"nosuchcommand"});
  auto r = rt_->create(opts("lc3"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "exec: \"nosuchcommand\": executable file not found in $PATH");
  EXPECT_FALSE(pathExists(dir_ + "/state/lc3"));

  writeSpec({"true"}, {{"RLIMIT_NOFILE", 1ull << 40, 1024}});
  r = rt_->create(opts("lc3"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("setrlimit RLIMIT_NOFILE to 1099511627776: "),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(pathExists(dir_ + "/state/lc3"));
}

}  // namespace
}  // namespace berth::runtime
