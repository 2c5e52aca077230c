// berth-shim: unit tests of its pieces (json-file log, detach keys, protocol) and root tests that
// spawn the real berth-shim binary with busybox containers.
#include "shim/shim.h"

#include <fcntl.h>
#include <glob.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "base/strings.h"
#include "oci/runtime_spec_json.h"
#include "shim/json_log.h"
#include "shim/protocol.h"
#include "shim/shim_client.h"

namespace berth::shim {
namespace {

using nlohmann::json;

// ---- pieces (no root) ----

TEST(DetachKeys, Parse) {
  EXPECT_EQ(*parseDetachKeys(""), std::string("\x10\x11"));
  EXPECT_EQ(*parseDetachKeys("ctrl-p,ctrl-q"), std::string("\x10\x11"));
  EXPECT_EQ(*parseDetachKeys("a,ctrl-@,ctrl-_"), std::string("a\x00\x1f", 3));
  EXPECT_FALSE(parseDetachKeys("ctrl-1").ok());
  EXPECT_FALSE(parseDetachKeys("foo").ok());
}

TEST(JsonFileLog, EntryFormatAndEscaping) {
  struct timespec ts {
    1700000000, 120000000
  };
  EXPECT_EQ(JsonFileLog::formatEntry("hello", false, StreamKind::kStdout, ts),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2023-11-14T22:13:20.12Z\"}\n");
  ts.tv_nsec = 0;
  EXPECT_EQ(JsonFileLog::formatEntry("a<b>&\"\\\t\r\x01", true, StreamKind::kStderr, ts),
            "{\"log\":\"a\\u003cb\\u003e\\u0026\\\"\\\\\\u0009\\r\\u0001\",\"stream\":\"stderr\","
            "\"time\":\"2023-11-14T22:13:20Z\"}\n");
  // Invalid UTF-8 → U+FFFD; valid multi-byte passes; U+2028 is escaped.
  EXPECT_EQ(JsonFileLog::formatEntry("\xff\xc3\xa9\xe2\x80\xa8", true, StreamKind::kStdout, ts),
            "{\"log\":\"\\ufffd\xc3\xa9\\u2028\",\"stream\":\"stdout\","
            "\"time\":\"2023-11-14T22:13:20Z\"}\n");
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-shimtest-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    if (p != nullptr) path_ = p;
  }
  ~TempDir() {
    if (!path_.empty()) (void)removeAll(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<json> readLogLines(const std::string& path) {
  std::vector<json> out;
  auto text = readFile(path);
  if (!text) return out;
  for (const std::string& line : split(*text, '\n')) {
    if (line.empty()) continue;
    out.push_back(json::parse(line, nullptr, false));
  }
  return out;
}

TEST(JsonFileLog, LinesPartialsAndStreams) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/c-json.log";
  auto log = JsonFileLog::open(path, 0, 1);
  ASSERT_TRUE(log.ok()) << log.error().message();
  ASSERT_TRUE(log->feed(StreamKind::kStdout, "one\ntw").ok());
  ASSERT_TRUE(log->feed(StreamKind::kStderr, "err\n").ok());
  ASSERT_TRUE(log->feed(StreamKind::kStdout, "o\n\n").ok());
  std::string big(JsonFileLog::kMaxLine + 10, 'x');
  ASSERT_TRUE(log->feed(StreamKind::kStdout, big).ok());
  ASSERT_TRUE(log->finish(StreamKind::kStdout).ok());
  auto lines = readLogLines(path);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0]["log"], "one\n");
  EXPECT_EQ(lines[1]["log"], "err\n");
  EXPECT_EQ(lines[1]["stream"], "stderr");
  EXPECT_EQ(lines[2]["log"], "two\n");
  EXPECT_EQ(lines[3]["log"], "\n");
  EXPECT_EQ(lines[4]["log"], std::string(JsonFileLog::kMaxLine, 'x'));  // partial: no "\n"
  EXPECT_EQ(lines[5]["log"], std::string(10, 'x'));
  EXPECT_EQ(lines[4]["time"], lines[5]["time"]);  // pieces of one line share its time
}

TEST(JsonFileLog, Rotation) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/c-json.log";
  auto log = JsonFileLog::open(path, 100, 3);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(log->feed(StreamKind::kStdout, "line-" + std::to_string(i) + "\n").ok());
  }
  EXPECT_TRUE(pathExists(path + ".1"));
  EXPECT_TRUE(pathExists(path + ".2"));
  EXPECT_FALSE(pathExists(path + ".3"));
  auto current = readLogLines(path);
  ASSERT_FALSE(current.empty());
  EXPECT_EQ(current.back()["log"], "line-19\n");
  // Each entry is ~75 bytes: a file holds two entries before it reaches 100 bytes.
  EXPECT_EQ(readLogLines(path + ".1").size(), 2u);
}

