// The embedded DNS server: one epoll thread serving every container's 127.0.0.11 sockets,
// forwarding what it cannot answer to upstream servers over UDP without blocking.

#include "network/dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "network/dns_message.h"
#include "network/netns.h"

namespace berth::network {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxTcpConnsPerContainer = 32;
constexpr auto kTcpIdleTimeout = std::chrono::seconds(10);
constexpr size_t kMaxPending = 1024;

sockaddr_in socketAddress(Ipv4 ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = ip.networkOrder();
  return sa;
}

Result<UniqueFd> listenSocket(int type, Ipv4 ip, uint16_t port) {
  std::string what = std::string("listen on ") + (type == SOCK_DGRAM ? "udp " : "tcp ") +
                     ip.toString() + ":" + std::to_string(port);
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errnoError(what);
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
    return errnoError(what);
  sockaddr_in sa = socketAddress(ip, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return errnoError(what);
  if (type == SOCK_STREAM && ::listen(fd.get(), 64) != 0) return errnoError(what);
  return fd;
}

// Writes a whole TCP DNS message (length-prefixed), waiting at most 1s for buffer space.
void sendTcp(int fd, const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> framed;
  framed.push_back(uint8_t(msg.size() >> 8));
  framed.push_back(uint8_t(msg.size()));
  framed.insert(framed.end(), msg.begin(), msg.end());
  size_t off = 0;
  while (off < framed.size()) {
    ssize_t n = ::send(fd, framed.data() + off, framed.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) > 0) continue;
    }
    return;
  }
}

class DnsServerImpl final : public DnsServer {
 public:
  explicit DnsServerImpl(Options options) : options_(options) {}

  ~DnsServerImpl() override {
    stopping_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
  }

