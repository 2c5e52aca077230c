// NetworkService: the containers' side — sandboxes (netns), endpoints (veth pairs), published
// ports, the embedded DNS, and the hosts/resolv.conf files.

#include <net/if.h>
#include <sys/random.h>

#include <algorithm>
#include <set>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "daemon/names.h"
#include "daemon/network_create.h"
#include "daemon/network_files.h"
#include "daemon/network_service.h"
#include "daemon/network_service_impl.h"
#include "network/mac.h"
#include "network/netns.h"

namespace berth::daemon {

using network::Ipv4;
using network::Ipv4Prefix;

namespace {

std::string randomHex(size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  unsigned char buf[32];
  while (out.size() < n) {
    if (getrandom(buf, sizeof(buf), 0) != static_cast<ssize_t>(sizeof(buf))) {
      for (auto& b : buf) b = static_cast<unsigned char>(rand());
    }
    for (unsigned char b : buf) {
      if (out.size() < n) out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

std::string shortId(const std::string& id) { return id.substr(0, 12); }

// The container's networks in interface order: the mode's network first (eth0), then the
// others by name.
std::vector<std::string> networkOrder(const Container& c) {
  std::vector<std::string> out;
  std::string first = networkOfMode(c.HostConfig.NetworkMode);
  if (c.NetworkSettings.Networks.count(first)) out.push_back(first);
  for (const auto& [name, _] : c.NetworkSettings.Networks) {
    if (name != first) out.push_back(name);
  }
  return out;
}

struct PortSpec {
  network::Protocol proto = network::Protocol::kTcp;
  uint16_t port = 0;
};

Result<PortSpec> parsePortKey(const std::string& key) {
  auto [port, proto] = splitOnce(key, '/');
  PortSpec out;
  if (!proto.empty()) {
    auto parsed = network::parseProtocol(proto);
    if (!parsed) return parsed.error().wrap("port " + key);
    out.proto = *parsed;
  }
  auto p = parseInt(port);
  if (!p || *p <= 0 || *p > 65535) return invalidArgument("invalid port specification: \"" + key + "\"");
  out.port = static_cast<uint16_t>(*p);
  return out;
}

}  // namespace

Result<void> NetworkService::prepareContainer(
    Container* c, const std::map<std::string, EndpointSettings>& requested) {
  std::string& mode = c->HostConfig.NetworkMode;
  if (mode.empty()) mode = "default";
  if (!containerOfMode(mode).empty()) {
    if (!requested.empty()) {
      return invalidArgument("conflicting options: container type network can't be used with "
                             "other networks");
    }
    return {};
  }
  std::string name = networkOfMode(mode);
  BERTH_TRY(NetworkRecord n, find(name));
  if (n.Driver == "host" || n.Driver == "null") {
    bool has_ports = !c->HostConfig.PortBindings.empty() || c->HostConfig.PublishAllPorts;
    if (n.Driver == "null" && has_ports) {
      // Docker accepts and ignores them for none; host publishes nothing either.
    }
  }
  for (const auto& [net, ep] : requested) {
    if (net != name && net != n.Id && !n.Id.starts_with(net)) {
      return invalidArgument("network \"" + net + "\" in NetworkingConfig is not the container's "
                             "network mode \"" + mode + "\"");
    }
  }
  EndpointSettings ep;
  if (!requested.empty()) ep = requested.begin()->second;
  if (!hasEmbeddedDns(n)) {
    if (ep.IPAMConfig && !ep.IPAMConfig->IPv4Address.empty()) {
      return invalidArgument("user specified IP address is supported on user defined networks only");
    }
    if (ep.Aliases && !ep.Aliases->empty() && n.Driver == "bridge") {
      return invalidArgument(
          "network-scoped alias is supported only for containers in user defined networks");
    }
  }
  if (n.Driver == "host" && (!c->HostConfig.Dns.empty() || c->HostConfig.Links)) {
    // Docker accepts --dns with host networking; links are refused.
    if (c->HostConfig.Links && !c->HostConfig.Links->empty()) {
      return invalidArgument("conflicting options: host type networking can't be used with links. "
                             "This would result in undefined behavior");
    }
  }
  if (c->HostConfig.Links && !c->HostConfig.Links->empty() && n.Name != "bridge") {
    return invalidArgument("links are supported only on the default bridge network");
  }
  ep.NetworkID = n.Id;
  c->NetworkSettings.Networks.clear();
  c->NetworkSettings.Networks[n.Name] = ep;
  return {};
}

Result<void> NetworkService::createEndpointLocked(Container* c, NetworkRecord& n,
                                                  EndpointSettings& ep, int netns_fd,
                                                  const std::string& ifname, bool first) {
  Impl& im = *impl_;
  RollbackStack rollback;
  std::optional<Ipv4> requested;
  if (ep.IPAMConfig && !ep.IPAMConfig->IPv4Address.empty()) {
    BERTH_TRY(Ipv4 r, Ipv4::parse(ep.IPAMConfig->IPv4Address));
    requested = r;
  }
  BERTH_TRY(Ipv4 ip, im.ipam->allocate(n.Id, requested));
  rollback.push([&] { (void)im.ipam->release(n.Id, ip); });
  BERTH_TRY(network::PoolInfo pool, im.ipam->pool(n.Id));
  network::MacAddress mac = network::macFromIpv4(ip);
  if (first && !c->Config.MacAddress.empty()) {
    BERTH_TRY_CTX(mac, network::parseMac(c->Config.MacAddress), "--mac-address");
  }
  int mtu = 0;
  if (auto it = n.Options.find(kOptMtu); it != n.Options.end()) {
    mtu = static_cast<int>(parseInt(it->second).value_or(0));
  }
  std::string host_veth = "veth" + randomHex(7);
  std::string peer = "vtmp" + randomHex(7);
  // Undone even when the create reports an error: the kernel may have made the pair before the
  // answer was lost (seen under load).
  rollback.push([&] { (void)im.nl->deleteLink(host_veth); });
  BERTH_TRY_VOID(im.nl->createVeth({host_veth, peer, mtu}));
  BERTH_TRY_VOID(im.nl->setMaster(host_veth, n.BridgeName));
  BERTH_TRY_VOID(im.nl->setUp(host_veth));
  BERTH_TRY_VOID(im.nl->moveToNetns(peer, netns_fd));
  BERTH_TRY(network::Netlink cnl, network::Netlink::openInNetns(netns_fd));
  BERTH_TRY_VOID(cnl.renameLink(peer, ifname));
  BERTH_TRY_VOID(cnl.setMac(ifname, mac));
  BERTH_TRY_VOID(cnl.addAddress(ifname, Ipv4Prefix{ip, pool.subnet.len}));
  BERTH_TRY_VOID(cnl.setUp(ifname));
  (void)cnl.setUp("lo");
  std::string gateway = pool.gateway.toString();
  if (n.Name == "bridge" && !im.default_gateway.empty()) gateway = im.default_gateway;
  if (first && !n.Internal) {
    BERTH_TRY(Ipv4 gw, Ipv4::parse(gateway));
    BERTH_TRY_VOID(cnl.addDefaultRoute(gw, ifname));
  }
  NetworkEndpoint rec;
  rec.Name = c->Name.empty() ? c->ID : c->Name.substr(1);
  rec.EndpointID = generateContainerId();
  rec.MacAddress = network::macToString(mac);
  rec.IPv4Address = Ipv4Prefix{ip, pool.subnet.len}.toString();
  rec.HostVeth = host_veth;
  if (hasEmbeddedDns(n)) {
    if (ep.Aliases) rec.Aliases = *ep.Aliases;
    rec.Aliases.erase(std::remove(rec.Aliases.begin(), rec.Aliases.end(), shortId(c->ID)),
                      rec.Aliases.end());
    std::vector<std::string> shown = rec.Aliases;
    shown.push_back(shortId(c->ID));
    ep.Aliases = shown;
  }
  n.Endpoints[c->ID] = rec;
  if (auto r = im.save(n); !r) {
    n.Endpoints.erase(c->ID);
    return r.error();
  }
  rollback.commit();
  ep.NetworkID = n.Id;
  ep.EndpointID = rec.EndpointID;
  ep.Gateway = gateway;
  ep.IPAddress = ip.toString();
  ep.IPPrefixLen = pool.subnet.len;
  ep.MacAddress = rec.MacAddress;
  publishNetwork(n, "connect", {{"container", c->ID}});
  return {};
}

void NetworkService::removeEndpointLocked(Container* c, NetworkRecord& n, EndpointSettings& ep) {
  Impl& im = *impl_;
  auto it = n.Endpoints.find(c->ID);
  if (it != n.Endpoints.end()) {
    if (!it->second.HostVeth.empty()) {
      if (auto r = im.nl->deleteLink(it->second.HostVeth);
          !r && r.error().code() != ErrorCode::kNotFound) {
        log::warn("remove " + it->second.HostVeth + ": " + r.error().message());
      }
    }
    if (auto ip = Ipv4Prefix::parse(it->second.IPv4Address); ip && im.ipam->hasPool(n.Id)) {
      (void)im.ipam->release(n.Id, ip->addr);
    }
    n.Endpoints.erase(it);
    if (auto r = im.save(n); !r) log::warn("save network " + n.Name + ": " + r.error().message());
    publishNetwork(n, "disconnect", {{"container", c->ID}});
  }
  ep.EndpointID.clear();
  ep.Gateway.clear();
  ep.IPAddress.clear();
  ep.IPPrefixLen = 0;
  ep.MacAddress.clear();
  if (ep.Aliases) {
    auto& a = *ep.Aliases;
    a.erase(std::remove(a.begin(), a.end(), shortId(c->ID)), a.end());
    if (a.empty()) ep.Aliases.reset();
  }
}

Result<void> NetworkService::publishPortsLocked(Container* c, const NetworkRecord& n,
                                                const std::string& ip_text) {
  Impl& im = *impl_;
  BERTH_TRY(Ipv4 ip, Ipv4::parse(ip_text));
  PortMap ports;
  std::map<std::string, std::vector<PortBinding>> wanted = c->HostConfig.PortBindings;
  for (const auto& [key, _] : c->Config.ExposedPorts) {
    if (!wanted.count(key)) {
      if (c->HostConfig.PublishAllPorts) {
        wanted[key] = {PortBinding{}};
      } else {
        ports[key] = std::nullopt;
      }
    }
  }
  std::string default_host_ip = "0.0.0.0";
  if (auto it = n.Options.find(kOptHostBinding); it != n.Options.end()) default_host_ip = it->second;
  auto& done = im.mappings[c->ID];
  for (const auto& [key, bindings] : wanted) {
    BERTH_TRY(PortSpec spec, parsePortKey(key));
    std::string norm = std::to_string(spec.port) + "/" + network::protocolName(spec.proto);
    std::vector<PortBinding> shown;
    for (const auto& b : bindings) {
      std::string host_ip_text = b.HostIp.empty() ? default_host_ip : b.HostIp;
      BERTH_TRY_CTX(Ipv4 host_ip, Ipv4::parse(host_ip_text), "host IP of port " + key);
      uint16_t host_port = 0;
      Result<uint16_t> got = uint16_t{0};
      auto [lo_text, hi_text] = splitOnce(b.HostPort, '-');
      if (b.HostPort.empty()) {
        got = im.ports.allocate(spec.proto, host_ip, 0);
      } else if (!hi_text.empty()) {
        auto lo = parseInt(lo_text), hi = parseInt(hi_text);
        if (!lo || !hi || *lo <= 0 || *hi > 65535 || *lo > *hi) {
          return invalidArgument("invalid port range: " + b.HostPort);
        }
        got = im.ports.allocateInRange(spec.proto, host_ip, static_cast<uint16_t>(*lo),
                                       static_cast<uint16_t>(*hi));
      } else {
        auto p = parseInt(b.HostPort);
        if (!p || *p <= 0 || *p > 65535) return invalidArgument("invalid host port: " + b.HostPort);
        got = im.ports.allocate(spec.proto, host_ip, static_cast<uint16_t>(*p));
      }
      if (!got) {
        auto it = n.Endpoints.find(c->ID);
        std::string epid = it != n.Endpoints.end() ? it->second.EndpointID : "";
        return Error(got.error().code(), "driver failed programming external connectivity on "
                                         "endpoint " + c->Name.substr(1) + " (" + epid + "): " +
                                             got.error().message());
      }
      host_port = *got;
      network::PortMapping m;
      m.proto = spec.proto;
      if (!host_ip.isUnspecified()) m.host_ip = host_ip;
      m.host_port = host_port;
      m.container_ip = ip;
      m.container_port = spec.port;
      m.bridge = n.BridgeName;
      if (im.firewall) {
        if (auto r = im.firewall->addPortMapping(c->ID, m); !r) {
          im.ports.release(spec.proto, host_ip, host_port);
          return r.error().wrap("publish port " + key);
        }
      }
      done.push_back(m);
      shown.push_back(PortBinding{host_ip.toString(), std::to_string(host_port)});
    }
    ports[norm] = shown;
  }
  c->NetworkSettings.Ports = std::move(ports);
  return {};
}

Result<void> NetworkService::attachSandbox(Container* c,
                                           const std::vector<std::string>& link_hosts) {
  Impl& im = *impl_;
  std::string first_ip;
  {
    std::lock_guard lock(im.mu);
    std::string sandbox_id = generateContainerId();
    std::string path = im.netns_dir + "/" + shortId(sandbox_id);
    BERTH_TRY_CTX(network::NetNs ns, network::NetNs::create(path), "create sandbox");
    RollbackStack rollback;
    rollback.push([&] {
      for (auto& [name, ep] : c->NetworkSettings.Networks) {
        if (ep.EndpointID.empty()) continue;
        if (NetworkRecord* n = im.findLocked(ep.NetworkID)) removeEndpointLocked(c, *n, ep);
      }
    });
    rollback.push([&] {
      if (im.firewall) (void)im.firewall->removePortMappings(c->ID);
      for (const auto& m : im.mappings[c->ID]) {
        im.ports.release(m.proto, m.host_ip.value_or(Ipv4{}), m.host_port);
      }
      im.mappings.erase(c->ID);
      c->NetworkSettings.Ports.clear();
    });
    int index = 0;
    for (const auto& name : networkOrder(*c)) {
      EndpointSettings& ep = c->NetworkSettings.Networks[name];
      NetworkRecord* n = im.findLocked(ep.NetworkID.empty() ? name : ep.NetworkID);
      if (!n) return notFound("network " + name + " not found");
      if (n->Driver != "bridge") continue;
      bool first = index == 0;
      BERTH_TRY_VOID(createEndpointLocked(c, *n, ep, ns.fd(), "eth" + std::to_string(index),
                                          first));
      if (first) {
        first_ip = ep.IPAddress;
        BERTH_TRY_VOID(publishPortsLocked(c, *n, ep.IPAddress));
      }
      ++index;
    }
    c->NetworkSettings.SandboxID = sandbox_id;
    c->NetworkSettings.SandboxKey = path;
    rollback.commit();
    ns.release();
  }
  addDns(*c);
  return writeContainerFiles(*c, first_ip, link_hosts);
}

void NetworkService::releaseSandbox(Container* c) {
  Impl& im = *impl_;
  removeDns(c->ID);
  std::lock_guard lock(im.mu);
  if (im.firewall) {
    if (auto r = im.firewall->removePortMappings(c->ID); !r) {
      log::warn("remove port rules of " + c->ID + ": " + r.error().message());
    }
  }
  if (auto it = im.mappings.find(c->ID); it != im.mappings.end()) {
    for (const auto& m : it->second) {
      im.ports.release(m.proto, m.host_ip.value_or(Ipv4{}), m.host_port);
    }
    im.mappings.erase(it);
  }
  for (auto& [name, ep] : c->NetworkSettings.Networks) {
    NetworkRecord* n = im.findLocked(ep.NetworkID.empty() ? name : ep.NetworkID);
    if (n) removeEndpointLocked(c, *n, ep);
  }
  if (!c->NetworkSettings.SandboxKey.empty()) {
    if (auto r = network::removeNetnsFile(c->NetworkSettings.SandboxKey); !r) {
      log::warn("remove sandbox of " + c->ID + ": " + r.error().message());
    }
  }
  c->NetworkSettings.SandboxID.clear();
  c->NetworkSettings.SandboxKey.clear();
  c->NetworkSettings.Ports.clear();
}

void NetworkService::removeStaleEndpoints(const std::set<std::string>& running,
                                          const std::set<std::string>& sandboxes) {
  Impl& im = *impl_;
  std::lock_guard lock(im.mu);
  for (auto& [id, n] : im.networks) {
    std::vector<std::string> stale;
    for (const auto& [cid, ep] : n.Endpoints) {
      if (!running.count(cid)) stale.push_back(cid);
    }
    for (const auto& cid : stale) {
      const NetworkEndpoint& ep = n.Endpoints[cid];
      log::info("removing stale endpoint of container " + cid + " on network " + n.Name);
      if (!ep.HostVeth.empty()) (void)im.nl->deleteLink(ep.HostVeth);
      if (auto ip = Ipv4Prefix::parse(ep.IPv4Address); ip && im.ipam->hasPool(n.Id)) {
        (void)im.ipam->release(n.Id, ip->addr);
      }
      if (im.firewall) (void)im.firewall->removePortMappings(cid);
      n.Endpoints.erase(cid);
    }
    if (!stale.empty()) (void)im.save(n);
  }
  auto files = listDirectory(im.netns_dir);
  if (!files) return;
  for (const auto& f : *files) {
    std::string path = im.netns_dir + "/" + f;
    if (!sandboxes.count(path)) (void)network::removeNetnsFile(path);
  }
}

void NetworkService::restoreSandbox(const Container& c) {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    for (const auto& [port, bindings] : c.NetworkSettings.Ports) {
      if (!bindings) continue;
      auto spec = parsePortKey(port);
      if (!spec) continue;
      for (const auto& b : *bindings) {
        auto host_ip = Ipv4::parse(b.HostIp);
        auto host_port = parseInt(b.HostPort);
        if (!host_ip || !host_port) continue;
        if (auto r = im.ports.allocate(spec->proto, *host_ip, static_cast<uint16_t>(*host_port));
            !r) {
          log::warn("reserve port " + b.HostPort + " of " + c.ID + ": " + r.error().message());
          continue;
        }
        network::PortMapping m;
        m.proto = spec->proto;
        if (!host_ip->isUnspecified()) m.host_ip = *host_ip;
        m.host_port = static_cast<uint16_t>(*host_port);
        im.mappings[c.ID].push_back(m);
      }
    }
  }
  addDns(c);
}

Result<void> NetworkService::attachEndpoint(Container* c, const std::string& network_name) {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    EndpointSettings& ep = c->NetworkSettings.Networks[network_name];
    NetworkRecord* n = im.findLocked(ep.NetworkID.empty() ? network_name : ep.NetworkID);
    if (!n) return notFound("network " + network_name + " not found");
    BERTH_TRY(network::NetNs ns, network::NetNs::open(c->NetworkSettings.SandboxKey));
    BERTH_TRY(network::Netlink cnl, network::Netlink::openInNetns(ns.fd()));
    BERTH_TRY(auto links, cnl.listLinks());
    std::set<std::string> names;
    for (const auto& l : links) names.insert(l.name);
    int index = 0;
    while (names.count("eth" + std::to_string(index))) ++index;
    BERTH_TRY_VOID(createEndpointLocked(c, *n, ep, ns.fd(), "eth" + std::to_string(index),
                                        false));
  }
  removeDns(c->ID);
  addDns(*c);
  return {};
}

Result<void> NetworkService::detachEndpoint(Container* c, const std::string& network_name) {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    auto it = c->NetworkSettings.Networks.find(network_name);
    if (it == c->NetworkSettings.Networks.end()) return {};
    NetworkRecord* n = im.findLocked(it->second.NetworkID.empty() ? network_name
                                                                   : it->second.NetworkID);
    if (n) removeEndpointLocked(c, *n, it->second);
  }
  removeDns(c->ID);
  addDns(*c);
  return {};
}

void NetworkService::addDns(const Container& c) {
  Impl& im = *impl_;
  std::vector<std::string> networks;  // ids of c's user-defined networks
  {
    std::lock_guard lock(im.mu);
    for (const auto& [name, ep] : c.NetworkSettings.Networks) {
      NetworkRecord* n = im.findLocked(ep.NetworkID.empty() ? name : ep.NetworkID);
      if (n && hasEmbeddedDns(*n) && !ep.EndpointID.empty()) networks.push_back(n->Id);
    }
  }
  if (networks.empty() || c.NetworkSettings.SandboxKey.empty()) return;
  auto ns = network::NetNs::open(c.NetworkSettings.SandboxKey);
  if (!ns) {
    log::warn("embedded DNS for " + c.ID + ": " + ns.error().message());
    return;
  }
  std::vector<network::DnsUpstream> upstreams;
  if (!c.HostConfig.Dns.empty()) {
    for (const auto& d : c.HostConfig.Dns) {
      if (auto ip = Ipv4::parse(d)) upstreams.push_back({*ip, 53});
    }
  } else {
    upstreams = network::upstreamsFromResolvConf(readFile("/etc/resolv.conf").valueOr(""));
  }
  network::DnsContainerConfig cfg;
  cfg.key = c.ID;
  cfg.netns_fd = ns->fd();
  cfg.upstreams = std::move(upstreams);
  std::string self = c.ID;
  cfg.resolver = [this, self](const std::string& name) -> std::optional<std::vector<Ipv4>> {
    std::lock_guard lock(impl_->mu);
    std::vector<Ipv4> out;
    for (const auto& [id, n] : impl_->networks) {
      if (!hasEmbeddedDns(n) || !n.Endpoints.count(self)) continue;
      for (const auto& [cid, ep] : n.Endpoints) {
        bool match = toLower(ep.Name) == name || cid.substr(0, 12) == name ||
                     std::any_of(ep.Aliases.begin(), ep.Aliases.end(),
                                 [&](const std::string& a) { return toLower(a) == name; });
        if (!match) continue;
        if (auto p = Ipv4Prefix::parse(ep.IPv4Address)) out.push_back(p->addr);
      }
    }
    if (out.empty()) return std::nullopt;
    return out;
  };
  cfg.reverse = [this, self](Ipv4 address) -> std::optional<std::string> {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, n] : impl_->networks) {
      if (!hasEmbeddedDns(n) || !n.Endpoints.count(self)) continue;
      for (const auto& [cid, ep] : n.Endpoints) {
        auto p = Ipv4Prefix::parse(ep.IPv4Address);
        if (p && p->addr == address) return ep.Name + "." + n.Name;
      }
    }
    return std::nullopt;
  };
  std::lock_guard lock(im.dns_mu);
  if (!im.dns) {
    auto started = network::DnsServer::start();
    if (!started) {
      log::warn("start the embedded DNS server: " + started.error().message());
      return;
    }
    im.dns = std::move(*started);
  }
  if (auto r = im.dns->addContainer(std::move(cfg)); !r) {
    log::warn("embedded DNS for " + c.ID + ": " + r.error().message());
  }
}

