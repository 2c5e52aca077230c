#include "daemon/config.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file_util.h"
#include "base/strings.h"
#include "daemon/config_network.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

// Docker daemon.json keys that belong to features berth has not built yet, with the feature.
const std::map<std::string, std::string>& unsupportedKeys() {
  static const std::map<std::string, std::string> keys = {
      {"fixed-cidr-v6", "networking"},
      {"default-gateway-v6", "networking"},
      {"ip6tables", "networking"},
      {"ipv6", "networking"},
      {"default-address-pools", "networking"},
      {"userland-proxy", "networking"},
      {"userland-proxy-path", "networking"},
      {"allow-nondistributable-artifacts", "registry"},
      {"insecure-registries", "registry"},
      {"registry-mirrors", "registry"},
      {"max-concurrent-downloads", "registry"},
      {"max-concurrent-uploads", "registry"},
      {"max-download-attempts", "registry"},
      {"default-shm-size", "containers"},
      {"default-runtime", "runtimes"},
      {"runtimes", "runtimes"},
      {"exec-opts", "runtimes"},
      {"live-restore", "live restore"},
      {"userns-remap", "user namespaces"},
      {"cgroup-parent", "cgroups"},
      {"default-cgroupns-mode", "cgroups"},
      {"seccomp-profile", "security options"},
      {"selinux-enabled", "security options"},
      {"no-new-privileges", "security options"},
      {"labels", "daemon labels"},
      {"experimental", "experimental features"},
      {"features", "daemon features"},
      {"shutdown-timeout", "daemon shutdown"},
      {"group", "socket group"},
      {"containerd", "containerd"},
      {"log-format", "log formats"},
      {"metrics-addr", "metrics"},
      {"storage-opts", "storage options"},
      {"data-root-tmp", "storage"},
  };
  return keys;
}

const std::set<std::string>& supportedKeys() {
  static const std::set<std::string> keys = {
      "hosts", "data-root",      "exec-root",  "pidfile",  "log-level",
      "debug", "storage-driver", "log-driver", "log-opts", "default-ulimits",
      "tls",   "tlsverify",      "tlscacert",  "tlscert",  "tlskey",
      // networking: config_network.cc
      "bridge", "bip", "fixed-cidr", "mtu", "default-gateway", "icc", "ip", "ip-masq", "iptables",
      "ip-forward", "dns", "dns-opts", "dns-search",
  };
  return keys;
}

std::string jsonText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<std::string> parts;
    for (const auto& item : value) parts.push_back(jsonText(item));
    return "[" + join(parts, " ") + "]";
  }
  return value.dump();
}

Result<void> validateLogLevel(const std::string& level) {
  static const std::set<std::string> levels = {"debug", "info", "warn", "error", "fatal"};
  if (!levels.count(level)) {
    return invalidArgument("unable to parse logging level: " + level);
  }
  return {};
}

Result<void> applyLogOpts(const std::map<std::string, std::string>& opts, DaemonConfig* config) {
  BERTH_TRY(LogOptions parsed, parseLogOpts(opts));
  if (parsed.max_size) config->log_max_size = *parsed.max_size;
  if (parsed.max_files) config->log_max_files = *parsed.max_files;
  return {};
}

}  // namespace

Result<LogOptions> parseLogOpts(const std::map<std::string, std::string>& opts) {
  LogOptions out;
  for (const auto& [key, value] : opts) {
    if (key == "max-size") {
      BERTH_TRY(int64_t size, parseByteSize(value));
      if (size < 0) return invalidArgument("invalid max-size: " + value);
      out.max_size = static_cast<uint64_t>(size);
    } else if (key == "max-file") {
      auto n = parseInt(value);
      if (!n || *n < 1) return invalidArgument("max-file cannot be less than 1");
      out.max_files = static_cast<int>(*n);
    } else {
      return invalidArgument("unknown log opt '" + key + "' for json-file log driver");
    }
  }
  if (out.max_files.value_or(1) > 1 && out.max_size.value_or(0) == 0) {
    return invalidArgument("max-file can only be set when max-size is specified");
  }
  return out;
}

