#pragma once
// The embedded DNS server of user-defined networks (Docker's 127.0.0.11).
//
// For each container the daemon calls addContainer() with the container's netns: UDP and TCP
// sockets bound to 127.0.0.11:53 are created INSIDE that netns (on a setns'd thread; loopback must
// be up there for queries to arrive) and then served, with every other container's sockets, by one
// epoll thread in the daemon. Queries:
//   A     for a name the resolver knows -> its addresses (NOERROR, TTL 600 as Docker)
//   AAAA  for a known name -> NOERROR with no answer
//   PTR   for an address the reverse resolver knows -> its name (optional)
//   other -> forwarded over UDP to the container's upstream servers in turn (from the daemon's
//            netns), each with `upstream_timeout`; SERVFAIL when none answers; NXDOMAIN when
//            there are no upstreams and the name is unknown.
// Names are matched case-insensitively, without the trailing dot. Malformed packets are dropped
// (or answered FORMERR when the header is readable) and never crash the server.
//
// Forwarded queries leave from the network namespace of the thread that called start() (the
// server thread inherits it): the daemon's.
//
// Thread safety: addContainer/removeContainer/setUpstreams may be called from any thread. The
// resolver callbacks run on the server thread and must not call back into the server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "network/ip_address.h"

namespace berth::network {

struct DnsUpstream {
  Ipv4 ip;
  uint16_t port = 53;
};

// Name (lower case, no trailing dot) -> addresses; nullopt when the name is not known (forward
// it). An empty vector means "known, no IPv4" (NOERROR, no answer).
using DnsResolver = std::function<std::optional<std::vector<Ipv4>>(const std::string& name)>;
// Address -> name (without trailing dot); nullopt when unknown (forward).
using DnsReverseResolver = std::function<std::optional<std::string>(Ipv4 address)>;

struct DnsContainerConfig {
  std::string key;    // the container id; unique
  int netns_fd = -1;  // the container's netns (borrowed during the call)
  DnsResolver resolver;
  DnsReverseResolver reverse;          // may be empty
  std::vector<DnsUpstream> upstreams;  // may be empty
  // Where to listen inside the netns; tests use other addresses.
  Ipv4 listen_ip = Ipv4::fromOctets(127, 0, 0, 11);
  uint16_t listen_port = 53;
};

class DnsServer {
 public:
  struct Options {
    std::chrono::milliseconds upstream_timeout{2000};
  };
  // Starts the server thread.
  static Result<std::unique_ptr<DnsServer>> start(Options options);
  static Result<std::unique_ptr<DnsServer>> start() { return start(Options{}); }
  virtual ~DnsServer() = default;  // stops the thread and closes every socket

  // Opens the container's sockets in its netns and serves them. Conflict when `key` exists.
  virtual Result<void> addContainer(DnsContainerConfig config) = 0;
  // Closes the container's sockets; unknown keys are fine.
  virtual void removeContainer(const std::string& key) = 0;
  // Replaces a container's upstreams (e.g. after a reload). NotFound for unknown keys.
  virtual Result<void> setUpstreams(const std::string& key, std::vector<DnsUpstream> upstreams) = 0;
};

// The nameservers of a resolv.conf text that the embedded server forwards to: IPv4 "nameserver"
// lines, skipping 127.0.0.0/8 (as Docker does, the host's loopback resolver is not reachable as
// such from a container's view) unless `keep_loopback`.
std::vector<DnsUpstream> upstreamsFromResolvConf(std::string_view resolv_conf,
                                                 bool keep_loopback = false);

}  // namespace berth::network
