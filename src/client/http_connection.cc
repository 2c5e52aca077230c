#include "client/http_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/strings.h"
#include "tls/tls.h"

namespace berth::client {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

Error connectError(const Endpoint& ep, int err) {
  return Error(ErrorCode::kUnavailable,
               "dial " + (ep.kind == Endpoint::Kind::kUnix ? "unix " + ep.path
                                                           : "tcp " + ep.host + ":" +
                                                                 std::to_string(ep.port)) +
                   ": " + std::strerror(err),
               err);
}

Result<UniqueFd> dialUnix(const Endpoint& ep) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (ep.path.size() >= sizeof(addr.sun_path)) {
    return invalidArgument("unix socket path too long: " + ep.path);
  }
  std::memcpy(addr.sun_path, ep.path.data(), ep.path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errnoError("socket");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return connectError(ep, errno);
  return fd;
}

Result<UniqueFd> dialTcp(const Endpoint& ep) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  int gai = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) {
    return Error(ErrorCode::kUnavailable,
                 "dial tcp " + ep.host + ":" + port + ": lookup " + ep.host + ": " +
                     gai_strerror(gai));
  }
  int last_err = ECONNREFUSED;
  UniqueFd result;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last_err = errno;
      continue;
    }
    int rc;
    do {
      rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      result = std::move(fd);
      break;
    }
    last_err = errno;
  }
  ::freeaddrinfo(res);
  if (!result) return connectError(ep, last_err);
  return result;
}

bool methodHasBody(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "DELETE";
}

}  // namespace

std::string ResponseHead::header(std::string_view name) const {
  std::string lower = toLower(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return "";
}

Result<HttpConnection> HttpConnection::open(const Endpoint& endpoint) {
  Result<UniqueFd> fd = endpoint.kind == Endpoint::Kind::kUnix ? dialUnix(endpoint)
                                                               : dialTcp(endpoint);
  if (!fd) return std::move(fd).error();
  if (endpoint.kind == Endpoint::Kind::kTcp && endpoint.tls) {
    std::shared_ptr<tls::BridgeStatus> status;
    auto plain = tls::connectTlsBridge(std::move(*fd), *endpoint.tls, endpoint.host, &status);
    if (!plain) {
      return Error(plain.error().code(), "error during connect: " + endpoint.url + ": " +
                                             plain.error().message());
    }
    HttpConnection conn(std::move(*plain), endpoint.host + ":" + std::to_string(endpoint.port));
    conn.tls_status_ = std::move(status);
    return conn;
  }
  std::string host = endpoint.kind == Endpoint::Kind::kUnix
                         ? "api.moby.localhost"
                         : endpoint.host + ":" + std::to_string(endpoint.port);
  return HttpConnection(std::move(*fd), std::move(host));
}

HttpConnection::HttpConnection(UniqueFd fd, std::string host_header)
    : fd_(std::move(fd)), host_header_(std::move(host_header)) {}

Result<void> HttpConnection::writeAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK) {
        n = ::write(fd_.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
      }
      if (n < 0) {
        int err = errno;
        if (std::string tls_error = tlsError(); !tls_error.empty()) {
          return Error(ErrorCode::kUnauthorized, tls_error);
        }
        return sysError("write request", err);
      }
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okResult();
}

Result<void> HttpConnection::send(const Request& request) {
  std::string head = request.method + " " + request.target + " HTTP/1.1\r\n";
  head += "Host: " + host_header_ + "\r\n";
  bool has_ua = false;
  for (const auto& [k, v] : request.headers) {
    if (toLower(k) == "user-agent") has_ua = true;
    head += k + ": " + v + "\r\n";
  }
  if (!has_ua) head += "User-Agent: berth-cli\r\n";
  if (request.body_fd >= 0) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!request.body.empty() || methodHasBody(request.method)) {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  if (request.body_fd < 0) {
    head += request.body;
    return writeAll(head);
  }
  BERTH_TRY_VOID(writeAll(head));
  std::string chunk(kReadChunk, '\0');
  for (;;) {
    ssize_t n = ::read(request.body_fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("read request body");
    }
    if (n == 0) break;
    char size_line[32];
    int len = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", static_cast<size_t>(n));
    BERTH_TRY_VOID(writeAll(std::string_view(size_line, static_cast<size_t>(len))));
    BERTH_TRY_VOID(writeAll(std::string_view(chunk.data(), static_cast<size_t>(n))));
    BERTH_TRY_VOID(writeAll("\r\n"));
  }
  return writeAll("0\r\n\r\n");
}

std::string HttpConnection::tlsError() const {
  return tls_status_ ? tls_status_->error() : std::string();
}

Result<size_t> HttpConnection::fill() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kReadChunk);
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf_.data() + old, kReadChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      buf_.resize(old);
      if (std::string tls_error = tlsError(); !tls_error.empty()) {
        return Error(ErrorCode::kUnauthorized, tls_error);
      }
      return sysError("read response", err);
    }
    buf_.resize(old + static_cast<size_t>(n));
    return static_cast<size_t>(n);
  }
}