Result<int64_t> parseByteSize(std::string_view text) {
  std::string s = toLower(trim(text));
  size_t i = 0;
  while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return invalidArgument("invalid size: '" + std::string(text) + "'");
  double number = 0;
  try {
    number = std::stod(s.substr(0, i));
  } catch (...) {
    return invalidArgument("invalid size: '" + std::string(text) + "'");
  }
  std::string unit = s.substr(i);
  if (unit.size() > 1 && (unit.ends_with("ib")))
    unit.resize(unit.size() - 2);
  else if (unit.size() > 1 && unit.back() == 'b')
    unit.pop_back();
  double mult = 1;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k")
    mult = 1024.0;
  else if (unit == "m")
    mult = 1024.0 * 1024;
  else if (unit == "g")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "p")
    mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
  else
    return invalidArgument("invalid size: '" + std::string(text) + "'");
  return static_cast<int64_t>(number * mult);
}

Result<DaemonConfig> parseDaemonFlags(const std::vector<std::string>& args,
                                      std::map<std::string, std::string>* flag_keys) {
  DaemonConfig config;
  std::map<std::string, std::string> keys;
  std::vector<std::string> hosts;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string name = arg, value;
    bool has_value = false;
    if (arg.starts_with("--")) {
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        has_value = true;
      }
    } else if (arg.starts_with("-H") && arg.size() > 2) {
      name = "-H";
      value = arg.substr(2);
      if (value.starts_with("=")) value = value.substr(1);
      has_value = true;
    } else if (!arg.starts_with("-")) {
      return invalidArgument("berthd takes no arguments, got \"" + arg + "\"");
    }
    auto take = [&]() -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return invalidArgument("flag needs an argument: " + name);
      return args[++i];
    };
    auto boolValue = [&]() -> Result<bool> {
      if (!has_value) return true;
      if (value == "true" || value == "1") return true;
      if (value == "false" || value == "0") return false;
      return invalidArgument("invalid argument \"" + value + "\" for \"" + name + "\" flag");
    };
    if (name == "-h" || name == "--help") {
      config.show_help = true;
    } else if (name == "-v" || name == "--version") {
      config.show_version = true;
    } else if (name == "-H" || name == "--host") {
      BERTH_TRY(std::string v, take());
      hosts.push_back(v);
    } else if (name == "--data-root") {
      BERTH_TRY(config.data_root, take());
      keys["data-root"] = config.data_root;
    } else if (name == "--exec-root") {
      BERTH_TRY(config.exec_root, take());
      keys["exec-root"] = config.exec_root;
    } else if (name == "--config-file") {
      BERTH_TRY(config.config_file, take());
      config.config_file_explicit = true;
    } else if (name == "-p" || name == "--pidfile") {
      BERTH_TRY(config.pidfile, take());
      keys["pidfile"] = config.pidfile;
    } else if (name == "-l" || name == "--log-level") {
      BERTH_TRY(config.log_level, take());
      BERTH_TRY_VOID(validateLogLevel(config.log_level));
      keys["log-level"] = config.log_level;
    } else if (name == "-D" || name == "--debug") {
      BERTH_TRY(config.debug, boolValue());
      keys["debug"] = config.debug ? "true" : "false";
    } else if (name == "-s" || name == "--storage-driver") {
      BERTH_TRY(config.storage_driver, take());
      keys["storage-driver"] = config.storage_driver;
    } else if (name == "--tls") {
      BERTH_TRY(config.tls, boolValue());
      keys["tls"] = config.tls ? "true" : "false";
    } else if (name == "--tlsverify") {
      BERTH_TRY(config.tls_verify, boolValue());
      keys["tlsverify"] = config.tls_verify ? "true" : "false";
    } else if (name == "--tlscacert") {
      BERTH_TRY(config.tls_ca, take());
      keys["tlscacert"] = config.tls_ca;
    } else if (name == "--tlscert") {
      BERTH_TRY(config.tls_cert, take());
      keys["tlscert"] = config.tls_cert;
    } else if (name == "--tlskey") {
      BERTH_TRY(config.tls_key, take());
      keys["tlskey"] = config.tls_key;
    } else {
      return invalidArgument("unknown flag: " + name);
    }
  }
  if (!hosts.empty()) {
    config.hosts = hosts;
    keys["hosts"] = "[" + join(hosts, " ") + "]";
  }
  if (flag_keys) *flag_keys = std::move(keys);
  return config;
}

