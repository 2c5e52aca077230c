#include "runtime/seccomp/filter_cache.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"
#include "base/scope_guard.h"
#include "sys/capabilities.h"

namespace berth::runtime::seccomp {
namespace {

std::string makeTempDir() {
  char tmpl[] = "/tmp/berth-filter-cache-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return {};
  return tmpl;
}

oci::LinuxSeccomp defaultProfile(const std::vector<std::string>& caps) {
  auto profile = dockerDefaultProfile(caps);
  EXPECT_TRUE(profile.ok()) << profile.error().message();
  return profile.ok() ? *profile : oci::LinuxSeccomp{};
}

bool sameProgram(const CompiledFilter& a, const CompiledFilter& b) {
  return a.flags == b.flags && a.needs_listener == b.needs_listener &&
         a.program.size() == b.program.size() &&
         std::memcmp(a.program.data(), b.program.data(),
                     a.program.size() * sizeof(sock_filter)) == 0;
}

class FilterCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { (void)removeAll(dir_); }
  std::string cacheDir() const { return dir_ + "/seccomp"; }
  std::string dir_;
};

TEST_F(FilterCacheTest, CachedFilterEqualsAFreshCompile) {
  for (const auto& caps : {sys::dockerDefaultCapabilities(), sys::allCapabilities()}) {
    oci::LinuxSeccomp profile = defaultProfile(caps);
    FilterCache cache(cacheDir());
    ASSERT_TRUE(cache.prepare(profile).ok());
    std::string encoding = canonicalEncoding(profile);
    auto bytes = readFile(cacheDir() + "/" + cacheFileName(encoding));
    ASSERT_TRUE(bytes.ok()) << bytes.error().message();
    auto cached = parseFilter(*bytes, encoding);
    ASSERT_TRUE(cached.has_value());
    auto fresh = compile(profile);
    ASSERT_TRUE(fresh.ok()) << fresh.error().message();
    EXPECT_TRUE(sameProgram(*cached, *fresh));
    auto loaded = compileCached(profile, cacheDir());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    EXPECT_TRUE(sameProgram(*loaded, *fresh));
  }
}

TEST_F(FilterCacheTest, CompilesOncePerDistinctSection) {
  FilterCache cache(cacheDir());
  oci::LinuxSeccomp docker = defaultProfile(sys::dockerDefaultCapabilities());
  oci::LinuxSeccomp all = defaultProfile(sys::allCapabilities());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.prepare(docker).ok());
    ASSERT_TRUE(cache.prepare(all).ok());
  }
  EXPECT_EQ(cache.compiledCount(), 2u);
  auto names = listDirectory(cacheDir());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);
}

TEST_F(FilterCacheTest, LoadsTheFileAndOnlyForTheSameSection) {
  oci::LinuxSeccomp profile = defaultProfile(sys::dockerDefaultCapabilities());
  FilterCache cache(cacheDir());
  ASSERT_TRUE(cache.prepare(profile).ok());
  std::string encoding = canonicalEncoding(profile);
  std::string path = cacheDir() + "/" + cacheFileName(encoding);

  // Replace the program in the file by a marker program of the same section: compileCached
  // returns it, which shows it loads the file rather than compiling.
  CompiledFilter marker;
  marker.program = {sock_filter{0x06, 0, 0, 0x7fff0000}};  // ret ALLOW
  ASSERT_TRUE(writeFile(path, serializeFilter(marker, encoding), 0600).ok());
  auto loaded = compileCached(profile, cacheDir());
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(sameProgram(*loaded, marker));

  // Any other section (one errno changed) is compiled, even if a file of its name existed.
  oci::LinuxSeccomp other = profile;
  other.defaultErrnoRet = 38;  // ENOSYS
  std::string other_encoding = canonicalEncoding(other);
  EXPECT_NE(other_encoding, encoding);
  ASSERT_TRUE(writeFile(cacheDir() + "/" + cacheFileName(other_encoding),
                        serializeFilter(marker, encoding), 0600)
                  .ok());
  auto compiled = compileCached(other, cacheDir());
  ASSERT_TRUE(compiled.ok());
  auto fresh = compile(other);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(sameProgram(*compiled, *fresh));
  EXPECT_FALSE(sameProgram(*compiled, marker));

  // No directory, or no file: compile.
  auto no_dir = compileCached(profile, "");
  ASSERT_TRUE(no_dir.ok());
  auto fresh_default = compile(profile);
  ASSERT_TRUE(fresh_default.ok());
  EXPECT_TRUE(sameProgram(*no_dir, *fresh_default));
  ASSERT_EQ(::unlink(path.c_str()), 0);
  auto missing = compileCached(profile, cacheDir());
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(sameProgram(*missing, *fresh_default));
}

