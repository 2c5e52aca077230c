#pragma once
// HttpServer: the HTTP/1.1 server under berthd's Docker Engine API. Listeners on unix sockets,
// plain TCP and systemd-activated fds; an Asio io_context on a few threads reads request headers;
// each request then runs its handler on a worker thread with blocking I/O on the connection (a
// body stream, flushed writes, hijack), so handlers are plain synchronous functions.
//
// Asio and Beast stay inside server.cc: this header is cheap to include.
//
// Threading: a handler runs on a worker thread of its own for its whole duration (long streams
// and hijacked connections included); workers are created on demand up to max_workers and reused.
// addListener/start/stop are called from one controlling thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/request.h"
#include "api/http/response_writer.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::api {

struct HttpServerOptions {
  // The Server header ("berth/<version> (linux)").
  std::string server_header = "berth/0.1.0 (linux)";
  // Request line + headers beyond this: 431 and the connection is closed.
  size_t max_header_bytes = 1 << 20;
  // The limit of Request::readBodyAll() without an argument.
  size_t default_body_limit = 16 << 20;
  // Upper bound on concurrent handlers (further requests wait for a free worker).
  size_t max_workers = 1024;
  // TLS (or any other wrapping) of TCP connections, on tcp:// listeners and TCP fd:// ones:
  // called with each accepted TCP connection; it calls `adopt` (from any thread, at most once)
  // with the plain end the server then serves (see tls/tls.h), or drops the connection. `adopt`
  // may be called after the server is gone: it then closes the fd. Unset: plain HTTP.
  using AdoptFn = std::function<void(UniqueFd plain)>;
  std::function<void(UniqueFd tcp, AdoptFn adopt)> wrap_tcp;
};

class HttpServer {
 public:
  using Handler = std::function<void(Request&, ResponseWriter&)>;

  // `handler` (typically Router::dispatch) is called on worker threads, concurrently.
  explicit HttpServer(Handler handler, HttpServerOptions options = {});
  ~HttpServer();  // stop(), with a zero deadline if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens a listener (before or after start()). Addresses, as dockerd's -H:
  //   unix:///path  the socket file is created with mode 0660 (its parent directory too); a stale
  //                 socket file is removed first, any other file there is an error
  //   tcp://host:port  plain TCP; port 0 picks a free port; host empty means all addresses
  //   fd:// or fd://N  systemd socket activation (LISTEN_PID/LISTEN_FDS, fds from 3): all of
  //                 them, or fd N only
  // Returns the bound address(es) joined by ',' ("tcp://127.0.0.1:39211"); errors read
  // `invalid listen address "foo": ...`.
  Result<std::string> addListener(const std::string& address);
  // The bound addresses, in order of addListener.
  std::vector<std::string> addresses() const;

  // Starts `io_threads` threads (at least 1) that accept and read request headers.
  Result<void> start(int io_threads = 2);
  // Stops accepting, closes idle connections, waits up to `deadline` for in-flight requests to
  // finish, then shuts down the sockets of those still running (their reads and writes fail) and
  // waits for their handlers to return. Handlers that hijacked their connection must be ended by
  // their owner: stop() waits for them too. Idempotent.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

  // Number of requests whose handler is running now (hijacked ones included).
  size_t inFlight() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// What parseHttpRequest saw: exposed for the fuzz target and parser tests; the server itself
// parses incrementally from the socket with the same parser settings.
struct ParsedHttpRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
  bool chunked = false;
};
// Parses one complete request from `bytes` (body limited to `body_limit`). Errors:
// InvalidArgument for malformed input (or truncated input), with Beast's reason in the message.
Result<ParsedHttpRequest> parseHttpRequest(std::string_view bytes, size_t header_limit,
                                           size_t body_limit);

}  // namespace berth::api
