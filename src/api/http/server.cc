// The only translation unit that includes Asio and Beast (they are slow to compile). Everything a
// handler sees goes through the Request, Body and ResponseWriter interfaces.
//
// Connection life: an io thread reads the request header (async); the connection then belongs to
// one worker thread, which builds the Request, runs the handler with blocking reads and writes on
// the socket, and hands the connection back to the io threads for the next request (keep-alive).
// So no two threads ever use one socket at the same time. Impl::mu guards the connection table,
// the busy count and each connection's fd number, so that stop() can shut sockets down safely.

#include "api/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

// Beast 1.74's chunk parser asserts on some malformed input from the peer (found by
// tests/fuzz/http_request_fuzz.cc: a final chunk "0\n\r\n" fed in two parts); with assertions
// off it rejects the input as release builds do. A peer must never be able to abort the daemon,
// whatever the build type, so Boost assertions are off in this file.
#define BOOST_DISABLE_ASSERTS 1
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http/websocket.h"
#include "base/file_util.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::api {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Protocol = asio::generic::stream_protocol;
using Socket = Protocol::socket;
using Acceptor = asio::basic_socket_acceptor<Protocol>;
using HeadParser = bhttp::request_parser<bhttp::buffer_body>;

namespace {

constexpr size_t kDrainLimit = 256 * 1024;

Error badAddress(const std::string& address, std::string_view why) {
  return invalidArgument("invalid listen address \"" + address + "\": " + std::string(why));
}

bool equalsNoCase(std::string_view a, std::string_view b) { return toLower(a) == toLower(b); }

// True if the comma-separated header value contains `token` (case-insensitive).
bool headerHasToken(std::optional<std::string_view> value, std::string_view token) {
  if (!value) return false;
  for (const std::string& part : split(*value, ',')) {
    if (equalsNoCase(trim(part), token)) return true;
  }
  return false;
}

std::string httpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string peerName(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
  if (addr.ss_family == AF_UNIX) return "unix";
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "unknown";
  }
  return addr.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port
                                    : std::string(host) + ":" + port;
}

// Grows on demand up to `max` threads; idle threads wait for the next task.
class WorkerPool {
 public:
  explicit WorkerPool(size_t max) : max_(max == 0 ? 1 : max) {}
  ~WorkerPool() { join(); }

  void submit(std::function<void()> task) {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_ && threads_.size() < max_) {
      threads_.emplace_back([this] { run(); });
    } else {
      cv_.notify_one();
    }
  }

  // Runs the queued tasks, then joins every thread.
  void join() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      while (tasks_.empty() && !stopping_) {
        ++idle_;
        cv_.wait(lock);
        --idle_;
      }
      if (tasks_.empty()) return;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

struct Listener {
  std::string address;
  std::string unix_path;  // to remove at stop
  std::unique_ptr<Acceptor> acceptor;
  bool accepting = false;
  bool tcp = false;  // AF_INET/AF_INET6: HttpServerOptions::wrap_tcp applies
};

struct Connection;

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(Handler h, HttpServerOptions o)
      : handler(std::move(h)), options(std::move(o)), workers(options.max_workers) {}

  Result<std::string> addListener(const std::string& address);
  Result<void> addListenerFd(const std::string& address, UniqueFd fd, int family, int protocol,
                             std::string unix_path, std::vector<std::string>* bound);
  void startAccept(Listener* listener);
  void onAccepted(Socket socket);
  // A TCP connection of a listener with wrap_tcp: handed to the wrapper, which adopts the plain
  // end it serves.
  void onAcceptedTcp(Socket socket);
  void stop(std::chrono::milliseconds deadline);

  Handler handler;
  HttpServerOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  WorkerPool workers;

  mutable std::mutex mu;
  std::condition_variable idle_cv;  // signalled when busy drops
  std::vector<std::unique_ptr<Listener>> listeners;
  std::set<int> activation_fds_taken;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> conns;
  uint64_t next_id = 1;
  size_t busy = 0;
  bool running = false;
  bool stopping = false;
  bool stopped = false;
};

namespace {

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(HttpServer::Impl& server, Socket s, uint64_t conn_id)
      : impl(server),
        socket(std::move(s)),
        id(conn_id),
        fd(socket.native_handle()),
        buffer(server.options.max_header_bytes + (1 << 20)) {
    remote = peerName(fd);
  }