void NetworkService::removeDns(const std::string& container_id) {
  std::lock_guard lock(impl_->dns_mu);
  if (impl_->dns) impl_->dns->removeContainer(container_id);
}

Result<void> NetworkService::writeContainerFiles(const Container& c, const std::string& ip,
                                                 const std::vector<std::string>& link_hosts) {
  const std::string& mode = c.HostConfig.NetworkMode;
  std::string host_resolv = readFile("/etc/resolv.conf").valueOr("");
  HostsInput hi;
  hi.ip = ip;
  hi.hostname = c.Config.Hostname;
  hi.domainname = c.Config.Domainname;
  hi.link_lines = link_hosts;
  if (c.HostConfig.ExtraHosts) {
    std::string gw;
    for (auto h : *c.HostConfig.ExtraHosts) {
      auto pos = h.find(':');
      if (pos != std::string::npos && h.substr(pos + 1) == "host-gateway") {
        if (gw.empty()) gw = defaultGateway();
        if (gw.empty()) return invalidArgument("host-gateway: there is no default bridge");
        h = h.substr(0, pos + 1) + gw;
      }
      hi.extra_hosts.push_back(h);
    }
  }
  std::string hosts;
  if (mode == "host") {
    hosts = readFile("/etc/hosts").valueOr("");
    for (const auto& h : hi.extra_hosts) {
      auto pos = h.find(':');
      if (pos != std::string::npos) hosts += h.substr(pos + 1) + "\t" + h.substr(0, pos) + "\n";
    }
  } else {
    hosts = buildHostsFile(hi);
  }
  ResolvInput ri;
  ri.host_resolv_conf = host_resolv;
  ri.dns = c.HostConfig.Dns.empty() ? options_.dns : c.HostConfig.Dns;
  ri.dns_search = c.HostConfig.DnsSearch.empty() ? options_.dns_search : c.HostConfig.DnsSearch;
  ri.dns_options = c.HostConfig.DnsOptions.empty() ? options_.dns_options
                                                   : c.HostConfig.DnsOptions;
  ri.host_network = mode == "host";
  std::string net = networkOfMode(mode);
  if (!net.empty() && net != "bridge" && net != "host" && net != "none") {
    auto n = find(net);
    ri.embedded_dns = n && hasEmbeddedDns(*n);
  }
  std::string resolv = buildResolvConf(ri);
  BERTH_TRY_VOID(writeFile(c.HostsPath, hosts));
  BERTH_TRY_VOID(writeFile(c.ResolvConfPath, resolv));
  return {};
}

}  // namespace berth::daemon
