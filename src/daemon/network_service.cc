#include "daemon/network_service.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "daemon/filters.h"
#include "daemon/names.h"
#include "daemon/network_service_impl.h"
#include "network/mac.h"

namespace berth::daemon {

using nlohmann::json;
using network::Ipv4;
using network::Ipv4Prefix;

namespace {

Error forbidden(std::string message) { return Error(ErrorCode::kForbidden, std::move(message)); }

Result<bool> parseBoolOption(const std::string& key, const std::string& value) {
  std::string v = toLower(value);
  if (v == "true" || v == "1" || v == "t") return true;
  if (v == "false" || v == "0" || v == "f") return false;
  return invalidArgument("invalid value \"" + value + "\" for option " + key +
                         ": expected true or false");
}

}  // namespace

bool networkBoolOption(const NetworkRecord& n, const std::string& key, bool fallback) {
  auto it = n.Options.find(key);
  if (it == n.Options.end()) return fallback;
  auto v = parseBoolOption(key, it->second);
  return v ? *v : fallback;
}

// ---------------------------------------------------------------------------------------------
// Impl helpers.

NetworkRecord* NetworkService::Impl::byName(const std::string& name) {
  for (auto& [id, n] : networks) {
    if (n.Name == name) return &n;
  }
  return nullptr;
}

NetworkRecord* NetworkService::Impl::findLocked(const std::string& key, std::string*) {
  if (key.empty()) return nullptr;
  if (auto it = networks.find(key); it != networks.end()) return &it->second;
  if (auto* n = byName(key)) return n;
  NetworkRecord* match = nullptr;
  for (auto& [id, n] : networks) {
    if (id.starts_with(key)) {
      if (match) return nullptr;
      match = &n;
    }
  }
  return match;
}

Result<void> NetworkService::Impl::save(const NetworkRecord& n) {
  return writeFileAtomic(dir + "/networks/" + n.Id + ".json", networkRecordToJson(n), 0600);
}

Result<void> NetworkService::Impl::setupBridge(const NetworkRecord& n) {
  BERTH_TRY(network::PoolInfo pool, ipam->pool(n.Id));
  Ipv4Prefix subnet = pool.subnet;
  Ipv4 gateway = pool.gateway;
  Ipv4Prefix address{gateway, subnet.len};
  int mtu = 0;
  if (auto it = n.Options.find(kOptMtu); it != n.Options.end()) {
    mtu = static_cast<int>(parseInt(it->second).value_or(0));
  }
  RollbackStack rollback;
  BERTH_TRY(bool exists, nl->linkExists(n.BridgeName));
  if (!exists) {
    network::BridgeOptions bo;
    bo.name = n.BridgeName;
    bo.mtu = mtu;
    bo.mac = network::randomMac();
    BERTH_TRY_VOID(nl->createBridge(bo));
    rollback.push([&] { (void)nl->deleteLink(n.BridgeName); });
  }
  BERTH_TRY(auto addrs, nl->listAddresses(n.BridgeName));
  bool has = std::any_of(addrs.begin(), addrs.end(),
                         [&](const network::AddressInfo& a) { return a.address == address; });
  if (!has) BERTH_TRY_VOID(nl->addAddress(n.BridgeName, address));
  BERTH_TRY_VOID(nl->setUp(n.BridgeName));
  if (firewall) {
    network::NetworkRules rules;
    rules.id = n.Id;
    rules.bridge = n.BridgeName;
    rules.subnet = subnet.canonical();
    rules.masquerade = networkBoolOption(n, kOptMasq, true);
    rules.icc = networkBoolOption(n, kOptIcc, true);
    rules.internal = n.Internal;
    BERTH_TRY_VOID(firewall->addNetwork(rules));
  }
  rollback.commit();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Open.

NetworkService::NetworkService(NetworkServiceOptions options, EventSink events)
    : impl_(std::make_unique<Impl>()), options_(std::move(options)), events_(std::move(events)) {}

NetworkService::~NetworkService() {
  std::unique_ptr<network::DnsServer> dns;
  {
    std::lock_guard lock(impl_->dns_mu);
    dns = std::move(impl_->dns);
  }
  dns.reset();
}

Result<std::unique_ptr<NetworkService>> NetworkService::open(NetworkServiceOptions options,
                                                             EventSink events) {
  std::unique_ptr<NetworkService> svc(new NetworkService(std::move(options), std::move(events)));
  Impl& im = *svc->impl_;
  const auto& o = svc->options_;
  im.dir = o.data_root + "/network";
  im.netns_dir = o.exec_root + "/netns";
  BERTH_TRY_VOID(makeDirs(im.dir + "/networks", 0700));
  BERTH_TRY_VOID(makeDirs(im.netns_dir, 0700));
  BERTH_TRY(auto ipam, network::Ipam::open(im.dir + "/ipam.json"));
  im.ipam.emplace(std::move(ipam));
  BERTH_TRY(auto nl, network::Netlink::open());
  im.nl.emplace(std::move(nl));
  if (o.iptables) {
    std::string bridge = o.bridge.empty() ? "berth0" : o.bridge;
    // One table per default bridge name, so that daemons with their own bridge (tests) never
    // touch each other's rules; the usual daemon has `table ip berth`.
    std::string table = bridge == "berth0" ? "berth" : "berth-" + bridge;
    BERTH_TRY_CTX(im.firewall, network::makeNftablesFirewall(table), "firewall");
    BERTH_TRY_VOID(im.firewall->init());
  }

  BERTH_TRY(auto files, listDirectory(im.dir + "/networks"));
  for (const auto& f : files) {
    if (!f.ends_with(".json")) continue;
    auto text = readFile(im.dir + "/networks/" + f);
    if (!text) continue;
    auto rec = parseNetworkRecord(*text);
    if (!rec) {
      log::warn("skipping network " + f + ": " + rec.error().message());
      continue;
    }
    im.networks[rec->Id] = std::move(*rec);
  }
  std::lock_guard lock(im.mu);
  auto predefined = [&](const std::string& name, const std::string& driver) -> NetworkRecord& {
    NetworkRecord* n = im.byName(name);
    if (!n) {
      NetworkRecord rec;
      rec.Id = generateContainerId();
      rec.Name = name;
      rec.Created = nowRfc3339Nano();
      n = &im.networks[rec.Id];
      *n = std::move(rec);
    }
    n->Driver = driver;
    return *n;
  };
  BERTH_TRY_VOID(im.save(predefined("host", "host")));
  BERTH_TRY_VOID(im.save(predefined("none", "null")));
  if (o.bridge != "none") BERTH_TRY_VOID(svc->setupDefaultBridge(predefined("bridge", "bridge")));
  // User-defined bridges: make sure their devices and rules exist (after a reboot, say).
  for (auto& [id, n] : im.networks) {
    if (n.Driver != "bridge" || n.Name == "bridge") continue;
    if (auto r = im.setupBridge(n); !r) {
      log::warn("set up network " + n.Name + ": " + r.error().message());
    }
  }
  return svc;
}

Result<void> NetworkService::setupDefaultBridge(NetworkRecord& n) {
  Impl& im = *impl_;
  const auto& o = options_;
  n.BridgeName = o.bridge.empty() ? "berth0" : o.bridge;
  std::optional<Ipv4Prefix> address;  // gateway/len
  if (!o.bip.empty()) {
    BERTH_TRY_CTX(Ipv4Prefix bip, Ipv4Prefix::parse(o.bip), "bip");
    if (bip.isCanonical()) return invalidArgument("bip: " + o.bip + " is a network, not an address");
    address = bip;
  } else if (auto exists = im.nl->linkExists(n.BridgeName); exists && *exists) {
    BERTH_TRY(auto addrs, im.nl->listAddresses(n.BridgeName));
    if (!addrs.empty()) address = addrs[0].address;
  }
  if (!address && !n.IpamConfig.empty()) {
    auto s = Ipv4Prefix::parse(n.IpamConfig[0].Subnet);
    auto g = Ipv4::parse(n.IpamConfig[0].Gateway);
    if (s && g) address = Ipv4Prefix{*g, s->len};
  }
  if (!address) {
    BERTH_TRY(auto in_use, network::hostRoutedPrefixes());
    for (auto& s : im.ipam->subnets()) in_use.push_back(s);
    BERTH_TRY(Ipv4Prefix subnet, network::pickDefaultSubnet(in_use));
    address = Ipv4Prefix{Ipv4{subnet.network().value + 1}, subnet.len};
  }
  Ipv4Prefix subnet = address->canonical();
  std::optional<Ipv4Prefix> range;
  if (!o.fixed_cidr.empty()) {
    BERTH_TRY_CTX(Ipv4Prefix fc, Ipv4Prefix::parse(o.fixed_cidr), "fixed-cidr");
    if (!subnet.contains(fc.canonical())) {
      return invalidArgument("fixed-cidr " + o.fixed_cidr + " is not inside the bridge's subnet " +
                             subnet.toString());
    }
    range = fc.canonical();
  }
  // Keep the pool (and its allocations) when nothing changed.
  bool keep = false;
  if (im.ipam->hasPool(n.Id)) {
    auto p = im.ipam->pool(n.Id);
    keep = p && p->subnet == subnet && p->gateway == address->addr && p->ip_range == range;
    if (!keep) BERTH_TRY_VOID(im.ipam->removePool(n.Id));
  }
  if (!keep) {
    network::PoolConfig pc{subnet, range, address->addr};
    BERTH_TRY_VOID_CTX(im.ipam->addPool(n.Id, pc), "default bridge address pool");
  }
  n.IpamConfig = {NetworkIpamConfig{subnet.toString(), range ? range->toString() : "",
                                    address->addr.toString()}};
  im.default_gateway = address->addr.toString();
  if (!o.default_gateway.empty()) {
    BERTH_TRY_CTX(Ipv4 gw, Ipv4::parse(o.default_gateway), "default-gateway");
    im.default_gateway = gw.toString();
  }
  n.Options = {{kOptDefaultBridge, "true"},
               {kOptIcc, o.icc ? "true" : "false"},
               {kOptMasq, o.ip_masq ? "true" : "false"},
               {kOptHostBinding, o.default_bind_ip},
               {kOptBridgeName, n.BridgeName},
               {kOptMtu, std::to_string(o.mtu > 0 ? o.mtu : 1500)}};
  BERTH_TRY_VOID_CTX(im.setupBridge(n), "default bridge " + n.BridgeName);
  return im.save(n);
}

// ---------------------------------------------------------------------------------------------
// Queries.

Result<NetworkRecord> NetworkService::find(const std::string& name_or_id) {
  std::lock_guard lock(impl_->mu);
  NetworkRecord* n = impl_->findLocked(name_or_id);
  if (!n) return notFound("network " + name_or_id + " not found");
  return *n;
}

Result<std::string> NetworkService::inspectNetwork(const std::string& name_or_id) {
  BERTH_TRY(NetworkRecord n, find(name_or_id));
  return networkToJson(n, true);
}

Result<std::string> NetworkService::listNetworks(const std::string& filters) {
  BERTH_TRY(Filters f,
            parseFilters(filters, {"dangling", "driver", "id", "label", "name", "scope", "type"}));
  for (const auto& t : f["type"]) {
    if (t != "custom" && t != "builtin") return invalidArgument("invalid filter: 'type'='" + t + "'");
  }
  std::optional<bool> dangling;
  for (const auto& d : f["dangling"]) {
    std::string v = toLower(d);
    if (v == "true" || v == "1") {
      dangling = true;
    } else if (v == "false" || v == "0") {
      dangling = false;
    } else {
      return invalidArgument("invalid filter 'dangling=" + d + "'");
    }
  }
  auto regexAny = [](const std::vector<std::string>& pats, const std::string& value) -> Result<bool> {
    if (pats.empty()) return true;
    for (const auto& p : pats) {
      try {
        if (std::regex_search(value, std::regex(p))) return true;
      } catch (const std::regex_error&) {
        return invalidArgument("invalid filter '" + p + "'");
      }
    }
    return false;
  };
  std::vector<NetworkRecord> all;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, n] : impl_->networks) all.push_back(n);
  }
  json out = json::array();
  for (const auto& n : all) {
    BERTH_TRY(bool name_ok, regexAny(f["name"], n.Name));
    if (!name_ok) continue;
    BERTH_TRY(bool id_ok, regexAny(f["id"], n.Id));
    if (!id_ok) continue;
    if (!filterMatchesAny(f["driver"], n.Driver)) continue;
    if (!filterMatchesAny(f["scope"], "local")) continue;
    if (!labelsMatch(f["label"], n.Labels)) continue;
    if (!f["type"].empty() &&
        !filterMatchesAny(f["type"], n.predefined() ? "builtin" : "custom")) {
      continue;
    }
    if (dangling && (*dangling != (n.Endpoints.empty() && !n.predefined()))) continue;
    out.push_back(json::parse(networkToJson(n, false)));
  }
  return out.dump();
}

