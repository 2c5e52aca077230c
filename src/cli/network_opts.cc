#include "cli/network_opts.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::cli {

using nlohmann::json;

namespace {

bool validIp(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

Result<std::pair<int, int>> parseRange(const std::string& text, const std::string& spec) {
  auto [lo, hi] = splitOnce(text, '-');
  auto a = parseInt(lo);
  auto b = hi.empty() ? a : parseInt(hi);
  if (!a || !b || *a < 0 || *b > 65535 || *a > *b) {
    return invalidArgument("invalid containerPort: " + (text.empty() ? spec : text));
  }
  return std::pair<int, int>{static_cast<int>(*a), static_cast<int>(*b)};
}

Result<void> validateAddHost(const std::string& v) {
  auto pos = v.find(':');
  if (pos == std::string::npos || pos == 0) {
    return invalidArgument("bad format for add-host: \"" + v + "\"");
  }
  std::string ip = v.substr(pos + 1);
  if (ip != "host-gateway" && !validIp(ip)) {
    return invalidArgument("invalid IP address in add-host: \"" + ip + "\"");
  }
  return {};
}

}  // namespace

void addNetworkFlags(FlagSet& f) {
  f.addList("add-host", 0, "Add a custom host-to-IP mapping (host:ip)", "list");
  f.validate(validateAddHost);
  f.addList("dns", 0, "Set custom DNS servers", "list");
  f.addList("dns-option", 0, "Set DNS options", "list");
  f.addList("dns-search", 0, "Set custom DNS search domains", "list");
  f.addList("expose", 0, "Expose a port or a range of ports", "list");
  f.addString("ip", 0, "", "IPv4 address (e.g., 172.30.100.104)");
  f.addList("link", 0, "Add link to another container", "list");
  f.addString("mac-address", 0, "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  FlagDef net;
  net.name = "net";
  net.usage = "Connect a container to a network";
  net.hidden = true;
  f.add(net);
  FlagDef net_alias;
  net_alias.name = "net-alias";
  net_alias.kind = FlagKind::kList;
  net_alias.usage = "Add network-scoped alias for the container";
  net_alias.hidden = true;
  f.add(net_alias);
  f.addList("network-alias", 0, "Add network-scoped alias for the container", "list");
  f.addList("publish", 'p', "Publish a container's port(s) to the host", "list");
  f.addBool("publish-all", 'P', "Publish all exposed ports to random ports");
}

Result<std::vector<PortMappingSpec>> parsePortSpec(const std::string& spec) {
  auto [body, proto_v] = splitOnce(spec, '/');
  std::string proto = proto_v.empty() ? "tcp" : toLower(proto_v);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return invalidArgument("invalid proto: " + proto);
  }
  std::string rest(body);
  std::string ip, host_port, container_port;
  // ip may be "[v6]".
  auto last = rest.rfind(':');
  if (last == std::string::npos) {
    container_port = rest;
  } else {
    container_port = rest.substr(last + 1);
    std::string left = rest.substr(0, last);
    auto mid = left.rfind(':');
    if (mid == std::string::npos || (left.starts_with("[") && left.ends_with("]"))) {
      host_port = left;
    } else {
      host_port = left.substr(mid + 1);
      ip = left.substr(0, mid);
    }
  }
  if (ip.starts_with("[") && ip.ends_with("]")) ip = ip.substr(1, ip.size() - 2);
  if (!ip.empty() && !validIp(ip)) return invalidArgument("invalid IP address: " + ip);
  if (container_port.empty()) return invalidArgument("no port specified: " + spec + "<empty>");
  BERTH_TRY(auto cr, parseRange(container_port, spec));
  std::pair<int, int> hr{0, 0};
  if (!host_port.empty()) {
    auto h = parseRange(host_port, spec);
    if (!h) return invalidArgument("invalid hostPort: " + host_port);
    hr = *h;
  }
  int n = cr.second - cr.first;
  if (!host_port.empty() && n != 0 && hr.second - hr.first != n) {
    return invalidArgument("invalid ranges specified for container and host Ports: " +
                           container_port + " and " + host_port);
  }
  std::vector<PortMappingSpec> out;
  for (int i = 0; i <= n; ++i) {
    PortMappingSpec m;
    m.port = std::to_string(cr.first + i) + "/" + proto;
    m.host_ip = ip;
    if (!host_port.empty()) {
      if (n == 0) {
        m.host_port = hr.first == hr.second ? std::to_string(hr.first) : host_port;
      } else {
        m.host_port = std::to_string(hr.first + i);
      }
    }
    out.push_back(m);
  }
  return out;
}

Result<void> applyNetworkFlags(const FlagSet& f, json& config, json& host, json& networking) {
  std::string network = f.changed("network") ? f.getString("network")
                        : f.changed("net")   ? f.getString("net")
                                             : "default";
  host["NetworkMode"] = network;
  json exposed = json::object();
  for (const auto& e : f.getList("expose")) {
    auto [port, proto] = splitOnce(e, '/');
    BERTH_TRY(auto r, parseRange(std::string(port), e));
    for (int p = r.first; p <= r.second; ++p) {
      exposed[std::to_string(p) + "/" + (proto.empty() ? "tcp" : std::string(proto))] =
          json::object();
    }
  }
  json bindings = json::object();
  for (const auto& p : f.getList("publish")) {
    BERTH_TRY(auto specs, parsePortSpec(p));
    for (const auto& s : specs) {
      exposed[s.port] = json::object();
      bindings[s.port].push_back({{"HostIp", s.host_ip}, {"HostPort", s.host_port}});
    }
  }
  if (!exposed.empty()) config["ExposedPorts"] = exposed;
  if (!bindings.empty()) host["PortBindings"] = bindings;
  if (f.getBool("publish-all")) host["PublishAllPorts"] = true;
  if (!f.getList("dns").empty()) host["Dns"] = f.getList("dns");
  if (!f.getList("dns-search").empty()) host["DnsSearch"] = f.getList("dns-search");
  if (!f.getList("dns-option").empty()) host["DnsOptions"] = f.getList("dns-option");
  if (!f.getList("add-host").empty()) host["ExtraHosts"] = f.getList("add-host");
  if (!f.getList("link").empty()) host["Links"] = f.getList("link");
  if (f.changed("mac-address")) config["MacAddress"] = f.getString("mac-address");
  std::vector<std::string> aliases = f.getList("network-alias");
  for (const auto& a : f.getList("net-alias")) aliases.push_back(a);
  json ep = json::object();
  if (!f.getString("ip").empty()) ep["IPAMConfig"] = {{"IPv4Address", f.getString("ip")}};
  if (!aliases.empty()) ep["Aliases"] = aliases;
  if (!ep.empty()) {
    if (network.starts_with("container:") || network == "host" || network == "none") {
      // dockerd says what is wrong.
    }
    networking["EndpointsConfig"][network] = ep;
  }
  return {};
}

}  // namespace berth::cli
