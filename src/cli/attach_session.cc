#include "cli/attach_session.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <thread>

#include "base/unique_fd.h"
#include "cli/common.h"
#include "client/api_client.h"

namespace berth::cli {
namespace {

struct StdinState {
  std::atomic<bool> detached{false};
};

bool sendAll(int sock, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::send(sock, data.data(), data.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

// Copies stdin to the connection until EOF (then half-closes it) or the detach keys (then shuts
// the connection down both ways, which ends the output loop).
void pumpStdin(UniqueFd sock, std::optional<DetachMatcher> matcher,
               std::shared_ptr<StdinState> state) {
  char buf[16 * 1024];
  std::string out;
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view data(buf, static_cast<size_t>(n));
    if (matcher) {
      out.clear();
      bool detach = matcher->feed(data, &out);
      if (!out.empty() && !sendAll(sock.get(), out)) return;
      if (detach) {
        state->detached = true;
        ::shutdown(sock.get(), SHUT_RDWR);
        return;
      }
      continue;
    }
    if (!sendAll(sock.get(), data)) return;
  }
  ::shutdown(sock.get(), SHUT_WR);
}

}  // namespace

Result<AttachSessionResult> runAttachSession(Cli& cli, client::HttpConnection& conn,
                                             const AttachSessionOptions& o) {
  std::optional<DetachMatcher> matcher;
  if (o.tty && o.stdin) {
    BERTH_TRY(std::string keys, parseDetachKeys(o.detach_keys));
    matcher.emplace(std::move(keys));
  }

  // Signals first: threads created afterwards inherit the blocked mask.
  std::vector<int> signals;
  bool track_size = o.tty && o.resize && cli.stdoutIsTerminal();
  if (track_size) signals.push_back(SIGWINCH);
  if (o.forward_signal) {
    for (int s : proxiedSignals()) signals.push_back(s);
  }
  std::optional<SignalRelay> relay;
  if (!signals.empty()) {
    relay.emplace(signals, [o](int signo) {
      if (signo == SIGWINCH) {
        if (auto size = terminalSize(STDOUT_FILENO); size && o.resize) o.resize(*size);
        return;
      }
      if (o.forward_signal) o.forward_signal(signo);
    });
  }

  RawTerminal raw;
  if (o.tty && o.stdin && cli.stdinIsTerminal()) {
    BERTH_TRY(raw, RawTerminal::enable(STDIN_FILENO));
  }
  if (track_size) {
    if (auto size = terminalSize(STDOUT_FILENO)) o.resize(*size);
  }

  auto state = std::make_shared<StdinState>();
  if (o.stdin) {
    int dup = ::fcntl(conn.fd(), F_DUPFD_CLOEXEC, 3);
    if (dup < 0) return errnoError("duplicate the attach connection");
    // Detached: it may stay blocked on our stdin after the session; it owns its fd copy.
    std::thread(pumpStdin, UniqueFd(dup), std::move(matcher), state).detach();
  }
  auto copied = copyHijackedOutput(cli, conn.takeBuffered(), conn.fd(), o.tty);
  raw.restore();
  AttachSessionResult result;
  result.detached = state->detached.load();
  if (!copied && !result.detached) return copied.error();
  return result;
}

std::function<void(TerminalSize)> resizeCallback(Cli& cli, const std::string& kind,
                                                 const std::string& id) {
  auto api = cli.api();
  if (!api) return nullptr;
  client::Endpoint endpoint = (*api)->endpoint();
  std::string path = (kind == "exec" ? "/exec/" : "/containers/") + id + "/resize";
  return [endpoint, path](TerminalSize size) {
    client::ApiClient c(endpoint);
    (void)c.call("POST", path,
                 {{"h", std::to_string(size.rows)}, {"w", std::to_string(size.cols)}});
  };
}

std::function<void(int)> killCallback(Cli& cli, const std::string& id) {
  auto api = cli.api();
  if (!api) return nullptr;
  client::Endpoint endpoint = (*api)->endpoint();
  return [endpoint, id](int signo) {
    client::ApiClient c(endpoint);
    (void)c.call("POST", "/containers/" + id + "/kill", {{"signal", std::to_string(signo)}});
  };
}

}  // namespace berth::cli
