#include "daemon/network_files.h"

#include "base/strings.h"

namespace berth::daemon {
namespace {

constexpr const char* kDefaultHosts =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

// The values of the lines starting with `key` ("search", "options").
std::vector<std::string> fieldsOf(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& line : split(text, '\n')) {
    auto t = std::string(trim(line));
    if (!t.starts_with(key + " ") && !t.starts_with(key + "\t")) continue;
    out.clear();  // the last line wins, as in glibc
    for (auto& f : split(t.substr(key.size()), ' ')) {
      auto v = std::string(trim(f));
      if (!v.empty()) out.push_back(v);
    }
  }
  return out;
}

}  // namespace

std::string buildHostsFile(const HostsInput& in) {
  std::string out = kDefaultHosts;
  for (const auto& h : in.extra_hosts) {
    auto pos = h.find(':');
    if (pos == std::string::npos) continue;
    out += h.substr(pos + 1) + "\t" + h.substr(0, pos) + "\n";
  }
  for (const auto& l : in.link_lines) out += l + "\n";
  if (!in.ip.empty()) {
    if (!in.domainname.empty()) {
      out += in.ip + "\t" + in.hostname + "." + in.domainname + " " + in.hostname + "\n";
    } else {
      out += in.ip + "\t" + in.hostname + "\n";
    }
  }
  return out;
}

std::vector<std::string> resolvNameservers(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : split(text, '\n')) {
    auto t = std::string(trim(line));
    if (!t.starts_with("nameserver")) continue;
    auto v = std::string(trim(t.substr(10)));
    if (!v.empty()) out.push_back(v);
  }
  return out;
}

std::string buildResolvConf(const ResolvInput& in) {
  std::vector<std::string> servers;
  if (in.embedded_dns) {
    servers = {"127.0.0.11"};
  } else if (!in.dns.empty()) {
    servers = in.dns;
  } else {
    for (const auto& s : resolvNameservers(in.host_resolv_conf)) {
      // A container has its own loopback: the host's local resolver is not reachable there.
      if (!in.host_network && (s.starts_with("127.") || s == "::1")) continue;
      if (s.find(':') != std::string::npos) continue;  // no IPv6 in berth's networks
      servers.push_back(s);
    }
    if (servers.empty() && !in.host_network) servers = {"8.8.8.8", "8.8.4.4"};
  }
  std::vector<std::string> search =
      !in.dns_search.empty() ? in.dns_search : fieldsOf(in.host_resolv_conf, "search");
  std::vector<std::string> options =
      !in.dns_options.empty() ? in.dns_options : fieldsOf(in.host_resolv_conf, "options");
  if (in.embedded_dns) {
    bool has_ndots = false;
    for (const auto& o : options) has_ndots = has_ndots || o.starts_with("ndots:");
    if (!has_ndots) options.push_back("ndots:0");
  }
  std::string out;
  if (!search.empty() && join(search, " ") != ".") out += "search " + join(search, " ") + "\n";
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  return out;
}

}  // namespace berth::daemon