TEST(Protocol, ExitRecordAndErrorsRoundTrip) {
  ExitRecord r{137, 9, true, "2024-01-01T00:00:00.5Z", "2024-01-01T00:00:01Z"};
  auto back = exitRecordFromJson(exitRecordToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->signal, 9);
  EXPECT_TRUE(back->oom_killed);
  EXPECT_EQ(back->started_at, r.started_at);
  Error e = errorFromReply(errorReply(Error(ErrorCode::kNotFound, "exec: \"x\": nope", 2)));
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.message(), "exec: \"x\": nope");
  EXPECT_EQ(e.sysErrno(), 2);
}

TEST(ShimConfig, ArgsRoundTrip) {
  ShimConfig c;
  c.id = "abc";
  c.bundle = "/b";
  c.runtime_root = "/r";
  c.state_dir = "/s";
  c.log_path = "";
  c.log_max_size = 1234;
  c.log_max_files = 3;
  c.tty = true;
  c.stdin_once = true;
  c.ready_fd = 3;
  std::vector<std::string> args = shimArgs(c);
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  auto back = parseShimArgs(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->id, "abc");
  EXPECT_EQ(back->log_path, "");
  EXPECT_EQ(back->log_max_size, 1234u);
  EXPECT_EQ(back->log_max_files, 3);
  EXPECT_TRUE(back->tty);
  EXPECT_FALSE(back->open_stdin);
  EXPECT_TRUE(back->stdin_once);
  EXPECT_EQ(back->ready_fd, 3);
  EXPECT_EQ(back->seccomp_cache_dir, "");
  c.seccomp_cache_dir = "/run/berth/seccomp";
  args = shimArgs(c);
  argv.clear();
  for (auto& a : args) argv.push_back(a.c_str());
  back = parseShimArgs(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->seccomp_cache_dir, "/run/berth/seccomp");
}

// ---- real shims (root) ----

std::string randomId() {
  std::random_device rd;
  std::string id;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) id += kHex[rd() % 16];
  return id;
}

// Reads until EOF (or the deadline).
std::string readAll(int fd, int timeout_ms = 20000) {
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) break;
    struct pollfd p {
      fd, POLLIN, 0
    };
    if (::poll(&p, 1, left) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::vector<std::pair<int, std::string>> parseFrames(const std::string& data, bool* ok) {
  std::vector<std::pair<int, std::string>> frames;
  *ok = true;
  std::size_t off = 0;
  while (off < data.size()) {
    if (data.size() - off < 8) {
      *ok = false;
      break;
    }
    auto u = [&](std::size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(data[off + i]));
    };
    if (u(1) != 0 || u(2) != 0 || u(3) != 0) *ok = false;
    uint32_t len = (u(4) << 24) | (u(5) << 16) | (u(6) << 8) | u(7);
    if (data.size() - off - 8 < len) {
      *ok = false;
      break;
    }
    frames.emplace_back(static_cast<int>(u(0)), data.substr(off + 8, len));
    off += 8 + len;
  }
  return frames;
}