TEST(FilterCacheFormat, RejectsDamagedOrForeignBytes) {
  CompiledFilter filter;
  filter.program = {sock_filter{0x06, 0, 0, 0x7fff0000}, sock_filter{0x06, 0, 0, 0}};
  filter.flags = 4;
  std::string encoding = "enc";
  std::string bytes = serializeFilter(filter, encoding);
  auto back = parseFilter(bytes, encoding);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(sameProgram(*back, filter));

  EXPECT_FALSE(parseFilter(bytes, "enx").has_value());
  EXPECT_FALSE(parseFilter(bytes, "encoding").has_value());
  EXPECT_FALSE(parseFilter(bytes.substr(0, bytes.size() - 1), encoding).has_value());
  EXPECT_FALSE(parseFilter(bytes + "x", encoding).has_value());
  EXPECT_FALSE(parseFilter(bytes.substr(0, 10), encoding).has_value());
  EXPECT_FALSE(parseFilter("", encoding).has_value());
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_FALSE(parseFilter(bad_magic, encoding).has_value());
  CompiledFilter empty;
  EXPECT_FALSE(parseFilter(serializeFilter(empty, encoding), encoding).has_value());
}

TEST(FilterCacheFormat, EncodingCoversEveryField) {
  oci::LinuxSeccomp base;
  base.defaultAction = "SCMP_ACT_ERRNO";
  oci::LinuxSyscall rule;
  rule.names = {"mkdir"};
  rule.action = "SCMP_ACT_ALLOW";
  oci::LinuxSeccompArg arg;
  arg.index = 1;
  arg.value = 2;
  arg.op = "SCMP_CMP_EQ";
  rule.args = {arg};
  base.syscalls = {rule};
  std::string b = canonicalEncoding(base);
  auto differs = [&](auto change) {
    oci::LinuxSeccomp s = base;
    change(s);
    return canonicalEncoding(s) != b;
  };
  EXPECT_EQ(canonicalEncoding(base), b);
  EXPECT_TRUE(differs([](auto& s) { s.defaultAction = "SCMP_ACT_KILL"; }));
  EXPECT_TRUE(differs([](auto& s) { s.defaultErrnoRet = 1; }));
  EXPECT_TRUE(differs([](auto& s) { s.architectures = {"SCMP_ARCH_X86"}; }));
  EXPECT_TRUE(differs([](auto& s) { s.flags = {"SECCOMP_FILTER_FLAG_LOG"}; }));
  EXPECT_TRUE(differs([](auto& s) { s.listenerPath = "/x"; }));
  EXPECT_TRUE(differs([](auto& s) { s.listenerMetadata = "m"; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].names = {"mkdir", "rmdir"}; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].names = {"mkdi", "r"}; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].action = "SCMP_ACT_LOG"; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].errnoRet = 0; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].args[0].index = 2; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].args[0].value = 3; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].args[0].valueTwo = 3; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls[0].args[0].op = "SCMP_CMP_NE"; }));
  EXPECT_TRUE(differs([](auto& s) { s.syscalls.push_back(s.syscalls[0]); }));
}

// The loaded filter does what the compiled one does: a blocked syscall fails with EPERM.
TEST_F(FilterCacheTest, LoadedDefaultProfileBlocksUnshare) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (unshare(CLONE_NEWUTS) needs CAP_SYS_ADMIN)";
  oci::LinuxSeccomp profile = defaultProfile(sys::dockerDefaultCapabilities());
  FilterCache cache(cacheDir());
  ASSERT_TRUE(cache.prepare(profile).ok());
  auto filter = compileCached(profile, cacheDir());
  ASSERT_TRUE(filter.ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(99);
    int err = install(filter->program.data(), static_cast<unsigned short>(filter->program.size()),
                      filter->flags);
    if (err != 0) _exit(100 + err);
    if (unshare(CLONE_NEWUTS) == 0) _exit(1);
    _exit(errno == EPERM ? 0 : 2);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace berth::runtime::seccomp