  void readHeader();
  void onHeader(const error_code& ec);
  void rejectAndClose(int status);
  void serve();
  // Closes the socket and forgets the connection. Takes impl.mu.
  void close();
  void closeLocked();

  HttpServer::Impl& impl;
  Socket socket;
  const uint64_t id;
  int fd;  // guarded by impl.mu; -1 once closed or hijacked
  bool busy = false;  // guarded by impl.mu
  std::string remote;
  boost::beast::flat_buffer buffer;
  std::optional<HeadParser> parser;
};

// The request body, read from the connection on demand.
class ConnBody : public Body {
 public:
  explicit ConnBody(Connection& conn) : conn_(conn) {
    expect_continue_ = headerHasToken(
        [&]() -> std::optional<std::string_view> {
          auto it = conn_.parser->get().find(bhttp::field::expect);
          if (it == conn_.parser->get().end()) return std::nullopt;
          return std::string_view(it->value().data(), it->value().size());
        }(),
        "100-continue");
  }

  Result<size_t> read(char* buf, size_t n) override {
    HeadParser& p = *conn_.parser;
    if (p.is_done() || n == 0) return size_t{0};
    if (failed_) return internalError("read request body: connection failed earlier");
    if (expect_continue_ && !continue_sent_) {
      continue_sent_ = true;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      error_code ec;
      asio::write(conn_.socket, asio::buffer(kContinue.data(), kContinue.size()), ec);
      if (ec) return fail("send 100 continue: " + ec.message());
    }
    while (true) {
      p.get().body().data = buf;
      p.get().body().size = n;
      error_code ec;
      bhttp::read_some(conn_.socket, conn_.buffer, p, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      size_t got = n - p.get().body().size;
      p.get().body().data = nullptr;
      if (ec) {
        if (ec == bhttp::error::partial_message || ec == asio::error::eof) {
          return fail("read request body: unexpected end of the body");
        }
        return fail("read request body: " + ec.message());
      }
      if (got > 0 || p.is_done()) return got;
    }
  }

  // Reads and discards what remains of the body (up to kDrainLimit), so that the connection can
  // serve the next request. False if the connection must be closed instead.
  bool drain() {
    if (conn_.parser->is_done()) return true;
    if (failed_ || (expect_continue_ && !continue_sent_)) return false;
    char scratch[16384];
    size_t total = 0;
    while (total < kDrainLimit) {
      Result<size_t> n = read(scratch, sizeof scratch);
      if (!n.ok()) return false;
      if (*n == 0) return conn_.parser->is_done();
      total += *n;
    }
    return false;
  }

 private:
  Error fail(std::string message) {
    failed_ = true;
    return Error(ErrorCode::kInvalidArgument, std::move(message));
  }

  Connection& conn_;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool failed_ = false;
};

class ConnWriter : public ResponseWriter {
 public:
  ConnWriter(Connection& conn, const Request& req) : conn_(conn), req_(req) {
    keep_alive_ = conn.parser->get().keep_alive();
    http10_ = conn.parser->get().version() < 11;
    head_only_ = req.method() == "HEAD";
  }

  bool send(int status, std::string_view content_type, std::string_view body) override {
    if (started_) return false;
    started_ = true;
    status_ = status;
    bool no_body = status < 200 || status == 204 || status == 304;
    std::string head = headLines(status, content_type);
    if (!no_body) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!keep_alive_) head += "Connection: close\r\n";
    head += "\r\n";
    bool ok = (head_only_ || no_body) ? writeAll({head}) : writeAll({head, body});
    ended_ = true;
    return ok;
  }

