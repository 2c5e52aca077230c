#pragma once
// TLS for the Engine API over tcp://, as dockerd and the docker CLI do it (--tls, --tlsverify,
// --tlscacert, --tlscert, --tlskey), with OpenSSL.
//
// A TLS connection is bridged to a plain socketpair: one thread per connection runs the TLS
// side (handshake, then records both ways, non-blocking), and the rest of berth reads and writes
// the plain end as if it were the TCP socket. So the HTTP server, the client and hijacked attach
// streams (whose fd berthd hands to berth-shim) need no TLS code of their own. Half-closes cross
// the bridge: a peer's close_notify (or EOF) becomes shutdown(SHUT_WR) on the plain end, and EOF
// on the plain end becomes close_notify, as Go's tls.Conn.CloseWrite.
//
//   BERTH_TRY(auto ctx, TlsContext::server({.ca = ca, .cert = cert, .key = key, .verify = true}));
//   acceptTlsBridge(std::move(tcp_fd), ctx, [](UniqueFd plain) { serve(plain); });
//
// Thread safety: a TlsContext is immutable after creation and shared by its bridges (copies
// share the OpenSSL context).

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace berth::tls {

struct TlsFiles {
  std::string ca;    // PEM CA bundle to verify the peer with ("" = none)
  std::string cert;  // PEM certificate (chain) of this side ("" = none)
  std::string key;   // PEM private key of `cert`
  // Server: require and verify a client certificate signed by `ca` (--tlsverify).
  // Client: verify the server's certificate against `ca` and its name against the host.
  bool verify = false;
};

class TlsContext {
 public:
  // A server context: cert and key are required; `verify` requires `ca`. TLS 1.2 at least.
  // Errors name the file and OpenSSL's reason ("load TLS key /x/key.pem: ...").
  static Result<TlsContext> server(const TlsFiles& files);
  // A client context: cert and key are optional (both or neither); `verify` requires `ca`.
  static Result<TlsContext> client(const TlsFiles& files);

  SSL_CTX* get() const { return ctx_.get(); }
  bool isServer() const { return server_; }
  bool verifies() const { return verify_; }

 private:
  TlsContext(std::shared_ptr<SSL_CTX> ctx, bool server, bool verify)
      : ctx_(std::move(ctx)), server_(server), verify_(verify) {}
  std::shared_ptr<SSL_CTX> ctx_;
  bool server_ = false;
  bool verify_ = false;
};

// Server side: takes an accepted TCP connection, and on a thread of its own does the TLS
// handshake, then calls `ready` with the plain end of the bridge and keeps bridging until both
// directions are closed. A failed handshake is logged (warn) and the connection closed; `ready`
// is then never called. `ready` runs on the bridge's thread and must not block for long.
void acceptTlsBridge(UniqueFd tcp, const TlsContext& ctx, std::function<void(UniqueFd)> ready);

// Why a client bridge ended early: set (before the plain end closes) when the TLS side failed,
// e.g. the server's "tlsv13 alert certificate required" that TLS 1.3 delivers only after the
// client's handshake is done. Thread-safe.
class BridgeStatus {
 public:
  void setError(std::string error);
  std::string error() const;  // "" while none

 private:
  mutable std::mutex mu_;
  std::string error_;
};

// Client side: does the TLS handshake on the connected TCP socket now (verifying the server as
// ctx says, its certificate name against `server_name`), then starts the bridge thread and
// returns the plain end. Errors (kUnauthorized) read like "tls: certificate verify failed:
// unable to get local issuer certificate". `status` (may be null) receives the bridge's status.
Result<UniqueFd> connectTlsBridge(UniqueFd tcp, const TlsContext& ctx,
                                  const std::string& server_name,
                                  std::shared_ptr<BridgeStatus>* status = nullptr);

}  // namespace berth::tls
