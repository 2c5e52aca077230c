#pragma once
// ShimConfig: what one berth-shim process is told on its command line, and the two halves of
// that command line (built by ShimClient::spawn, parsed by berth-shim).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::shim {

struct ShimConfig {
  std::string id;
  std::string bundle;        // absolute
  std::string runtime_root;  // absolute
  std::string state_dir;     // absolute
  std::string log_path;      // "" = no json-file log
  uint64_t log_max_size = 0;
  int log_max_files = 1;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  int ready_fd = -1;  // the start-up handshake pipe (protocol.h), -1 = none
  std::string seccomp_cache_dir;  // absolute; "" = compile seccomp in the shim
};

// The arguments after argv[0].
std::vector<std::string> shimArgs(const ShimConfig& config);
// Parses them (argv[0] excluded); paths must be absolute.
Result<ShimConfig> parseShimArgs(int argc, const char* const* argv);

}  // namespace berth::shim