  bool beginStream(int status, std::string_view content_type) override {
    if (started_) return false;
    started_ = true;
    status_ = status;
    streaming_ = true;
    chunked_ = !http10_;
    if (http10_) keep_alive_ = false;
    std::string head = headLines(status, content_type);
    if (chunked_) head += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive_) head += "Connection: close\r\n";
    head += "\r\n";
    return writeAll({head});
  }

  bool write(std::string_view data) override {
    if (!streaming_ || ended_ || failed_) return false;
    if (data.empty() || head_only_) return true;
    if (!chunked_) return writeAll({data});
    char size_line[24];
    int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
    return writeAll({std::string_view(size_line, static_cast<size_t>(len)), data, "\r\n"});
  }

  bool end() override {
    if (!streaming_) return !failed_;
    if (ended_) return !failed_;
    ended_ = true;
    if (chunked_ && !head_only_) return writeAll({"0\r\n\r\n"});
    return !failed_;
  }

  Result<HijackedConnection> hijack(std::string_view content_type) override {
    if (started_) return conflict("cannot hijack the connection: a response was already sent");
    started_ = true;
    bool upgrade = headerHasToken(req_.header("Connection"), "upgrade") &&
                   headerHasToken(req_.header("Upgrade"), "tcp");
    status_ = upgrade ? 101 : 200;
    std::string head = upgrade ? "HTTP/1.1 101 UPGRADED\r\n" : "HTTP/1.1 200 OK\r\n";
    head += "Content-Type: " + std::string(content_type) + "\r\n";
    if (upgrade) head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    head += commonHeaders();
    head += "\r\n";
    if (!writeAll({head})) return internalError("hijack connection: client went away");
    auto data = conn_.buffer.data();
    HijackedConnection out;
    out.buffered.assign(static_cast<const char*>(data.data()), data.size());
    conn_.buffer.consume(data.size());
    error_code ec;
    int fd;
    {
      std::lock_guard lock(conn_.impl.mu);
      fd = conn_.socket.release(ec);
      conn_.fd = -1;
    }
    if (ec) return internalError("hijack connection: " + ec.message());
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    out.fd = UniqueFd(fd);
    hijacked_ = true;
    return out;
  }

  Result<std::unique_ptr<WebSocket>> acceptWebSocket() override {
    if (started_) return conflict("cannot upgrade the connection: a response was already sent");
    if (!headerHasToken(req_.header("Connection"), "upgrade") ||
        !headerHasToken(req_.header("Upgrade"), "websocket")) {
      return invalidArgument("not a websocket upgrade request");
    }
    // Beast's accept() parses the request again: give it the head as sent, then what followed.
    const auto& msg = conn_.parser->get();
    std::string received = std::string(msg.method_string()) + " " + std::string(msg.target()) +
                           " HTTP/1.1\r\n";
    for (const auto& field : msg) {
      received += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    }
    received += "\r\n";
    auto data = conn_.buffer.data();
    received.append(static_cast<const char*>(data.data()), data.size());
    conn_.buffer.consume(data.size());
    started_ = true;
    status_ = 101;
    error_code ec;
    int fd;
    {
      // The connection keeps a duplicate until the handler returns (serve() closes it), so
      // that stop() can still shut the websocket down; a duplicate's number is never reused
      // while stop() may use it.
      std::lock_guard lock(conn_.impl.mu);
      fd = conn_.socket.release(ec);
      conn_.fd = ec ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }
    if (ec) return internalError("upgrade connection: " + ec.message());
    hijacked_ = true;
    upgraded_ = true;
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return acceptWebSocketOn(UniqueFd(fd), received);
  }

  bool clientGone() override {
    if (failed_) return true;
    pollfd p{conn_.socket.native_handle(), POLLRDHUP, 0};
    int rc = ::poll(&p, 1, 0);
    return rc > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }

  bool hijacked() const { return hijacked_; }
  bool upgraded() const { return upgraded_; }
  bool streaming() const { return streaming_; }
  bool failed() const { return failed_; }
  bool keepAlive() const { return keep_alive_; }

 private:
  std::string commonHeaders() const {
    std::string h = "Api-Version: ";
    h += kApiVersion;
    h += "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: ";
    h += conn_.impl.options.server_header;
    h += "\r\nDate: " + httpDate() + "\r\n";
    for (const auto& [name, value] : extra_headers_) h += name + ": " + value + "\r\n";
    return h;
  }

  std::string headLines(int status, std::string_view content_type) const {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
    head += reasonPhrase(status);
    head += "\r\n";
    if (!content_type.empty()) head += "Content-Type: " + std::string(content_type) + "\r\n";
    head += commonHeaders();
    return head;
  }

  bool writeAll(std::initializer_list<std::string_view> parts) {
    if (failed_) return false;
    std::array<asio::const_buffer, 3> bufs{};  // unused entries stay empty
    size_t count = 0;
    for (std::string_view part : parts) bufs[count++] = asio::buffer(part.data(), part.size());
    error_code ec;
    asio::write(conn_.socket, bufs, ec);
    if (ec) failed_ = true;
    return !ec;
  }

  Connection& conn_;
  const Request& req_;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_only_ = false;
  bool streaming_ = false;
  bool chunked_ = false;
  bool ended_ = false;
  bool failed_ = false;
  bool hijacked_ = false;
  bool upgraded_ = false;  // websocket: conn_.fd is a duplicate that serve() closes
};

