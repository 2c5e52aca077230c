#include "api/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "api/router.h"
#include "base/file_util.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// --- A tiny HTTP client over a raw socket --------------------------------------------------------

UniqueFd connectUnix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

UniqueFd connectTcp(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<std::pair<Clock::time_point, std::string>> chunks;
};

class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  // False on EOF/error (or after 10 s without data).
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }
  bool readLine(std::string* line) {
    while (true) {
      size_t pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        *line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return true;
      }
      if (!fill()) return false;
    }
  }
  bool readN(size_t n, std::string* out) {
    while (buf_.size() < n) {
      if (!fill()) return false;
    }
    *out = buf_.substr(0, n);
    buf_.erase(0, n);
    return true;
  }
  std::string takeBuffered() { return std::exchange(buf_, {}); }
  // True if the peer closed the connection (after whatever is buffered).
  bool atEof() { return buf_.empty() && !fill(); }

  // Reads one response; `head_only` for HEAD and hijack (no body).
  bool readResponse(Response* r, bool head_only = false) {
    std::string line;
    if (!readLine(&line)) return false;
    if (line.rfind("HTTP/1.1 ", 0) != 0) return false;
    r->status = std::atoi(line.c_str() + 9);
    while (readLine(&line) && !line.empty()) {
      auto [name, value] = splitOnce(line, ':');
      r->headers[toLower(name)] = std::string(trim(value));
    }
    if (head_only || r->status == 204 || r->status == 304 || r->status == 101) return true;
    if (r->headers["transfer-encoding"] == "chunked") {
      while (true) {
        if (!readLine(&line)) return false;
        size_t size = std::stoul(line, nullptr, 16);
        std::string data;
        if (!readN(size + 2, &data)) return false;
        if (size == 0) return true;
        data.resize(size);
        r->chunks.emplace_back(Clock::now(), data);
        r->body += data;
      }
    }
    if (r->headers.count("content-length")) {
      return readN(std::stoul(r->headers["content-length"]), &r->body);
    }
    while (fill()) {
    }
    r->body = takeBuffered();
    return true;
  }

 private:
  int fd_;
  std::string buf_;
};

Response roundTrip(int fd, const std::string& request, bool head_only = false) {
  Response r;
  EXPECT_TRUE(sendAll(fd, request));
  Reader reader(fd);
  EXPECT_TRUE(reader.readResponse(&r, head_only));
  return r;
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: docker\r\n" + extra + "\r\n";
}

std::string runCommand(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (status) *status = rc;
  return out;
}

