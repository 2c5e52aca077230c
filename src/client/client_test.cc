#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include <gtest/gtest.h>

#include "client/api_client.h"
#include "client/host.h"
#include "client/http_connection.h"
#include "client/stream.h"

namespace berth::client {
namespace {

TEST(HostTest, ParsesUnixAndTcp) {
  auto u = parseHost("unix:///run/berth/berth.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(u->path, "/run/berth/berth.sock");
  auto t = parseHost("tcp://127.0.0.1:2376");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, Endpoint::Kind::kTcp);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 2376);
  auto d = parseHost("tcp://example.org");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 2375);
  auto v6 = parseHost("tcp://[::1]:99");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 99);
}

TEST(HostTest, RejectsOtherSchemes) {
  EXPECT_FALSE(parseHost("ssh://x").ok());
  EXPECT_FALSE(parseHost("fd://").ok());
  auto tls = parseHost("https://x:1");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message().find("--tls"), std::string::npos);
  EXPECT_FALSE(parseHost("tcp://h:99999").ok());
  // The docker CLI's default ports: 2375 for HTTP, 2376 with TLS.
  EXPECT_EQ(parseHost("tcp://h").value().port, 2375);
  EXPECT_EQ(parseHost("tcp://h", /*tls=*/true).value().port, 2376);
  EXPECT_EQ(parseHost("tcp://h:99", /*tls=*/true).value().port, 99);
  EXPECT_FALSE(parseHost("unix://").ok());
}

TEST(HostTest, ResolveOrder) {
  ::unsetenv("DOCKER_HOST");
  ::unsetenv("BERTH_HOST");
  EXPECT_EQ(resolveHost(""), kDefaultHost);
  ::setenv("BERTH_HOST", "unix:///b", 1);
  EXPECT_EQ(resolveHost(""), "unix:///b");
  ::setenv("DOCKER_HOST", "unix:///d", 1);
  EXPECT_EQ(resolveHost(""), "unix:///d");
  EXPECT_EQ(resolveHost("tcp://h:1"), "tcp://h:1");
  ::unsetenv("DOCKER_HOST");
  ::unsetenv("BERTH_HOST");
}

TEST(QueryTest, BuildsAndEncodes) {
  EXPECT_EQ(buildTarget("/containers/json", {}), "/containers/json");
  EXPECT_EQ(buildTarget("/x", {{"all", "1"}, {"filters", "{\"a\":{\"b=c\":true}}"}}),
            "/x?all=1&filters=%7B%22a%22%3A%7B%22b%3Dc%22%3Atrue%7D%7D");
  EXPECT_EQ(urlEncode("a b/c"), "a%20b%2Fc");
}

TEST(VersionTest, Compares) {
  EXPECT_LT(compareVersions("1.41", "1.43"), 0);
  EXPECT_EQ(compareVersions("1.43", "1.43"), 0);
  EXPECT_GT(compareVersions("1.100", "1.43"), 0);
}

TEST(ErrorTest, DaemonMessages) {
  Error e = errorFromResponse(404, R"({"message":"No such container: x"})");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.message(), "Error response from daemon: No such container: x");
  EXPECT_EQ(errorFromResponse(409, "{\"message\":\"c\"}").code(), ErrorCode::kConflict);
  EXPECT_EQ(errorFromResponse(500, "plain text\n").message(),
            "Error response from daemon: plain text");
  EXPECT_EQ(errorFromResponse(400, "").code(), ErrorCode::kInvalidArgument);
}

TEST(FrameDemuxerTest, SplitsFramesAcrossFeeds) {
  std::string data = encodeFrame(StdStream::kStdout, "hello\n") +
                     encodeFrame(StdStream::kStderr, "oops\n") +
                     encodeFrame(StdStream::kStdout, "");
  data += encodeFrame(StdStream::kStdout, "bye");
  std::string out, err;
  FrameDemuxer d;
  auto sink = [&](StdStream s, std::string_view p) -> Result<void> {
    (s == StdStream::kStderr ? err : out).append(p);
    return okResult();
  };
  // Byte by byte: every split point.
  for (char c : data) ASSERT_TRUE(d.feed(std::string_view(&c, 1), sink).ok());
  EXPECT_EQ(out, "hello\nbye");
  EXPECT_EQ(err, "oops\n");
  EXPECT_TRUE(d.atBoundary());
}

TEST(FrameDemuxerTest, SystemErrAndBadHeader) {
  FrameDemuxer d;
  auto sink = [](StdStream, std::string_view) -> Result<void> { return okResult(); };
  auto r = d.feed(encodeFrame(StdStream::kSystemErr, "daemon failed"), sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "daemon failed");
  FrameDemuxer bad;
  std::string header(8, '\0');
  header[0] = 9;
  EXPECT_FALSE(bad.feed(header, sink).ok());
}

