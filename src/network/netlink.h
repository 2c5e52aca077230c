#pragma once
// rtnetlink (NETLINK_ROUTE) through libmnl: links, bridges, veth pairs, IPv4 addresses and routes.
//
// A Netlink instance owns one netlink socket. The socket works in the network namespace it was
// created in, whatever thread uses it later, so openInNetns() gives a handle that configures a
// container's namespace from the daemon. Errors name the operation and object:
// "create bridge berth0: file exists" (code Conflict), "link eth9: no such device" (NotFound).
//
// Thread safety: one instance must not be used by two threads at once; use one per thread or lock.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "network/ip_address.h"
#include "network/mac.h"

namespace berth::network {

struct BridgeOptions {
  std::string name;               // e.g. "berth0", "br-0123456789ab"
  int mtu = 0;                    // 0: kernel default (1500)
  std::optional<MacAddress> mac;  // unset: kernel picks a random one
};

struct VethOptions {
  std::string name;       // end that stays in the current netns (e.g. "veth1a2b3c4")
  std::string peer_name;  // the other end (moved into the container's netns later)
  int mtu = 0;            // 0: default; applied to both ends
};

struct LinkInfo {
  int index = 0;
  std::string name;
  int mtu = 0;
  bool up = false;       // IFF_UP
  int master_index = 0;  // 0 when not enslaved
  std::string kind;      // "bridge", "veth", "" when unknown
  std::optional<MacAddress> mac;
};

struct AddressInfo {
  int link_index = 0;
  std::string link;    // interface name
  Ipv4Prefix address;  // e.g. 172.17.0.1/16 (host bits kept)
};

struct RouteInfo {
  Ipv4Prefix destination;  // 0.0.0.0/0 for the default route
  std::optional<Ipv4> gateway;
  int link_index = 0;  // output interface, 0 when none
  int table = 0;       // RT_TABLE_MAIN is 254
};

class Netlink {
 public:
  ~Netlink();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // A socket in the calling thread's network namespace.
  static Result<Netlink> open();
  // A socket created inside the netns `netns_fd` (through a short setns'd thread).
  static Result<Netlink> openInNetns(int netns_fd);

  // Links. A link is named by its interface name in this instance's netns.
  Result<void> createBridge(const BridgeOptions& options);
  Result<void> createVeth(const VethOptions& options);
  Result<void> deleteLink(const std::string& name);  // NotFound when missing
  Result<bool> linkExists(const std::string& name);
  Result<int> linkIndex(const std::string& name);     // NotFound when missing
  Result<LinkInfo> getLink(const std::string& name);  // NotFound when missing
  Result<std::vector<LinkInfo>> listLinks();
  Result<void> setMaster(const std::string& name, const std::string& master);
  Result<void> clearMaster(const std::string& name);
  // Moves the link into the netns `netns_fd`; it keeps its name there (rename it afterwards).
  Result<void> moveToNetns(const std::string& name, int netns_fd);
  Result<void> renameLink(const std::string& name, const std::string& new_name);  // link is down
  Result<void> setMac(const std::string& name, const MacAddress& mac);
  Result<void> setMtu(const std::string& name, int mtu);
  Result<void> setUp(const std::string& name);
  // Hairpin mode of a bridge port (IFLA_BRPORT_MODE): lets a frame go back out of the port it came
  // in on, so a container reaches its own published port through the host (needed with
  // br_netfilter and DNAT, as Docker sets it when there is no userland proxy).
  Result<void> setHairpin(const std::string& port, bool on);
  Result<void> setDown(const std::string& name);

  // IPv4 addresses. addAddress sets the broadcast address to the prefix's broadcast unless given.
  // Adding an address that is already there is Conflict ("... file exists").
  Result<void> addAddress(const std::string& link, const Ipv4Prefix& address,
                          std::optional<Ipv4> broadcast = std::nullopt);
  Result<void> deleteAddress(const std::string& link, const Ipv4Prefix& address);
  // All IPv4 addresses, or those of one link when `link` is given.
  Result<std::vector<AddressInfo>> listAddresses(const std::optional<std::string>& link = {});

  // IPv4 routes in the main table.
  Result<void> addDefaultRoute(Ipv4 gateway, const std::optional<std::string>& link = {});
  Result<void> addRoute(const Ipv4Prefix& destination, std::optional<Ipv4> gateway,
                        const std::optional<std::string>& link = {});
  Result<std::vector<RouteInfo>> listRoutes();  // main table, IPv4

  // Implementation detail (defined in netlink.cc).
  struct Socket;

 private:
  explicit Netlink(std::unique_ptr<Socket> socket);
  std::unique_ptr<Socket> socket_;
};

}  // namespace berth::network
