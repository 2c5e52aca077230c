#include "daemon/container_fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file_util.h"

namespace berth::daemon {
namespace {

class Tmp {
 public:
  Tmp() {
    char t[] = "/tmp/berth-fs-test-XXXXXX";
    if (::mkdtemp(t) != nullptr) path_ = t;
  }
  ~Tmp() { (void)removeAll(path_); }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> show(const std::vector<FsChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) {
    const char* k = c.kind == ChangeKind::kAdded ? "A" : c.kind == ChangeKind::kDeleted ? "D" : "C";
    out.push_back(std::string(k) + " " + c.path);
  }
  return out;
}

TEST(ContainerFsTest, CleanAndBase) {
  EXPECT_EQ(cleanSlashPath("/a/./b/../c//"), "/a/c");
  EXPECT_EQ(cleanSlashPath("/../.."), "/");
  EXPECT_EQ(cleanSlashPath("a/../../b"), "../b");
  EXPECT_EQ(cleanSlashPath(""), ".");
  EXPECT_EQ(slashBase("/a/b/"), "b");
  EXPECT_EQ(slashBase("/"), "/");
  EXPECT_EQ(slashBase("/a/."), ".");
}

TEST(ContainerFsTest, SplitContainerPathKeepsDockerTrailingForms) {
  auto p = splitContainerPath("etc/passwd");
  EXPECT_EQ(p.abs, "/etc/passwd");
  EXPECT_EQ(p.dir, "/etc/");
  EXPECT_EQ(p.base, "passwd");
  p = splitContainerPath("/etc/");
  EXPECT_EQ(p.abs, "/etc/");
  EXPECT_EQ(p.base, "");
  p = splitContainerPath("/data/.");
  EXPECT_EQ(p.abs, "/data/.");
  EXPECT_EQ(p.dir, "/data/");
  EXPECT_EQ(p.base, ".");
  p = splitContainerPath("/../../etc//x/../hosts");
  EXPECT_EQ(p.abs, "/etc/hosts");
  p = splitContainerPath("/");
  EXPECT_EQ(p.abs, "/");
  EXPECT_EQ(p.base, "");
}

TEST(ContainerFsTest, GoFileModes) {
  EXPECT_EQ(goFileMode(S_IFREG | 0644), 0644u);
  EXPECT_EQ(goFileMode(S_IFDIR | 0755), (1u << 31) | 0755u);
  EXPECT_EQ(goFileMode(S_IFLNK | 0777), (1u << 27) | 0777u);
  EXPECT_EQ(goFileMode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666u);
  EXPECT_EQ(goFileMode(S_IFREG | S_ISUID | 0755), (1u << 23) | 0755u);
  EXPECT_EQ(goFileMode(S_IFDIR | S_ISVTX | 0777), (1u << 31) | (1u << 20) | 0777u);
}

TEST(ContainerFsTest, StatHeaderIsBase64OfDockersJson) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  PathStat s;
  s.name = "passwd";
  s.size = 340;
  s.mode = 0644;
  s.mtime_nanos = 1700000000123000000;
  s.link_target = "";
  auto j = nlohmann::json::parse(pathStatJson(s));
  EXPECT_EQ(j["name"], "passwd");
  EXPECT_EQ(j["size"], 340);
  EXPECT_EQ(j["mode"], 420);
  EXPECT_EQ(j["mtime"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["linkTarget"], "");
  EXPECT_EQ(pathStatHeader(s), base64Encode(pathStatJson(s)));
  EXPECT_EQ(pathStatJson(s).substr(0, 8), "{\"name\":");  // Docker's field order
}

TEST(ContainerFsTest, OverlayChangesInDockersOrder) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (whiteout devices, trusted xattrs)";
  Tmp t;
  std::string lower = t / "lower", upper = t / "upper";
  for (const char* d : {"lower/etc", "lower/tmp", "lower/opq/old", "upper/etc", "upper/tmp/d",
                        "upper/opq/new"}) {
    ASSERT_TRUE(makeDirs(t / d).ok());
  }
  ASSERT_TRUE(writeFile(t / "lower/etc/passwd", "root").ok());
  ASSERT_TRUE(writeFile(t / "lower/etc/group", "root").ok());
  ASSERT_TRUE(writeFile(t / "upper/etc/passwd", "root\nx").ok());
  ASSERT_EQ(::mknod((t / "upper/etc/group").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_TRUE(writeFile(t / "upper/added", "").ok());
  ASSERT_EQ(::lsetxattr((t / "upper/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  auto changes = overlayChanges(upper, {lower});
  ASSERT_TRUE(changes.ok()) << changes.error().message();
  // /tmp differs from the lower one only by mtime here: reported modified, as Docker does.
  auto got = show(*changes);
  std::vector<std::string> want = {"A /added",     "C /etc",    "D /etc/group", "C /etc/passwd",
                                   "D /opq",       "A /opq/new", "C /tmp",      "A /tmp/d"};
  EXPECT_EQ(got, want);
}

TEST(ContainerFsTest, TreeChangesForVfs) {
  Tmp t;
  for (const char* d : {"base/etc", "base/gone", "tree/etc", "tree/new/sub"}) {
    ASSERT_TRUE(makeDirs(t / d).ok());
  }
  ASSERT_TRUE(writeFile(t / "base/etc/a", "1").ok());
  ASSERT_TRUE(writeFile(t / "tree/etc/a", "12").ok());
  ASSERT_TRUE(writeFile(t / "base/etc/same", "s").ok());
  ASSERT_TRUE(writeFile(t / "tree/etc/same", "s").ok());
  struct stat st;
  ASSERT_EQ(::stat((t / "base/etc/same").c_str(), &st), 0);
  timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (t / "tree/etc/same").c_str(), times, 0), 0);
  auto changes = treeChanges(t / "tree", t / "base");
  ASSERT_TRUE(changes.ok()) << changes.error().message();
  EXPECT_EQ(show(*changes), (std::vector<std::string>{"D /gone", "C /etc", "C /etc/a", "A /new",
                                                      "A /new/sub"}));
}

TEST(ContainerFsTest, InitStubsAreHidden) {
  std::vector<FsChange> in = {{"/etc", ChangeKind::kModified},
                              {"/etc/hostname", ChangeKind::kAdded},
                              {"/etc/hosts", ChangeKind::kAdded},
                              {"/tmp", ChangeKind::kModified},
                              {"/tmp/x", ChangeKind::kAdded}};
  EXPECT_EQ(show(withoutInitStubs(in)), (std::vector<std::string>{"C /tmp", "A /tmp/x"}));
  in.push_back({"/etc/passwd", ChangeKind::kModified});
  EXPECT_EQ(show(withoutInitStubs(in)),
            (std::vector<std::string>{"C /etc", "C /tmp", "A /tmp/x", "C /etc/passwd"}));
  // A deleted /etc/hosts is the container's own change.
  EXPECT_EQ(show(withoutInitStubs({{"/etc/hosts", ChangeKind::kDeleted}})),
            (std::vector<std::string>{"D /etc/hosts"}));
}

TEST(ContainerFsTest, CommitMergeFollowsDocker) {
  oci::ContainerConfig base;
  base.user = "app";
  base.env = {"PATH=/bin", "A=1"};
  base.cmd = {"sh"};
  base.entrypoint = {"/entry"};
  base.labels = {{"a", "1"}, {"b", "2"}};
  base.exposedPorts = {"80/tcp"};
  base.volumes = {"/data"};
  base.workingDir = "/w";
  base.stopSignal = "SIGINT";

  oci::ContainerConfig user;
  user.env = {"A=2", "B=3"};
  user.labels = {{"a", "override"}};
  user.exposedPorts = {"8080/tcp"};
  user.cmd = {"echo", "hi"};
  mergeCommitConfig(user, base);
  EXPECT_EQ(user.user, "app");
  EXPECT_EQ(user.env, (std::vector<std::string>{"A=2", "B=3", "PATH=/bin"}));
  EXPECT_EQ(user.labels.at("a"), "override");
  EXPECT_EQ(user.labels.at("b"), "2");
  EXPECT_EQ(user.exposedPorts, (std::vector<std::string>{"80/tcp", "8080/tcp"}));
  // No Entrypoint given: Cmd stays (it was given), Entrypoint comes from the container.
  EXPECT_EQ(user.cmd, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(user.entrypoint, (std::vector<std::string>{"/entry"}));
  EXPECT_EQ(user.volumes, (std::vector<std::string>{"/data"}));
  EXPECT_EQ(user.workingDir, "/w");
  EXPECT_EQ(user.stopSignal, "SIGINT");

  // An Entrypoint given: neither Cmd nor Entrypoint is inherited.
  oci::ContainerConfig own;
  own.entrypoint = {"/other"};
  mergeCommitConfig(own, base);
  EXPECT_TRUE(own.cmd.empty());
  EXPECT_EQ(own.entrypoint, (std::vector<std::string>{"/other"}));
}

TEST(ContainerFsTest, ImageConfigOfAContainer) {
  ContainerConfig c;
  c.User = "u";
  c.Env = {"X=1"};
  c.Cmd = std::vector<std::string>{"a"};
  c.Volumes = {{"/v", {}}};
  c.Labels = {{"k", "v"}};
  c.WorkingDir = "/w";
  auto out = imageConfigOf(c);
  EXPECT_EQ(out.user, "u");
  EXPECT_EQ(out.cmd, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(out.entrypoint.empty());
  EXPECT_EQ(out.volumes, (std::vector<std::string>{"/v"}));
  EXPECT_EQ(out.labels.at("k"), "v");
}

}  // namespace
}  // namespace berth::daemon
