#include "network/netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#include "network/netns.h"

namespace berth::network {

struct Netlink::Socket {
  mnl_socket* nl = nullptr;
  unsigned int portid = 0;
  unsigned int seq = 0;
  ~Socket() {
    if (nl != nullptr) mnl_socket_close(nl);
  }
};

namespace {

using AttrCallback = std::function<void(const nlmsghdr*)>;

// Errors from the kernel name the operation; a missing device is NotFound.
Error netlinkError(const std::string& what, int err) {
  if (err == ENODEV) return Error(ErrorCode::kNotFound, what + ": no such device", err);
  return sysError(what, err);
}

Result<std::unique_ptr<Netlink::Socket>> openSocket();

int dataCallback(const nlmsghdr* nlh, void* data) {
  (*static_cast<AttrCallback*>(data))(nlh);
  return MNL_CB_OK;
}

// Sends one request and reads replies until the ACK/DONE (or error). `on_message` sees every
// data message (dumps, NLM_F_ECHO). Returns 0 or the kernel's errno.
int transact(Netlink::Socket& s, nlmsghdr* nlh, const AttrCallback& on_message) {
  nlh->nlmsg_seq = ++s.seq;
  if (mnl_socket_sendto(s.nl, nlh, nlh->nlmsg_len) < 0) return errno;
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  AttrCallback cb = on_message ? on_message : AttrCallback([](const nlmsghdr*) {});
  while (true) {
    ssize_t n = mnl_socket_recvfrom(s.nl, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    int ret = mnl_cb_run(buf.data(), size_t(n), nlh->nlmsg_seq, s.portid, dataCallback, &cb);
    if (ret == MNL_CB_ERROR) return errno != 0 ? errno : EIO;
    if (ret == MNL_CB_STOP) return 0;
  }
}

struct Request {
  std::vector<char> buf = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh;
  explicit Request(uint16_t type, uint16_t flags) {
    nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  }
  ifinfomsg* link() {
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    return ifi;
  }
};

using AttrFn = std::function<void(const nlattr*)>;

int attrTrampoline(const nlattr* attr, void* data) {
  (*static_cast<AttrFn*>(data))(attr);
  return MNL_CB_OK;
}

// libmnl's mnl_attr_for_each macros are C only (void* arithmetic).
void forEachAttr(const nlmsghdr* nlh, unsigned offset, AttrFn fn) {
  (void)mnl_attr_parse(nlh, offset, attrTrampoline, &fn);
}

void forEachNested(const nlattr* nested, AttrFn fn) {
  (void)mnl_attr_parse_nested(nested, attrTrampoline, &fn);
}

bool validName(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ;
}

void parseLink(const nlmsghdr* nlh, LinkInfo* out) {
  auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  out->index = ifi->ifi_index;
  out->up = (ifi->ifi_flags & IFF_UP) != 0;
  forEachAttr(nlh, sizeof(*ifi), [&](const nlattr* attr) {
    switch (mnl_attr_get_type(attr)) {
      case IFLA_IFNAME:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) out->name = mnl_attr_get_str(attr);
        break;
      case IFLA_MTU:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) out->mtu = int(mnl_attr_get_u32(attr));
        break;
      case IFLA_MASTER:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
          out->master_index = int(mnl_attr_get_u32(attr));
        break;
      case IFLA_ADDRESS:
        if (mnl_attr_get_payload_len(attr) == 6) {
          MacAddress mac;
          std::memcpy(mac.data(), mnl_attr_get_payload(attr), 6);
          out->mac = mac;
        }
        break;
      case IFLA_LINKINFO: {
        forEachNested(attr, [&](const nlattr* inner) {
          if (mnl_attr_get_type(inner) == IFLA_INFO_KIND &&
              mnl_attr_validate(inner, MNL_TYPE_STRING) >= 0) {
            out->kind.assign(static_cast<const char*>(mnl_attr_get_payload(inner)),
                             strnlen(static_cast<const char*>(mnl_attr_get_payload(inner)),
                                     mnl_attr_get_payload_len(inner)));
          }
        });
        break;
      }
      default:
        break;
    }
  });
}

Result<std::unique_ptr<Netlink::Socket>> openSocket() {
  auto s = std::make_unique<Netlink::Socket>();
  s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (s->nl == nullptr) return errnoError("open netlink socket");
  if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) return errnoError("bind netlink socket");
  s->portid = mnl_socket_get_portid(s->nl);
  s->seq = unsigned(std::time(nullptr));
  // Full error messages and strict dumps are optional; ignore failures on old kernels.
  int one = 1;
  (void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
  return s;
}

}  // namespace

