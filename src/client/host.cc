#include "client/host.h"

#include <cstdlib>

#include "base/strings.h"

namespace berth::client {

Result<Endpoint> parseHost(std::string_view text, bool tls) {
  std::string_view s = trim(text);
  Endpoint ep;
  if (s.starts_with("/")) {
    ep.kind = Endpoint::Kind::kUnix;
    ep.path = std::string(s);
    ep.url = "unix://" + ep.path;
    return ep;
  }
  if (s.starts_with("unix://")) {
    ep.kind = Endpoint::Kind::kUnix;
    ep.path = std::string(s.substr(7));
    if (ep.path.empty()) return invalidArgument("invalid host \"" + std::string(s) + "\": no path");
    ep.url = std::string(s);
    return ep;
  }
  if (s.starts_with("tcp://")) {
    std::string_view rest = s.substr(6);
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      if (rest.substr(slash) != "/") {
        return invalidArgument("invalid host \"" + std::string(s) + "\": paths are not supported");
      }
      rest = rest.substr(0, slash);
    }
    std::string_view host = rest;
    std::string_view port;
    if (rest.starts_with("[")) {
      auto close = rest.find(']');
      if (close == std::string_view::npos) {
        return invalidArgument("invalid host \"" + std::string(s) + "\": bad IPv6 address");
      }
      host = rest.substr(1, close - 1);
      std::string_view after = rest.substr(close + 1);
      if (after.starts_with(":")) port = after.substr(1);
      else if (!after.empty())
        return invalidArgument("invalid host \"" + std::string(s) + "\": bad IPv6 address");
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    ep.kind = Endpoint::Kind::kTcp;
    if (tls) ep.port = 2376;
    ep.host = host.empty() ? "127.0.0.1" : std::string(host);
    if (!port.empty()) {
      auto p = parseUint(port);
      if (!p || *p == 0 || *p > 65535) {
        return invalidArgument("invalid host \"" + std::string(s) + "\": invalid port");
      }
      ep.port = static_cast<uint16_t>(*p);
    }
    ep.url = "tcp://" + std::string(rest);
    return ep;
  }
  if (s.starts_with("https://") || s.starts_with("http://")) {
    return invalidArgument("invalid host \"" + std::string(s) +
                           "\": use tcp:// (with --tls or --tlsverify for HTTPS)");
  }
  return invalidArgument("invalid host \"" + std::string(s) +
                         "\": unsupported protocol (use unix:// or tcp://)");
}

std::string resolveHost(const std::string& flag_host) {
  if (!flag_host.empty()) return flag_host;
  for (const char* var : {"DOCKER_HOST", "BERTH_HOST"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return kDefaultHost;
}

}  // namespace berth::client
