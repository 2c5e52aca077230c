#include "shim/shim_config.h"

#include <string_view>

namespace berth::shim {
namespace {

bool parseBool(std::string_view v) {
  return v == "1" || v == "true";
}

}  // namespace

std::vector<std::string> shimArgs(const ShimConfig& c) {
  std::vector<std::string> a = {"--id",
                                c.id,
                                "--bundle",
                                c.bundle,
                                "--runtime-root",
                                c.runtime_root,
                                "--state-dir",
                                c.state_dir,
                                "--log-path",
                                c.log_path,
                                "--log-max-size",
                                std::to_string(c.log_max_size),
                                "--log-max-files",
                                std::to_string(c.log_max_files),
                                "--tty",
                                c.tty ? "true" : "false",
                                "--open-stdin",
                                c.open_stdin ? "true" : "false",
                                "--stdin-once",
                                c.stdin_once ? "true" : "false"};
  if (c.ready_fd >= 0) {
    a.push_back("--ready-fd");
    a.push_back(std::to_string(c.ready_fd));
  }
  if (!c.seccomp_cache_dir.empty()) {
    a.push_back("--seccomp-cache-dir");
    a.push_back(c.seccomp_cache_dir);
  }
  return a;
}

Result<ShimConfig> parseShimArgs(int argc, const char* const* argv) {
  ShimConfig c;
  for (int i = 0; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return invalidArgument("flag needs an argument: " + std::string(flag));
    std::string value = argv[++i];
    try {
      if (flag == "--id")
        c.id = value;
      else if (flag == "--bundle")
        c.bundle = value;
      else if (flag == "--runtime-root")
        c.runtime_root = value;
      else if (flag == "--state-dir")
        c.state_dir = value;
      else if (flag == "--log-path")
        c.log_path = value;
      else if (flag == "--log-max-size")
        c.log_max_size = std::stoull(value);
      else if (flag == "--log-max-files")
        c.log_max_files = std::stoi(value);
      else if (flag == "--tty")
        c.tty = parseBool(value);
      else if (flag == "--open-stdin")
        c.open_stdin = parseBool(value);
      else if (flag == "--stdin-once")
        c.stdin_once = parseBool(value);
      else if (flag == "--ready-fd")
        c.ready_fd = std::stoi(value);
      else if (flag == "--seccomp-cache-dir")
        c.seccomp_cache_dir = value;
      else
        return invalidArgument("unknown flag: " + std::string(flag));
    } catch (const std::exception&) {
      return invalidArgument("invalid value \"" + value + "\" for flag " + std::string(flag));
    }
  }
  if (c.id.empty() || c.bundle.empty() || c.runtime_root.empty() || c.state_dir.empty()) {
    return invalidArgument("--id, --bundle, --runtime-root and --state-dir are required");
  }
  for (std::string* p : {&c.bundle, &c.runtime_root, &c.state_dir, &c.log_path,
                         &c.seccomp_cache_dir}) {
    if (!p->empty() && (*p)[0] != '/') return invalidArgument("path must be absolute: " + *p);
  }
  return c;
}

}  // namespace berth::shim
