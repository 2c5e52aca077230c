// System: info, version, system prune, and the raw API (ping headers, error bodies, versions).

#include <regex>

#include "engine_fixture.h"

namespace berth::e2e::engine {
namespace {

class SystemTest : public EngineTest {
 protected:
  // The header value (case-insensitive name) of a raw HTTP response; "" when absent.
  static std::string header(const std::string& resp, const std::string& name) {
    std::string lower_name = name;
    std::transform(lower_name.begin(), lower_name.end(), lower_name.begin(), ::tolower);
    for (const auto& line : splitLines(resp)) {
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      std::transform(key.begin(), key.end(), key.begin(), ::tolower);
      if (key == lower_name) return trim(line.substr(colon + 1));
    }
    return "";
  }
  static std::string body(const std::string& resp) {
    size_t p = resp.find("\r\n\r\n");
    return p == std::string::npos ? "" : resp.substr(p + 4);
  }
};
BERTH_ENGINE_SUITE(SystemTest);

TEST_P(SystemTest, InfoReportsDriverAndCounts) {
  runDetached({}, {"sleep", "100"});
  ASSERT_FALSE(HasFatalFailure());
  std::string done = runDetached({}, {"true"});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(waitStatus(done, "exited"));
  ProcResult r = cli({"info", "--format",
                      "{{.Driver}} {{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} "
                      "{{.Images}}"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::smatch m;
  std::string out = trim(r.out);
  ASSERT_TRUE(std::regex_match(out, m, std::regex("(\\S+) 2 1 1 1"))) << out;
  std::string driver = m[1];
  EXPECT_TRUE(driver == "overlay2" || driver == "overlay" || driver == "vfs") << driver;
  r = cli({"info", "--format", "{{.OSType}} {{.Architecture}} {{.NCPU}} {{json .DockerRootDir}}"});
  EXPECT_TRUE(std::regex_match(trim(r.out), std::regex("linux x86_64 [1-9][0-9]* \"" +
                                                       daemon()->dir() + "/root\"")))
      << r.describe();
  r = cli({"info", "--format", "{{.MemTotal}}"});
  EXPECT_GT(std::stoll("0" + trim(r.out)), 100LL * 1024 * 1024) << r.describe();
  // The daemon's own figures: open fds, threads (goroutines in dockerd).
  r = cli({"info", "--format", "{{.NFd}} {{.NGoroutines}}"});
  EXPECT_TRUE(std::regex_match(trim(r.out), std::regex("[1-9][0-9]* [1-9][0-9]*"))) << r.describe();
  // The plain output works too.
  r = cli({"info"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Storage Driver: " + driver), std::string::npos) << r.out;
}

TEST_P(SystemTest, VersionShowsClientAndServer) {
  ProcResult r = cli({"version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(std::regex_match(trim(r.out), std::regex("1\\.[0-9]+ linux"))) << r.out;
  r = cli({"version"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Client:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Server:"), std::string::npos) << r.out;
}

TEST_P(SystemTest, SystemPruneRemovesStoppedContainersAndDanglingImages) {
  std::string up = runDetached({}, {"sleep", "100"});
  ASSERT_FALSE(HasFatalFailure());
  std::string done = runDetached({}, {"true"});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(waitStatus(done, "exited"));
  std::string done_id = trim(docker({"inspect", "-f", "{{.Id}}", done}).out);
  // A dangling image: tag, then re-tag another image with the same name.
  ProcResult imp = runCommand({"sh", "-c",
                               "d=$(mktemp -d) && " + sourceDir() +
                                   "/scripts/make-busybox-rootfs $d && tar -C $d -cf $d.tar . "
                                   "&& echo $d.tar"});
  ASSERT_EQ(imp.exit_code, 0) << imp.describe();
  std::string tarball = trim(imp.out);
  ProcResult first = docker({"import", "-c", "ENV V=1", tarball, "dangle:1"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  ASSERT_EQ(docker({"import", "-c", "ENV V=2", tarball, "dangle:1"}).exit_code, 0);
  runCommand({"sh", "-c", "rm -rf \"$(dirname " + tarball + ")\"/$(basename " + tarball +
                              " .tar) " + tarball});
  std::string dangling = trim(first.out);
  ASSERT_EQ(trim(docker({"image", "inspect", "-f", "{{.Id}}", dangling}).out), dangling);

  ProcResult r = cli({"system", "prune", "-f"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Deleted Containers:\n" + done_id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Total reclaimed space:"), std::string::npos) << r.out;
  EXPECT_TRUE(inspect(done).is_null());
  EXPECT_EQ(inspect(up)["State"]["Status"], "running");
  EXPECT_NE(docker({"image", "inspect", dangling}).exit_code, 0);  // dangling image gone
  EXPECT_EQ(docker({"image", "inspect", "dangle:1"}).exit_code, 0);  // tagged one kept
  EXPECT_EQ(docker({"image", "inspect", "busybox"}).exit_code, 0);   // used one kept
}

TEST_P(SystemTest, PingVersionsAndErrorBodies) {
  if (isBerthCli()) GTEST_SKIP() << "raw API test: the CLI parameter does not matter";
  std::string resp = daemon()->httpGet("/_ping");
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  EXPECT_EQ(body(resp), "OK");
  EXPECT_FALSE(header(resp, "API-Version").empty()) << resp;
  EXPECT_EQ(header(resp, "OSType"), "linux") << resp;
  EXPECT_FALSE(header(resp, "Docker-Experimental").empty()) << resp;

  resp = daemon()->httpGet("/v1.41/version");
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  std::string b = body(resp);
  if (header(resp, "Transfer-Encoding") == "chunked") {
    b = b.substr(b.find("\r\n") + 2);
    b = b.substr(0, b.rfind("}") + 1);
  }
  Json v = Json::parse(b, nullptr, false);
  ASSERT_TRUE(v.is_object()) << resp;
  EXPECT_EQ(v["Os"], "linux");
  // dockerd 20.10 accepts 1.12; the issue sets berth's minimum at 1.24.
  EXPECT_EQ(v["MinAPIVersion"], isDockerd() ? "1.12" : "1.24");
  resp = daemon()->httpGet("/v1.24/version");
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  if (!isDockerd()) {
    resp = daemon()->httpGet("/v1.23/version");
    EXPECT_EQ(resp.rfind("HTTP/1.1 400", 0), 0u) << resp;
  }

  resp = daemon()->httpGet("/containers/no-such-thing/json");
  EXPECT_EQ(resp.rfind("HTTP/1.1 404", 0), 0u) << resp;
  EXPECT_NE(resp.find("{\"message\":\"No such container: no-such-thing\"}"), std::string::npos)
      << resp;
  resp = daemon()->httpGet("/v1.99/version");  // newer than the daemon
  EXPECT_EQ(resp.rfind("HTTP/1.1 400", 0), 0u) << resp;
  resp = daemon()->httpGet("/v1.41/no/such/endpoint");
  EXPECT_EQ(resp.rfind("HTTP/1.1 404", 0), 0u) << resp;
}

}  // namespace
}  // namespace berth::e2e::engine