// All bytes of one stream, frames joined.
std::string streamOf(const std::vector<std::pair<int, std::string>>& frames, int stream) {
  std::string out;
  for (const auto& [s, d] : frames) {
    if (s == stream) out += d;
  }
  return out;
}

long vmRssKb(pid_t pid) {
  auto text = readFile("/proc/" + std::to_string(pid) + "/status");
  if (!text) return -1;
  for (const std::string& line : split(*text, '\n')) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (creates containers)";
    if (!pathExists("/bin/busybox")) GTEST_SKIP() << "needs busybox-static";
    ASSERT_FALSE(dir_.path().empty());
    std::string cmd = std::string(BERTH_SOURCE_DIR) + "/scripts/make-busybox-rootfs " +
                      dir_.path() + "/bundle/rootfs >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    id_ = randomId();
  }

  void TearDown() override {
    for (auto& c : clients_) {
      (void)c.kill(SIGKILL, true);
      for (int i = 0; i < 500; ++i) {
        auto st = c.exitStatus();
        if (!st.ok() || st->has_value()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      auto pidfd = c.openPidfd();
      EXPECT_TRUE(c.shutdown().ok());
      if (pidfd.ok()) {
        struct pollfd p {
          pidfd->get(), POLLIN, 0
        };
        EXPECT_EQ(::poll(&p, 1, 10000), 1) << "shim did not exit";
      }
    }
    if (!id_.empty()) {
      glob_t g{};
      std::string pattern = "/sys/fs/cgroup/*/berth-shimtest-" + id_;
      ::glob(pattern.c_str(), 0, nullptr, &g);
      std::string unified = "/sys/fs/cgroup/berth-shimtest-" + id_;
      EXPECT_EQ(g.gl_pathc, 0u) << "cgroup left: " << (g.gl_pathc ? g.gl_pathv[0] : "");
      EXPECT_FALSE(pathExists(unified));
      ::globfree(&g);
    }
  }

  void writeSpec(const std::vector<std::string>& args, bool tty = false,
                 std::optional<int64_t> memory_limit = std::nullopt) {
    oci::Spec spec = oci::defaultSpec(false);
    spec.process->terminal = tty;
    spec.process->args = args;
    spec.root->path = "rootfs";
    spec.linux->cgroupsPath = "/berth-shimtest-" + id_;
    if (memory_limit) {
      if (!spec.linux->resources) spec.linux->resources.emplace();
      oci::LinuxMemory m;
      m.limit = *memory_limit;
      m.swap = *memory_limit;
      spec.linux->resources->memory = m;
    }
    ASSERT_TRUE(writeFile(dir_.path() + "/bundle/config.json", oci::specToJson(spec)).ok());
  }

  ShimSpawnOptions options() {
    ShimSpawnOptions o;
    o.shim_binary = BERTH_SHIM_BINARY;
    o.id = id_;
    o.bundle = dir_.path() + "/bundle";
    o.runtime_root = dir_.path() + "/runtime";
    o.state_dir = dir_.path() + "/shim";
    o.log_path = dir_.path() + "/c-json.log";
    return o;
  }

  // Spawns and remembers the shim for the cleanup.
  ShimClient* spawn(const ShimSpawnOptions& o) {
    auto c = ShimClient::spawn(o);
    EXPECT_TRUE(c.ok()) << c.error().message();
    if (!c.ok()) return nullptr;
    clients_.push_back(std::move(*c));
    return &clients_.back();
  }

  // Attaches one end of a socketpair (standing in for a hijacked HTTP connection).
  UniqueFd attach(ShimClient& c, const AttachOptions& o) {
    int sp[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    UniqueFd ours(sp[0]);
    auto r = c.attach(UniqueFd(sp[1]), o);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return ours;
  }

  // Waits through watchExit(), then reads the status.
  std::optional<ExitRecord> waitExit(ShimClient& c, int timeout_ms = 20000) {
    auto w = c.watchExit();
    EXPECT_TRUE(w.ok());
    if (!w.ok()) return std::nullopt;
    struct pollfd p {
      w->get(), POLLIN, 0
    };
    EXPECT_EQ(::poll(&p, 1, timeout_ms), 1) << "container did not exit";
    auto st = c.exitStatus();
    EXPECT_TRUE(st.ok());
    return st.ok() ? *st : std::nullopt;
  }

  TempDir dir_;
  std::string id_;
  std::vector<ShimClient> clients_;
};

TEST_F(ShimTest, RunLogsAttachesAndRecordsExit) {
  writeSpec({"sh", "-c", "echo hello; echo err >&2; exit 3"});
  ShimClient* c = spawn(options());
  ASSERT_NE(c, nullptr);
  UniqueFd conn = attach(*c, AttachOptions{});
  auto pid = c->start();
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  EXPECT_GT(*pid, 0);

  std::string data = readAll(conn.get());
  bool ok = false;
  auto frames = parseFrames(data, &ok);
  EXPECT_TRUE(ok) << "bad framing";
  EXPECT_EQ(streamOf(frames, 1), "hello\n");
  EXPECT_EQ(streamOf(frames, 2), "err\n");

  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 3);
  EXPECT_EQ(rec->signal, 0);
  EXPECT_FALSE(rec->oom_killed);
  EXPECT_FALSE(rec->started_at.empty());
  EXPECT_EQ(rec->finished_at.back(), 'Z');
  auto on_disk = readExitRecord(c->stateDir());
  ASSERT_TRUE(on_disk.ok());
  ASSERT_TRUE(on_disk->has_value());
  EXPECT_EQ((*on_disk)->exit_code, 3);

  auto lines = readLogLines(options().log_path);
  ASSERT_EQ(lines.size(), 2u);
  std::map<std::string, std::string> by_stream;
  for (auto& l : lines) {
    by_stream[l["stream"]] = l["log"];
    EXPECT_EQ(l["time"].get<std::string>().back(), 'Z');
  }
  EXPECT_EQ(by_stream["stdout"], "hello\n");
  EXPECT_EQ(by_stream["stderr"], "err\n");
  // A second attach after the exit gets EOF at once.
  UniqueFd late = attach(*c, AttachOptions{});
  EXPECT_EQ(readAll(late.get(), 5000), "");
}

TEST_F(ShimTest, TtyRawOutputAndResize) {
  writeSpec({"sh", "-c", "sleep 0.5; stty size; echo done"}, true);
  auto o = options();
  o.tty = true;
  ShimClient* c = spawn(o);
  ASSERT_NE(c, nullptr);
  AttachOptions a;
  a.multiplexed = false;
  UniqueFd conn = attach(*c, a);
  ASSERT_TRUE(c->start().ok());
  ASSERT_TRUE(c->resize(40, 100).ok());
  std::string data = readAll(conn.get());
  EXPECT_EQ(data, "40 100\r\ndone\r\n");
  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 0);
  auto lines = readLogLines(o.log_path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["log"], "40 100\r\n");
  EXPECT_EQ(lines[0]["stream"], "stdout");
}