Result<void> mergeConfigFile(std::string_view text,
                             const std::map<std::string, std::string>& flag_keys,
                             DaemonConfig* config) {
  json doc;
  if (trim(text).empty()) return {};  // an empty file configures nothing
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid JSON: ") + e.what());
  }
  if (!doc.is_object()) return invalidArgument("invalid JSON: the configuration must be an object");

  std::vector<std::string> unknown, conflicts;
  for (const auto& [key, value] : doc.items()) {
    if (supportedKeys().count(key) || unsupportedKeys().count(key)) {
      auto flag = flag_keys.find(key);
      if (flag != flag_keys.end()) {
        conflicts.push_back(key + ": (from flag: " + flag->second +
                            ", from file: " + jsonText(value) + ")");
      }
      continue;
    }
    unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    return invalidArgument("the following directives don't match any configuration option: " +
                           join(unknown, ", "));
  }
  if (!conflicts.empty()) {
    return invalidArgument(
        "the following directives are specified both as a flag and in the configuration file: " +
        join(conflicts, ", "));
  }
  for (const auto& [key, feature] : unsupportedKeys()) {
    if (doc.contains(key)) {
      return notImplemented("\"" + key + "\" is not supported yet (" + feature + " issue)");
    }
  }

  auto wantString = [&](const char* key, std::string* out) -> Result<void> {
    if (!doc.contains(key)) return {};
    if (!doc[key].is_string()) return invalidArgument(std::string(key) + ": expected a string");
    *out = doc[key].get<std::string>();
    return {};
  };
  BERTH_TRY_VOID(mergeNetworkConfig(doc, config));
  BERTH_TRY_VOID(wantString("data-root", &config->data_root));
  BERTH_TRY_VOID(wantString("exec-root", &config->exec_root));
  BERTH_TRY_VOID(wantString("pidfile", &config->pidfile));
  BERTH_TRY_VOID(wantString("log-level", &config->log_level));
  BERTH_TRY_VOID(wantString("storage-driver", &config->storage_driver));
  BERTH_TRY_VOID(wantString("log-driver", &config->log_driver));
  auto wantBool = [&](const char* key, bool* out) -> Result<void> {
    if (!doc.contains(key)) return {};
    if (!doc[key].is_boolean()) return invalidArgument(std::string(key) + ": expected a boolean");
    *out = doc[key].get<bool>();
    return {};
  };
  BERTH_TRY_VOID(wantBool("debug", &config->debug));
  BERTH_TRY_VOID(wantBool("tls", &config->tls));
  BERTH_TRY_VOID(wantBool("tlsverify", &config->tls_verify));
  BERTH_TRY_VOID(wantString("tlscacert", &config->tls_ca));
  BERTH_TRY_VOID(wantString("tlscert", &config->tls_cert));
  BERTH_TRY_VOID(wantString("tlskey", &config->tls_key));
  if (doc.contains("hosts")) {
    const auto& hosts = doc["hosts"];
    if (!hosts.is_array()) return invalidArgument("hosts: expected an array of strings");
    config->hosts.clear();
    for (const auto& h : hosts) {
      if (!h.is_string()) return invalidArgument("hosts: expected an array of strings");
      config->hosts.push_back(h.get<std::string>());
    }
  }
  if (doc.contains("log-opts")) {
    const auto& opts = doc["log-opts"];
    if (!opts.is_object()) return invalidArgument("log-opts: expected an object");
    std::map<std::string, std::string> map;
    for (const auto& [k, v] : opts.items()) {
      if (!v.is_string()) return invalidArgument("log-opts: " + k + ": expected a string");
      map[k] = v.get<std::string>();
    }
    BERTH_TRY_VOID(applyLogOpts(map, config));
  }
  if (doc.contains("default-ulimits")) {
    const auto& ulimits = doc["default-ulimits"];
    if (!ulimits.is_object()) return invalidArgument("default-ulimits: expected an object");
    for (const auto& [name, u] : ulimits.items()) {
      if (!u.is_object())
        return invalidArgument("default-ulimits: " + name + ": expected an object");
      UlimitSetting setting;
      setting.name = u.value("Name", name);
      try {
        setting.soft = u.value("Soft", int64_t{0});
        setting.hard = u.value("Hard", int64_t{0});
      } catch (const json::exception&) {
        return invalidArgument("default-ulimits: " + name + ": Soft and Hard must be integers");
      }
      if (setting.soft > setting.hard) {
        return invalidArgument("ulimit soft limit must be less than or equal to hard limit: " +
                               std::to_string(setting.soft) + " > " + std::to_string(setting.hard));
      }
      config->default_ulimits.push_back(setting);
    }
  }
  return {};
}

