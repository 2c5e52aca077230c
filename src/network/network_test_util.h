#pragma once
// Test helpers: a temporary directory and running a command inside a netns file (nsenter).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "network/ip_address.h"
#include "network/netns.h"

namespace berth::network::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-net-test-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) (void)removeAll(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline bool haveRoot() {
  return ::geteuid() == 0;
}

// Runs a shell command; returns its exit status (or -1) and its output in *out.
inline int runCommand(const std::string& command, std::string* out = nullptr) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  int status = ::pclose(pipe);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `command` run by nsenter inside the netns file `netns_path`.
inline int runInNs(const std::string& netns_path, const std::string& command,
                   std::string* out = nullptr) {
  return runCommand("nsenter --net=" + netns_path + " " + command, out);
}

// GET / over HTTP/1.0 from inside `netns_fd` (the socket is created there); returns the body.
inline Result<std::string> httpGet(int netns_fd, Ipv4 addr, uint16_t port) {
  return inNetns(netns_fd, [&]() -> Result<std::string> {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket");
    timeval tv{2, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = addr.networkOrder();
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      return errnoError("connect " + addr.toString() + ":" + std::to_string(port));
    std::string req = "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
    if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size()))
      return errnoError("send");
    std::string resp;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd.get(), buf, sizeof(buf), 0)) > 0) resp.append(buf, size_t(n));
    if (n < 0) return errnoError("recv");
    size_t body = resp.find("\r\n\r\n");
    if (resp.rfind("HTTP/1.", 0) != 0 || body == std::string::npos)
      return internalError("bad http response: " + resp);
    return resp.substr(body + 4);
  });
}

}  // namespace berth::network::testing