// --- Fixture: a server on a temp unix socket and a loopback port ----------------------------------

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-http-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/docker.sock";
    router_.add("GET", "/_ping", [](Request&, ResponseWriter& w) {
      w.setHeader("Cache-Control", "no-cache, no-store, must-revalidate");
      w.send(200, "text/plain; charset=utf-8", "OK");
    });
    router_.add("HEAD", "/_ping", [](Request&, ResponseWriter& w) {
      w.send(200, "text/plain; charset=utf-8", "OK");
    });
    router_.add("GET", "/version", [](Request&, ResponseWriter& w) {
      w.sendJson(200,
                 R"({"Platform":{"Name":"berth"},"Components":[{"Name":"Engine","Version":"0.1.0",)"
                 R"("Details":{"ApiVersion":"1.43","MinAPIVersion":"1.24","Os":"linux",)"
                 R"("Arch":"amd64","KernelVersion":"","GitCommit":"","GoVersion":"none"}}],)"
                 R"("Version":"0.1.0","ApiVersion":"1.43","MinAPIVersion":"1.24",)"
                 R"("GitCommit":"unknown","GoVersion":"none","Os":"linux","Arch":"amd64",)"
                 R"("KernelVersion":"6.0","BuildTime":"2024-01-01T00:00:00Z"})");
    });
  }

  void TearDown() override {
    server_.reset();
    (void)removeAll(dir_);
  }

  void startServer(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(router_.asHandler(), options);
    auto unix_addr = server_->addListener("unix://" + sock_);
    ASSERT_TRUE(unix_addr.ok()) << unix_addr.error().message();
    auto tcp_addr = server_->addListener("tcp://127.0.0.1:0");
    ASSERT_TRUE(tcp_addr.ok()) << tcp_addr.error().message();
    port_ = std::atoi(tcp_addr->substr(tcp_addr->rfind(':') + 1).c_str());
    ASSERT_GT(port_, 0);
    ASSERT_TRUE(server_->start(2).ok());
  }

  std::string dir_;
  std::string sock_;
  int port_ = 0;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, PingHasDockerHeaders) {
  startServer();
  struct stat st {};
  ASSERT_EQ(::lstat(sock_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  for (int tcp = 0; tcp < 2; ++tcp) {
    UniqueFd fd = tcp ? connectTcp(port_) : connectUnix(sock_);
    ASSERT_TRUE(fd.valid());
    Response r = roundTrip(fd.get(), get("/_ping"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "OK");
    EXPECT_EQ(r.headers["api-version"], "1.43");
    EXPECT_EQ(r.headers["docker-experimental"], "false");
    EXPECT_EQ(r.headers["ostype"], "linux");
    EXPECT_EQ(r.headers["server"], "berth/0.1.0 (linux)");
    EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
    EXPECT_EQ(r.headers["cache-control"], "no-cache, no-store, must-revalidate");
  }
  UniqueFd fd = connectUnix(sock_);
  Response head = roundTrip(fd.get(), "HEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n", true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["api-version"], "1.43");
  // No body follows a HEAD response: the next response on the connection starts right away.
  Response next = roundTrip(fd.get(), get("/v1.43/_ping"));
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "OK");

  Response missing = roundTrip(fd.get(), get("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{\"message\":\"page not found\"}\n");
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  startServer();
  UniqueFd fd = connectUnix(sock_);
  Reader reader(fd.get());
  ASSERT_TRUE(sendAll(fd.get(), get("/_ping") + get("/version")));  // pipelined as well
  Response a, b;
  ASSERT_TRUE(reader.readResponse(&a));
  ASSERT_TRUE(reader.readResponse(&b));
  EXPECT_EQ(a.body, "OK");
  EXPECT_EQ(b.status, 200);
  EXPECT_NE(b.body.find("\"ApiVersion\":\"1.43\""), std::string::npos);
  // HTTP/1.0 without keep-alive: the server closes after the response.
  ASSERT_TRUE(sendAll(fd.get(), "GET /_ping HTTP/1.0\r\n\r\n"));
  Response c;
  ASSERT_TRUE(reader.readResponse(&c));
  EXPECT_EQ(c.headers["connection"], "close");
  EXPECT_TRUE(reader.atEof());
}

TEST_F(ServerTest, CurlOverUnixSocketAndTcp) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  startServer();
  EXPECT_EQ(runCommand("curl -sS --unix-socket " + sock_ + " http://docker/_ping"), "OK");
  EXPECT_EQ(runCommand("curl -sS http://127.0.0.1:" + std::to_string(port_) + "/v1.43/_ping"),
            "OK");
  std::string headers = runCommand("curl -sS -I --unix-socket " + sock_ + " http://docker/_ping");
  EXPECT_NE(headers.find("Api-Version: 1.43"), std::string::npos) << headers;
  std::string old = runCommand("curl -sS --unix-socket " + sock_ + " http://docker/v1.12/_ping");
  EXPECT_EQ(old,
            "client version 1.12 is too old. Minimum supported API version is 1.24, please "
            "upgrade your client to a newer version\n");
}

TEST_F(ServerTest, StreamedResponseArrivesIncrementally) {
  router_.add("GET", "/events", [](Request&, ResponseWriter& w) {
    ASSERT_TRUE(w.beginStream(200, "application/json"));
    for (int i = 0; i < 3; ++i) {
      if (i > 0) std::this_thread::sleep_for(300ms);
      ASSERT_TRUE(w.write("{\"n\":" + std::to_string(i) + "}\n"));
    }
    w.end();
  });
  startServer();
  UniqueFd fd = connectTcp(port_);
  Response r = roundTrip(fd.get(), get("/events"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  ASSERT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.body, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
  // Each chunk was flushed when written, not at the end.
  EXPECT_GT(r.chunks[1].first - r.chunks[0].first, 200ms);
  EXPECT_GT(r.chunks[2].first - r.chunks[1].first, 200ms);
  // The connection is still usable.
  Response again = roundTrip(fd.get(), get("/_ping"));
  EXPECT_EQ(again.body, "OK");
}

// A 50 MB upload read through the body stream in pieces while the client is still sending.
TEST_F(ServerTest, LargeUploadIsStreamed) {
  constexpr size_t kSize = 50u << 20;
  std::atomic<size_t> client_sent{0};
  std::atomic<size_t> sent_at_first_read{0};
  std::atomic<size_t> reads{0};
  std::atomic<size_t> largest_read{0};
  router_.add("POST", "/images/load", [&](Request& req, ResponseWriter& w) {
    std::vector<char> buf(65536);
    size_t total = 0;
    uint64_t sum = 0;
    while (true) {
      auto n = req.body().read(buf.data(), buf.size());
      if (!n.ok()) {
        w.sendError(n.error());
        return;
      }
      if (*n == 0) break;
      if (total == 0) sent_at_first_read = client_sent.load();
      ++reads;
      largest_read = std::max(largest_read.load(), *n);
      for (size_t i = 0; i < *n; ++i) sum += static_cast<unsigned char>(buf[i]);
      total += *n;
    }
    w.sendJson(200, "{\"total\":" + std::to_string(total) + ",\"sum\":" + std::to_string(sum) +
                        "}");
  });
  startServer();
  UniqueFd fd = connectUnix(sock_);
  ASSERT_TRUE(sendAll(fd.get(), "POST /v1.43/images/load HTTP/1.1\r\nHost: d\r\nContent-Type: "
                                "application/x-tar\r\nContent-Length: " +
                                    std::to_string(kSize) + "\r\n\r\n"));
  std::string block(1 << 20, '\0');
  uint64_t expected_sum = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    block[i] = static_cast<char>(i * 7);
    expected_sum += static_cast<unsigned char>(block[i]);
  }
  for (size_t sent = 0; sent < kSize; sent += block.size()) {
    ASSERT_TRUE(sendAll(fd.get(), block));
    client_sent += block.size();
  }
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"total\":" + std::to_string(kSize) + ",\"sum\":" +
                        std::to_string(expected_sum * 50) + "}");
  EXPECT_GT(reads.load(), 50u * 16);  // many reads: the body was never held whole
  EXPECT_LE(largest_read.load(), 65536u);
  EXPECT_LT(sent_at_first_read.load(), kSize / 2);  // reading began long before the upload ended
}

TEST_F(ServerTest, ChunkedUploadWithCurlExpectContinue) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  router_.add("POST", "/build", [](Request& req, ResponseWriter& w) {
    auto body = req.readBodyAll(64 << 20);
    if (!body) {
      w.sendError(body.error());
      return;
    }
    w.send(200, "text/plain", std::to_string(body->size()));
  });
  startServer();
  std::string file = dir_ + "/upload";
  ASSERT_TRUE(writeFile(file, std::string(5 << 20, 'z')).ok());
  std::string out = runCommand("curl -sS --unix-socket " + sock_ +
                               " -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue'"
                               " --data-binary @" + file + " http://docker/build");
  EXPECT_EQ(out, std::to_string(5 << 20));
}

TEST_F(ServerTest, ReadBodyAllBeyondLimitIs413) {
  router_.add("POST", "/containers/create", [](Request& req, ResponseWriter& w) {
    auto body = req.readBodyAll(1024);
    if (!body) {
      w.sendError(body.error());
      return;
    }
    w.sendJson(201, "{}");
  });
  startServer();
  UniqueFd fd = connectUnix(sock_);
  Response r = roundTrip(fd.get(),
                         "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 4096\r\n"
                         "\r\n" + std::string(4096, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "{\"message\":\"request body too large: the limit is 1024 bytes\"}\n");
  // The rest of the body was drained: the connection serves the next request.
  Response next = roundTrip(fd.get(), get("/_ping"));
  EXPECT_EQ(next.body, "OK");
  Response small = roundTrip(fd.get(),
                             "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n"
                             "\r\n{}");
  EXPECT_EQ(small.status, 201);
}

void echoHandler(Request&, ResponseWriter& w, std::string_view type) {
  auto conn = w.hijack(type);
  ASSERT_TRUE(conn.ok()) << conn.error().message();
  std::string data = conn->buffered;
  if (!data.empty()) sendAll(conn->fd.get(), "echo:" + data);
  char buf[4096];
  while (true) {
    ssize_t n = ::read(conn->fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    sendAll(conn->fd.get(), "echo:" + std::string(buf, static_cast<size_t>(n)));
  }
}

TEST_F(ServerTest, HijackWithUpgrade) {
  router_.add("POST", "/containers/{name}/attach", [](Request& req, ResponseWriter& w) {
    echoHandler(req, w, kRawStreamType);
  });
  startServer();
  UniqueFd fd = connectUnix(sock_);
  // The first bytes of the stream travel in the same packet as the request.
  ASSERT_TRUE(sendAll(fd.get(), "POST /v1.43/containers/c1/attach?stream=1 HTTP/1.1\r\nHost: d\r\n"
                                "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly"));
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r, true));
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.headers["content-type"], "application/vnd.docker.raw-stream");
  EXPECT_EQ(r.headers["upgrade"], "tcp");
  EXPECT_EQ(r.headers["connection"], "Upgrade");
  std::string got;
  ASSERT_TRUE(reader.readN(std::strlen("echo:early"), &got));
  EXPECT_EQ(got, "echo:early");
  ASSERT_TRUE(sendAll(fd.get(), "hello"));
  ASSERT_TRUE(reader.readN(std::strlen("echo:hello"), &got));
  EXPECT_EQ(got, "echo:hello");
  ::shutdown(fd.get(), SHUT_WR);  // the handler sees EOF and returns
  EXPECT_TRUE(reader.atEof());
  for (int i = 0; i < 100 && server_->inFlight() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->inFlight(), 0u);
}

