#include "tls/tls.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/file_util.h"

namespace berth::tls {
namespace {

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with the
// openssl command once per test program; plus a second, unrelated CA.
class Certs {
 public:
  static const Certs& get() {
    static Certs certs;
    return certs;
  }
  std::string dir;
  bool ok = false;

  std::string path(const std::string& name) const { return dir + "/" + name; }

 private:
  Certs() {
    char tmpl[] = "/tmp/berth-tls-test.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    std::string script = "set -e; cd " + dir + R"(
      q() { "$@" >/dev/null 2>&1; }
      q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=berth-test-ca
      q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca-key.pem -out other-ca.pem -days 2 -subj /CN=other-ca
      q openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
      q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext
      q openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client
      printf 'extendedKeyUsage=clientAuth\n' > client.ext
      q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext
    )";
    ok = writeFile(dir + "/make-certs.sh", script).ok() &&
         std::system(("bash " + dir + "/make-certs.sh").c_str()) == 0;
  }
  ~Certs() {
    if (!dir.empty()) (void)removeAll(dir);
  }
};

// A loopback TCP listener; accept() hands connections to acceptTlsBridge.
class TlsServer {
 public:
  explicit TlsServer(TlsContext ctx) : ctx_(std::move(ctx)) {
    listen_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_.get(), 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }

  // Accepts one connection and bridges it; the plain end arrives in plain().
  void acceptOne() {
    UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(conn);
    acceptTlsBridge(std::move(conn), ctx_, [this](UniqueFd plain) {
      std::lock_guard lock(mu_);
      plain_ = std::move(plain);
      cv_.notify_all();
    });
  }
  // The plain end of the accepted connection, once its handshake is done (nullopt after 10 s).
  std::optional<UniqueFd> plain(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return plain_.valid(); })) {
      return std::nullopt;
    }
    return std::move(plain_);
  }

  UniqueFd connect() const {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
    return fd;
  }

 private:
  TlsContext ctx_;
  UniqueFd listen_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  UniqueFd plain_;
};

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF (or error, or 10 s of silence).
std::string readToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return out;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Certs::get().ok) << "the openssl command could not make test certificates";
  }
  const Certs& certs() { return Certs::get(); }
  TlsFiles serverFiles(bool verify) {
    return {certs().path("ca.pem"), certs().path("server.pem"), certs().path("server-key.pem"),
            verify};
  }
  TlsFiles clientFiles(bool verify, bool with_cert = true, const std::string& ca = "ca.pem") {
    return {certs().path(ca), with_cert ? certs().path("cert.pem") : "",
            with_cert ? certs().path("key.pem") : "", verify};
  }
};

TEST_F(TlsTest, MutualTlsCarriesBytesBothWaysWithHalfClose) {
  auto server_ctx = TlsContext::server(serverFiles(true));
  ASSERT_TRUE(server_ctx.ok()) << server_ctx.error().message();
  auto client_ctx = TlsContext::client(clientFiles(true));
  ASSERT_TRUE(client_ctx.ok()) << client_ctx.error().message();
  TlsServer server(*server_ctx);
  UniqueFd tcp = server.connect();
  ASSERT_TRUE(tcp);
  std::thread accepter([&] { server.acceptOne(); });
  auto client = connectTlsBridge(std::move(tcp), *client_ctx, "127.0.0.1");
  accepter.join();
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto plain = server.plain();
  ASSERT_TRUE(plain.has_value());

  // 3 MB each way at once, then the client half-closes: the server side reads EOF, answers,
  // and closes; the client reads the answer and EOF.
  std::string up(3u << 20, 'u'), down(3u << 20, 'd');
  for (size_t i = 0; i < up.size(); i += 4099) up[i] = static_cast<char>('a' + i % 26);
  std::string server_got;
  std::thread server_side([&] {
    std::thread writer([&] { EXPECT_TRUE(writeAll(plain->get(), down)); });
    server_got = readToEof(plain->get());
    writer.join();
    EXPECT_TRUE(writeAll(plain->get(), "bye"));
    plain->reset();
  });
  std::thread client_writer([&] {
    EXPECT_TRUE(writeAll(client->get(), up));
    ::shutdown(client->get(), SHUT_WR);
  });
  std::string client_got = readToEof(client->get());
  client_writer.join();
  server_side.join();
  EXPECT_EQ(server_got.size(), up.size());
  EXPECT_TRUE(server_got == up);
  EXPECT_EQ(client_got, down + "bye");
}