// ---------------------------------------------------------------------------------------------
// Create, remove, prune.

Result<std::string> NetworkService::createNetwork(std::string_view body) {
  BERTH_TRY(NetworkCreateRequest req, parseNetworkCreateRequest(body));
  Impl& im = *impl_;
  if (req.Name.empty()) return invalidArgument("network name cannot be empty");
  std::string driver = req.Driver.empty() ? "bridge" : req.Driver;
  if (driver == "host" || driver == "null") {
    return forbidden("only one instance of \"" + driver + "\" network is allowed");
  }
  if (driver != "bridge") {
    return notFound("plugin \"" + driver + "\" not found: berth has the bridge driver only");
  }
  if (!req.IpamDriver.empty() && req.IpamDriver != "default") {
    return notFound("plugin \"" + req.IpamDriver + "\" not found: berth has the default IPAM only");
  }
  if (req.EnableIPv6) return invalidArgument("IPv6 networks are not supported yet");
  if (req.Ingress) return invalidArgument("ingress networks are not supported (no swarm)");
  if (req.ConfigOnly || !req.ConfigFrom.empty()) {
    return invalidArgument("config-only networks are not supported yet");
  }
  if (!req.Scope.empty() && req.Scope != "local") {
    return invalidArgument("scope \"" + req.Scope + "\" is not supported: networks are local");
  }
  if (req.IpamConfig.size() > 1) {
    return invalidArgument("more than one IPv4 subnet is not supported yet");
  }
  NetworkRecord n;
  n.Id = generateContainerId();
  n.Name = req.Name;
  n.Created = nowRfc3339Nano();
  n.Driver = "bridge";
  n.Internal = req.Internal;
  n.Attachable = req.Attachable;
  n.IpamOptions = req.IpamOptions;
  n.Labels = req.Labels;
  n.Options = req.Options;
  n.BridgeName = "br-" + n.Id.substr(0, 12);
  for (const auto& [key, value] : req.Options) {
    if (key == kOptBridgeName) {
      if (value.empty() || value.size() > 15 || value.find('/') != std::string::npos) {
        return invalidArgument("invalid bridge name \"" + value + "\"");
      }
      n.BridgeName = value;
    } else if (key == kOptIcc || key == kOptMasq) {
      BERTH_TRY_VOID(parseBoolOption(key, value));
    } else if (key == kOptMtu) {
      auto mtu = parseInt(value);
      if (!mtu || *mtu < 68 || *mtu > 65535) {
        return invalidArgument("invalid MTU \"" + value + "\"");
      }
    } else if (key == kOptHostBinding) {
      BERTH_TRY_VOID_CTX(Ipv4::parse(value), "host_binding_ipv4");
    } else {
      return invalidArgument("network option \"" + key + "\" is not supported yet");
    }
  }

  std::lock_guard lock(im.mu);
  if (im.byName(n.Name)) return conflict("network with name " + n.Name + " already exists");
  for (const auto& [id, other] : im.networks) {
    if (!other.BridgeName.empty() && other.BridgeName == n.BridgeName) {
      return conflict("bridge name " + n.BridgeName + " is already used by network " +
                      other.Name);
    }
  }
  network::PoolConfig pc;
  NetworkIpamConfig requested;
  if (!req.IpamConfig.empty()) requested = req.IpamConfig[0];
  if (!requested.Subnet.empty()) {
    BERTH_TRY(Ipv4Prefix s, Ipv4Prefix::parse(requested.Subnet));
    pc.subnet = s.canonical();
    for (const auto& other : im.ipam->subnets()) {
      if (other.overlaps(pc.subnet)) {
        return forbidden("Pool overlaps with other one on this address space");
      }
    }
  } else {
    if (!requested.Gateway.empty() || !requested.IPRange.empty()) {
      return invalidArgument("a gateway or ip-range needs a subnet (--subnet)");
    }
    BERTH_TRY(auto in_use, network::hostRoutedPrefixes());
    for (auto& s : im.ipam->subnets()) in_use.push_back(s);
    BERTH_TRY(pc.subnet, network::pickDefaultSubnet(in_use));
  }
  if (!requested.IPRange.empty()) {
    BERTH_TRY(Ipv4Prefix r, Ipv4Prefix::parse(requested.IPRange));
    if (!pc.subnet.contains(r.canonical())) {
      return invalidArgument("no matching subnet for range " + requested.IPRange);
    }
    pc.ip_range = r.canonical();
  }
  if (!requested.Gateway.empty()) {
    BERTH_TRY(Ipv4 g, Ipv4::parse(requested.Gateway));
    if (!pc.subnet.contains(g)) {
      return invalidArgument("no matching subnet for gateway " + requested.Gateway);
    }
    pc.gateway = g;
  }
  BERTH_TRY(network::PoolInfo pool, im.ipam->addPool(n.Id, pc));
  RollbackStack rollback;
  rollback.push([&] { (void)im.ipam->removePool(n.Id); });
  // As libnetwork: the gateway shows when it was given, or when the subnet was picked.
  bool show_gateway = !requested.Gateway.empty() || requested.Subnet.empty();
  n.IpamConfig = {NetworkIpamConfig{pool.subnet.toString(),
                                    pool.ip_range ? pool.ip_range->toString() : "",
                                    show_gateway ? pool.gateway.toString() : ""}};
  BERTH_TRY_VOID_CTX(im.setupBridge(n), "create network " + n.Name);
  rollback.push([&] {
    if (im.firewall) (void)im.firewall->removeNetwork(n.Id);
    (void)im.nl->deleteLink(n.BridgeName);
  });
  BERTH_TRY_VOID(im.save(n));
  im.networks[n.Id] = n;
  rollback.commit();
  publishNetwork(n, "create", {});
  json out = {{"Id", n.Id}, {"Warning", ""}};
  return out.dump();
}

