#pragma once
// AttachSession: the client side of an attached, hijacked connection, as the docker CLI's
// hijackedIOStreamer: output to stdout/stderr (demultiplexed without a tty), our stdin to the
// connection, the terminal in raw mode while stdin is a tty, window-size tracking, detach keys
// and signal forwarding. Used by run, start -a/-i and attach (and exec -it: the resize and
// signal callbacks say which object they act on).
//
// Call it after the container (or exec) has started: the first resize is sent at once.

#include <functional>
#include <string>

#include "base/result.h"
#include "cli/cli.h"
#include "cli/terminal.h"
#include "client/http_connection.h"

namespace berth::cli {

struct AttachSessionOptions {
  bool tty = false;
  bool stdin = false;       // pump our stdin into the connection (half-closed at its EOF)
  std::string detach_keys;  // the --detach-keys text ("" = ctrl-p,ctrl-q); used with tty+stdin
  // Called with the terminal's size at the start and on every SIGWINCH (tty and stdout a
  // terminal only). Runs on a helper thread.
  std::function<void(TerminalSize)> resize;
  // When set, every proxiable signal the CLI receives is passed here (--sig-proxy) instead of
  // acting on the CLI. Runs on a helper thread.
  std::function<void(int)> forward_signal;
};

struct AttachSessionResult {
  bool detached = false;  // the user typed the detach keys: the container keeps running
};

// Runs until the output stream ends (the container exited, or the daemon closed it) or the user
// detaches. `conn` must be a hijacked connection (after ApiClient::hijack). Errors: bad detach
// keys, the terminal cannot be set up, reading the stream fails.
Result<AttachSessionResult> runAttachSession(Cli& cli, client::HttpConnection& conn,
                                             const AttachSessionOptions& options);

// A resize callback for /containers/{id}/resize (or /exec/{id}/resize with kind "exec") on a
// client of its own (ApiClient is not thread-safe).
std::function<void(TerminalSize)> resizeCallback(Cli& cli, const std::string& kind,
                                                 const std::string& id);
// A signal callback that POSTs /containers/{id}/kill?signal=N on a client of its own.
std::function<void(int)> killCallback(Cli& cli, const std::string& id);

}  // namespace berth::cli