  Result<void> startThread() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return errnoError("dns server: epoll_create1");
    wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_) return errnoError("dns server: eventfd");
    BERTH_TRY_VOID(watch(wake_.get(), Tag{Kind::kWake, ""}));
    thread_ = std::thread([this] { loop(); });
    return okResult();
  }

  Result<void> addContainer(DnsContainerConfig config) override {
    std::string what = "start dns server for " + config.key;
    if (config.netns_fd < 0) return invalidArgument(what + ": no netns");
    {
      std::lock_guard lock(mu_);
      if (containers_.count(config.key) != 0) return conflict(what + ": already serving");
    }
    // The sockets belong to the container's netns; they are served from this one.
    auto sockets = inNetns(config.netns_fd, [&]() -> Result<std::pair<UniqueFd, UniqueFd>> {
      BERTH_TRY(UniqueFd udp, listenSocket(SOCK_DGRAM, config.listen_ip, config.listen_port));
      BERTH_TRY(UniqueFd tcp, listenSocket(SOCK_STREAM, config.listen_ip, config.listen_port));
      return std::make_pair(std::move(udp), std::move(tcp));
    });
    if (!sockets) return std::move(sockets).error().wrap(what);
    std::lock_guard lock(mu_);
    if (containers_.count(config.key) != 0) return conflict(what + ": already serving");
    Container c;
    c.udp = std::move(sockets->first);
    c.tcp = std::move(sockets->second);
    config.netns_fd = -1;
    c.config = std::move(config);
    std::string key = c.config.key;
    BERTH_TRY_VOID_CTX(watch(c.udp.get(), Tag{Kind::kUdp, key}), what);
    auto watched = watch(c.tcp.get(), Tag{Kind::kTcpListen, key});
    if (!watched) {
      unwatch(c.udp.get());
      return std::move(watched).error().wrap(what);
    }
    containers_.emplace(key, std::move(c));
    return okResult();
  }

  void removeContainer(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(key);
    if (it == containers_.end()) return;
    unwatch(it->second.udp.get());
    unwatch(it->second.tcp.get());
    containers_.erase(it);
    for (auto c = conns_.begin(); c != conns_.end();) {
      if (c->second.key == key) {
        unwatch(c->first);
        c = conns_.erase(c);
      } else {
        ++c;
      }
    }
    // Pending forwards of this container are dropped when their answer or timeout comes.
  }

  Result<void> setUpstreams(const std::string& key, std::vector<DnsUpstream> upstreams) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(key);
    if (it == containers_.end()) return notFound("dns server: no container " + key);
    it->second.config.upstreams = std::move(upstreams);
    return okResult();
  }

 private:
  enum class Kind { kWake, kUdp, kTcpListen, kTcpConn, kUpstream };
  struct Tag {
    Kind kind;
    std::string key;
  };
  struct Container {
    DnsContainerConfig config;
    UniqueFd udp;
    UniqueFd tcp;
  };
  struct TcpConn {
    std::string key;
    UniqueFd fd;
    std::vector<uint8_t> in;
    Clock::time_point deadline;
    bool waiting = false;  // a forwarded query is pending for it
    uint64_t serial = 0;   // tells a new connection from an old one with the same fd number
  };
  struct Pending {
    std::string key;
    std::vector<uint8_t> query;
    uint16_t id = 0;
    size_t upstream = 0;
    Clock::time_point deadline;
    UniqueFd sock;
    bool tcp = false;
    int conn_fd = -1;  // when tcp
    uint64_t conn_serial = 0;
    sockaddr_in client{};  // when udp
  };

  void wake() {
    uint64_t one = 1;
    if (wake_) (void)!::write(wake_.get(), &one, sizeof(one));
  }

  // REQUIRES: mu_ held (or before the thread starts).
  Result<void> watch(int fd, Tag tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errnoError("epoll_ctl");
    tags_[fd] = std::move(tag);
    return okResult();
  }

  // REQUIRES: mu_ held.
  void unwatch(int fd) {
    (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    tags_.erase(fd);
  }

  void loop() {
    epoll_event events[64];
    while (!stopping_) {
      int timeout_ms = nextTimeoutMs();
      int n = ::epoll_wait(epoll_.get(), events, 64, timeout_ms);
      if (n < 0 && errno != EINTR) {
        log::error(std::string("dns server: epoll_wait: ") + std::strerror(errno));
        return;
      }
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        auto it = tags_.find(fd);
        if (it == tags_.end()) continue;
        Tag tag = it->second;
        switch (tag.kind) {
          case Kind::kWake: {
            uint64_t v;
            (void)!::read(fd, &v, sizeof(v));
            break;
          }
          case Kind::kUdp:
            onUdp(fd, tag.key);
            break;
          case Kind::kTcpListen:
            onAccept(fd, tag.key);
            break;
          case Kind::kTcpConn:
            onTcpData(fd);
            break;
          case Kind::kUpstream:
            onUpstream(fd);
            break;
        }
      }
      expire();
    }
  }

  int nextTimeoutMs() {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (const auto& [fd, p] : pending_) next = std::min(next, p.deadline);
    for (const auto& [fd, c] : conns_) next = std::min(next, c.deadline);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return int(std::max<int64_t>(0, ms) + 1);
  }

  // REQUIRES: mu_ held.
  void onUdp(int fd, const std::string& key) {
    for (int i = 0; i < 16; ++i) {  // drain a burst, but let other sockets have a turn
      uint8_t buf[4096];
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      Pending ctx;
      ctx.key = key;
      ctx.client = from;
      handleQuery(fd, std::span<const uint8_t>(buf, size_t(n)), std::move(ctx));
    }
  }

  // REQUIRES: mu_ held.
  void onAccept(int fd, const std::string& key) {
    while (true) {
      int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c < 0) return;
      UniqueFd conn(c);
      size_t count = 0;
      for (const auto& [cfd, tc] : conns_) count += tc.key == key ? 1 : 0;
      if (count >= kMaxTcpConnsPerContainer) continue;  // closed
      if (!watch(c, Tag{Kind::kTcpConn, key})) continue;
      TcpConn tc;
      tc.serial = ++next_serial_;
      tc.key = key;
      tc.fd = std::move(conn);
      tc.deadline = Clock::now() + kTcpIdleTimeout;
      conns_.emplace(c, std::move(tc));
    }
  }

  // REQUIRES: mu_ held.
  void closeConn(int fd) {
    unwatch(fd);
    conns_.erase(fd);
  }

  // REQUIRES: mu_ held.
  void onTcpData(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    uint8_t buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      closeConn(fd);
      return;
    }
    if (n > 0) it->second.in.insert(it->second.in.end(), buf, buf + n);
    if (it->second.in.size() > 2 + 65535) {
      closeConn(fd);
      return;
    }
    it->second.deadline = Clock::now() + kTcpIdleTimeout;
    processTcp(fd);
  }

  // Handles the complete messages of a TCP connection in order; stops while one is forwarded.
  // REQUIRES: mu_ held.
  void processTcp(int fd) {
    if (processing_tcp_) return;  // the loop below goes on by itself
    processing_tcp_ = true;
    while (true) {
      auto it = conns_.find(fd);
      if (it == conns_.end() || it->second.waiting) break;
      auto& in = it->second.in;
      if (in.size() < 2) break;
      size_t len = (size_t(in[0]) << 8) | in[1];
      if (in.size() < 2 + len) break;
      std::vector<uint8_t> msg(in.begin() + 2, in.begin() + 2 + long(len));
      in.erase(in.begin(), in.begin() + 2 + long(len));
      Pending ctx;
      ctx.key = it->second.key;
      ctx.tcp = true;
      ctx.conn_fd = fd;
      ctx.conn_serial = it->second.serial;
      handleQuery(-1, msg, std::move(ctx));
    }
    processing_tcp_ = false;
  }

  // Sends a reply to the client of `ctx` (UDP socket `udp_fd`, or its TCP connection).
  // REQUIRES: mu_ held.
  void reply(int udp_fd, const Pending& ctx, const std::vector<uint8_t>& msg) {
    if (!ctx.tcp) {
      if (udp_fd < 0) {
        auto c = containers_.find(ctx.key);
        if (c == containers_.end()) return;
        udp_fd = c->second.udp.get();
      }
      (void)::sendto(udp_fd, msg.data(), msg.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&ctx.client), sizeof(ctx.client));
      return;
    }
    auto it = conns_.find(ctx.conn_fd);
    if (it == conns_.end() || it->second.serial != ctx.conn_serial) return;
    sendTcp(ctx.conn_fd, msg);
    it->second.waiting = false;
    processTcp(ctx.conn_fd);
  }

  // REQUIRES: mu_ held.
  void handleQuery(int udp_fd, std::span<const uint8_t> packet, Pending ctx) {
    auto c = containers_.find(ctx.key);
    if (c == containers_.end()) return;
    const DnsContainerConfig& config = c->second.config;
    auto query = dns::parseQuery(packet);
    if (!query) {
      auto id = dns::readId(packet);
      if (id && packet.size() >= dns::kHeaderSize && (packet[2] & 0x80) == 0) {
        uint16_t flags = uint16_t((packet[2] << 8) | packet[3]);
        reply(udp_fd, ctx, dns::buildHeaderError(*id, flags, dns::kFormErr));
      }
      return;
    }
    if (query->is_response()) return;  // never answer answers
    if (query->opcode() != 0) {
      reply(udp_fd, ctx, dns::buildHeaderError(query->id, query->flags, dns::kNotImp));
      return;
    }
    size_t max_size = ctx.tcp ? 65535 : dns::kMaxUdpSize;
    if (query->qclass == dns::kClassIn) {
      if (query->qtype == dns::kTypeA || query->qtype == dns::kTypeAaaa) {
        std::optional<std::vector<Ipv4>> known;
        if (config.resolver) known = config.resolver(query->name);
        if (known) {
          std::vector<Ipv4> none;
          reply(
              udp_fd, ctx,
              dns::buildReply(*query, packet, dns::kNoError,
                              query->qtype == dns::kTypeA ? *known : none, std::nullopt, max_size));
          return;
        }
      } else if (query->qtype == dns::kTypePtr && config.reverse) {
        auto ip = dns::parseReverseName(query->name);
        if (ip) {
          auto name = config.reverse(*ip);
          if (name) {
            reply(udp_fd, ctx, dns::buildReply(*query, packet, dns::kNoError, {}, *name, max_size));
            return;
          }
        }
      }
    }
    if (config.upstreams.empty()) {
      reply(udp_fd, ctx, dns::buildReply(*query, packet, dns::kNxDomain, {}, {}, max_size));
      return;
    }
    if (pending_.size() >= kMaxPending) {
      reply(udp_fd, ctx, dns::buildReply(*query, packet, dns::kServFail, {}, {}, max_size));
      return;
    }
    ctx.query.assign(packet.begin(), packet.end());
    ctx.id = query->id;
    ctx.upstream = 0;
    if (ctx.tcp) conns_[ctx.conn_fd].waiting = true;
    forward(std::move(ctx));
  }

  // Sends the query to upstream number ctx.upstream (or the next that can be reached); replies
  // SERVFAIL when none is left. REQUIRES: mu_ held.
  void forward(Pending ctx) {
    auto c = containers_.find(ctx.key);
    const std::vector<DnsUpstream> upstreams =
        c == containers_.end() ? std::vector<DnsUpstream>{} : c->second.config.upstreams;
    while (ctx.upstream < upstreams.size()) {
      const DnsUpstream& up = upstreams[ctx.upstream];
      UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      sockaddr_in sa = socketAddress(up.ip, up.port);
      if (sock && ::connect(sock.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
          ::send(sock.get(), ctx.query.data(), ctx.query.size(), MSG_NOSIGNAL) ==
              ssize_t(ctx.query.size()) &&
          watch(sock.get(), Tag{Kind::kUpstream, ctx.key}).ok()) {
        ctx.deadline = Clock::now() + options_.upstream_timeout;
        int fd = sock.get();
        ctx.sock = std::move(sock);
        pending_.emplace(fd, std::move(ctx));
        return;
      }
      ++ctx.upstream;
    }
    failPending(ctx);
  }

  // REQUIRES: mu_ held.
  void failPending(const Pending& ctx) {
    auto query = dns::parseQuery(ctx.query);
    if (!query) return;
    reply(-1, ctx,
          dns::buildReply(*query, ctx.query, dns::kServFail, {}, {},
                          ctx.tcp ? 65535 : dns::kMaxUdpSize));
  }

  // REQUIRES: mu_ held.
  void onUpstream(int fd) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    uint8_t buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Pending ctx = std::move(it->second);
    pending_.erase(it);
    unwatch(fd);
    auto id = dns::readId(std::span<const uint8_t>(buf, n > 0 ? size_t(n) : 0));
    if (n < ssize_t(dns::kHeaderSize) || !id || *id != ctx.id || (buf[2] & 0x80) == 0) {
      // Refused (ICMP), garbage or a spoofed id: try the next upstream.
      ++ctx.upstream;
      ctx.sock.reset();
      forward(std::move(ctx));
      return;
    }
    std::vector<uint8_t> answer(buf, buf + n);
    if (!ctx.tcp && answer.size() > dns::kMaxUdpSize) {
      // Too big for the client's UDP: header and question only, with TC set.
      auto query = dns::parseQuery(ctx.query);
      if (query) {
        answer = dns::buildReply(*query, ctx.query, uint8_t(buf[3] & 0xF));
        answer[2] |= 0x02;
      }
    }
    reply(-1, ctx, answer);
  }

  // Upstream timeouts and idle TCP connections. REQUIRES: mu_ held.
  void expire() {
    auto now = Clock::now();
    std::vector<int> late;
    for (const auto& [fd, p] : pending_)
      if (p.deadline <= now) late.push_back(fd);
    for (int fd : late) {
      Pending ctx = std::move(pending_[fd]);
      pending_.erase(fd);
      unwatch(fd);
      ctx.sock.reset();
      ++ctx.upstream;
      forward(std::move(ctx));
    }
    std::vector<int> idle;
    for (const auto& [fd, c] : conns_)
      if (c.deadline <= now && !c.waiting) idle.push_back(fd);
    for (int fd : idle) closeConn(fd);
  }

  Options options_;
  UniqueFd epoll_;
  UniqueFd wake_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::map<int, Tag> tags_;                      // GUARDED_BY(mu_)
  std::map<std::string, Container> containers_;  // GUARDED_BY(mu_)
  std::map<int, TcpConn> conns_;                 // GUARDED_BY(mu_)
  std::map<int, Pending> pending_;               // GUARDED_BY(mu_)
  uint64_t next_serial_ = 0;                     // GUARDED_BY(mu_)
  bool processing_tcp_ = false;                  // server thread only
};

}  // namespace

Result<std::unique_ptr<DnsServer>> DnsServer::start(Options options) {
  auto server = std::make_unique<DnsServerImpl>(options);
  BERTH_TRY_VOID(server->startThread());
  return std::unique_ptr<DnsServer>(std::move(server));
}

std::vector<DnsUpstream> upstreamsFromResolvConf(std::string_view resolv_conf, bool keep_loopback) {
  std::vector<DnsUpstream> out;
  for (const std::string& raw : split(resolv_conf, '\n')) {
    std::string_view line = trim(raw);
    if (line.rfind("nameserver", 0) != 0) continue;
    line.remove_prefix(10);
    if (line.empty() || (line[0] != ' ' && line[0] != '\t')) continue;
    line = trim(line);
    size_t end = line.find_first_of(" \t#;");
    if (end != std::string_view::npos) line = line.substr(0, end);
    auto ip = Ipv4::parse(line);
    if (!ip) continue;  // IPv6 servers are not forwarded to
    if (ip->isLoopback() && !keep_loopback) continue;
    out.push_back(DnsUpstream{*ip, 53});
  }
  return out;
}

}  // namespace berth::network