TEST_F(ShimTest, TtyDetachKeysDetachOnlyThatClient) {
  writeSpec({"sh", "-c", "read line; echo got $line"}, true);
  auto o = options();
  o.tty = true;
  o.open_stdin = true;
  ShimClient* c = spawn(o);
  ASSERT_NE(c, nullptr);
  AttachOptions a;
  a.stdin = true;
  a.multiplexed = false;
  a.detach_keys = "ctrl-x";
  UniqueFd first = attach(*c, a);
  AttachOptions watcher;
  watcher.multiplexed = false;
  UniqueFd second = attach(*c, watcher);
  ASSERT_TRUE(c->start().ok());
  ASSERT_EQ(::write(first.get(), "\x18", 1), 1);
  // The detached client sees EOF while the container keeps running.
  readAll(first.get(), 5000);
  struct pollfd p {
    first.get(), POLLIN, 0
  };
  ASSERT_EQ(::poll(&p, 1, 0), 1);
  char ch;
  EXPECT_EQ(::read(first.get(), &ch, 1), 0);
  auto st = c->exitStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->has_value());
  UniqueFd again = attach(*c, AttachOptions{true, true, true, false, ""});
  ASSERT_EQ(::write(again.get(), "x\n", 2), 2);
  std::string out = readAll(second.get());
  EXPECT_NE(out.find("got x"), std::string::npos) << out;
  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 0);
}

