#include "network/port_allocator.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth::network {
namespace {

std::string hostString(Ipv4 ip) {
  return ip.toString();
}

// Binds a socket of `proto` on ip:port and keeps it. EADDRINUSE and friends become Docker's
// userland-proxy message.
Result<UniqueFd> bindHostPort(Protocol proto, Ipv4 ip, uint16_t port) {
  int type = proto == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  int protocol = proto == Protocol::kSctp ? IPPROTO_SCTP : 0;
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, protocol));
  if (!fd) {
    // No SCTP in this kernel: bookkeeping only, as there is nothing to collide with.
    if (proto == Protocol::kSctp && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
      return UniqueFd();
    return errnoError("open socket for port " + std::to_string(port));
  }
  if (proto == Protocol::kTcp) {
    // As Go's listeners: a port in TIME_WAIT is not "in use".
    int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
      return errnoError("setsockopt SO_REUSEADDR");
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = ip.networkOrder();
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int err = errno;
    std::string reason = std::strerror(err);
    if (!reason.empty()) reason[0] = char(std::tolower(uint8_t(reason[0])));
    return Error(err == EADDRINUSE ? ErrorCode::kConflict : ErrorCode::kInvalidArgument,
                 std::string("Error starting userland proxy: listen ") + protocolName(proto) +
                     "4 " + hostString(ip) + ":" + std::to_string(port) + ": bind: " + reason,
                 err);
  }
  // Listening makes the reservation exclusive: Linux lets two SO_REUSEADDR sockets bind the same
  // port while neither listens (two daemons got the same ephemeral port). Published traffic is
  // DNATed before it could reach this socket.
  if (proto == Protocol::kTcp && ::listen(fd.get(), 1) != 0) {
    int err = errno;
    return Error(err == EADDRINUSE ? ErrorCode::kConflict : ErrorCode::kInternal,
                 std::string("Error starting userland proxy: listen tcp4 ") + hostString(ip) + ":" +
                     std::to_string(port) + ": " + std::strerror(err),
                 err);
  }
  return fd;
}

}  // namespace

PortAllocator::PortAllocator(bool bind_host_sockets, uint16_t ephemeral_start,
                             uint16_t ephemeral_end)
    : bind_host_sockets_(bind_host_sockets),
      ephemeral_start_(ephemeral_start),
      ephemeral_end_(ephemeral_end) {}

bool PortAllocator::takenLocked(Protocol proto, Ipv4 host_ip, uint16_t port) const {
  // 0.0.0.0 collides with every address of the same protocol and port, and the reverse.
  if (host_ip.isUnspecified()) {
    for (const auto& [key, fd] : reserved_)
      if (std::get<0>(key) == int(proto) && std::get<2>(key) == port) return true;
    return false;
  }
  return reserved_.count({int(proto), host_ip.value, port}) != 0 ||
         reserved_.count({int(proto), 0, port}) != 0;
}

Result<void> PortAllocator::reserveLocked(Protocol proto, Ipv4 host_ip, uint16_t port) {
  if (takenLocked(proto, host_ip, port))
    return conflict("Bind for " + hostString(host_ip) + ":" + std::to_string(port) +
                    " failed: port is already allocated");
  UniqueFd fd;
  if (bind_host_sockets_) {
    BERTH_TRY(fd, bindHostPort(proto, host_ip, port));
  }
  reserved_.emplace(Key{int(proto), host_ip.value, port}, std::move(fd));
  return okResult();
}

Result<uint16_t> PortAllocator::allocate(Protocol proto, Ipv4 host_ip, uint16_t port) {
  std::lock_guard lock(mu_);
  if (port != 0) {
    BERTH_TRY_VOID(reserveLocked(proto, host_ip, port));
    return port;
  }
  uint32_t span = uint32_t(ephemeral_end_) - ephemeral_start_ + 1;
  uint16_t last = last_.count(int(proto)) ? last_[int(proto)] : uint16_t(ephemeral_end_);
  for (uint32_t i = 1; i <= span; ++i) {
    uint16_t candidate =
        uint16_t(ephemeral_start_ + (uint32_t(last) - ephemeral_start_ + i) % span);
    if (takenLocked(proto, host_ip, candidate)) continue;
    auto reserved = reserveLocked(proto, host_ip, candidate);
    if (!reserved) {
      if (reserved.error().code() == ErrorCode::kConflict) continue;  // used by another program
      return std::move(reserved).error();
    }
    last_[int(proto)] = candidate;
    return candidate;
  }
  return Error(ErrorCode::kUnavailable, "all ports are allocated");
}

Result<uint16_t> PortAllocator::allocateInRange(Protocol proto, Ipv4 host_ip, uint16_t start,
                                                uint16_t end) {
  if (start == 0 || end < start)
    return invalidArgument("invalid port range: " + std::to_string(start) + "-" +
                           std::to_string(end));
  std::lock_guard lock(mu_);
  for (uint32_t port = start; port <= end; ++port) {
    auto reserved = reserveLocked(proto, host_ip, uint16_t(port));
    if (reserved) return uint16_t(port);
    if (reserved.error().code() != ErrorCode::kConflict) return std::move(reserved).error();
  }
  if (start == end)
    return conflict("Bind for " + hostString(host_ip) + ":" + std::to_string(start) +
                    " failed: port is already allocated");
  return conflict("Bind for " + hostString(host_ip) + ":" + std::to_string(start) + "-" +
                  std::to_string(end) + " failed: port is already allocated");
}

void PortAllocator::release(Protocol proto, Ipv4 host_ip, uint16_t port) {
  std::lock_guard lock(mu_);
  reserved_.erase(Key{int(proto), host_ip.value, port});
}

bool PortAllocator::isAllocated(Protocol proto, Ipv4 host_ip, uint16_t port) const {
  std::lock_guard lock(mu_);
  return reserved_.count(Key{int(proto), host_ip.value, port}) != 0;
}

}  // namespace berth::network
