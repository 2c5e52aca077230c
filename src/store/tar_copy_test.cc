// The docker cp side of tar_extract: check-only passes, hostile archives, dir/non-dir overwrite
// rules, ownership override, plain ".wh." names, and writePathTar's rebasing.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "store/store_test_util.h"
#include "store/tar_extract.h"

namespace berth::store {
namespace {

using testing::TempDir;
using testing::TarEntry;

ApplyOptions cpOptions() {
  ApplyOptions o;
  o.plain_whiteouts = true;
  o.allow_devices = false;
  o.skip_root_entry = true;
  o.refuse_escaping_symlinks = true;
  o.no_overwrite_dir_non_dir = true;
  o.display_root = "/dst";
  return o;
}

Result<LayerApplyStats> applyTo(const std::string& dir, const std::string& tar,
                                const ApplyOptions& o) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return applyLayerAt(testing::stringReader(tar), fd.get(), o);
}

std::vector<std::string> entryNames(const std::string& tar) {
  std::vector<std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) out.push_back(archive_entry_pathname(e));
  archive_read_free(a);
  return out;
}

TEST(TarCopyTest, CheckOnlyWritesNothing) {
  TempDir dir;
  std::string tar = testing::makeTar({testing::dir("d"), testing::file("d/f", "x")});
  ApplyOptions o = cpOptions();
  o.check_only = true;
  ASSERT_TRUE(applyTo(dir.path(), tar, o).ok());
  EXPECT_FALSE(pathExists(dir / "d"));
  o.check_only = false;
  ASSERT_TRUE(applyTo(dir.path(), tar, o).ok());
  EXPECT_EQ(*readFile(dir / "d/f"), "x");
}

TEST(TarCopyTest, HostileArchivesAreRefusedInTheCheckPass) {
  TempDir dir;
  ApplyOptions o = cpOptions();
  o.check_only = true;
  // ".." climbing out.
  auto r = applyTo(dir.path(), testing::makeTar({testing::file("../evil", "x")}), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("escapes"), std::string::npos) << r.error().message();
  // A relative symlink out of the destination (Docker's "invalid symlink").
  r = applyTo(dir.path(),
              testing::makeTar({testing::dir("a"), testing::symlink("a/up", "../../etc")}), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid symlink \"/dst/a/up\" -> \"../../etc\"");
  // An absolute one is fine: it resolves inside the container root.
  EXPECT_TRUE(applyTo(dir.path(), testing::makeTar({testing::symlink("root", "/")}), o).ok());
  // Devices.
  TarEntry dev;
  dev.name = "sda";
  dev.type = AE_IFBLK;
  r = applyTo(dir.path(), testing::makeTar({dev}), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kForbidden);
  // A hardlink to something outside.
  TarEntry link;
  link.name = "l";
  link.link = "../../etc/shadow";
  link.hardlink = true;
  r = applyTo(dir.path(), testing::makeTar({link}), o);
  EXPECT_FALSE(r.ok());
  // Nothing was written by any of them.
  auto names = listDirectory(dir.path());
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST(TarCopyTest, SymlinksInTheArchiveStayInsideTheTarget) {
  if (!testing::haveRoot()) GTEST_SKIP() << "needs root";
  TempDir outside, dir;
  std::string tar = testing::makeTar({testing::symlink("esc", outside.path()),
                                      testing::file("esc/planted", "x")});
  // The link's target does not exist inside the target: the write is refused, never redirected.
  auto r = applyTo(dir.path(), tar, cpOptions());
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(pathExists(outside / "planted"));
  // Where it exists inside, the file lands there.
  ASSERT_TRUE(makeDirs(dir.path() + outside.path()).ok());
  r = applyTo(dir.path(), tar, cpOptions());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(pathExists(outside / "planted"));
  EXPECT_TRUE(pathExists(dir.path() + outside.path() + "/planted"));
}

TEST(TarCopyTest, NoOverwriteDirNonDir) {
  TempDir dir;
  ASSERT_TRUE(makeDirs(dir / "d").ok());
  ASSERT_TRUE(writeFile(dir / "f", "old").ok());
  ApplyOptions o = cpOptions();
  o.check_only = true;
  auto r = applyTo(dir.path(), testing::makeTar({testing::file("d", "x")}), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cannot overwrite directory \"/d\" with non-directory \"/d\"");
  r = applyTo(dir.path(), testing::makeTar({testing::dir("f")}), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cannot overwrite non-directory \"/f\" with directory \"/f\"");
  // Within one archive too.
  r = applyTo(dir.path(), testing::makeTar({testing::dir("n"), testing::file("n", "x")}), o);
  EXPECT_FALSE(r.ok());
  // Without the option a file replaces a file and a directory merges.
  o = cpOptions();
  o.no_overwrite_dir_non_dir = false;
  ASSERT_TRUE(applyTo(dir.path(), testing::makeTar({testing::file("f", "new")}), o).ok());
  EXPECT_EQ(*readFile(dir / "f"), "new");
}

TEST(TarCopyTest, WhiteoutNamesAreOrdinaryFilesAndTheRootEntryIsSkipped) {
  TempDir dir;
  ASSERT_TRUE(writeFile(dir / "victim", "keep").ok());
  ASSERT_EQ(::chmod(dir.path().c_str(), 0751), 0);
  TarEntry root = testing::dir("./");
  root.perm = 0700;
  std::string tar = testing::makeTar({root, testing::file(".wh.victim", "")});
  ASSERT_TRUE(applyTo(dir.path(), tar, cpOptions()).ok());
  EXPECT_TRUE(pathExists(dir / "victim"));
  EXPECT_TRUE(pathExists(dir / ".wh.victim"));
  struct stat st;
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751u);
}