TEST_F(ShimTest, StdinOnceClosesContainerStdin) {
  writeSpec({"cat"});
  auto o = options();
  o.open_stdin = true;
  o.stdin_once = true;
  ShimClient* c = spawn(o);
  ASSERT_NE(c, nullptr);
  AttachOptions a;
  a.stdin = true;
  UniqueFd conn = attach(*c, a);
  ASSERT_TRUE(c->start().ok());
  ASSERT_EQ(::write(conn.get(), "hi\n", 3), 3);
  ASSERT_EQ(::shutdown(conn.get(), SHUT_WR), 0);
  std::string data = readAll(conn.get());
  bool ok = false;
  auto frames = parseFrames(data, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(streamOf(frames, 1), "hi\n");
  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 0);
}

TEST_F(ShimTest, KillGives137) {
  writeSpec({"sleep", "100"});
  ShimClient* c = spawn(options());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->start().ok());
  // shutdown() refuses while the container runs.
  auto refused = c->shutdown();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(c->kill(SIGKILL, false).ok());
  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 137);
  EXPECT_EQ(rec->signal, SIGKILL);
}

TEST_F(ShimTest, OomKillIsRecorded) {
  // tail buffers /dev/zero looking for a newline until the memory cgroup's OOM killer stops it.
  writeSpec({"tail", "/dev/zero"}, false, 16 * 1024 * 1024);
  ShimClient* c = spawn(options());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->start().ok());
  auto rec = waitExit(*c, 60000);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 137);
  EXPECT_TRUE(rec->oom_killed);
}

TEST_F(ShimTest, ReconnectAfterClientIsGone) {
  writeSpec({"sh", "-c", "echo up; sleep 100"});
  pid_t shim_pid = -1, container_pid = -1;
  {
    auto first = ShimClient::spawn(options());
    ASSERT_TRUE(first.ok()) << first.error().message();
    shim_pid = first->shimPid();
    auto started = first->start();
    ASSERT_TRUE(started.ok());
    container_pid = *started;
  }  // the "daemon" forgets it
  // The shim is not our child: it was reparented (double fork, new session).
  EXPECT_NE(::getsid(shim_pid), ::getsid(0));
  auto again = ShimClient::connect(options().state_dir);
  ASSERT_TRUE(again.ok()) << again.error().message();
  clients_.push_back(*again);
  ShimClient& c = clients_.back();
  EXPECT_EQ(c.shimPid(), shim_pid);
  auto pid = c.containerPid();
  ASSERT_TRUE(pid.ok());
  EXPECT_EQ(*pid, container_pid);

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  long rss = vmRssKb(shim_pid);
  std::cout << "[ shim VmRSS while a container runs: " << rss << " kB ]" << std::endl;
  RecordProperty("shim_vmrss_kb", std::to_string(rss));
  EXPECT_GT(rss, 0);

  ASSERT_TRUE(c.kill(SIGKILL, false).ok());
  auto rec = waitExit(c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 137);
  auto gone = ShimClient::connect(dir_.path() + "/nothing-here");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), ErrorCode::kNotFound);
}