void NetworkService::publishNetwork(const NetworkRecord& n, const std::string& action,
                                    std::map<std::string, std::string> extra) {
  if (!events_) return;
  Event e;
  e.type = "network";
  e.action = action;
  e.actor_id = n.Id;
  e.attributes = std::move(extra);
  e.attributes["name"] = n.Name;
  e.attributes["type"] = n.Driver;
  events_(std::move(e));
}

Result<void> NetworkService::removeLocked(NetworkRecord& n) {
  Impl& im = *impl_;
  if (n.predefined()) {
    return forbidden(n.Name + " is a pre-defined network and cannot be removed");
  }
  if (!n.Endpoints.empty()) {
    return forbidden("error while removing network: network " + n.Name + " id " + n.Id +
                     " has active endpoints");
  }
  if (im.firewall) BERTH_TRY_VOID_CTX(im.firewall->removeNetwork(n.Id), "remove network " + n.Name);
  if (auto r = im.nl->deleteLink(n.BridgeName); !r && r.error().code() != ErrorCode::kNotFound) {
    return r.error().wrap("remove network " + n.Name);
  }
  if (im.ipam->hasPool(n.Id)) (void)im.ipam->removePool(n.Id);
  (void)::unlink((im.dir + "/networks/" + n.Id + ".json").c_str());
  NetworkRecord gone = n;
  im.networks.erase(gone.Id);
  publishNetwork(gone, "destroy", {});
  return {};
}

