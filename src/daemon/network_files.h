#pragma once
// The /etc/hosts and /etc/resolv.conf texts berthd writes for a container, as Docker does
// (libnetwork etchosts.Build and resolvconf.Build). Pure; thread-safe.

#include <string>
#include <vector>

namespace berth::daemon {

struct HostsInput {
  std::string ip;  // the container's address on its first network ("" for none)
  std::string hostname;
  std::string domainname;
  std::vector<std::string> extra_hosts;  // "name:ip" (--add-host), host-gateway resolved
  std::vector<std::string> link_lines;   // "ip\talias id name" (--link)
};
std::string buildHostsFile(const HostsInput& in);

struct ResolvInput {
  std::string host_resolv_conf;  // the host's /etc/resolv.conf
  std::vector<std::string> dns, dns_search, dns_options;
  bool embedded_dns = false;  // user-defined network: nameserver 127.0.0.11
  bool host_network = false;  // host mode: loopback nameservers are kept
};
std::string buildResolvConf(const ResolvInput& in);

// The nameservers of a resolv.conf text.
std::vector<std::string> resolvNameservers(const std::string& text);

}  // namespace berth::daemon