TEST_F(ShimTest, LogRotationWithTinyMaxSize) {
  writeSpec({"sh", "-c", "i=0; while [ $i -lt 30 ]; do echo line-$i; i=$((i+1)); done"});
  auto o = options();
  o.log_max_size = 200;
  o.log_max_files = 3;
  ShimClient* c = spawn(o);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->start().ok());
  auto rec = waitExit(*c);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->exit_code, 0);
  EXPECT_TRUE(pathExists(o.log_path + ".1"));
  EXPECT_TRUE(pathExists(o.log_path + ".2"));
  EXPECT_FALSE(pathExists(o.log_path + ".3"));
  auto current = readLogLines(o.log_path);
  ASSERT_FALSE(current.empty());
  EXPECT_EQ(current.back()["log"], "line-29\n");
  auto older = readLogLines(o.log_path + ".1");
  ASSERT_FALSE(older.empty());
  // Consecutive across the rotation.
  std::string last_old = older.back()["log"];
  std::string first_new = current.front()["log"];
  int a = std::atoi(last_old.c_str() + 5), b = std::atoi(first_new.c_str() + 5);
  EXPECT_EQ(b, a + 1);
  for (const std::string& f : {o.log_path, o.log_path + ".1", o.log_path + ".2"}) {
    auto text = readFile(f);
    ASSERT_TRUE(text.ok());
    EXPECT_LT(text->size(), 200u + 100u) << f;
  }
}

TEST_F(ShimTest, BadConfigReportsRuntimeError) {
  writeSpec({"nosuchcommand"});
  auto c = ShimClient::spawn(options());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("executable file not found"), std::string::npos)
      << c.error().message();
  EXPECT_FALSE(pathExists(options().state_dir + "/shim.sock"));
  auto gone = ShimClient::connect(options().state_dir);
  EXPECT_FALSE(gone.ok());
}

TEST_F(ShimTest, ShutdownBeforeStartDeletesCreatedContainer) {
  writeSpec({"sleep", "100"});
  auto c = ShimClient::spawn(options());
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto pidfd = c->openPidfd();
  ASSERT_TRUE(pidfd.ok());
  ASSERT_TRUE(c->shutdown().ok());
  struct pollfd p {
    pidfd->get(), POLLIN, 0
  };
  EXPECT_EQ(::poll(&p, 1, 10000), 1) << "shim did not exit";
  EXPECT_TRUE(c->shutdown().ok());  // idempotent
  EXPECT_FALSE(pathExists(options().runtime_root + "/" + id_));
}

}  // namespace
}  // namespace berth::shim

// ---- exec (exec_session.h) ----

namespace berth::shim {
namespace {

class ShimExecTest : public ShimTest {
 protected:
  // A started container running `sleep 100`.
  ShimClient* startSleeper() {
    writeSpec({"sleep", "100"});
    ShimClient* c = spawn(options());
    if (c == nullptr) return nullptr;
    auto pid = c->start();
    EXPECT_TRUE(pid.ok()) << pid.error().message();
    return c;
  }

  std::string process(const std::vector<std::string>& args, bool tty = false) {
    oci::Process p = *oci::defaultSpec(false).process;
    p.args = args;
    p.terminal = tty;
    return oci::processToJson(p, false);
  }