void Connection::readHeader() {
  parser.emplace();
  parser->header_limit(static_cast<std::uint32_t>(impl.options.max_header_bytes));
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  bhttp::async_read_header(socket, buffer, *parser,
                           [self = shared_from_this()](const error_code& ec, size_t) {
                             self->onHeader(ec);
                           });
}

void Connection::onHeader(const error_code& ec) {
  if (ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor || ec == bhttp::error::partial_message) {
      close();
      return;
    }
    bool too_big = ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow;
    log::debug("http: bad request from " + remote + ": " + ec.message());
    rejectAndClose(too_big ? 431 : 400);
    return;
  }
  {
    std::lock_guard lock(impl.mu);
    if (impl.stopping) {
      closeLocked();
      return;
    }
    busy = true;
    ++impl.busy;
  }
  impl.workers.submit([self = shared_from_this()] { self->serve(); });
}

void Connection::rejectAndClose(int status) {
  std::string text = std::to_string(status) + " " + std::string(reasonPhrase(status));
  auto msg = std::make_shared<std::string>(
      "HTTP/1.1 " + text +
      "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
      std::to_string(text.size()) + "\r\n\r\n" + text);
  asio::async_write(socket, asio::buffer(*msg),
                    [self = shared_from_this(), msg](const error_code&, size_t) { self->close(); });
}

void Connection::close() {
  std::lock_guard lock(impl.mu);
  closeLocked();
}

void Connection::closeLocked() {
  error_code ec;
  if (socket.is_open()) socket.close(ec);
  fd = -1;
  impl.conns.erase(id);
}

void Connection::serve() {
  auto& msg = parser->get();
  Request req(std::string(msg.method_string()), std::string(msg.target()));
  for (const auto& field : msg) {
    req.addHeader(std::string(field.name_string()), std::string(field.value()));
  }
  req.setRemote(remote);
  req.setDefaultBodyLimit(impl.options.default_body_limit);
  auto body = std::make_unique<ConnBody>(*this);
  ConnBody* body_ptr = body.get();
  req.setBody(std::move(body));
  ConnWriter writer(*this, req);
  writer.setRequest(&req);

  try {
    impl.handler(req, writer);
  } catch (const std::exception& e) {
    log::error("http: handler for " + req.method() + " " + req.target() + " threw: " + e.what());
    if (!writer.started()) writer.sendError(500, std::string("internal error: ") + e.what());
  } catch (...) {
    log::error("http: handler for " + req.method() + " " + req.target() + " threw");
    if (!writer.started()) writer.sendError(500, "internal error");
  }

  if (writer.hijacked()) {
    std::lock_guard lock(impl.mu);
    if (writer.upgraded() && fd >= 0) ::close(fd);
    fd = -1;
    busy = false;
    --impl.busy;
    impl.conns.erase(id);
    impl.idle_cv.notify_all();
    return;
  }
  if (!writer.started()) {
    writer.sendError(500, "handler for " + req.method() + " " + req.path() + " sent no response");
  } else if (writer.streaming()) {
    writer.end();
  }
  bool keep = writer.keepAlive() && !writer.failed() && body_ptr->drain();
  {
    std::lock_guard lock(impl.mu);
    busy = false;
    --impl.busy;
    impl.idle_cv.notify_all();
    if (!keep || impl.stopping) {
      closeLocked();
      return;
    }
  }
  asio::post(socket.get_executor(), [self = shared_from_this()] { self->readHeader(); });
}

}  // namespace

// --- Listeners --------------------------------------------------------------------------------