TEST(JsonMessageTest, RendersLikeDocker) {
  using nlohmann::json;
  EXPECT_EQ(*renderJsonMessage(json{{"stream", "Loaded image: busybox:latest\n"}}),
            "Loaded image: busybox:latest\n");
  EXPECT_EQ(*renderJsonMessage(json{{"status", "sha256:abc"}}), "sha256:abc\n");
  EXPECT_EQ(*renderJsonMessage(json{{"status", "Extracting"}, {"id", "l1"}}), "l1: Extracting\n");
  EXPECT_EQ(*renderJsonMessage(
                json{{"status", "Loading"}, {"progressDetail", {{"current", 1}, {"total", 2}}}}),
            "");
  auto e = renderJsonMessage(json{{"errorDetail", {{"message", "bad tar"}}}, {"error", "bad tar"}});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(), "bad tar");
}

TEST(JsonMessageTest, StreamAcrossChunks) {
  JsonMessageStream s;
  std::vector<std::string> got;
  auto h = [&](const nlohmann::json& m) -> Result<void> {
    got.push_back(m.value("status", ""));
    return okResult();
  };
  ASSERT_TRUE(s.feed("{\"status\":\"a\"}\n{\"sta", h).ok());
  ASSERT_TRUE(s.feed("tus\":\"b\"}\n\n{\"status\":\"c\"}", h).ok());
  ASSERT_TRUE(s.finish(h).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
  JsonMessageStream bad;
  EXPECT_FALSE(bad.feed("{nope\n", h).ok());
}

// A scripted server on one end of a socketpair.
struct FakeServer {
  int client_fd = -1;
  std::thread thread;
  std::string received;

  explicit FakeServer(std::string response) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    client_fd = sv[0];
    int server = sv[1];
    thread = std::thread([this, server, response] {
      char buf[4096];
      // Read the request head (and body, if any, up to a quiet period is overkill: read once
      // the head is complete).
      while (received.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(server, buf, sizeof(buf));
        if (n <= 0) break;
        received.append(buf, static_cast<size_t>(n));
      }
      if (received.find("chunked") != std::string::npos) {
        while (received.find("0\r\n\r\n") == std::string::npos) {
          ssize_t n = ::read(server, buf, sizeof(buf));
          if (n <= 0) break;
          received.append(buf, static_cast<size_t>(n));
        }
      }
      ssize_t unused = ::write(server, response.data(), response.size());
      (void)unused;
      ::close(server);
    });
  }
  ~FakeServer() {
    if (thread.joinable()) thread.join();
  }
};

TEST(HttpConnectionTest, ContentLengthBody) {
  FakeServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nApi-Version: 1.41\r\n\r\nhello");
  HttpConnection conn(UniqueFd(server.client_fd), "test");
  Request req;
  req.method = "POST";
  req.target = "/v1.43/x";
  req.body = "{}";
  ASSERT_TRUE(conn.send(req).ok());
  auto head = conn.readHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("API-Version"), "1.41");
  auto body = conn.readAllBody();
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "hello");
  server.thread.join();
  EXPECT_NE(server.received.find("POST /v1.43/x HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.received.find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(HttpConnectionTest, ChunkedBodyAndChunkedUpload) {
  FakeServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n");
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  ASSERT_EQ(::write(pipefd[1], "tar-bytes", 9), 9);
  ::close(pipefd[1]);
  HttpConnection conn(UniqueFd(server.client_fd), "test");
  Request req;
  req.method = "POST";
  req.target = "/images/load";
  req.body_fd = pipefd[0];
  ASSERT_TRUE(conn.send(req).ok());
  ::close(pipefd[0]);
  auto head = conn.readHead();
  ASSERT_TRUE(head.ok());
  auto body = conn.readAllBody();
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(*body, "abcdefg");
  server.thread.join();
  EXPECT_NE(server.received.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(server.received.find("9\r\ntar-bytes\r\n0\r\n\r\n"), std::string::npos);
}

TEST(HttpConnectionTest, UpgradeKeepsBufferedBytes) {
  FakeServer server(
      "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" +
      encodeFrame(StdStream::kStdout, "hi\n"));
  HttpConnection conn(UniqueFd(server.client_fd), "test");
  Request req;
  req.method = "POST";
  req.target = "/attach";
  ASSERT_TRUE(conn.send(req).ok());
  auto head = conn.readHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 101);
  server.thread.join();
  std::string rest = conn.takeBuffered();
  char buf[64];
  ssize_t n;
  while ((n = ::read(conn.fd(), buf, sizeof(buf))) > 0) rest.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(rest, encodeFrame(StdStream::kStdout, "hi\n"));
}

TEST(HttpConnectionTest, TruncatedBodyIsAnError) {
  FakeServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  HttpConnection conn(UniqueFd(server.client_fd), "test");
  Request req;
  ASSERT_TRUE(conn.send(req).ok());
  ASSERT_TRUE(conn.readHead().ok());
  EXPECT_FALSE(conn.readAllBody().ok());
}

TEST(ApiClientTest, ConnectionErrorLikeDocker) {
  auto ep = parseHost("unix:///nonexistent/berth-test.sock");
  ASSERT_TRUE(ep.ok());
  ::unsetenv("DOCKER_API_VERSION");
  ApiClient api(*ep);
  auto r = api.getJson("/info");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "Cannot connect to the berth daemon at unix:///nonexistent/berth-test.sock. Is the "
            "berth daemon running?");
}

}  // namespace
}  // namespace berth::client