Result<DaemonConfig> loadDaemonConfig(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flag_keys;
  BERTH_TRY(DaemonConfig config, parseDaemonFlags(args, &flag_keys));
  if (config.show_help || config.show_version) return config;
  if (pathExists(config.config_file)) {
    BERTH_TRY(std::string text, readFile(config.config_file));
    auto merged = mergeConfigFile(text, flag_keys, &config);
    if (!merged) {
      return std::move(merged).error().wrap("unable to configure the berth daemon with file " +
                                            config.config_file);
    }
  } else if (config.config_file_explicit) {
    return notFound("unable to configure the berth daemon with file " + config.config_file +
                    ": open " + config.config_file + ": no such file or directory");
  }
  if (config.debug) config.log_level = "debug";
  BERTH_TRY_VOID(validateLogLevel(config.log_level));
  if (config.log_driver != "json-file") {
    return notImplemented("log driver \"" + config.log_driver +
                          "\" is not supported: berth has only json-file");
  }
  if (config.storage_driver == "overlay") config.storage_driver = "overlay2";
  if (!config.storage_driver.empty() && config.storage_driver != "overlay2" &&
      config.storage_driver != "vfs") {
    return invalidArgument("unknown storage driver \"" + config.storage_driver +
                           "\": berth supports overlay2 and vfs");
  }
  if (config.hosts.empty()) config.hosts.push_back(kDefaultHost);
  if (config.tls_verify) config.tls = true;
  if (config.tls) {
    const char* cert_path = std::getenv("DOCKER_CERT_PATH");
    const char* home = std::getenv("HOME");
    std::string dir = cert_path && *cert_path ? cert_path : std::string(home ? home : "/root") +
                                                               "/.docker";
    if (config.tls_ca.empty()) config.tls_ca = dir + "/ca.pem";
    if (config.tls_cert.empty()) config.tls_cert = dir + "/cert.pem";
    if (config.tls_key.empty()) config.tls_key = dir + "/key.pem";
  }
  for (const auto& root : {config.data_root, config.exec_root}) {
    if (root.empty() || root[0] != '/') {
      return invalidArgument("data-root and exec-root must be absolute paths: \"" + root + "\"");
    }
  }
  return config;
}

std::string daemonUsage() {
  return R"(Usage:	berthd [OPTIONS]

A self-sufficient runtime for containers, compatible with Docker's Engine API.

Options:
      --config-file string     Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string       Root directory of persistent berth state (default "/var/lib/berth")
  -D, --debug                  Enable debug mode
      --exec-root string       Root directory for execution state files (default "/run/berth")
  -h, --help                   Print usage
  -H, --host list              Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
  -l, --log-level string       Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")
                               (default "info")
  -p, --pidfile string         Path to use for daemon PID file (default "/var/run/berth.pid")
  -s, --storage-driver string  Storage driver to use (overlay2, vfs)
      --tls                    Use TLS; implied by --tlsverify
      --tlscacert string       Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string         Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string          Path to TLS key file (default "~/.docker/key.pem")
      --tlsverify              Use TLS and verify the remote
  -v, --version                Print version information and quit
)";
}

}  // namespace berth::daemon
