#pragma once
// DaemonConfig: berthd's settings from its command line and from daemon.json (Docker's key
// names), merged as dockerd merges them: a key given both as a flag and in the file is an error,
// an unknown key in the file is an error, and Docker keys that belong to features berth has not
// built yet (networking, registries, ...) are recognised and refused with a message naming the
// feature — never silently ignored. Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::daemon {

struct UlimitSetting {
  std::string name;  // "nofile"
  int64_t soft = 0;
  int64_t hard = 0;
};

struct DaemonConfig {
  std::vector<std::string> hosts;  // -H; empty → {kDefaultHost}
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::string config_file = "/etc/berth/daemon.json";
  bool config_file_explicit = false;  // --config-file given: a missing file is an error
  std::string pidfile = "/var/run/berth.pid";
  std::string log_level = "info";  // debug | info | warn | error | fatal
  bool debug = false;
  std::string storage_driver;  // "" = detect (overlay2, else vfs)
  std::string log_driver = "json-file";
  uint64_t log_max_size = 0;  // bytes; 0 = unlimited
  int log_max_files = 1;
  std::vector<UlimitSetting> default_ulimits;
  // TLS on tcp:// listeners (dockerd's --tls, --tlsverify, --tlscacert, --tlscert, --tlskey);
  // the files default to $DOCKER_CERT_PATH (else ~/.docker)/{ca,cert,key}.pem.
  bool tls = false;        // --tlsverify implies it
  bool tls_verify = false;  // require client certificates signed by tls_ca
  std::string tls_ca, tls_cert, tls_key;
  // Networking (daemon.json bridge, bip, fixed-cidr, mtu, default-gateway, icc, ip-masq,
  // iptables, ip, dns, dns-search, dns-opts; merged by mergeNetworkConfig in config_network.cc).
  std::string bridge;  // "" = berth0
  std::string bip;
  std::string fixed_cidr;
  int mtu = 0;
  std::string default_gateway;
  bool icc = true;
  bool ip_masq = true;
  bool iptables = true;
  std::string default_bind_ip = "0.0.0.0";
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_opts;
  bool show_help = false;
  bool show_version = false;
};

inline constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";

// Parses berthd's arguments (argv without the program name). Errors name the flag.
// Records which daemon.json keys the flags set, for the conflict check (in *flag_keys, may be
// null): key → the flag's value(s) as text.
Result<DaemonConfig> parseDaemonFlags(const std::vector<std::string>& args,
                                      std::map<std::string, std::string>* flag_keys);

// Merges the daemon.json text into *config. `flag_keys` are the keys set by flags (from
// parseDaemonFlags). Errors use dockerd's texts:
//   "the following directives don't match any configuration option: foo"
//   "the following directives are specified both as a flag and in the configuration file:
//    hosts: (from flag: [..], from file: [..])"
//   "\"bip\" is not supported yet (networking issue)"
Result<void> mergeConfigFile(std::string_view json,
                             const std::map<std::string, std::string>& flag_keys,
                             DaemonConfig* config);

// Flags, then the config file (missing default file: fine; missing explicit file: error), then
// validation (log level, log driver, defaults for hosts).
Result<DaemonConfig> loadDaemonConfig(const std::vector<std::string>& args);

// "10m" → 10485760 (Docker's units.RAMInBytes: b, k, m, g, t, p; optional "b"/"ib" suffix).
Result<int64_t> parseByteSize(std::string_view text);

// json-file log options (daemon.json "log-opts" and a container's HostConfig.LogConfig.Config):
// max-size (with units) and max-file; any other key is an error naming it, so an option
// berth does not implement is never silently dropped.
struct LogOptions {
  std::optional<uint64_t> max_size;
  std::optional<int> max_files;
};
Result<LogOptions> parseLogOpts(const std::map<std::string, std::string>& opts);

// --help text.
std::string daemonUsage();

}  // namespace berth::daemon
