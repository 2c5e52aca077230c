// Beast's websocket stream over a socket taken from the HTTP server, relaying to a local fd with
// a private io_context on the handler's thread: one read and one write in flight on each side
// (what Beast allows), no extra threads.

#include "api/http/websocket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>

#define BOOST_DISABLE_ASSERTS 1
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using Protocol = asio::generic::stream_protocol;
using Socket = Protocol::socket;

class BeastWebSocket : public WebSocket {
 public:
  // Adopts `fd` (throws boost::system::system_error when asio cannot).
  BeastWebSocket(int fd, const Protocol& protocol) : ws_(Socket(ioc_, protocol, fd)) {}

  Result<void> accept(const std::string& received) {
    // A client that never completes the handshake or the closing handshake is let go; an idle
    // attach may stay open for as long as the container runs.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    error_code ec;
    ws_.accept(asio::buffer(received.data(), received.size()), ec);
    if (ec) return invalidArgument("websocket handshake: " + ec.message());
    return {};
  }

  void relay(UniqueFd peer_fd, bool text_frames) override {
    peer_.emplace(ioc_, peer_fd.release());
    ws_.binary(!text_frames);
    readClient();
    readPeer();
    ioc_.run();
    error_code ec;
    if (peer_->is_open()) peer_->close(ec);
  }

 private:
  // Client → peer.
  void readClient() {
    ws_.async_read(in_, [this](const error_code& ec, size_t) {
      if (ec) return finish();
      asio::async_write(*peer_, in_.data(), [this](const error_code& wec, size_t n) {
        in_.consume(n);
        if (wec) return finish();
        readClient();
      });
    });
  }

  // Peer → client.
  void readPeer() {
    peer_->async_read_some(asio::buffer(out_), [this](const error_code& ec, size_t n) {
      if (ec) {
        // The container's streams ended: close the websocket normally.
        if (closing_) return;
        closing_ = true;
        ws_.async_close(websocket::close_code::normal, [this](const error_code&) { finish(); });
        return;
      }
      ws_.async_write(asio::buffer(out_.data(), n), [this](const error_code& wec, size_t) {
        if (wec) return finish();
        readPeer();
      });
    });
  }

  void finish() {
    error_code ec;
    if (peer_ && peer_->is_open()) peer_->close(ec);
    ioc_.stop();
  }

  // Declared first: the socket and descriptor are bound to it.
  asio::io_context ioc_;
  websocket::stream<Socket> ws_;
  std::optional<asio::posix::stream_descriptor> peer_;
  boost::beast::flat_buffer in_;
  std::array<char, 32 * 1024> out_{};
  bool closing_ = false;
};

}  // namespace

Result<std::unique_ptr<WebSocket>> acceptWebSocketOn(UniqueFd fd, const std::string& received) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return errnoError("websocket: getsockname");
  }
  int family = addr.ss_family;
  Protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
  std::unique_ptr<BeastWebSocket> ws;
  try {
    ws = std::make_unique<BeastWebSocket>(fd.get(), protocol);
    fd.release();
  } catch (const boost::system::system_error& e) {
    return internalError(std::string("websocket: adopt the connection: ") + e.what());
  }
  BERTH_TRY_VOID(ws->accept(received));
  return std::unique_ptr<WebSocket>(std::move(ws));
}

}  // namespace berth::api