namespace {

Result<UniqueFd> listenUnix(const std::string& address, const std::string& path) {
  if (path.empty() || path.front() != '/') return badAddress(address, "socket path must be absolute");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) return badAddress(address, "path too long");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return conflict("listen on " + path + ": refusing to remove " + path + ": not a socket");
    }
    if (::unlink(path.c_str()) != 0) return errnoError("remove stale socket " + path);
  } else if (errno != ENOENT) {
    return errnoError("stat " + path);
  }
  std::string dir = path.substr(0, path.rfind('/'));
  if (!dir.empty()) BERTH_TRY_VOID_CTX(makeDirs(dir, 0755), "listen on " + path);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errnoError("create unix socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errnoError("bind " + path);
  }
  if (::chmod(path.c_str(), 0660) != 0) {
    Error err = errnoError("chmod " + path);
    ::unlink(path.c_str());
    return err;
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    Error err = errnoError("listen on " + path);
    ::unlink(path.c_str());
    return err;
  }
  return fd;
}

struct TcpListen {
  UniqueFd fd;
  int family = 0;
  std::string bound;
};

Result<TcpListen> listenTcp(const std::string& address, std::string_view hostport) {
  while (!hostport.empty() && hostport.back() == '/') hostport.remove_suffix(1);
  std::string host;
  std::string_view port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return badAddress(address, "missing ']' in host");
    host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return badAddress(address, "missing port");
    port_text = rest.substr(1);
  } else {
    size_t colon = hostport.rfind(':');
    if (colon == std::string_view::npos) return badAddress(address, "missing port");
    host = std::string(hostport.substr(0, colon));
    port_text = hostport.substr(colon + 1);
  }
  std::optional<uint64_t> port = parseUint(port_text);
  if (!port || *port > 65535) {
    return badAddress(address, "invalid port \"" + std::string(port_text) + "\"");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port_str = std::to_string(*port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return badAddress(address, "cannot resolve host \"" + host + "\": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  TcpListen out;
  out.family = res->ai_family;
  out.fd = UniqueFd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!out.fd) return errnoError("create tcp socket for " + address);
  int one = 1;
  ::setsockopt(out.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(out.fd.get(), res->ai_addr, res->ai_addrlen) != 0) {
    return errnoError("listen on " + address + ": bind");
  }
  if (::listen(out.fd.get(), SOMAXCONN) != 0) return errnoError("listen on " + address);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(out.fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  char hbuf[NI_MAXHOST];
  char pbuf[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&bound), len, hbuf, sizeof hbuf, pbuf, sizeof pbuf,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return internalError("listen on " + address + ": cannot read the bound address");
  }
  out.bound = out.family == AF_INET6 ? "tcp://[" + std::string(hbuf) + "]:" + pbuf
                                     : "tcp://" + std::string(hbuf) + ":" + pbuf;
  return out;
}

}  // namespace

Result<void> HttpServer::Impl::addListenerFd(const std::string& address, UniqueFd fd, int family,
                                             int protocol, std::string unix_path,
                                             std::vector<std::string>* bound) {
  auto listener = std::make_unique<Listener>();
  listener->address = address;
  listener->unix_path = std::move(unix_path);
  error_code ec;
  listener->acceptor = std::make_unique<Acceptor>(io);
  listener->acceptor->assign(Protocol(family, protocol), fd.get(), ec);
  if (ec) return internalError("listen on " + address + ": " + ec.message());
  listener->tcp = family == AF_INET || family == AF_INET6;
  fd.release();
  bound->push_back(address);
  Listener* raw = listener.get();
  std::lock_guard lock(mu);
  listeners.push_back(std::move(listener));
  if (running) asio::post(io, [this, raw] { startAccept(raw); });
  return okResult();
}

