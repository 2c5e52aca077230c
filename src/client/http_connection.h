#pragma once
// HttpConnection: one HTTP/1.1 exchange (or several, sequentially) over a blocking unix or TCP
// socket, as the berth CLI needs it.
//
// Why hand-written and not Boost.Beast: the CLI is single-threaded and blocking, and it needs
// the raw fd in three places Beast makes awkward — a request body streamed from any fd (stdin,
// a file) with chunked encoding, a response body read incrementally (progress streams, logs -f,
// multiplexed frames) and the hijacked connection of attach (101 Switching Protocols, after
// which the socket is a plain byte pipe, with bytes already read past the head to hand over).
// HTTP/1.1 framing from a trusted daemon is small: a status line, headers, then Content-Length,
// chunked or read-until-close bodies. Limits bound every read (head size, chunk-size line).
//
// Not thread-safe; one request at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "client/host.h"

namespace berth::tls {
class BridgeStatus;
}

namespace berth::client {

// Largest response head (status line + headers) accepted.
inline constexpr size_t kMaxHeadBytes = 64 * 1024;

struct Request {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when body_fd < 0 (and method is not GET/HEAD
                     // or body is not empty)
  int body_fd = -1;  // when >= 0, the body is read from this fd until EOF and sent chunked
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  // The first header of that (case-insensitive) name, or "".
  std::string header(std::string_view name) const;
};

class HttpConnection {
 public:
  // Connects to the endpoint. Connection failures are kUnavailable errors.
  static Result<HttpConnection> open(const Endpoint& endpoint);
  // Adopts a connected socket (tests use a socketpair).
  HttpConnection(UniqueFd fd, std::string host_header);

  HttpConnection(HttpConnection&&) = default;
  HttpConnection& operator=(HttpConnection&&) = default;

  // Writes the request: head (adding Host, User-Agent and Content-Length or
  // Transfer-Encoding), then the body.
  Result<void> send(const Request& request);
  // Reads the response head. For `head_only` (a HEAD request) the response has no body.
  Result<ResponseHead> readHead(bool head_only = false);
  // Reads up to `cap` bytes of the body (dechunked); 0 at its end.
  Result<size_t> readBody(char* out, size_t cap);
  // Reads the rest of the body, failing beyond `limit` bytes.
  Result<std::string> readAllBody(size_t limit = 256u << 20);

  // For hijacked connections (after readHead): the bytes already read past the head, and the
  // socket itself. The connection is unusable afterwards.
  std::string takeBuffered();
  UniqueFd releaseFd() { return std::move(fd_); }
  int fd() const { return fd_.get(); }

 private:
  enum class BodyMode { kNone, kLength, kChunked, kUntilClose };

  // Why the TLS bridge under fd_ ended ("" when none or not TLS).
  std::string tlsError() const;
  // Reads more bytes into buf_; returns how many (0 at EOF).
  Result<size_t> fill();
  // Extracts one CRLF-terminated line (without CRLF) from the buffer, reading as needed.
  Result<std::string> readLine(size_t limit);
  Result<void> writeAll(std::string_view data);

  UniqueFd fd_;
  std::string host_header_;
  // The TLS bridge under fd_ (tcp:// with TLS), for the reason of an early EOF.
  std::shared_ptr<tls::BridgeStatus> tls_status_;
  std::string buf_;
  size_t pos_ = 0;
  BodyMode mode_ = BodyMode::kNone;
  uint64_t remaining_ = 0;  // kLength: body bytes left; kChunked: bytes left in this chunk
  bool body_done_ = true;
};

}  // namespace berth::client
