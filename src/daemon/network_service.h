#pragma once
// NetworkService: berthd's networks (moby daemon/network.go + libnetwork's bridge driver). The
// network objects live in <data-root>/network/networks/<id>.json and the IPAM state in
// <data-root>/network/ipam.json, so both survive a restart. Predefined: `bridge` (the default
// bridge, Linux name and addresses from daemon.json), `host` and `none`; user-defined bridge
// networks come from POST /networks/create. Implements the Engine API's NetworksBackend.
//
// A running container on bridge networks has a sandbox: a persistent netns file
// <exec-root>/netns/<id12>, one veth pair per network (host end on the bridge, eth0, eth1... in
// the container with its address and MAC, default route via the first network's gateway), the
// DNAT rules of its published ports and, on user-defined networks, the embedded DNS server at
// 127.0.0.11 inside its netns. ContainerService calls attachSandbox() at start and
// releaseSandbox() at exit; connect/disconnect reach the container through ContainerHooks.
//
// Thread safety: all public methods are thread-safe. mu_ guards the records and the kernel
// handles; it is never held while calling ContainerHooks or the DNS server (whose resolver
// callbacks take mu_). Lock order: a container entry's lock, then mu_.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/routes/networks_backend.h"
#include "base/result.h"
#include "daemon/container.h"
#include "daemon/events.h"
#include "daemon/network_record.h"

namespace berth::network {
class DnsServer;
class Firewall;
class Ipam;
class PortAllocator;
}  // namespace berth::network

namespace berth::daemon {

struct NetworkServiceOptions {
  std::string data_root;  // network/ lives here
  std::string exec_root;  // netns/ lives here
  // daemon.json networking keys.
  std::string bridge;  // "" = berth0; "none" = no default bridge
  std::string bip;     // "172.20.0.1/16"
  std::string fixed_cidr;
  int mtu = 0;
  std::string default_gateway;
  bool icc = true;
  bool ip_masq = true;
  bool iptables = true;
  std::string default_bind_ip = "0.0.0.0";
  std::vector<std::string> dns;  // daemon.json dns, dns-search, dns-opts
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
};

// What the network service needs from the containers (connect/disconnect act on a container's
// record under its lock). Implemented by ContainerService.
class ContainerHooks {
 public:
  virtual ~ContainerHooks() = default;
  virtual Result<void> connectContainer(const std::string& container, const NetworkRecord& network,
                                        const EndpointSettings& endpoint) = 0;
  virtual Result<void> disconnectContainer(const std::string& container,
                                           const NetworkRecord& network, bool force) = 0;
};

class NetworkService : public api::routes::NetworksBackend {
 public:
  // Loads the records and IPAM state, sets up the default bridge (bridge device, address,
  // firewall rules) and the predefined networks.
  static Result<std::unique_ptr<NetworkService>> open(NetworkServiceOptions options,
                                                      EventSink events);
  ~NetworkService() override;  // stops the DNS server; bridges and rules stay (as Docker)

  void setContainerHooks(ContainerHooks* hooks) { hooks_ = hooks; }

  // --- NetworksBackend.
  Result<std::string> listNetworks(const std::string& filters) override;
  Result<std::string> inspectNetwork(const std::string& name_or_id) override;
  Result<std::string> createNetwork(std::string_view body) override;
  Result<void> removeNetwork(const std::string& name_or_id) override;
  Result<void> connectNetwork(const std::string& name_or_id, std::string_view body) override;
  Result<void> disconnectNetwork(const std::string& name_or_id, std::string_view body) override;
  Result<std::string> pruneNetworks(const std::string& filters) override;

  // --- For ContainerService.
  // A network by name, id or id prefix (a copy). NotFound "network foo not found".
  Result<NetworkRecord> find(const std::string& name_or_id);
  // At create: checks the mode's network exists and records the container's endpoint requests
  // in c->NetworkSettings.Networks (name → settings with NetworkID).
  Result<void> prepareContainer(Container* c, const std::map<std::string, EndpointSettings>&
                                                  requested);
  // At start, for bridge-type modes: creates the sandbox, the endpoints of every network in
  // c->NetworkSettings.Networks and the published ports; fills NetworkSettings; writes the
  // container's hosts and resolv.conf. `link_hosts` are extra /etc/hosts lines for --link.
  // On failure nothing is left behind.
  Result<void> attachSandbox(Container* c, const std::vector<std::string>& link_hosts);
  // At exit/stop/rm: removes the sandbox, endpoints, ports, DNS sockets; releases addresses;
  // clears the runtime fields of c->NetworkSettings. Best effort (logs failures).
  void releaseSandbox(Container* c);
  // After a daemon restart, for a running container: reserves its ports again and reopens its
  // DNS sockets.
  void restoreSandbox(const Container& c);
  // At start-up: removes the endpoints of containers not in `running` (veth, address) and the
  // netns files under <exec-root>/netns not in `sandboxes`.
  void removeStaleEndpoints(const std::set<std::string>& running,
                            const std::set<std::string>& sandboxes);
  // Live connect/disconnect of a running container's sandbox (REQUIRES: the container's lock).
  Result<void> attachEndpoint(Container* c, const std::string& network_name);
  Result<void> detachEndpoint(Container* c, const std::string& network_name);

  // The default bridge's gateway ("host-gateway" in --add-host), "" when there is none.
  std::string defaultGateway();
  // Writes the container's /etc/hosts and /etc/resolv.conf files for its mode (at create for
  // none/host/container:, at start for bridge networks with `ip`).
  Result<void> writeContainerFiles(const Container& c, const std::string& ip,
                                   const std::vector<std::string>& link_hosts);

 private:
  NetworkService(NetworkServiceOptions options, EventSink events);
  // REQUIRES: impl_->mu held.
  Result<void> setupDefaultBridge(NetworkRecord& n);
  Result<void> removeLocked(NetworkRecord& n);
  void publishNetwork(const NetworkRecord& n, const std::string& action,
                      std::map<std::string, std::string> extra);
  // Sandbox helpers (network_sandbox.cc). REQUIRES: impl_->mu held.
  Result<void> createEndpointLocked(Container* c, NetworkRecord& n, EndpointSettings& ep,
                                    int netns_fd, const std::string& ifname, bool first);
  void removeEndpointLocked(Container* c, NetworkRecord& n, EndpointSettings& ep);
  Result<void> publishPortsLocked(Container* c, const NetworkRecord& n, const std::string& ip);
  void addDns(const Container& c);
  void removeDns(const std::string& container_id);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  NetworkServiceOptions options_;
  EventSink events_;
  ContainerHooks* hooks_ = nullptr;
};

}  // namespace berth::daemon