Result<void> NetworkService::removeNetwork(const std::string& name_or_id) {
  std::lock_guard lock(impl_->mu);
  NetworkRecord* n = impl_->findLocked(name_or_id);
  if (!n) return notFound("network " + name_or_id + " not found");
  return removeLocked(*n);
}

Result<std::string> NetworkService::pruneNetworks(const std::string& filters) {
  BERTH_TRY(Filters f, parseFilters(filters, {"label", "label!", "until"}));
  std::optional<int64_t> until;
  if (!f["until"].empty()) {
    if (f["until"].size() > 1) return invalidArgument("more than one until filter specified");
    int64_t now = parseRfc3339Nano(nowRfc3339Nano()).value_or(0);
    BERTH_TRY(int64_t u, parseFilterTime(f["until"][0], now));
    until = u;
  }
  json deleted = json::array();
  {
    std::lock_guard lock(impl_->mu);
    std::vector<std::string> ids;
    for (auto& [id, n] : impl_->networks) {
      if (n.predefined() || !n.Endpoints.empty()) continue;
      if (!labelsMatch(f["label"], n.Labels)) continue;
      if (!f["label!"].empty() && labelsMatch(f["label!"], n.Labels)) continue;
      if (until && parseRfc3339Nano(n.Created).value_or(0) >= *until) continue;
      ids.push_back(id);
    }
    for (const auto& id : ids) {
      auto it = impl_->networks.find(id);
      std::string name = it->second.Name;
      if (removeLocked(it->second)) deleted.push_back(name);
    }
  }
  if (events_) {
    Event e;
    e.type = "network";
    e.action = "prune";
    e.attributes["reclaimed"] = "0";
    events_(std::move(e));
  }
  json out = {{"NetworksDeleted", deleted.empty() ? json(nullptr) : deleted}};
  return out.dump();
}

