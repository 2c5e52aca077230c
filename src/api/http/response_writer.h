#pragma once
// ResponseWriter: how a handler answers. One response per request: either a whole body (send,
// sendJson, sendError, sendStatus), or a stream (beginStream, write..., end), or a hijack that
// hands the raw connection over (attach, exec start).
//
// Every response carries Docker's headers: Api-Version, Docker-Experimental, Ostype, Server.
// HttpServer implements this interface; tests use FakeResponseWriter (fake_response_writer.h).
// Thread safety: used by the one thread running the handler.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::api {

class Request;

inline constexpr std::string_view kRawStreamType = "application/vnd.docker.raw-stream";
inline constexpr std::string_view kMultiplexedStreamType =
    "application/vnd.docker.multiplexed-stream";

// The one mapping from error classes to HTTP statuses (as moby's errdefs.GetHTTPErrorStatusCode:
// Cancelled, DeadlineExceeded and DataLoss are 500 there too).
int httpStatusFor(ErrorCode code);
// "OK", "Not Found", ...; "Unknown" for codes this server never sends.
std::string_view reasonPhrase(int status);
// {"message":"<text>"} with JSON escaping, as Docker's error bodies.
std::string errorJson(std::string_view message);

// A connection taken over by a handler: the socket (blocking mode, owned by the handler) and the
// bytes the server had already read from it past the request.
struct HijackedConnection {
  UniqueFd fd;
  std::string buffered;
};

// A websocket accepted on a request's connection (attach/ws). Owns the connection.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Relays until either side ends: each message from the client (text or binary) is written to
  // `peer`; bytes read from `peer` are sent as binary messages (text ones when `text_frames`).
  // When `peer` reaches EOF the websocket is closed normally; when the client closes (or fails)
  // `peer` is closed. Blocks the calling thread.
  virtual void relay(UniqueFd peer, bool text_frames) = 0;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Adds a header to the response not yet started (ignored once it has started).
  void setHeader(std::string name, std::string value);
  // True once a response (or a stream, or a hijack) has started.
  bool started() const { return started_; }
  int status() const { return status_; }

  // Sends a whole response. All writers return false when the client is gone (or the response
  // was already sent); the handler should then stop.
  virtual bool send(int status, std::string_view content_type, std::string_view body) = 0;
  bool sendJson(int status, std::string_view json) {
    return send(status, "application/json", json);
  }
  // Docker's error body with httpStatusFor(error.code()); 413 when the handler's readBodyAll hit
  // its limit (Request::bodyTooLarge()).
  bool sendError(const Error& error);
  bool sendError(int status, std::string_view message);
  // A response without body (204 No Content, 304 Not Modified, 201 with nothing to say).
  bool sendStatus(int status) { return send(status, {}, {}); }

  // Starts a streamed response (chunked for HTTP/1.1 clients). Each write() is flushed to the
  // socket before it returns; false means the client went away.
  virtual bool beginStream(int status, std::string_view content_type) = 0;
  virtual bool write(std::string_view data) = 0;
  // Ends the stream (final chunk). Safe to call twice.
  virtual bool end() = 0;

  // Takes over the connection. If the client asked for "Connection: Upgrade" + "Upgrade: tcp",
  // answers "101 UPGRADED", else "200 OK"; Content-Type is `content_type` (kRawStreamType or
  // kMultiplexedStreamType). The server forgets the connection afterwards.
  virtual Result<HijackedConnection> hijack(std::string_view content_type) = 0;

  // Completes a websocket handshake (RFC 6455) for a GET with "Upgrade: websocket" and takes the
  // connection over, like hijack(). Errors (not a websocket request, ...) leave no response
  // sent, so the handler can answer with the error.
  virtual Result<std::unique_ptr<WebSocket>> acceptWebSocket() {
    return Error(ErrorCode::kNotImplemented, "websocket upgrades are not supported here");
  }

  // True if the peer has closed or reset the connection (checked without blocking). For long
  // waits that write nothing for a while (logs -f, events, wait).
  virtual bool clientGone() = 0;

  // Set by the server so that sendError can see bodyTooLarge().
  void setRequest(const Request* request) { request_ = request; }

 protected:
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  const Request* request_ = nullptr;
  bool started_ = false;
  int status_ = 0;
};

}  // namespace berth::api