Result<std::string> HttpConnection::readLine(size_t limit) {
  for (;;) {
    size_t eol = buf_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buf_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      return line;
    }
    if (buf_.size() - pos_ > limit) return internalError("response line too long");
    BERTH_TRY(size_t n, fill());
    if (n == 0) {
      if (std::string tls_error = tlsError(); !tls_error.empty()) {
        return Error(ErrorCode::kUnauthorized, tls_error);
      }
      return Error(ErrorCode::kUnavailable, "unexpected EOF reading response");
    }
  }
}

Result<ResponseHead> HttpConnection::readHead(bool head_only) {
  ResponseHead head;
  size_t total = 0;
  for (;;) {
    BERTH_TRY(std::string line, readLine(kMaxHeadBytes));
    total += line.size() + 2;
    if (total > kMaxHeadBytes) return internalError("response head too large");
    if (head.status == 0) {
      // "HTTP/1.1 200 OK"
      auto sp = line.find(' ');
      if (!line.starts_with("HTTP/1.") || sp == std::string::npos) {
        return internalError("malformed HTTP response: " + line.substr(0, 80));
      }
      std::string_view rest = std::string_view(line).substr(sp + 1);
      auto [code, reason] = splitOnce(rest, ' ');
      auto status = parseUint(code);
      if (!status || *status < 100 || *status > 999) {
        return internalError("malformed HTTP status line: " + line.substr(0, 80));
      }
      head.status = static_cast<int>(*status);
      head.reason = std::string(reason);
      continue;
    }
    if (line.empty()) {
      if (head.status >= 100 && head.status < 200 && head.status != 101) {
        head = ResponseHead{};  // an interim response: the real one follows
        continue;
      }
      break;
    }
    auto [name, value] = splitOnce(line, ':');
    head.headers.emplace_back(toLower(trim(name)), std::string(trim(value)));
  }
  mode_ = BodyMode::kNone;
  body_done_ = true;
  if (head_only || head.status == 204 || head.status == 304 || head.status == 101) return head;
  std::string te = toLower(head.header("transfer-encoding"));
  std::string cl = head.header("content-length");
  if (te.find("chunked") != std::string::npos) {
    mode_ = BodyMode::kChunked;
    remaining_ = 0;
    body_done_ = false;
  } else if (!cl.empty()) {
    auto len = parseUint(cl);
    if (!len) return internalError("malformed Content-Length: " + cl);
    mode_ = BodyMode::kLength;
    remaining_ = *len;
    body_done_ = *len == 0;
  } else {
    mode_ = BodyMode::kUntilClose;
    body_done_ = false;
  }
  return head;
}

Result<size_t> HttpConnection::readBody(char* out, size_t cap) {
  if (body_done_ || cap == 0) return size_t{0};
  if (mode_ == BodyMode::kChunked && remaining_ == 0) {
    BERTH_TRY(std::string line, readLine(1024));
    auto semi = line.find(';');
    std::string size_text(trim(std::string_view(line).substr(0, semi)));
    char* end = nullptr;
    errno = 0;
    unsigned long long size = std::strtoull(size_text.c_str(), &end, 16);
    if (size_text.empty() || end == nullptr || *end != '\0' || errno != 0) {
      return internalError("malformed chunk size in response: " + line.substr(0, 40));
    }
    if (size == 0) {
      // Trailers until an empty line.
      for (;;) {
        BERTH_TRY(std::string trailer, readLine(kMaxHeadBytes));
        if (trailer.empty()) break;
      }
      body_done_ = true;
      return size_t{0};
    }
    remaining_ = size;
  }
  if (pos_ == buf_.size()) {
    BERTH_TRY(size_t n, fill());
    if (n == 0) {
      if (mode_ == BodyMode::kUntilClose) {
        body_done_ = true;
        return size_t{0};
      }
      return Error(ErrorCode::kUnavailable, "unexpected EOF reading response body");
    }
  }
  size_t avail = buf_.size() - pos_;
  size_t n = std::min(avail, cap);
  if (mode_ != BodyMode::kUntilClose) n = static_cast<size_t>(std::min<uint64_t>(n, remaining_));
  std::memcpy(out, buf_.data() + pos_, n);
  pos_ += n;
  if (mode_ != BodyMode::kUntilClose) {
    remaining_ -= n;
    if (remaining_ == 0) {
      if (mode_ == BodyMode::kLength) {
        body_done_ = true;
      } else {
        BERTH_TRY(std::string crlf, readLine(16));
        if (!crlf.empty()) return internalError("malformed chunk in response");
      }
    }
  }
  return n;
}

Result<std::string> HttpConnection::readAllBody(size_t limit) {
  std::string body;
  char tmp[16 * 1024];
  for (;;) {
    BERTH_TRY(size_t n, readBody(tmp, sizeof(tmp)));
    if (n == 0) return body;
    if (body.size() + n > limit) return internalError("response body too large");
    body.append(tmp, n);
  }
}

std::string HttpConnection::takeBuffered() {
  std::string rest = buf_.substr(pos_);
  buf_.clear();
  pos_ = 0;
  return rest;
}

}  // namespace berth::client
