#include "pty_session.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace berth::e2e {

std::unique_ptr<PtySession> PtySession::start(const std::vector<std::string>& argv,
                                              const std::map<std::string, std::string>& env,
                                              const std::vector<std::string>& unset_env,
                                              unsigned rows, unsigned cols, std::string* error) {
  // Everything the child needs is built before the fork (the test process has threads).
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  for (const auto& k : unset_env) merged.erase(k);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) {
    if (error) *error = std::string("forkpty: ") + std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    ::execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  auto s = std::unique_ptr<PtySession>(new PtySession());
  s->master_ = master;
  s->pid_ = pid;
  return s;
}

PtySession::~PtySession() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(-pid_, SIGKILL);  // forkpty made it a session (and group) leader
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (master_ >= 0) ::close(master_);
}

bool PtySession::type(std::string_view keys) {
  while (!keys.empty()) {
    ssize_t n = ::write(master_, keys.data(), keys.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (n <= 0) return false;
    keys.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool PtySession::pump(std::chrono::milliseconds wait) {
  pollfd p{master_, POLLIN, 0};
  int rc = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (rc <= 0) return true;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(master_, buf, sizeof buf);
    if (n > 0) {
      screen_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;  // EOF or EIO: no process holds the slave any more
  }
}

bool PtySession::waitFor(const std::string& text, std::chrono::milliseconds timeout,
                         size_t from) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (screen_.size() > from && screen_.find(text, from) != std::string::npos) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (!pump(std::min(left, std::chrono::milliseconds(100)))) {
      return screen_.size() > from && screen_.find(text, from) != std::string::npos;
    }
  }
}

bool PtySession::resize(unsigned rows, unsigned cols) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  return ::ioctl(master_, TIOCSWINSZ, &ws) == 0;
}

std::optional<int> PtySession::waitExit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pump(std::chrono::milliseconds(0));
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    if (!pump(std::chrono::milliseconds(50))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace berth::e2e