TEST_F(TlsTest, ClientRejectsAServerItCannotVerify) {
  auto server_ctx = TlsContext::server(serverFiles(false));
  ASSERT_TRUE(server_ctx.ok());
  TlsServer server(*server_ctx);
  for (auto [ca, name] : {std::pair<std::string, std::string>{"other-ca.pem", "127.0.0.1"},
                          {"ca.pem", "not-this-host.example"}}) {
    auto client_ctx = TlsContext::client(clientFiles(true, false, ca));
    ASSERT_TRUE(client_ctx.ok());
    UniqueFd tcp = server.connect();
    std::thread accepter([&] { server.acceptOne(); });
    auto client = connectTlsBridge(std::move(tcp), *client_ctx, name);
    accepter.join();
    ASSERT_FALSE(client.ok()) << ca << " " << name;
    EXPECT_NE(client.error().message().find("certificate verify failed"), std::string::npos)
        << client.error().message();
  }
  // Without --tlsverify the client takes any certificate (docker's --tls).
  auto lax = TlsContext::client(clientFiles(false, false, "other-ca.pem"));
  ASSERT_TRUE(lax.ok());
  UniqueFd tcp = server.connect();
  std::thread accepter([&] { server.acceptOne(); });
  auto client = connectTlsBridge(std::move(tcp), *lax, "127.0.0.1");
  accepter.join();
  EXPECT_TRUE(client.ok()) << client.error().message();
  EXPECT_TRUE(server.plain().has_value());  // (and the server is done with `server`)
}

TEST_F(TlsTest, VerifyingServerRefusesClientWithoutCertificate) {
  auto server_ctx = TlsContext::server(serverFiles(true));
  ASSERT_TRUE(server_ctx.ok());
  auto client_ctx = TlsContext::client(clientFiles(true, false));
  ASSERT_TRUE(client_ctx.ok());
  TlsServer server(*server_ctx);
  UniqueFd tcp = server.connect();
  std::thread accepter([&] { server.acceptOne(); });
  auto client = connectTlsBridge(std::move(tcp), *client_ctx, "127.0.0.1");
  accepter.join();
  // With TLS 1.3 the client's handshake ends before the server checks its certificate; then
  // the connection just ends. Either way nothing reaches the server's plain side.
  if (client.ok()) {
    EXPECT_TRUE(writeAll(client->get(), "GET / HTTP/1.1\r\n\r\n") || true);
    EXPECT_EQ(readToEof(client->get()), "");
  }
  EXPECT_FALSE(server.plain(std::chrono::milliseconds(300)).has_value());
}

TEST_F(TlsTest, ContextErrorsNameTheFile) {
  TlsFiles files = serverFiles(true);
  files.key = certs().path("missing-key.pem");
  auto r = TlsContext::server(files);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("missing-key.pem"), std::string::npos);
  files = serverFiles(true);
  files.ca = "";
  EXPECT_FALSE(TlsContext::server(files).ok());
  files = serverFiles(false);
  files.key = certs().path("key.pem");  // the client's key: does not match
  auto mismatch = TlsContext::server(files);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message().find("/key.pem"), std::string::npos)
      << mismatch.error().message();
  EXPECT_FALSE(TlsContext::client({"", certs().path("cert.pem"), "", false}).ok());
}

}  // namespace
}  // namespace berth::tls