// A masked client frame (RFC 6455), payload < 126 bytes.
std::string wsClientFrame(uint8_t opcode, std::string_view payload) {
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  f += static_cast<char>(0x80 | payload.size());
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

// The websocket handler of the tests: relays to a socketpair whose other end echoes
// "echo:<data>" until EOF.
void wsEchoHandler(Request&, ResponseWriter& w) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd ours(sv[0]), theirs(sv[1]);
  auto ws = w.acceptWebSocket();
  if (!ws.ok()) {
    w.sendError(ws.error());
    return;
  }
  std::thread echo([fd = std::move(theirs)] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0) break;
      if (!sendAll(fd.get(), "echo:" + std::string(buf, static_cast<size_t>(n)))) break;
    }
  });
  (*ws)->relay(std::move(ours), /*text_frames=*/false);
  echo.join();
}

const char kWsUpgrade[] =
    "GET /containers/c1/attach/ws HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

TEST_F(ServerTest, WebSocketRelaysMessagesBothWays) {
  router_.add("GET", "/containers/{name}/attach/ws", wsEchoHandler);
  startServer();
  UniqueFd fd = connectUnix(sock_);
  // A first message in the same packet as the upgrade request.
  ASSERT_TRUE(sendAll(fd.get(), std::string(kWsUpgrade) + wsClientFrame(0x2, "early")));
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r, true));
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::string got;
  ASSERT_TRUE(reader.readN(2 + std::strlen("echo:early"), &got));
  EXPECT_EQ(static_cast<uint8_t>(got[0]), 0x82);  // FIN + binary
  EXPECT_EQ(got.substr(2), "echo:early");
  ASSERT_TRUE(sendAll(fd.get(), wsClientFrame(0x1, "hi")));  // text in: relayed as bytes too
  ASSERT_TRUE(reader.readN(2 + std::strlen("echo:hi"), &got));
  EXPECT_EQ(got.substr(2), "echo:hi");
  // A close from the client ends the relay: the server answers with its close frame.
  ASSERT_TRUE(sendAll(fd.get(), wsClientFrame(0x8, std::string("\x03\xe8", 2))));
  ASSERT_TRUE(reader.readN(4, &got));  // FIN + close, length 2, code 1000
  EXPECT_EQ(static_cast<uint8_t>(got[0]), 0x88);
  // The server then shuts its side down; the client closes its own (end of the TCP teardown).
  EXPECT_TRUE(reader.atEof());
  ::shutdown(fd.get(), SHUT_WR);
  for (int i = 0; i < 200 && server_->inFlight() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->inFlight(), 0u);
}