TEST(TarCopyTest, ChownOverridesTheArchiveOwner) {
  if (!testing::haveRoot()) GTEST_SKIP() << "needs root";
  TempDir dir;
  ApplyOptions o = cpOptions();
  o.chown = std::make_pair(4321u, 8765u);
  ASSERT_TRUE(applyTo(dir.path(), testing::makeTar({testing::dir("d"), testing::file("d/f", "x"),
                                                    testing::symlink("l", "d/f")}),
                      o)
                  .ok());
  for (const char* p : {"d", "d/f", "l"}) {
    struct stat st;
    ASSERT_EQ(::lstat((dir / p).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4321u) << p;
    EXPECT_EQ(st.st_gid, 8765u) << p;
  }
}

TEST(TarCopyTest, WritePathTarRebasesNames) {
  TempDir dir;
  ASSERT_TRUE(makeDirs(dir / "src/sub").ok());
  ASSERT_TRUE(writeFile(dir / "src/sub/f", "data").ok());
  ASSERT_EQ(::symlink("/etc/passwd", (dir / "src/link").c_str()), 0);
  UniqueFd root(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto tarOf = [&](int fd, const std::string& name, const std::string& rebase) {
    UniqueFd out(::memfd_create("tar", MFD_CLOEXEC));
    EXPECT_TRUE(writePathTar(fd, name, rebase, out.get()).ok());
    return testing::readFd(out.get());
  };
  EXPECT_EQ(entryNames(tarOf(root.get(), "src", "copy")),
            (std::vector<std::string>{"copy/", "copy/link", "copy/sub/", "copy/sub/f"}));
  UniqueFd src(::open((dir / "src").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(entryNames(tarOf(src.get(), ".", ".")),
            (std::vector<std::string>{"./", "./link", "./sub/", "./sub/f"}));
  // A symlink is written as itself.
  std::string t = tarOf(src.get(), "link", "link");
  EXPECT_EQ(entryNames(t), (std::vector<std::string>{"link"}));
  EXPECT_EQ(t.find("root:"), std::string::npos);
}

TEST(TarCopyTest, ChangesTarWritesEntriesAndWhiteouts) {
  TempDir dir;
  ASSERT_TRUE(makeDirs(dir / "etc/deep").ok());
  ASSERT_TRUE(writeFile(dir / "etc/a", "a").ok());
  ASSERT_TRUE(writeFile(dir / "etc/deep/untouched", "u").ok());
  ASSERT_EQ(::symlink("/", (dir / "esc").c_str()), 0);
  UniqueFd root(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd out(::memfd_create("tar", MFD_CLOEXEC));
  auto digest = writeChangesTar(root.get(),
                                {{"/etc", false}, {"/etc/a", false}, {"/gone", true},
                                 {"/etc/old", true}, {"/esc", false}},
                                out.get());
  ASSERT_TRUE(digest.ok()) << digest.error().message();
  std::string tar = testing::readFd(out.get());
  EXPECT_EQ(entryNames(tar),
            (std::vector<std::string>{"etc/", "etc/a", ".wh.gone", "etc/.wh.old", "esc"}));
  EXPECT_EQ(digest->str(), sha256Digest(tar).str());
  // A path through a symlink resolves inside the root, never on the host.
  auto bad = writeChangesTar(root.get(), {{"/esc/etc/passwd", false}}, out.get());
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace berth::store