Netlink::Netlink(std::unique_ptr<Socket> socket) : socket_(std::move(socket)) {}
Netlink::~Netlink() = default;
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;

Result<Netlink> Netlink::open() {
  BERTH_TRY(auto socket, openSocket());
  return Netlink(std::move(socket));
}

Result<Netlink> Netlink::openInNetns(int netns_fd) {
  BERTH_TRY(auto socket, inNetns(netns_fd, [] { return openSocket(); }));
  return Netlink(std::move(socket));
}

Result<void> Netlink::createBridge(const BridgeOptions& options) {
  std::string what = "create bridge " + options.name;
  if (!validName(options.name)) return invalidArgument(what + ": invalid interface name");
  Request req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  req.link();
  mnl_attr_put_strz(req.nlh, IFLA_IFNAME, options.name.c_str());
  if (options.mtu > 0) mnl_attr_put_u32(req.nlh, IFLA_MTU, uint32_t(options.mtu));
  if (options.mac) mnl_attr_put(req.nlh, IFLA_ADDRESS, 6, options.mac->data());
  nlattr* info = mnl_attr_nest_start(req.nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(req.nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(req.nlh, info);
  if (int err = transact(*socket_, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

Result<void> Netlink::createVeth(const VethOptions& options) {
  std::string what = "create veth pair " + options.name + "/" + options.peer_name;
  if (!validName(options.name) || !validName(options.peer_name))
    return invalidArgument(what + ": invalid interface name");
  Request req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  req.link();
  mnl_attr_put_strz(req.nlh, IFLA_IFNAME, options.name.c_str());
  if (options.mtu > 0) mnl_attr_put_u32(req.nlh, IFLA_MTU, uint32_t(options.mtu));
  nlattr* info = mnl_attr_nest_start(req.nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(req.nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(req.nlh, IFLA_INFO_DATA);
  nlattr* peer = mnl_attr_nest_start(req.nlh, VETH_INFO_PEER);
  auto* peer_ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(req.nlh, sizeof(ifinfomsg)));
  peer_ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(req.nlh, IFLA_IFNAME, options.peer_name.c_str());
  if (options.mtu > 0) mnl_attr_put_u32(req.nlh, IFLA_MTU, uint32_t(options.mtu));
  mnl_attr_nest_end(req.nlh, peer);
  mnl_attr_nest_end(req.nlh, data);
  mnl_attr_nest_end(req.nlh, info);
  if (int err = transact(*socket_, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

Result<LinkInfo> Netlink::getLink(const std::string& name) {
  if (!validName(name)) return invalidArgument("link " + name + ": invalid interface name");
  Request req(RTM_GETLINK, NLM_F_ACK);
  req.link();
  mnl_attr_put_strz(req.nlh, IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(req.nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  LinkInfo info;
  bool found = false;
  int err = transact(*socket_, req.nlh, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWLINK) return;
    parseLink(nlh, &info);
    found = true;
  });
  if (err == ENODEV || (err == 0 && !found))
    return Error(ErrorCode::kNotFound, "link " + name + ": no such device", ENODEV);
  if (err != 0) return netlinkError("link " + name, err);
  return info;
}

Result<std::vector<LinkInfo>> Netlink::listLinks() {
  Request req(RTM_GETLINK, NLM_F_DUMP);
  req.link();
  mnl_attr_put_u32(req.nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<LinkInfo> links;
  int err = transact(*socket_, req.nlh, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWLINK) return;
    LinkInfo info;
    parseLink(nlh, &info);
    links.push_back(std::move(info));
  });
  if (err != 0) return netlinkError("list links", err);
  return links;
}

Result<bool> Netlink::linkExists(const std::string& name) {
  auto link = getLink(name);
  if (link) return true;
  if (link.error().code() == ErrorCode::kNotFound) return false;
  return std::move(link).error();
}

Result<int> Netlink::linkIndex(const std::string& name) {
  BERTH_TRY(LinkInfo link, getLink(name));
  return link.index;
}

namespace {

// Sends RTM_NEWLINK for an existing link (by index) with attributes added by `fill`.
Result<void> changeLink(Netlink& netlink, Netlink::Socket& s, const std::string& name,
                        const std::string& what,
                        const std::function<void(nlmsghdr*, ifinfomsg*)>& fill) {
  BERTH_TRY_CTX(int index, netlink.linkIndex(name), what);
  Request req(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg* ifi = req.link();
  ifi->ifi_index = index;
  fill(req.nlh, ifi);
  if (int err = transact(s, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

}  // namespace

Result<void> Netlink::deleteLink(const std::string& name) {
  std::string what = "delete link " + name;
  BERTH_TRY_CTX(int index, linkIndex(name), "delete link");
  Request req(RTM_DELLINK, NLM_F_ACK);
  req.link()->ifi_index = index;
  if (int err = transact(*socket_, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

Result<void> Netlink::setMaster(const std::string& name, const std::string& master) {
  std::string what = "set master of " + name + " to " + master;
  BERTH_TRY_CTX(int master_index, linkIndex(master), what);
  return changeLink(*this, *socket_, name, what, [&](nlmsghdr* nlh, ifinfomsg*) {
    mnl_attr_put_u32(nlh, IFLA_MASTER, uint32_t(master_index));
  });
}

Result<void> Netlink::clearMaster(const std::string& name) {
  return changeLink(*this, *socket_, name, "clear master of " + name,
                    [&](nlmsghdr* nlh, ifinfomsg*) { mnl_attr_put_u32(nlh, IFLA_MASTER, 0); });
}

Result<void> Netlink::moveToNetns(const std::string& name, int netns_fd) {
  return changeLink(*this, *socket_, name, "move link " + name + " to netns",
                    [&](nlmsghdr* nlh, ifinfomsg*) {
                      mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, uint32_t(netns_fd));
                    });
}

Result<void> Netlink::renameLink(const std::string& name, const std::string& new_name) {
  std::string what = "rename link " + name + " to " + new_name;
  if (!validName(new_name)) return invalidArgument(what + ": invalid interface name");
  return changeLink(*this, *socket_, name, what, [&](nlmsghdr* nlh, ifinfomsg*) {
    mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name.c_str());
  });
}

Result<void> Netlink::setMac(const std::string& name, const MacAddress& mac) {
  return changeLink(
      *this, *socket_, name, "set mac address of " + name + " to " + macToString(mac),
      [&](nlmsghdr* nlh, ifinfomsg*) { mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac.data()); });
}

Result<void> Netlink::setMtu(const std::string& name, int mtu) {
  return changeLink(
      *this, *socket_, name, "set mtu of " + name + " to " + std::to_string(mtu),
      [&](nlmsghdr* nlh, ifinfomsg*) { mnl_attr_put_u32(nlh, IFLA_MTU, uint32_t(mtu)); });
}

Result<void> Netlink::setUp(const std::string& name) {
  return changeLink(*this, *socket_, name, "set link " + name + " up",
                    [&](nlmsghdr*, ifinfomsg* ifi) {
                      ifi->ifi_flags = IFF_UP;
                      ifi->ifi_change = IFF_UP;
                    });
}

Result<void> Netlink::setHairpin(const std::string& port, bool on) {
  std::string what = std::string(on ? "enable" : "disable") + " hairpin mode on " + port;
  BERTH_TRY_CTX(int index, linkIndex(port), what);
  Request req(RTM_SETLINK, NLM_F_ACK);
  ifinfomsg* ifi = req.link();
  ifi->ifi_family = AF_BRIDGE;
  ifi->ifi_index = index;
  nlattr* protinfo = mnl_attr_nest_start(req.nlh, IFLA_PROTINFO);
  mnl_attr_put_u8(req.nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
  mnl_attr_nest_end(req.nlh, protinfo);
  if (int err = transact(*socket_, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

Result<void> Netlink::setDown(const std::string& name) {
  return changeLink(*this, *socket_, name, "set link " + name + " down",
                    [&](nlmsghdr*, ifinfomsg* ifi) {
                      ifi->ifi_flags = 0;
                      ifi->ifi_change = IFF_UP;
                    });
}

namespace {

Result<void> changeAddress(Netlink& netlink, Netlink::Socket& s, uint16_t type, uint16_t flags,
                           const std::string& link, const Ipv4Prefix& address,
                           std::optional<Ipv4> broadcast, const std::string& what) {
  BERTH_TRY_CTX(int index, netlink.linkIndex(link), what);
  Request req(type, flags | NLM_F_ACK);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(req.nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = uint8_t(address.len);
  ifa->ifa_index = uint32_t(index);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  mnl_attr_put_u32(req.nlh, IFA_LOCAL, address.addr.networkOrder());
  mnl_attr_put_u32(req.nlh, IFA_ADDRESS, address.addr.networkOrder());
  if (type == RTM_NEWADDR && address.len < 31) {
    Ipv4 brd = broadcast.value_or(address.broadcast());
    mnl_attr_put_u32(req.nlh, IFA_BROADCAST, brd.networkOrder());
  }
  if (int err = transact(s, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

}  // namespace

Result<void> Netlink::addAddress(const std::string& link, const Ipv4Prefix& address,
                                 std::optional<Ipv4> broadcast) {
  return changeAddress(*this, *socket_, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, link, address,
                       broadcast, "add address " + address.toString() + " to " + link);
}

Result<void> Netlink::deleteAddress(const std::string& link, const Ipv4Prefix& address) {
  return changeAddress(*this, *socket_, RTM_DELADDR, 0, link, address, std::nullopt,
                       "delete address " + address.toString() + " from " + link);
}

Result<std::vector<AddressInfo>> Netlink::listAddresses(const std::optional<std::string>& link) {
  int only_index = 0;
  if (link) {
    BERTH_TRY_CTX(only_index, linkIndex(*link), "list addresses");
  }
  BERTH_TRY(std::vector<LinkInfo> links, listLinks());
  Request req(RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(req.nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  std::vector<AddressInfo> out;
  int err = transact(*socket_, req.nlh, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWADDR) return;
    auto* msg = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    if (msg->ifa_family != AF_INET) return;
    if (only_index != 0 && int(msg->ifa_index) != only_index) return;
    std::optional<Ipv4> local, address;
    forEachAttr(nlh, sizeof(*msg), [&](const nlattr* attr) {
      if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return;
      if (mnl_attr_get_type(attr) == IFA_LOCAL)
        local = Ipv4::fromNetworkOrder(mnl_attr_get_u32(attr));
      if (mnl_attr_get_type(attr) == IFA_ADDRESS)
        address = Ipv4::fromNetworkOrder(mnl_attr_get_u32(attr));
    });
    if (!local) local = address;
    if (!local) return;
    AddressInfo info;
    info.link_index = int(msg->ifa_index);
    info.address = Ipv4Prefix{*local, msg->ifa_prefixlen};
    for (const auto& l : links)
      if (l.index == info.link_index) info.link = l.name;
    out.push_back(std::move(info));
  });
  if (err != 0) return netlinkError("list addresses", err);
  return out;
}

Result<void> Netlink::addDefaultRoute(Ipv4 gateway, const std::optional<std::string>& link) {
  return addRoute(Ipv4Prefix{Ipv4{0}, 0}, gateway, link);
}

Result<void> Netlink::addRoute(const Ipv4Prefix& destination, std::optional<Ipv4> gateway,
                               const std::optional<std::string>& link) {
  std::string what = "add route " + destination.canonical().toString();
  if (gateway) what += " via " + gateway->toString();
  if (link) what += " dev " + *link;
  int oif = 0;
  if (link) {
    BERTH_TRY_CTX(oif, linkIndex(*link), what);
  }
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(req.nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = uint8_t(destination.len);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (destination.len > 0) mnl_attr_put_u32(req.nlh, RTA_DST, destination.network().networkOrder());
  if (gateway) mnl_attr_put_u32(req.nlh, RTA_GATEWAY, gateway->networkOrder());
  if (oif != 0) mnl_attr_put_u32(req.nlh, RTA_OIF, uint32_t(oif));
  if (int err = transact(*socket_, req.nlh, {}); err != 0) return netlinkError(what, err);
  return okResult();
}

Result<std::vector<RouteInfo>> Netlink::listRoutes() {
  Request req(RTM_GETROUTE, NLM_F_DUMP);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(req.nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  std::vector<RouteInfo> out;
  int err = transact(*socket_, req.nlh, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWROUTE) return;
    auto* msg = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    if (msg->rtm_family != AF_INET || msg->rtm_type != RTN_UNICAST) return;
    RouteInfo route;
    route.table = msg->rtm_table;
    route.destination = Ipv4Prefix{Ipv4{0}, msg->rtm_dst_len};
    forEachAttr(nlh, sizeof(*msg), [&](const nlattr* attr) {
      if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return;
      uint32_t v = mnl_attr_get_u32(attr);
      switch (mnl_attr_get_type(attr)) {
        case RTA_DST:
          route.destination.addr = Ipv4::fromNetworkOrder(v);
          break;
        case RTA_GATEWAY:
          route.gateway = Ipv4::fromNetworkOrder(v);
          break;
        case RTA_OIF:
          route.link_index = int(v);
          break;
        case RTA_TABLE:
          route.table = int(v);
          break;
        default:
          break;
      }
    });
    if (route.table != RT_TABLE_MAIN) return;
    out.push_back(route);
  });
  if (err != 0) return netlinkError("list routes", err);
  return out;
}

}  // namespace berth::network
