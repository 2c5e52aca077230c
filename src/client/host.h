#pragma once
// Daemon addresses as the docker CLI takes them: unix:///path and tcp://host:port (HTTP, or
// HTTPS when the endpoint carries a TLS context).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::tls {
class TlsContext;
}

namespace berth::client {

inline constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";

struct Endpoint {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;      // kUnix: the socket path
  std::string host;      // kTcp: host name or address (IPv6 without brackets)
  uint16_t port = 2375;  // kTcp
  std::string url;       // as given (normalised), for messages: "unix:///run/berth/berth.sock"
  // kTcp: TLS with this client context (see tls/tls.h); null = plain HTTP.
  std::shared_ptr<const tls::TlsContext> tls;
};

// Parses "unix:///path", "tcp://host[:port]" (port 2375 by default, 2376 with `tls`, as the
// docker CLI), or a bare "/path" (unix). Other schemes (fd://, ssh://, npipe://, http(s)://)
// are InvalidArgument errors naming the value.
Result<Endpoint> parseHost(std::string_view text, bool tls = false);

// The address to use: `flag_host` (-H) when not empty, else $DOCKER_HOST, else $BERTH_HOST, else
// kDefaultHost.
std::string resolveHost(const std::string& flag_host);

}  // namespace berth::client