Result<std::string> HttpServer::Impl::addListener(const std::string& address) {
  {
    std::lock_guard lock(mu);
    if (stopping) return conflict("add listener " + address + ": the server is stopping");
  }
  std::vector<std::string> bound;
  bool found = false;
  auto [scheme, rest] = [&] {
    size_t pos = address.find("://");
    found = pos != std::string::npos;
    if (!found) return std::pair<std::string, std::string>{};
    return std::pair{address.substr(0, pos), address.substr(pos + 3)};
  }();
  if (!found) return badAddress(address, "expected unix://, tcp:// or fd://");
  if (scheme == "unix") {
    BERTH_TRY(UniqueFd fd, listenUnix(address, rest));
    BERTH_TRY_VOID(addListenerFd(address, std::move(fd), AF_UNIX, 0, rest, &bound));
  } else if (scheme == "tcp") {
    BERTH_TRY(TcpListen tcp, listenTcp(address, rest));
    BERTH_TRY_VOID(addListenerFd(tcp.bound, std::move(tcp.fd), tcp.family, IPPROTO_TCP, "", &bound));
  } else if (scheme == "fd") {
    const char* pid_env = ::getenv("LISTEN_PID");
    const char* fds_env = ::getenv("LISTEN_FDS");
    std::optional<int64_t> pid = pid_env ? parseInt(pid_env) : std::nullopt;
    std::optional<int64_t> count = fds_env ? parseInt(fds_env) : std::nullopt;
    if (!pid || !count || *pid != ::getpid() || *count <= 0) {
      return badAddress(address, "no sockets passed by systemd (LISTEN_PID/LISTEN_FDS)");
    }
    std::vector<int> wanted;
    if (rest.empty()) {
      for (int i = 0; i < *count; ++i) wanted.push_back(3 + i);
    } else {
      std::optional<int64_t> n = parseInt(rest);
      if (!n) return badAddress(address, "expected fd:// or fd://<number>");
      if (*n < 3 || *n >= 3 + *count) {
        return badAddress(address, "fd " + rest + " is not among the " + std::to_string(*count) +
                                       " sockets passed by systemd");
      }
      wanted.push_back(static_cast<int>(*n));
    }
    for (int fd : wanted) {
      {
        std::lock_guard lock(mu);
        if (!activation_fds_taken.insert(fd).second) {
          return badAddress(address, "fd " + std::to_string(fd) + " is already in use");
        }
      }
      int type = 0;
      int domain = 0;
      int proto = 0;
      int accepting = 0;
      socklen_t len = sizeof(int);
      if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
        return badAddress(address, "fd " + std::to_string(fd) + " is not a stream socket");
      }
      len = sizeof(int);
      ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len);
      if (!accepting) {
        return badAddress(address, "fd " + std::to_string(fd) + " is not a listening socket");
      }
      len = sizeof(int);
      ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
      len = sizeof(int);
      ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      BERTH_TRY_VOID(addListenerFd("fd://" + std::to_string(fd), UniqueFd(fd), domain,
                                   domain == AF_UNIX ? 0 : proto, "", &bound));
    }
  } else {
    return badAddress(address, "unsupported scheme \"" + scheme + "\"");
  }
  return join(bound, ",");
}

void HttpServer::Impl::startAccept(Listener* listener) {
  listener->accepting = true;
  listener->acceptor->async_accept([this, listener](const error_code& ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !listener->acceptor->is_open()) return;
    if (!ec) {
      if (listener->tcp && options.wrap_tcp) {
        onAcceptedTcp(std::move(socket));
      } else {
        onAccepted(std::move(socket));
      }
      startAccept(listener);
      return;
    }
    // EMFILE and friends: back off instead of spinning.
    log::warn("http: accept on " + listener->address + ": " + ec.message());
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
    timer->async_wait([this, listener, timer](const error_code& wait_ec) {
      if (!wait_ec && listener->acceptor->is_open()) startAccept(listener);
    });
  });
}

void HttpServer::Impl::onAccepted(Socket socket) {
  int fd = socket.native_handle();
  int one = 1;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
      (addr.ss_family == AF_INET || addr.ss_family == AF_INET6)) {
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // streams flush per write
  }
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu);
    if (stopping) return;  // the socket closes as it goes out of scope
    conn = std::make_shared<Connection>(*this, std::move(socket), next_id++);
    conns.emplace(conn->id, conn);
  }
  conn->readHeader();
}

void HttpServer::Impl::onAcceptedTcp(Socket socket) {
  int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  error_code ec;
  UniqueFd tcp(socket.release(ec));
  if (ec) return;
  std::weak_ptr<Impl> weak = weak_from_this();
  options.wrap_tcp(std::move(tcp), [weak](UniqueFd plain) {
    auto self = weak.lock();
    if (!self || !plain) return;  // the fd closes as it goes out of scope
    error_code assign_ec;
    Socket s(self->io);
    s.assign(Protocol(AF_UNIX, 0), plain.get(), assign_ec);
    if (assign_ec) return;
    plain.release();
    self->onAccepted(std::move(s));
  });
}

