#pragma once
// Test helpers: a temporary directory and running a command inside a netns file (nsenter).

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/file_util.h"

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

inline bool haveRoot() { return ::geteuid() == 0; }

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

}  // namespace berth::network::testing
