#include "tls/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/log.h"

namespace berth::tls {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
constexpr size_t kChunk = 16 * 1024;

// OpenSSL's queued errors as one message (and the queue cleared).
std::string opensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

Error sslError(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, what + ": " + opensslErrors());
}

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

Result<void> setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return errnoError("set O_NONBLOCK");
  }
  return {};
}

Result<std::shared_ptr<SSL_CTX>> newContext(const SSL_METHOD* method) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(method), SSL_CTX_free);
  if (!ctx) return sslError("create TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  // A peer closing TCP without close_notify ends its direction like close_notify does.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  return ctx;
}

Result<void> loadKeyPair(SSL_CTX* ctx, const TlsFiles& files) {
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) {
    return sslError("load TLS certificate " + files.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return sslError("load TLS key " + files.key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return sslError("TLS key " + files.key + " does not match certificate " + files.cert);
  }
  return {};
}

Result<void> loadCa(SSL_CTX* ctx, const std::string& ca) {
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    return sslError("load TLS CA " + ca);
  }
  return {};
}

// Drives SSL_accept / SSL_connect on a non-blocking socket until done or the deadline.
Result<void> handshake(SSL* ssl, int fd, bool server) {
  auto deadline = Clock::now() + kHandshakeTimeout;
  for (;;) {
    ERR_clear_error();
    int rc = server ? SSL_accept(ssl) : SSL_connect(ssl);
    if (rc == 1) return {};
    int err = SSL_get_error(ssl, rc);
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      long verify = SSL_get_verify_result(ssl);
      std::string reason = verify != X509_V_OK
                               ? std::string("certificate verify failed: ") +
                                     X509_verify_cert_error_string(verify)
                           : err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                               ? std::string("connection closed by peer during handshake")
                               : opensslErrors();
      ERR_clear_error();
      return Error(ErrorCode::kUnauthorized, "tls: " + reason);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Error(ErrorCode::kDeadlineExceeded, "tls: handshake timed out");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return errnoError("tls: poll");
  }
}

// Moves bytes between the TLS connection and the plain end until both directions are closed
// or either side fails. Owns nothing; the caller closes both fds afterwards. Returns the TLS
// side's error, "" when it ended cleanly (or the plain side went away).
std::string pump(SSL* ssl, int tcp, int plain) {
  char to_plain[kChunk];  // decrypted bytes not yet written to `plain`
  size_t tp_off = 0, tp_len = 0;
  char to_tls[kChunk];  // bytes from `plain` not yet written to TLS
  size_t tt_off = 0, tt_len = 0;
  bool tls_eof = false;        // the peer closed its direction (close_notify or EOF)
  bool plain_shut = false;     // shutdown(plain, SHUT_WR) done after tls_eof
  bool plain_eof = false;      // the plain side closed its direction
  bool notify_sent = false;    // close_notify sent after plain_eof
  std::string tls_error;
  for (;;) {
    short tcp_events = 0, plain_events = 0;
    bool failed = false;
    bool progress = true;
    while (progress && !failed) {
      progress = false;
      tcp_events = 0;
      plain_events = 0;
      // TLS → buffer.
      if (!tls_eof && tp_len == 0) {
        ERR_clear_error();
        int n = SSL_read(ssl, to_plain, sizeof to_plain);
        if (n > 0) {
          tp_off = 0;
          tp_len = static_cast<size_t>(n);
          progress = true;
        } else {
          int err = SSL_get_error(ssl, n);
          if (err == SSL_ERROR_WANT_READ) {
            tcp_events |= POLLIN;
          } else if (err == SSL_ERROR_WANT_WRITE) {
            tcp_events |= POLLOUT;
          } else if (err == SSL_ERROR_ZERO_RETURN ||
                     (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && n == 0)) {
            tls_eof = true;
            progress = true;
          } else {
            failed = true;
            tls_error = err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                            ? std::string(std::strerror(errno))
                            : opensslErrors();
          }
        }
      }
      if (failed) break;
      // Buffer → plain.
      if (tp_off < tp_len) {
        ssize_t n = ::send(plain, to_plain + tp_off, tp_len - tp_off, MSG_NOSIGNAL);
        if (n > 0) {
          tp_off += static_cast<size_t>(n);
          progress = true;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          plain_events |= POLLOUT;
        } else {
          failed = true;  // nobody reads the plain end any more
        }
        if (tp_off == tp_len) tp_off = tp_len = 0;
      }
      if (tls_eof && tp_len == 0 && !plain_shut) {
        ::shutdown(plain, SHUT_WR);
        plain_shut = true;
        progress = true;
      }
      if (failed) break;
      // Plain → buffer.
      if (!plain_eof && tt_len == 0) {
        ssize_t n = ::recv(plain, to_tls, sizeof to_tls, 0);
        if (n > 0) {
          tt_off = 0;
          tt_len = static_cast<size_t>(n);
          progress = true;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          plain_events |= POLLIN;
        } else {
          plain_eof = true;
          progress = true;
        }
      }
      // Buffer → TLS.
      if (tt_off < tt_len) {
        ERR_clear_error();
        int n = SSL_write(ssl, to_tls + tt_off, static_cast<int>(tt_len - tt_off));
        if (n > 0) {
          tt_off += static_cast<size_t>(n);
          progress = true;
          if (tt_off == tt_len) tt_off = tt_len = 0;
        } else {
          int err = SSL_get_error(ssl, n);
          if (err == SSL_ERROR_WANT_READ) {
            tcp_events |= POLLIN;
          } else if (err == SSL_ERROR_WANT_WRITE) {
            tcp_events |= POLLOUT;
          } else {
            failed = true;
            tls_error = opensslErrors();
          }
        }
      }
      if (failed) break;
      if (plain_eof && tt_len == 0 && !notify_sent) {
        ERR_clear_error();
        int n = SSL_shutdown(ssl);
        if (n >= 0) {
          notify_sent = true;
          progress = true;
        } else {
          int err = SSL_get_error(ssl, n);
          if (err == SSL_ERROR_WANT_WRITE) {
            tcp_events |= POLLOUT;
          } else if (err == SSL_ERROR_WANT_READ) {
            tcp_events |= POLLIN;
          } else {
            failed = true;
          }
        }
      }
      if (plain_shut && notify_sent) return "";
    }
    if (failed) return tls_error;
    pollfd fds[2] = {{tcp, tcp_events, 0}, {plain, plain_events, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return "poll: " + std::string(strerror(errno));
    // POLLHUP/POLLERR without requested events: the next round's calls report it.
    if ((fds[0].revents | fds[1].revents) == 0) continue;
  }
}

// After a failed handshake: the alert OpenSSL sent must reach the client before the socket
// closes. Closing with the client's first request unread would reset the connection and drop
// the alert (TLS 1.3 clients send their request before they learn they were refused), so the
// write side is shut and the input drained for a moment first.
void lingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

struct Plain {
  UniqueFd ours, theirs;
};

Result<Plain> makePair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return errnoError("tls: socketpair");
  }
  Plain p{UniqueFd(sv[0]), UniqueFd(sv[1])};
  BERTH_TRY_VOID(setNonBlocking(p.ours.get()));
  return p;
}

