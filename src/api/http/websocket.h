#pragma once
// Internal to the HTTP server (server.cc): the websocket side of attach/ws, in a translation unit
// of its own so that Beast's websocket headers are compiled once, here.

#include <memory>
#include <string>

#include "api/http/response_writer.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::api {

// Answers the websocket handshake on `fd` (a connected stream socket, blocking). `received` is
// everything read from the socket so far: the request head as the client sent it, then any
// bytes that followed it. The returned WebSocket owns the socket. Handshake failures (a request
// that is not a valid upgrade) are InvalidArgument errors; the client got a 400 from Beast.
Result<std::unique_ptr<WebSocket>> acceptWebSocketOn(UniqueFd fd, const std::string& received);

}  // namespace berth::api
