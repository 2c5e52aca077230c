// TLS on tcp://: a daemon started with --tlsverify and its own CA, driven over HTTPS by the
// docker CLI and by berth (DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, and the --tls* flags).

#include <netinet/in.h>
#include <sys/socket.h>

#include "engine_fixture.h"

namespace berth::e2e::engine {
namespace {

// A free loopback TCP port (bound and released: another process could take it in between,
// which only makes the daemon fail to start, loudly).
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class TlsTest : public EngineTest {
 protected:
  bool wantsOwnDaemon() const override { return true; }

  Daemon::Options ownDaemonOptions() override {
    certs_ = makeTempDir("berth-e2e-tls-");
    // A CA, a server certificate for 127.0.0.1 and a client certificate (openssl command).
    std::string script = "set -e; cd " + certs_ + R"(
      q() { "$@" >/dev/null 2>&1; }
      q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=e2e-ca
      q openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
      q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext
      q openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client
      printf 'extendedKeyUsage=clientAuth\n' > client.ext
      q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext
    )";
    ProcResult made = runCommand({"bash", "-c", script});
    EXPECT_EQ(made.exit_code, 0) << made.describe();
    port_ = freePort();
    tcp_host_ = "tcp://127.0.0.1:" + std::to_string(port_);
    return {.live_restore = true,
            .extra_args = {"-H", tcp_host_, "--tlsverify", "--tlscacert", certs_ + "/ca.pem",
                           "--tlscert", certs_ + "/server-cert.pem", "--tlskey",
                           certs_ + "/server-key.pem"}};
  }

  void TearDown() override {
    EngineTest::TearDown();
    if (!certs_.empty()) runCommand({"rm", "-rf", certs_});
  }

  // The CLI under test against the TLS port (-H), with `env` added.
  ProcResult overTls(const std::vector<std::string>& args,
                     std::map<std::string, std::string> env, const std::string& stdin_data = "") {
    RunOptions opts;
    opts.env = std::move(env);
    opts.stdin_data = stdin_data;
    std::vector<std::string> argv = {"-H", tcp_host_};  // (the fixture sets DOCKER_HOST)
    argv.insert(argv.end(), args.begin(), args.end());
    return cli(argv, opts);
  }
  std::map<std::string, std::string> verifyEnv() const {
    return {{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", certs_}};
  }

  std::string certs_;
  std::string tcp_host_;
  int port_ = -1;
};

TEST_P(TlsTest, MutualTlsCarriesRequestsAndHijackedStreams) {
  ProcResult version = overTls({"version", "--format", "{{.Server.APIVersion}}"}, verifyEnv());
  ASSERT_EQ(version.exit_code, 0) << version.describe();
  EXPECT_FALSE(trim(version.out).empty());

  // Attach and stdin over the TLS bridge, closed at EOF.
  ProcResult run = overTls({"run", "--rm", "-i", "--network", "none", "--pull=never", "busybox",
                            "sh", "-c", "cat; echo done"},
                           verifyEnv(), "through tls\n");
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "through tls\ndone\n");

  // The same with the flags instead of the environment.
  ProcResult flags = overTls({"--tlsverify", "--tlscacert", certs_ + "/ca.pem", "--tlscert",
                              certs_ + "/cert.pem", "--tlskey", certs_ + "/key.pem", "run",
                              "--rm", "--network", "none", "--pull=never", "busybox", "echo",
                              "flags"},
                             {{"DOCKER_CERT_PATH", "/nonexistent"}});
  ASSERT_EQ(flags.exit_code, 0) << flags.describe();
  EXPECT_EQ(flags.out, "flags\n");

  // The unix socket is still plain HTTP.
  ProcResult local = cli({"version", "--format", "{{.Server.APIVersion}}"});
  EXPECT_EQ(local.exit_code, 0) << local.describe();
}

TEST_P(TlsTest, ClientsWithoutTrustOrCertificateAreRefused) {
  // No client certificate: the daemon refuses the connection.
  ProcResult no_cert = overTls({"--tlsverify", "--tlscacert", certs_ + "/ca.pem", "ps"},
                               {{"DOCKER_CERT_PATH", "/nonexistent"}});
  EXPECT_NE(no_cert.exit_code, 0) << no_cert.describe();
  EXPECT_NE(no_cert.err.find("certificate"), std::string::npos) << no_cert.describe();

  // A CA that did not sign the server's certificate: the client refuses the daemon.
  std::string other = scratch() + "/other";
  ProcResult made = runCommand(
      {"bash", "-c",
       "mkdir -p " + other + " && cd " + other +
           " && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out ca.pem -days 1 "
           "-subj /CN=other >/dev/null 2>&1 && cp " + certs_ + "/cert.pem " + certs_ +
           "/key.pem ."});
  ASSERT_EQ(made.exit_code, 0) << made.describe();
  ProcResult untrusted =
      overTls({"ps"}, {{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", other}});
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.describe();
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.describe();

  // Plain HTTP to the TLS port gets no API answer.
  ProcResult plain = overTls({"ps"}, {{"DOCKER_TLS_VERIFY", ""}, {"DOCKER_CERT_PATH", ""}});
  EXPECT_NE(plain.exit_code, 0) << plain.describe();
}

BERTH_ENGINE_SUITE(TlsTest);

}  // namespace
}  // namespace berth::e2e::engine