  // The exit code from an exit watch connection.
  std::optional<int> exitOf(ExecStarted& started) {
    struct pollfd p {
      started.exit_watch.get(), POLLIN, 0
    };
    EXPECT_EQ(::poll(&p, 1, 20000), 1) << "exec did not exit";
    auto code = readExecExit(started.exit_watch.get());
    EXPECT_TRUE(code.ok());
    return code.ok() ? *code : std::nullopt;
  }
};

TEST_F(ShimExecTest, PipesStdinHalfCloseAndExitCode) {
  ShimClient* c = startSleeper();
  ASSERT_NE(c, nullptr);
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd ours(sp[0]), theirs(sp[1]);
  ExecStartOptions o;
  o.exec_id = randomId();
  o.process_json = process({"sh", "-c", "cat; echo err >&2; exit 4"});
  o.stdin = o.stdout = o.stderr = true;
  auto started = c->exec(o, theirs.get());
  ASSERT_TRUE(started.ok()) << started.error().message();
  theirs.reset();
  EXPECT_GT(started->pid, 0);
  auto running = c->execStatus(o.exec_id);
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(::write(ours.get(), "hi\n", 3), 3);
  ASSERT_EQ(::shutdown(ours.get(), SHUT_WR), 0);
  std::string data = readAll(ours.get());
  bool ok = false;
  auto frames = parseFrames(data, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(streamOf(frames, 1), "hi\n");
  EXPECT_EQ(streamOf(frames, 2), "err\n");
  EXPECT_EQ(exitOf(*started), 4);
  auto done = c->execStatus(o.exec_id);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->running);
  EXPECT_EQ(done->exit_code, 4);
  // The same id cannot start twice; an unknown one is NotFound.
  EXPECT_EQ(c->exec(o, -1).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(c->execStatus("nope").error().code(), ErrorCode::kNotFound);
  // Exec output does not go to the container's log.
  EXPECT_TRUE(readLogLines(options().log_path).empty());
}

TEST_F(ShimExecTest, TtyRawOutputResizeAndDetached) {
  ShimClient* c = startSleeper();
  ASSERT_NE(c, nullptr);
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd ours(sp[0]), theirs(sp[1]);
  ExecStartOptions o;
  o.exec_id = randomId();
  o.process_json = process({"sh", "-c", "sleep 0.5; stty size; exit 2"}, true);
  o.stdout = o.stderr = true;
  auto started = c->exec(o, theirs.get());
  ASSERT_TRUE(started.ok()) << started.error().message();
  theirs.reset();
  ASSERT_TRUE(c->execResize(o.exec_id, 33, 77).ok());
  EXPECT_EQ(readAll(ours.get()), "33 77\r\n");
  EXPECT_EQ(exitOf(*started), 2);

  // Detached: no connection, the exit is still reported.
  ExecStartOptions d;
  d.exec_id = randomId();
  d.process_json = process({"sh", "-c", "exit 9"});
  auto detached = c->exec(d, -1);
  ASSERT_TRUE(detached.ok()) << detached.error().message();
  EXPECT_EQ(exitOf(*detached), 9);

  // A missing command fails the request with the runtime's error.
  ExecStartOptions bad;
  bad.exec_id = randomId();
  bad.process_json = process({"no-such-command"});
  auto failed = c->exec(bad, -1);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("executable file not found"), std::string::npos)
      << failed.error().message();
}

TEST_F(ShimExecTest, TtyDetachKeysLeaveTheProcessRunning) {
  ShimClient* c = startSleeper();
  ASSERT_NE(c, nullptr);
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd ours(sp[0]), theirs(sp[1]);
  ExecStartOptions o;
  o.exec_id = randomId();
  o.process_json = process({"sh", "-c", "read line; echo got $line; exit 6"}, true);
  o.stdin = o.stdout = o.stderr = true;
  o.detach_keys = "ctrl-x";
  auto started = c->exec(o, theirs.get());
  ASSERT_TRUE(started.ok()) << started.error().message();
  theirs.reset();
  // ctrl-x detaches this client: its stream ends, the process keeps running.
  ASSERT_EQ(::write(ours.get(), "\x18", 1), 1);
  readAll(ours.get(), 5000);
  auto status = c->execStatus(o.exec_id);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->running);
  // Killing the container ends it; the exit is still reported.
  ASSERT_TRUE(c->kill(SIGKILL, true).ok());
  EXPECT_EQ(exitOf(*started), 137);
}

TEST_F(ShimExecTest, ExecAfterExitIsConflict) {
  writeSpec({"true"});
  ShimClient* c = spawn(options());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->start().ok());
  ASSERT_TRUE(waitExit(*c).has_value());
  ExecStartOptions o;
  o.exec_id = randomId();
  o.process_json = process({"true"});
  auto r = c->exec(o, -1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kConflict);
}

}  // namespace
}  // namespace berth::shim