TEST_F(ServerTest, WebSocketWithoutUpgradeIsAnError) {
  router_.add("GET", "/containers/{name}/attach/ws", wsEchoHandler);
  startServer();
  UniqueFd fd = connectUnix(sock_);
  Response r = roundTrip(fd.get(), get("/containers/c1/attach/ws"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"message\":\"not a websocket upgrade request\"}\n");
}

TEST_F(ServerTest, StopEndsAnOpenWebSocket) {
  router_.add("GET", "/containers/{name}/attach/ws", wsEchoHandler);
  startServer();
  UniqueFd fd = connectUnix(sock_);
  ASSERT_TRUE(sendAll(fd.get(), kWsUpgrade));
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r, true));
  ASSERT_EQ(r.status, 101);
  auto start = Clock::now();
  server_->stop(200ms);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(server_->inFlight(), 0u);
}

TEST_F(ServerTest, HijackWithoutUpgradeAnswers200) {
  router_.add("POST", "/exec/{id}/start", [](Request& req, ResponseWriter& w) {
    echoHandler(req, w, kMultiplexedStreamType);
  });
  startServer();
  UniqueFd fd = connectTcp(port_);
  ASSERT_TRUE(sendAll(fd.get(), "POST /exec/e1/start HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n"));
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r, true));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/vnd.docker.multiplexed-stream");
  ASSERT_TRUE(sendAll(fd.get(), "x"));
  std::string got;
  ASSERT_TRUE(reader.readN(6, &got));
  EXPECT_EQ(got, "echo:x");
}

