// Filesystem and freezer operations of containers: pause/unpause, cp (archive GET/HEAD/PUT),
// diff, export/import, commit, and save/load round trips with the other daemon (berthd ↔ dockerd).

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "engine_fixture.h"

namespace berth::e2e::engine {
namespace {

namespace fs = std::filesystem;

class FsTest : public EngineTest {
 protected:
  std::string mergedDir(const std::string& name) {
    return trim(docker({"inspect", "-f", "{{.GraphDriver.Data.MergedDir}}", name}).out);
  }
  std::string local(const std::string& rel) { return scratch() + "/" + rel; }
  void writeLocal(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(local(rel)).parent_path());
    std::ofstream(local(rel)) << text;
  }
  // Lines of `docker events` for `name` between `since` and now.
  std::vector<std::string> actions(const std::string& name, const std::string& since) {
    ProcResult r = docker({"events", "--since", since, "--until", std::to_string(time(nullptr) + 1),
                           "--filter", "container=" + name, "--format", "{{.Action}}"});
    return splitLines(r.out);
  }
};
BERTH_ENGINE_SUITE(FsTest);

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

size_t lineCount(const std::string& path) { return splitLines(readFileOrEmpty(path)).size(); }

TEST_P(FsTest, PauseFreezesAndUnpauseThaws) {
  std::string since = std::to_string(time(nullptr) - 1);
  std::string c = runDetached({}, {"sh", "-c", "while true; do echo x >> /tmp/ticks; sleep 0.05; done"});
  ASSERT_FALSE(HasFatalFailure());
  std::string merged = mergedDir(c);
  std::this_thread::sleep_for(300ms);

  ProcResult r = cli({"pause", c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(trim(r.out), c);
  Json j = inspect(c);
  EXPECT_EQ(j["State"]["Status"], "paused");
  EXPECT_EQ(j["State"]["Paused"], true);
  EXPECT_EQ(j["State"]["Running"], true);
  size_t frozen = lineCount(merged + "/tmp/ticks");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(lineCount(merged + "/tmp/ticks"), frozen) << "the container ran while paused";
  r = cli({"ps", "--filter", "status=paused", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_TRUE(std::regex_match(trim(r.out), std::regex(c + " Up .* \\(Paused\\)"))) << r.describe();

  r = cli({"pause", c});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is already paused"), std::string::npos) << r.describe();

  r = cli({"unpause", c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(inspect(c)["State"]["Status"], "running");
  EXPECT_EQ(inspect(c)["State"]["Paused"], false);
  std::this_thread::sleep_for(400ms);
  EXPECT_GT(lineCount(merged + "/tmp/ticks"), frozen) << "the container did not resume";

  r = cli({"unpause", c});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is not paused"), std::string::npos) << r.describe();

  auto a = actions(c, since);
  EXPECT_TRUE(has(a, "pause")) << r.out;
  EXPECT_TRUE(has(a, "unpause"));
}

TEST_P(FsTest, PauseErrorsAndStoppingAPausedContainer) {
  ProcResult r = cli({"create", "--network", "none", "--pull=never", "busybox", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string created = trim(r.out);
  r = cli({"pause", created});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is not running"), std::string::npos) << r.describe();
  r = cli({"pause", "no-such-container-e2e"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("No such container"), std::string::npos) << r.describe();

  // Several names at once; stop, kill and rm -f work on paused containers.
  std::string a = runDetached({}, {"sleep", "1000"});
  std::string b = runDetached({}, {"sleep", "1000"});
  std::string d = runDetached({}, {"sleep", "1000"});
  ASSERT_FALSE(HasFatalFailure());
  r = cli({"pause", a, b, d});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(splitLines(r.out), (std::vector<std::string>{a, b, d}));
  r = cli({"stop", "-t", "1", a});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(waitStatus(a, "exited"));
  EXPECT_EQ(inspect(a)["State"]["Paused"], false);
  r = cli({"kill", b});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(waitStatus(b, "exited"));
  EXPECT_EQ(inspect(b)["State"]["ExitCode"], 137);
  r = cli({"rm", d});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("You cannot remove a paused container"), std::string::npos)
      << r.describe();
  r = cli({"rm", "-f", d});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(docker({"inspect", d}).exit_code, 0);
}

TEST_P(FsTest, CopyIntoARunningContainer) {
  writeLocal("src/file.txt", "hello\n");
  writeLocal("src/dir/sub/a.txt", "a\n");
  std::string c = runDetached({}, {"sleep", "1000"});
  ASSERT_FALSE(HasFatalFailure());
  std::string m = mergedDir(c);
  ASSERT_FALSE(m.empty());

  ProcResult r = cli({"cp", local("src/file.txt"), c + ":/tmp"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/tmp/file.txt"), "hello\n");
  r = cli({"cp", local("src/file.txt"), c + ":/tmp/renamed.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/tmp/renamed.txt"), "hello\n");
  // A file onto an existing file replaces it.
  writeLocal("other.txt", "other\n");
  r = cli({"cp", local("other.txt"), c + ":/tmp/renamed.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/tmp/renamed.txt"), "other\n");
  // A directory into an existing directory, and its contents ("/.") into a new one.
  r = cli({"cp", local("src/dir"), c + ":/tmp"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/tmp/dir/sub/a.txt"), "a\n");
  r = cli({"cp", local("src/dir") + "/.", c + ":/tmp/newdir"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/tmp/newdir/sub/a.txt"), "a\n");
  // Errors as docker's.
  r = cli({"cp", local("src/file.txt"), c + ":/nonexistent/dir/"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no such directory"), std::string::npos) << r.describe();
  r = cli({"cp", local("src/dir"), c + ":/tmp/file.txt"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot copy directory"), std::string::npos) << r.describe();
  r = cli({"cp", local("src/file.txt"), c + ":/nonexistent/x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Could not find the file /nonexistent"), std::string::npos)
      << r.describe();
  r = cli({"cp", local("src/file.txt"), local("x")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("must specify at least one container source"), std::string::npos)
      << r.describe();
  r = cli({"cp", c + ":/a", c + ":/b"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("copying between containers is not supported"), std::string::npos)
      << r.describe();
}

TEST_P(FsTest, CopyNeverLeavesTheContainerRoot) {
  // A symlink to "/" copied in stays a link inside the container; copying through it writes
  // into the container's /etc, never the host's.
  std::string c = runDetached({}, {"sleep", "1000"});
  ASSERT_FALSE(HasFatalFailure());
  std::string m = mergedDir(c);
  fs::create_directories(local("links"));
  fs::create_symlink("/", local("links/esc"));
  ProcResult r = cli({"cp", local("links") + "/.", c + ":/tmp"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_TRUE(fs::is_symlink(m + "/tmp/esc"));
  std::string marker = "berth-e2e-escape-" + std::to_string(getpid()) + ".txt";
  writeLocal(marker, "inside\n");
  r = cli({"cp", local(marker), c + ":/tmp/esc/etc/"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(m + "/etc/" + marker), "inside\n");
  EXPECT_FALSE(fs::exists("/etc/" + marker)) << "cp wrote through a symlink to the host";
  fs::remove("/etc/" + marker);
  // A relative link that climbs out of the destination is refused as a whole (docker's
  // "invalid symlink"), and nothing of the archive is written.
  fs::create_directories(local("bad"));
  writeLocal("bad/a-first.txt", "first\n");
  fs::create_symlink("../../../../../../etc", local("bad/up"));
  r = cli({"cp", local("bad") + "/.", c + ":/tmp"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("invalid symlink \"/tmp/up\" -> \"../../../../../../etc\""),
            std::string::npos)
      << r.describe();
  EXPECT_FALSE(fs::is_symlink(m + "/tmp/up"));
  if (!isDockerd()) {
    EXPECT_FALSE(fs::exists(m + "/tmp/a-first.txt")) << "half-written copy";
  }

  // Reading through the links gives the container's files, mounts included.
  r = cli({"cp", c + ":/tmp/esc/etc/hostname", local("hostname")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  // (/etc/hostname is the file the daemon mounts there, as the container sees it.)
  std::string hostname = inspect(c)["Config"]["Hostname"].get<std::string>();
  EXPECT_EQ(readFileOrEmpty(local("hostname")), hostname + "\n");
}

TEST_P(FsTest, CopyOutOfAContainer) {
  std::string c = runDetached(
      {}, {"sh", "-c",
           "mkdir -p /data/sub && echo one > /data/sub/f && ln -s /etc/passwd /data/link && "
           "exec sleep 1000"});
  ASSERT_FALSE(HasFatalFailure());
  std::string m = mergedDir(c);
  for (int i = 0; i < 50 && !fs::exists(m + "/data/link"); ++i) std::this_thread::sleep_for(50ms);
  fs::create_directories(local("out"));

  ProcResult r = cli({"cp", c + ":/etc/passwd", local("out") + "/"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("out/passwd")), readFileOrEmpty(m + "/etc/passwd"));
  r = cli({"cp", c + ":/data", local("out/copied")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("out/copied/sub/f")), "one\n");
  EXPECT_TRUE(fs::is_symlink(local("out/copied/link")));
  r = cli({"cp", c + ":/data/.", local("out/contents")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("out/contents/sub/f")), "one\n");
  // Without -L a link is copied as a link; with -L its target's content.
  r = cli({"cp", c + ":/data/link", local("out/nolink")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(fs::is_symlink(local("out/nolink")));
  r = cli({"cp", "-L", c + ":/data/link", local("out/")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(fs::is_symlink(local("out/link")));
  EXPECT_EQ(readFileOrEmpty(local("out/link")), readFileOrEmpty(m + "/etc/passwd"));
  // "-": a tar on stdout.
  r = cli({"cp", c + ":/data/sub/f", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_GE(r.out.size(), 1024u);
  EXPECT_EQ(r.out.compare(0, 2, std::string("f\0", 2)), 0);
  EXPECT_NE(r.out.find("one\n"), std::string::npos);
  // Errors.
  r = cli({"cp", c + ":/nonexistent", local("out")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Could not find the file /nonexistent in container " + c),
            std::string::npos)
      << r.describe();
  r = cli({"cp", c + ":/data", local("out/passwd")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot copy directory"), std::string::npos) << r.describe();
  r = cli({"cp", c + ":/etc/passwd", local("nonexistent/dir/")});
  EXPECT_NE(r.exit_code, 0) << r.describe();
}

TEST_P(FsTest, CopyWithStoppedContainersStdinAndArchiveMode) {
  // Into a created (never started) container; the copy is there when it starts.
  ProcResult r = cli({"create", "--network", "none", "--pull=never", "-u", "nobody", "busybox",
                      "sh", "-c", "cat /tmp/in.txt; stat -c '%u:%g' /tmp/in.txt /tmp/a.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string c = trim(r.out);
  writeLocal("in.txt", "copied before start\n");
  writeLocal("a.txt", "archive\n");
  ASSERT_EQ(chown(local("in.txt").c_str(), 1234, 1234), 0);
  ASSERT_EQ(chown(local("a.txt").c_str(), 1234, 1234), 0);
  r = cli({"cp", local("in.txt"), c + ":/tmp/"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"cp", "-a", local("a.txt"), c + ":/tmp/"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"start", "-a", c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  // Without -a the archive's owner stays; with -a the container's user owns the copy.
  EXPECT_EQ(r.out, "copied before start\n1234:1234\n65534:65534\n");

  // Out of the exited container, and a tar on stdin into it.
  r = cli({"cp", c + ":/tmp/in.txt", local("back.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("back.txt")), "copied before start\n");
  writeLocal("tarsrc/t.txt", "from a tar\n");
  ProcResult tar = runCommand({"tar", "-C", local("tarsrc"), "-cf", local("in.tar"), "t.txt"});
  ASSERT_EQ(tar.exit_code, 0) << tar.describe();
  RunOptions o;
  o.stdin_data = readFileOrEmpty(local("in.tar"));
  r = cli({"cp", "-", c + ":/tmp"}, o);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"cp", c + ":/tmp/t.txt", local("t-back.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("t-back.txt")), "from a tar\n");
  r = cli({"cp", "-", c + ":/tmp/in.txt"}, o);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("must be a directory"), std::string::npos) << r.describe();
  // The rootfs of the stopped container was mounted only for each copy.
  std::string m = mergedDir(c);
  EXPECT_EQ(readFileOrEmpty("/proc/self/mountinfo").find(" " + m + " "), std::string::npos)
      << "rootfs still mounted at " << m;
}

TEST_P(FsTest, DiffListsChangesAsDocker) {
  std::string c = uniqueName();
  ProcResult r = cli({"run", "--name", c, "--network", "none", "--pull=never", "busybox", "sh",
                      "-c", "touch /added; rm /etc/group; echo >> /etc/passwd; mkdir -p /tmp/d"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"diff", c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  // dockerd 20.10 lists them in no fixed order (a map walk); berthd in a sorted walk.
  auto lines = splitLines(r.out);
  std::vector<std::string> want = {"A /added", "C /etc",  "D /etc/group",
                                   "C /etc/passwd", "C /tmp", "A /tmp/d"};
  if (!isDockerd()) {
    EXPECT_EQ(lines, want) << r.out;
  }
  std::sort(lines.begin(), lines.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(lines, want) << r.out;
  // The API: Kind 0 modified, 1 added, 2 deleted.
  std::string resp = daemon()->httpGet("/containers/" + c + "/changes");
  Json changes = Json::parse(resp.substr(resp.find("\r\n\r\n") + 4), nullptr, false);
  ASSERT_TRUE(changes.is_array()) << resp;
  std::map<std::string, int> kinds;
  for (const auto& ch : changes) kinds[ch["Path"]] = ch["Kind"];
  EXPECT_EQ(kinds["/added"], 1) << resp;
  EXPECT_EQ(kinds["/etc/group"], 2) << resp;
  EXPECT_EQ(kinds["/etc/passwd"], 0) << resp;

  // A fresh container has no changes.
  r = cli({"create", "--network", "none", "--pull=never", "busybox", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"diff", trim(r.out)});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "");
  r = cli({"diff", "no-such-container-e2e"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("No such container"), std::string::npos) << r.describe();
}

TEST_P(FsTest, ExportThenImportRoundTrips) {
  std::string c = uniqueName();
  ProcResult r = cli({"run", "--name", c, "--network", "none", "--pull=never", "busybox", "sh",
                      "-c", "echo exported > /exported.txt; rm /etc/group"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"export", "-o", local("rootfs.tar"), c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ProcResult list = runCommand({"tar", "-tf", local("rootfs.tar")});
  ASSERT_EQ(list.exit_code, 0) << list.describe();
  auto names = splitLines(list.out);
  EXPECT_TRUE(has(names, "exported.txt")) << list.out;
  EXPECT_TRUE(has(names, "bin/busybox")) << list.out;
  EXPECT_FALSE(has(names, "etc/group")) << list.out;
  // To stdout when it is not a terminal.
  r = cli({"export", c});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_GT(r.out.size(), 100000u);

  std::string image = uniqueName("img") + ":v1";
  r = cli({"import", local("rootfs.tar"), image});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"run", "--rm", "--network", "none", "--pull=never", image, "cat", "/exported.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "exported\n");
}

TEST_P(FsTest, CommitMakesARunnableImageWithTheNewConfig) {
  std::string c = runDetached({"-e", "KEEP=1"},
                              {"sh", "-c", "echo committed > /c.txt; rm /etc/group; sleep 1000"});
  ASSERT_FALSE(HasFatalFailure());
  std::string m = mergedDir(c);
  for (int i = 0; i < 50 && !fs::exists(m + "/c.txt"); ++i) std::this_thread::sleep_for(50ms);
  std::string image = uniqueName("img");
  std::string since = std::to_string(time(nullptr) - 1);
  ProcResult r = cli({"commit", "-a", "Jane <jane@example.com>", "-m", "a message", "-c",
                      "ENV FOO=bar", "-c", "CMD [\"sh\", \"-c\", \"cat /c.txt; echo $FOO $KEEP; pwd; ls /etc/group\"]",
                      "-c", "LABEL team=fs", "-c", "EXPOSE 8080", "-c", "WORKDIR /tmp", c,
                      image + ":v1"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(std::regex_match(trim(r.out), std::regex("sha256:[0-9a-f]{64}"))) << r.out;
  // The container kept running (it was paused only during the commit).
  EXPECT_EQ(inspect(c)["State"]["Status"], "running");
  auto acts = actions(c, since);
  EXPECT_TRUE(has(acts, "commit"));
  // Paused during the commit (pause=true by default), as Docker.
  EXPECT_TRUE(has(acts, "pause"));
  EXPECT_TRUE(has(acts, "unpause"));

  Json img = Json::parse(docker({"image", "inspect", image + ":v1"}).out, nullptr, false);
  ASSERT_TRUE(img.is_array() && !img.empty());
  img = img[0];
  EXPECT_EQ(img["Author"], "Jane <jane@example.com>");
  EXPECT_EQ(img["Comment"], "a message");
  EXPECT_EQ(img["Config"]["WorkingDir"], "/tmp");
  EXPECT_EQ(img["Config"]["Labels"]["team"], "fs");
  EXPECT_TRUE(img["Config"]["ExposedPorts"].contains("8080/tcp")) << img.dump();
  auto env = img["Config"]["Env"].dump();
  EXPECT_NE(env.find("FOO=bar"), std::string::npos) << env;
  EXPECT_NE(env.find("KEEP=1"), std::string::npos) << env;
  EXPECT_EQ(img["RootFS"]["Layers"].size(), 2u) << img.dump();

  r = cli({"run", "--rm", "--network", "none", "--pull=never", image + ":v1"});
  EXPECT_EQ(r.out, "committed\nbar 1\n/tmp\n") << r.describe();
  EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.describe();

  // The new layer holds the container's changes, not the files the daemon mounts.
  ASSERT_EQ(docker({"save", "-o", local("img.tar"), image + ":v1"}).exit_code, 0);
  ProcResult manifest = runCommand({"tar", "-xOf", local("img.tar"), "manifest.json"});
  Json mj = Json::parse(manifest.out, nullptr, false);
  ASSERT_TRUE(mj.is_array() && !mj.empty()) << manifest.describe();
  std::string top = mj[0]["Layers"].back().get<std::string>();
  ProcResult layer = runCommand({"sh", "-c", "tar -xOf '" + local("img.tar") + "' '" + top +
                                                 "' | tar -t"});
  ASSERT_EQ(layer.exit_code, 0) << layer.describe();
  auto entries = splitLines(layer.out);
  EXPECT_TRUE(has(entries, "c.txt")) << layer.out;
  EXPECT_TRUE(has(entries, "etc/.wh.group")) << layer.out;
  EXPECT_FALSE(has(entries, "etc/hostname")) << layer.out;
  EXPECT_FALSE(has(entries, "etc/resolv.conf")) << layer.out;

  r = cli({"history", "--format", "{{.Comment}}", image + ":v1"});
  EXPECT_EQ(splitLines(r.out).at(0), "a message") << r.describe();

  // --pause=false and no repository; a bad change is refused.
  r = cli({"commit", "--pause=false", c});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  r = cli({"commit", "-c", "BOGUS x", c});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.describe();
}

TEST_P(FsTest, SaveLoadRoundTripWithTheOtherDaemon) {
  // berthd's suite starts a dockerd beside it (and dockerd's suite a berthd): an image saved by
  // one loads and runs in the other, and back.
  std::string other_bin = isDockerd() ? std::string(BERTH_BIN_DIR) + "/berthd" : "";
  if (!isDockerd()) {
    for (const char* p : {"/usr/sbin/dockerd", "/usr/bin/dockerd"}) {
      if (access(p, X_OK) == 0) other_bin = p;
    }
  }
  if (other_bin.empty() || access(other_bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no second daemon to round-trip with";
  }
  if (isBerthCli()) GTEST_SKIP() << "the round trip is CLI-independent: run once (docker CLI)";
  Daemon other(Daemon::Options{.live_restore = false, .binary = other_bin});
  std::string error;
  ASSERT_TRUE(other.start(&error)) << error;

  std::string c = uniqueName();
  ProcResult r = docker({"run", "--name", c, "--network", "none", "--pull=never", "busybox", "sh",
                         "-c", "echo round trip > /rt.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string image = uniqueName("img") + ":v1";
  ASSERT_EQ(docker({"commit", c, image}).exit_code, 0);
  ASSERT_EQ(docker({"save", "-o", local("a.tar"), image}).exit_code, 0);

  r = other.docker({"load", "-i", local("a.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Loaded image: " + image), std::string::npos) << r.describe();
  r = other.docker({"run", "--rm", "--network", "none", image, "cat", "/rt.txt"});
  EXPECT_EQ(r.out, "round trip\n") << r.describe();
  std::string id_here = trim(docker({"image", "inspect", "-f", "{{.Id}}", image}).out);
  std::string id_there = trim(other.docker({"image", "inspect", "-f", "{{.Id}}", image}).out);
  EXPECT_EQ(id_here, id_there);

  // Back: a change made in the other daemon, saved there, loaded here.
  r = other.docker({"run", "--name", "rt2", "--network", "none", image, "sh", "-c",
                    "echo back >> /rt.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string image2 = uniqueName("img") + ":v2";
  ASSERT_EQ(other.docker({"commit", "rt2", image2}).exit_code, 0);
  ASSERT_EQ(other.docker({"save", "-o", local("b.tar"), image2}).exit_code, 0);
  other.removeAllContainers();
  r = docker({"load", "-i", local("b.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = docker({"run", "--rm", "--network", "none", "--pull=never", image2, "cat", "/rt.txt"});
  EXPECT_EQ(r.out, "round trip\nback\n") << r.describe();
  other.stop();
}

TEST_P(FsTest, CopyResolvesBindMountsOfTheContainer) {
  fs::create_directories(local("bind"));
  writeLocal("bind/host.txt", "from the host\n");
  writeLocal("in.txt", "into the bind\n");
  std::string c = runDetached({"-v", local("bind") + ":/mnt/data"}, {"sleep", "1000"});
  ASSERT_FALSE(HasFatalFailure());
  ProcResult r = cli({"cp", c + ":/mnt/data/host.txt", local("out.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("out.txt")), "from the host\n");
  r = cli({"cp", local("in.txt"), c + ":/mnt/data/"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(readFileOrEmpty(local("bind/in.txt")), "into the bind\n");
  EXPECT_FALSE(fs::exists(mergedDir(c) + "/mnt/data/in.txt"));
}

class FsRestartTest : public EngineTest {
 protected:
  bool wantsOwnDaemon() const override { return true; }
};
BERTH_ENGINE_SUITE(FsRestartTest);

TEST_P(FsRestartTest, PausedStaysPausedAcrossADaemonRestart) {
  std::string c = runDetached({}, {"sleep", "1000"});
  ASSERT_FALSE(HasFatalFailure());
  ProcResult r = cli({"pause", c});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(daemon()->stop()) << daemon()->logTail();
  std::string error;
  ASSERT_TRUE(daemon()->start(&error)) << error;
  Json j = inspect(c);
  EXPECT_EQ(j["State"]["Status"], "paused") << j.dump();
  EXPECT_EQ(j["State"]["Paused"], true);
  r = cli({"unpause", c});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(inspect(c)["State"]["Status"], "running");
  r = cli({"rm", "-f", c});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
}

}  // namespace
}  // namespace berth::e2e::engine