// ---------------------------------------------------------------------------------------------
// Connect, disconnect (the container side is ContainerService's, through the hooks).

Result<void> NetworkService::connectNetwork(const std::string& name_or_id, std::string_view body) {
  BERTH_TRY(NetworkConnectRequest req, parseNetworkConnectRequest(body));
  BERTH_TRY(NetworkRecord n, find(name_or_id));
  if (!hooks_) return internalError("containers are not available");
  if (n.Driver == "host" || n.Driver == "null") {
    return forbidden("container cannot be disconnected from host network or connected to host "
                     "network");
  }
  EndpointSettings ep;
  if (!req.IPv4Address.empty()) {
    BERTH_TRY_VOID_CTX(Ipv4::parse(req.IPv4Address), "--ip");
    if (n.Name == "bridge") {
      return invalidArgument("user specified IP address is supported on user defined networks only");
    }
    ep.IPAMConfig = EndpointIpamConfig{req.IPv4Address, ""};
  }
  if (!req.Aliases.empty()) {
    if (n.Name == "bridge") {
      return invalidArgument(
          "network-scoped alias is supported only for containers in user defined networks");
    }
    ep.Aliases = req.Aliases;
  }
  if (!req.Links.empty()) ep.Links = req.Links;
  ep.NetworkID = n.Id;
  return hooks_->connectContainer(req.Container, n, ep);
}

Result<void> NetworkService::disconnectNetwork(const std::string& name_or_id,
                                               std::string_view body) {
  BERTH_TRY(NetworkConnectRequest req, parseNetworkConnectRequest(body));
  BERTH_TRY(NetworkRecord n, find(name_or_id));
  if (!hooks_) return internalError("containers are not available");
  if (n.Driver == "host") {
    return forbidden("container cannot be disconnected from host network or connected to host "
                     "network");
  }
  return hooks_->disconnectContainer(req.Container, n, req.Force);
}

std::string NetworkService::defaultGateway() {
  std::lock_guard lock(impl_->mu);
  if (auto* n = impl_->byName("bridge"); n && !n->IpamConfig.empty()) {
    return n->IpamConfig[0].Gateway;
  }
  return "";
}

}  // namespace berth::daemon