TEST_F(ServerTest, TwentyConcurrentClients) {
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  router_.add("GET", "/slow", [&](Request&, ResponseWriter& w) {
    int now = ++running;
    int prev = peak.load();
    while (now > prev && !peak.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(300ms);
    --running;
    w.send(200, "text/plain", "done");
  });
  startServer();
  auto start = Clock::now();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    clients.emplace_back([&, i] {
      UniqueFd fd = i % 2 ? connectUnix(sock_) : connectTcp(port_);
      if (!fd) return;
      sendAll(fd.get(), get("/slow"));
      Reader reader(fd.get());
      Response r;
      if (reader.readResponse(&r) && r.status == 200 && r.body == "done") ++ok;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_GE(peak.load(), 10);                 // handlers really ran side by side
  EXPECT_LT(Clock::now() - start, 3s);        // not 20 × 300 ms one after another
}

TEST_F(ServerTest, StopWaitsForInFlightRequest) {
  std::atomic<bool> entered{false};
  router_.add("GET", "/slow", [&](Request&, ResponseWriter& w) {
    entered = true;
    std::this_thread::sleep_for(500ms);
    w.send(200, "text/plain", "finished");
  });
  startServer();
  UniqueFd idle = connectUnix(sock_);  // an idle keep-alive connection is closed by stop
  UniqueFd fd = connectUnix(sock_);
  ASSERT_TRUE(sendAll(fd.get(), get("/slow")));
  while (!entered) std::this_thread::sleep_for(5ms);
  auto before = Clock::now();
  server_->stop(5s);
  EXPECT_GE(Clock::now() - before, 300ms);  // it waited for the handler
  Reader reader(fd.get());
  Response r;
  ASSERT_TRUE(reader.readResponse(&r));
  EXPECT_EQ(r.body, "finished");
  EXPECT_TRUE(reader.atEof());
  Reader idle_reader(idle.get());
  EXPECT_TRUE(idle_reader.atEof());
  EXPECT_FALSE(connectUnix(sock_).valid());  // listener closed, socket file removed
  EXPECT_FALSE(pathExists(sock_));
}

TEST_F(ServerTest, StopDeadlineCutsLongStreams) {
  std::atomic<bool> entered{false};
  std::atomic<bool> write_failed{false};
  router_.add("GET", "/logs", [&](Request&, ResponseWriter& w) {
    w.beginStream(200, "application/vnd.docker.multiplexed-stream");
    entered = true;
    for (int i = 0; i < 1000; ++i) {
      if (!w.write("line\n")) {
        write_failed = true;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  startServer();
  UniqueFd fd = connectTcp(port_);
  ASSERT_TRUE(sendAll(fd.get(), get("/logs?follow=1")));
  while (!entered) std::this_thread::sleep_for(5ms);
  auto before = Clock::now();
  server_->stop(200ms);
  EXPECT_LT(Clock::now() - before, 3s);
  EXPECT_TRUE(write_failed.load());
}

TEST_F(ServerTest, ClientGoneIsDetected) {
  std::atomic<bool> saw_gone{false};
  std::atomic<bool> entered{false};
  router_.add("GET", "/wait", [&](Request&, ResponseWriter& w) {
    entered = true;
    for (int i = 0; i < 500; ++i) {
      if (w.clientGone()) {
        saw_gone = true;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    w.send(200, "text/plain", "timeout");
  });
  startServer();
  {
    UniqueFd fd = connectUnix(sock_);
    ASSERT_TRUE(sendAll(fd.get(), get("/wait")));
    while (!entered) std::this_thread::sleep_for(5ms);
  }  // closes the client
  for (int i = 0; i < 300 && !saw_gone; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(saw_gone.load());
}

TEST_F(ServerTest, MalformedRequestsGet400Or431AndClose) {
  HttpServerOptions options;
  options.max_header_bytes = 8192;
  startServer(options);
  {
    UniqueFd fd = connectUnix(sock_);
    Response r = roundTrip(fd.get(), "GARBAGE\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.headers["connection"], "close");
    Reader reader(fd.get());
    EXPECT_TRUE(reader.atEof());
  }
  {
    UniqueFd fd = connectUnix(sock_);
    Response r = roundTrip(fd.get(), "GET /_ping HTTP/1.1\r\nX-Big: " +
                                         std::string(64 * 1024, 'a') + "\r\n\r\n");
    EXPECT_EQ(r.status, 431);
    Reader reader(fd.get());
    EXPECT_TRUE(reader.atEof());
  }
  {
    UniqueFd fd = connectTcp(port_);
    Response r = roundTrip(fd.get(), "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n");
    EXPECT_EQ(r.status, 400);
  }
  {
    // Bad chunked body: the handler's read fails; the connection is then closed.
    router_.add("POST", "/upload", [](Request& req, ResponseWriter& w) {
      auto body = req.readBodyAll(1 << 20);
      if (!body) w.sendError(body.error());
    });
    UniqueFd fd = connectTcp(port_);
    Response r = roundTrip(fd.get(),
                           "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_EQ(r.status, 400);
    Reader reader(fd.get());
    EXPECT_TRUE(reader.atEof());
  }
  {
    // A final chunk with a bare LF, in two writes (made Beast 1.74 assert in debug builds).
    UniqueFd fd = connectTcp(port_);
    ASSERT_TRUE(sendAll(fd.get(), "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\n"));
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(sendAll(fd.get(), "\r\n"));
    // Beast waits for more of that body; what matters is that the server did not abort.
    ::shutdown(fd.get(), SHUT_WR);
    Reader reader(fd.get());
    Response r;
    if (reader.readResponse(&r)) {
      EXPECT_GE(r.status, 400);
    }
  }
  // Still serving.
  UniqueFd fd = connectUnix(sock_);
  EXPECT_EQ(roundTrip(fd.get(), get("/_ping")).body, "OK");
}

TEST_F(ServerTest, HandlerWithoutResponseGets500) {
  router_.add("GET", "/silent", [](Request&, ResponseWriter&) {});
  router_.add("GET", "/throws", [](Request&, ResponseWriter&) { throw std::runtime_error("boom"); });
  startServer();
  UniqueFd fd = connectUnix(sock_);
  Response a = roundTrip(fd.get(), get("/silent"));
  EXPECT_EQ(a.status, 500);
  Response b = roundTrip(fd.get(), get("/throws"));
  EXPECT_EQ(b.status, 500);
  EXPECT_EQ(b.body, "{\"message\":\"internal error: boom\"}\n");
}

TEST_F(ServerTest, ListenAddressErrors) {
  HttpServer server([](Request&, ResponseWriter& w) { w.sendStatus(204); });
  struct Case {
    std::string address;
    std::string message_prefix;
  };
  const Case cases[] = {
      {"foo", "invalid listen address \"foo\": "},
      {"http://x:1", "invalid listen address \"http://x:1\": unsupported scheme"},
      {"tcp://127.0.0.1", "invalid listen address \"tcp://127.0.0.1\": missing port"},
      {"tcp://127.0.0.1:99999", "invalid listen address \"tcp://127.0.0.1:99999\": invalid port"},
      {"unix://relative.sock", "invalid listen address \"unix://relative.sock\": "},
      {"fd://", "invalid listen address \"fd://\": no sockets passed by systemd"},
  };
  ::unsetenv("LISTEN_PID");
  for (const Case& c : cases) {
    auto r = server.addListener(c.address);
    ASSERT_FALSE(r.ok()) << c.address;
    EXPECT_EQ(r.error().message().rfind(c.message_prefix, 0), 0u) << r.error().message();
  }
  // A non-socket file is never removed.
  std::string file = dir_ + "/not-a-socket";
  ASSERT_TRUE(writeFile(file, "keep me").ok());
  auto r = server.addListener("unix://" + file);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a socket"), std::string::npos);
  EXPECT_TRUE(pathExists(file));

}

// wrap_tcp sees every TCP connection (and only those); the server serves the fd it adopts.
TEST_F(ServerTest, WrappedTcpConnectionsAreServedThroughTheWrapper) {
  std::atomic<int> wrapped{0};
  HttpServerOptions options;
  options.wrap_tcp = [&](UniqueFd tcp, HttpServerOptions::AdoptFn adopt) {
    ++wrapped;
    adopt(std::move(tcp));  // a pass-through "TLS"
  };
  HttpServer server([](Request&, ResponseWriter& w) { w.send(200, "text/plain", "hi"); },
                    options);
  auto tcp = server.addListener("tcp://127.0.0.1:0");
  ASSERT_TRUE(tcp.ok()) << tcp.error().message();
  auto unix_addr = server.addListener("unix://" + sock_);
  ASSERT_TRUE(unix_addr.ok()) << unix_addr.error().message();
  ASSERT_TRUE(server.start(1).ok());
  int port = std::stoi(tcp->substr(tcp->rfind(':') + 1));
  UniqueFd t = connectTcp(port);
  ASSERT_TRUE(t);
  EXPECT_EQ(roundTrip(t.get(), get("/x")).body, "hi");
  UniqueFd u = connectUnix(sock_);
  ASSERT_TRUE(u);
  EXPECT_EQ(roundTrip(u.get(), get("/x")).body, "hi");
  EXPECT_EQ(wrapped.load(), 1);
  server.stop();
}

TEST_F(ServerTest, StaleSocketIsReplaced) {
  {
    UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock_.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ASSERT_TRUE(pathExists(sock_));
  startServer();
  UniqueFd fd = connectUnix(sock_);
  EXPECT_EQ(roundTrip(fd.get(), get("/_ping")).body, "OK");
}

TEST_F(ServerTest, SystemdSocketActivation) {
  // Put a listening socket at fd 3 as systemd would, keeping whatever was there.
  UniqueFd saved(::fcntl(3, F_DUPFD_CLOEXEC, 10));
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 16), 0);
  ASSERT_EQ(::dup2(listener.get(), 3), 3);
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  {
    HttpServer server(router_.asHandler());
    auto bad = server.addListener("fd://4");
    ASSERT_FALSE(bad.ok());
    auto bound = server.addListener("fd://");
    ASSERT_TRUE(bound.ok()) << bound.error().message();
    EXPECT_EQ(*bound, "fd://3");
    ASSERT_TRUE(server.start(1).ok());
    UniqueFd fd = connectUnix(sock_);
    EXPECT_EQ(roundTrip(fd.get(), get("/_ping")).body, "OK");
  }  // the server closed fd 3
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  if (saved) ::dup2(saved.get(), 3);
}

TEST_F(ServerTest, RealDockerCliVersion) {
  if (std::system("command -v docker >/dev/null 2>&1") != 0) GTEST_SKIP() << "docker not on PATH";
  startServer();
  std::string env = "DOCKER_CONFIG=" + dir_ + " DOCKER_HOST= DOCKER_CONTEXT= ";
  int status = 0;
  std::string out = runCommand(env + "docker -H unix://" + sock_ +
                                   " version --format '{{.Server.APIVersion}}' 2>&1",
                               &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "1.43\n");
  out = runCommand(env + "docker -H tcp://127.0.0.1:" + std::to_string(port_) +
                   " version --format '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}' 2>&1");
  EXPECT_EQ(out, "0.1.0 linux/amd64\n");
}

}  // namespace
}  // namespace berth::api
