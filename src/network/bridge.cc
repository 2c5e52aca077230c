#include "network/bridge.h"

#include <sys/random.h>

#include "base/scope_guard.h"

namespace berth::network {

std::string randomVethName() {
  static const char kHex[] = "0123456789abcdef";
  uint8_t bytes[7] = {};
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += size_t(n);
  }
  std::string name = "veth";
  for (uint8_t b : bytes) name += kHex[b & 0xF];
  return name;
}

Result<void> ensureBridge(Netlink& host, const BridgeConfig& config) {
  std::string what = "set up bridge " + config.name;
  RollbackStack rollback;
  BERTH_TRY_CTX(bool exists, host.linkExists(config.name), what);
  if (!exists) {
    BERTH_TRY_VOID(host.createBridge({config.name, config.mtu, config.mac.value_or(randomMac())}));
    rollback.push([&] { (void)host.deleteLink(config.name); });
  } else if (config.mtu > 0) {
    BERTH_TRY_VOID(host.setMtu(config.name, config.mtu));
  }
  BERTH_TRY_CTX(auto addresses, host.listAddresses(config.name), what);
  bool have = false;
  for (const auto& a : addresses) have = have || a.address == config.gateway;
  if (!have) BERTH_TRY_VOID(host.addAddress(config.name, config.gateway));
  BERTH_TRY_VOID(host.setUp(config.name));
  rollback.commit();
  return okResult();
}

Result<void> removeBridge(Netlink& host, const std::string& name) {
  auto deleted = host.deleteLink(name);
  if (!deleted && deleted.error().code() != ErrorCode::kNotFound) return deleted;
  return okResult();
}

Result<std::string> createEndpoint(Netlink& host, const EndpointConfig& config) {
  std::string host_if = config.host_ifname.empty() ? randomVethName() : config.host_ifname;
  // The peer gets a temporary unique name; it is renamed inside the container's netns.
  std::string peer = randomVethName();
  std::string what =
      "attach " + config.ifname + " (" + config.address.toString() + ") to " + config.bridge;
  if (config.netns_fd < 0) return invalidArgument(what + ": no netns");
  RollbackStack rollback;
  BERTH_TRY_VOID_CTX(host.createVeth({host_if, peer, config.mtu}), what);
  rollback.push([&] { (void)host.deleteLink(host_if); });
  BERTH_TRY_VOID_CTX(host.setMaster(host_if, config.bridge), what);
  BERTH_TRY_VOID_CTX(host.setHairpin(host_if, true), what);
  BERTH_TRY_VOID_CTX(host.setUp(host_if), what);
  BERTH_TRY_VOID_CTX(host.moveToNetns(peer, config.netns_fd), what);

  BERTH_TRY_CTX(Netlink inside, Netlink::openInNetns(config.netns_fd), what);
  BERTH_TRY_VOID_CTX(inside.renameLink(peer, config.ifname), what);
  BERTH_TRY_VOID_CTX(
      inside.setMac(config.ifname, config.mac.value_or(macFromIpv4(config.address.addr))), what);
  BERTH_TRY_VOID_CTX(inside.addAddress(config.ifname, config.address), what);
  BERTH_TRY_VOID_CTX(inside.setUp("lo"), what);
  BERTH_TRY_VOID_CTX(inside.setUp(config.ifname), what);
  if (config.gateway) BERTH_TRY_VOID_CTX(inside.addDefaultRoute(*config.gateway), what);
  rollback.commit();
  return host_if;
}

Result<void> removeEndpoint(Netlink& host, const std::string& host_ifname) {
  auto deleted = host.deleteLink(host_ifname);
  if (!deleted && deleted.error().code() != ErrorCode::kNotFound) return deleted;
  return okResult();
}

}  // namespace berth::network
