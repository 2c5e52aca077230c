// ContainerService's networking: the network mode at create, the sandbox at start and exit,
// --link and container:<x>, and live connect/disconnect (NetworkService's ContainerHooks).

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "base/file_util.h"
#include "base/log.h"
#include "base/strings.h"
#include "daemon/container_service.h"
#include "daemon/network_create.h"

namespace berth::daemon {
namespace {

Error forbidden(std::string message) { return Error(ErrorCode::kForbidden, std::move(message)); }

}  // namespace

Result<void> ContainerService::prepareNetwork(Container* c,
                                              const std::map<std::string, EndpointSettings>& eps) {
  if (!options_.network) {
    const std::string& mode = c->HostConfig.NetworkMode;
    if (mode != "none" && mode != "host") {
      return invalidArgument("network mode \"" + mode + "\" needs the network service");
    }
    return {};
  }
  std::string other = containerOfMode(c->HostConfig.NetworkMode);
  if (!other.empty()) {
    BERTH_TRY(auto entry, find(other));
    (void)entry;
    if (!c->HostConfig.PortBindings.empty() || c->HostConfig.PublishAllPorts) {
      return invalidArgument("conflicting options: port publishing and the container type network "
                             "mode");
    }
    if (!c->HostConfig.Dns.empty() || !c->HostConfig.DnsSearch.empty() ||
        !c->HostConfig.DnsOptions.empty()) {
      return invalidArgument("conflicting options: dns and the network mode");
    }
    if (c->HostConfig.ExtraHosts && !c->HostConfig.ExtraHosts->empty()) {
      return invalidArgument("conflicting options: custom host-to-IP mapping and the network mode");
    }
    if (!c->Config.MacAddress.empty()) {
      return invalidArgument("conflicting options: mac-address and the network mode");
    }
  }
  if (c->HostConfig.Links) {
    for (const auto& link : *c->HostConfig.Links) {
      auto [name, alias] = splitOnce(link, ':');
      std::string n(name);
      while (n.starts_with("/")) n = n.substr(1);
      if (!find(n)) return notFound("could not get container for " + n);
    }
  }
  // Ports: every published port is also exposed (as the docker CLI and dockerd do).
  for (const auto& [port, _] : c->HostConfig.PortBindings) {
    std::string key = port.find('/') == std::string::npos ? port + "/tcp" : port;
    c->Config.ExposedPorts[key];
  }
  return options_.network->prepareContainer(c, eps);
}

Result<void> ContainerService::writeNetworkFiles(const Container& c) {
  if (!options_.network) return {};
  if (!containerOfMode(c.HostConfig.NetworkMode).empty()) return {};  // copied at start
  return options_.network->writeContainerFiles(c, "", {});
}

Result<ContainerService::NetnsChoice> ContainerService::startNetwork(Container& c) {
  NetnsChoice out;
  const std::string& mode = c.HostConfig.NetworkMode;
  if (mode == "host") {
    out.host = true;
    return out;
  }
  if (!options_.network) return out;
  std::string other = containerOfMode(mode);
  if (!other.empty()) {
    BERTH_TRY(auto entry, find(other));
    if (entry.get() == nullptr) return notFound("No such container: " + other);
    std::unique_lock lock(entry->mu, std::try_to_lock);
    for (int i = 0; i < 50 && !lock.owns_lock(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.try_lock();
    }
    if (!lock.owns_lock()) return conflict("container " + other + " is busy");
    const Container& o = entry->c;
    if (!o.State.Running) {
      return conflict("cannot join network of a non running container: " + o.ID);
    }
    if (o.HostConfig.NetworkMode == "host") {
      out.host = true;
    } else if (!o.NetworkSettings.SandboxKey.empty()) {
      out.path = o.NetworkSettings.SandboxKey;
    } else {
      out.path = "/proc/" + std::to_string(o.State.Pid) + "/ns/net";
    }
    // The files of the container whose network is shared (Docker points at them).
    for (auto [from, to] : {std::pair{o.HostsPath, c.HostsPath},
                            std::pair{o.ResolvConfPath, c.ResolvConfPath}}) {
      if (auto text = readFile(from)) BERTH_TRY_VOID(writeFile(to, *text));
    }
    return out;
  }
  std::string net = networkOfMode(mode);
  auto record = options_.network->find(net);
  if (!record) return record.error();
  // Networks connected while stopped may be of any driver; the mode decides the sandbox.
  if (record->Driver == "null") return out;
  std::vector<std::string> link_hosts;
  if (c.HostConfig.Links) {
    for (const auto& link : *c.HostConfig.Links) {
      auto [name_v, alias_v] = splitOnce(link, ':');
      std::string name(name_v), alias(alias_v);
      while (name.starts_with("/")) name = name.substr(1);
      if (auto slash = alias.rfind('/'); slash != std::string::npos) alias = alias.substr(slash + 1);
      if (alias.empty()) alias = name;
      BERTH_TRY(auto entry, find(name));
      std::unique_lock lock(entry->mu, std::try_to_lock);
      for (int i = 0; i < 50 && !lock.owns_lock(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        lock.try_lock();
      }
      if (!lock.owns_lock()) return conflict("container " + name + " is busy");
      const Container& o = entry->c;
      auto ep = o.NetworkSettings.Networks.find("bridge");
      if (!o.State.Running || ep == o.NetworkSettings.Networks.end() ||
          ep->second.IPAddress.empty()) {
        return invalidArgument("Cannot link to a non running container: " + o.Name + " AS " +
                               c.Name + "/" + alias);
      }
      std::string line = ep->second.IPAddress + "\t" + alias;
      if (alias != o.Name.substr(1)) line += " " + o.ID.substr(0, 12) + " " + o.Name.substr(1);
      else line += " " + o.ID.substr(0, 12);
      link_hosts.push_back(line);
    }
  }
  BERTH_TRY_VOID(options_.network->attachSandbox(&c, link_hosts));
  out.path = c.NetworkSettings.SandboxKey;
  return out;
}

void ContainerService::releaseNetwork(Container& c) {
  if (options_.network) options_.network->releaseSandbox(&c);
}

void ContainerService::restoreNetwork(const Container& c) {
  if (options_.network && !c.NetworkSettings.SandboxKey.empty()) {
    options_.network->restoreSandbox(c);
  }
}

void ContainerService::normalizeLinks(Container* c) {
  if (!c->HostConfig.Links) return;
  for (auto& link : *c->HostConfig.Links) {
    auto [name_v, alias_v] = splitOnce(link, ':');
    std::string name(name_v), alias(alias_v);
    while (name.starts_with("/")) name = name.substr(1);
    if (alias.empty()) alias = name;
    if (auto slash = alias.rfind('/'); slash != std::string::npos) alias = alias.substr(slash + 1);
    link = "/" + name + ":" + c->Name + "/" + alias;
  }
}

void ContainerService::reconcileNetwork() {
  if (!options_.network) return;
  std::set<std::string> running, sandboxes;
  for (auto& e : entries()) {
    std::lock_guard lock(e->mu);
    if (e->c.State.Running) {
      running.insert(e->c.ID);
      if (!e->c.NetworkSettings.SandboxKey.empty()) sandboxes.insert(e->c.NetworkSettings.SandboxKey);
    }
  }
  options_.network->removeStaleEndpoints(running, sandboxes);
}

Result<void> ContainerService::connectContainer(const std::string& name,
                                                const NetworkRecord& network,
                                                const EndpointSettings& endpoint) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  Container& c = entry->c;
  const std::string& mode = c.HostConfig.NetworkMode;
  if (mode == "host") {
    return forbidden("container cannot be disconnected from host network or connected to host "
                     "network");
  }
  if (!containerOfMode(mode).empty()) {
    return forbidden("container sharing network namespace with another container or host cannot "
                     "be connected to any other network");
  }
  if (mode == "none") {
    return forbidden("container cannot be connected to multiple networks with one of the "
                     "networks in private (none) mode");
  }
  if (c.NetworkSettings.Networks.count(network.Name)) {
    return forbidden("endpoint with name " + c.Name.substr(1) + " already exists in network " +
                     network.Name);
  }
  c.NetworkSettings.Networks[network.Name] = endpoint;
  if (c.State.Running && !c.NetworkSettings.SandboxKey.empty()) {
    if (auto r = options_.network->attachEndpoint(&c, network.Name); !r) {
      c.NetworkSettings.Networks.erase(network.Name);
      return r.error();
    }
  }
  return save(c);
}

Result<void> ContainerService::disconnectContainer(const std::string& name,
                                                   const NetworkRecord& network, bool) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  Container& c = entry->c;
  if (!c.NetworkSettings.Networks.count(network.Name)) {
    return forbidden("container " + c.ID + " is not connected to network " + network.Name);
  }
  if (c.State.Running && !c.NetworkSettings.SandboxKey.empty()) {
    BERTH_TRY_VOID(options_.network->detachEndpoint(&c, network.Name));
  }
  c.NetworkSettings.Networks.erase(network.Name);
  return save(c);
}

}  // namespace berth::daemon