bool isIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<TlsContext> TlsContext::server(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty()) {
    return invalidArgument("TLS needs a certificate and a key (--tlscert, --tlskey)");
  }
  if (files.verify && files.ca.empty()) {
    return invalidArgument("--tlsverify needs a CA certificate (--tlscacert)");
  }
  BERTH_TRY(auto ctx, newContext(TLS_server_method()));
  BERTH_TRY_VOID(loadKeyPair(ctx.get(), files));
  if (files.verify) {
    BERTH_TRY_VOID(loadCa(ctx.get(), files.ca));
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
    if (names == nullptr) return sslError("load TLS CA names " + files.ca);
    SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return TlsContext(std::move(ctx), true, files.verify);
}

Result<TlsContext> TlsContext::client(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return invalidArgument("TLS client certificate and key go together (--tlscert, --tlskey)");
  }
  if (files.verify && files.ca.empty()) {
    return invalidArgument("--tlsverify needs a CA certificate (--tlscacert)");
  }
  BERTH_TRY(auto ctx, newContext(TLS_client_method()));
  if (!files.cert.empty()) BERTH_TRY_VOID(loadKeyPair(ctx.get(), files));
  if (files.verify) {
    BERTH_TRY_VOID(loadCa(ctx.get(), files.ca));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return TlsContext(std::move(ctx), false, files.verify);
}

void acceptTlsBridge(UniqueFd tcp, const TlsContext& ctx, std::function<void(UniqueFd)> ready) {
  std::thread([tcp = std::move(tcp), ctx, ready = std::move(ready)]() mutable {
    SslPtr ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), tcp.get()) != 1) {
      log::warn("tls: " + opensslErrors());
      return;
    }
    if (auto r = setNonBlocking(tcp.get()); !r) {
      log::warn(r.error().message());
      return;
    }
    if (auto r = handshake(ssl.get(), tcp.get(), true); !r) {
      log::warn("tls handshake with a client failed: " + r.error().message());
      lingeringClose(tcp.get());
      return;
    }
    auto pair = makePair();
    if (!pair) {
      log::warn(pair.error().message());
      return;
    }
    ready(std::move(pair->theirs));
    pump(ssl.get(), tcp.get(), pair->ours.get());
  }).detach();
}

void BridgeStatus::setError(std::string error) {
  std::lock_guard lock(mu_);
  error_ = std::move(error);
}

std::string BridgeStatus::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

Result<UniqueFd> connectTlsBridge(UniqueFd tcp, const TlsContext& ctx,
                                  const std::string& server_name,
                                  std::shared_ptr<BridgeStatus>* status) {
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), tcp.get()) != 1) return sslError("tls");
  if (!isIpAddress(server_name)) {
    SSL_set_tlsext_host_name(ssl.get(), server_name.c_str());
  }
  if (ctx.verifies()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    int ok = isIpAddress(server_name)
                 ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size());
    if (ok != 1) return sslError("tls: server name " + server_name);
  }
  BERTH_TRY_VOID(setNonBlocking(tcp.get()));
  BERTH_TRY_VOID(handshake(ssl.get(), tcp.get(), false));
  BERTH_TRY(Plain pair, makePair());
  auto shared = std::make_shared<BridgeStatus>();
  if (status) *status = shared;
  std::thread([ssl = std::move(ssl), tcp = std::move(tcp), ours = std::move(pair.ours),
               shared]() mutable {
    std::string error = pump(ssl.get(), tcp.get(), ours.get());
    if (!error.empty()) shared->setError("tls: " + error);
    ours.reset();  // after the status: a reader seeing EOF finds the reason
  }).detach();
  return std::move(pair.theirs);
}

}  // namespace berth::tls