void HttpServer::Impl::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu);
    if (stopped || stopping) return;
    stopping = true;
  }
  auto closeListeners = [this] {
    for (auto& l : listeners) {
      error_code ec;
      l->acceptor->close(ec);
      if (!l->unix_path.empty()) {
        struct stat st {};
        if (::lstat(l->unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
          ::unlink(l->unix_path.c_str());
        }
      }
    }
  };
  if (running) {
    std::promise<void> done;
    asio::post(io, [&] {
      closeListeners();
      done.set_value();
    });
    done.get_future().wait();
  } else {
    closeListeners();
  }

  std::unique_lock lock(mu);
  // Idle keep-alive connections: their pending header read ends with EOF and they close.
  for (auto& [id, weak] : conns) {
    if (auto conn = weak.lock(); conn && !conn->busy && conn->fd >= 0) {
      ::shutdown(conn->fd, SHUT_RDWR);
    }
  }
  if (!idle_cv.wait_for(lock, deadline, [this] { return busy == 0; })) {
    log::warn("http: " + std::to_string(busy) +
              " request(s) still running at the shutdown deadline; closing their connections");
    for (auto& [id, weak] : conns) {
      if (auto conn = weak.lock(); conn && conn->fd >= 0) ::shutdown(conn->fd, SHUT_RDWR);
    }
    idle_cv.wait(lock, [this] { return busy == 0; });
  }
  lock.unlock();

  work.reset();
  if (running) {
    // Let the io threads finish the closes they have queued, then stop them.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard l(mu);
        if (conns.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    io.stop();
    for (std::thread& t : io_threads) t.join();
    io_threads.clear();
  }
  workers.join();
  std::lock_guard l(mu);
  stopped = true;
}

// --- HttpServer --------------------------------------------------------------------------------

HttpServer::HttpServer(Handler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(handler), std::move(options))) {}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

Result<std::string> HttpServer::addListener(const std::string& address) {
  return impl_->addListener(address);
}

std::vector<std::string> HttpServer::addresses() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& l : impl_->listeners) out.push_back(l->address);
  return out;
}

Result<void> HttpServer::start(int io_threads) {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mu);
    if (impl.running || impl.stopping) return conflict("start http server: already started");
    impl.running = true;
    for (auto& l : impl.listeners) {
      Listener* raw = l.get();
      asio::post(impl.io, [&impl, raw] { impl.startAccept(raw); });
    }
  }
  impl.work.emplace(impl.io.get_executor());
  for (int i = 0; i < std::max(1, io_threads); ++i) {
    impl.io_threads.emplace_back([&impl] {
      while (true) {
        try {
          impl.io.run();
          return;
        } catch (const std::exception& e) {
          log::error(std::string("http: io thread: ") + e.what());
        }
      }
    });
  }
  return okResult();
}

void HttpServer::stop(std::chrono::milliseconds deadline) { impl_->stop(deadline); }

size_t HttpServer::inFlight() const {
  std::lock_guard lock(impl_->mu);
  return impl_->busy;
}

// --- Parser entry point for fuzzing -------------------------------------------------------------

Result<ParsedHttpRequest> parseHttpRequest(std::string_view bytes, size_t header_limit,
                                           size_t body_limit) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(header_limit, UINT32_MAX)));
  parser.body_limit(body_limit);
  parser.eager(true);
  size_t offset = 0;
  while (!parser.is_done() && offset < bytes.size()) {
    error_code ec;
    size_t used = parser.put(asio::buffer(bytes.data() + offset, bytes.size() - offset), ec);
    offset += used;
    if (ec && ec != bhttp::error::need_more) {
      return invalidArgument("malformed http request: " + ec.message());
    }
    if (used == 0) break;  // needs more input than there is
  }
  if (!parser.is_done()) {
    error_code ec;
    if (parser.is_header_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return invalidArgument("malformed http request: truncated");
  }
  const auto& msg = parser.get();
  ParsedHttpRequest out;
  out.method = std::string(msg.method_string());
  out.target = std::string(msg.target());
  for (const auto& field : msg) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = msg.body();
  out.keep_alive = msg.keep_alive();
  out.chunked = msg.chunked();
  return out;
}

}  // namespace berth::api
