#include "network/ipam.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "network/netlink.h"

namespace berth::network {
namespace {

using nlohmann::json;

// First and last address handed out for a pool: the range (or subnet) without the subnet's
// network and broadcast addresses.
std::pair<uint32_t, uint32_t> usableSpan(const Ipv4Prefix& subnet,
                                         const std::optional<Ipv4Prefix>& range) {
  Ipv4Prefix span = range ? range->canonical() : subnet;
  uint32_t first = span.network().value;
  uint32_t last = span.broadcast().value;
  if (subnet.len < 31) {
    first = std::max(first, subnet.network().value + 1);
    last = std::min(last, subnet.broadcast().value - 1);
  }
  return {first, last};
}

bool reservedInSubnet(const Ipv4Prefix& subnet, Ipv4 ip) {
  return subnet.len < 31 && (ip == subnet.network() || ip == subnet.broadcast());
}

}  // namespace

Result<Ipam> Ipam::open(const std::string& state_file) {
  Ipam ipam;
  ipam.state_file_ = state_file;
  if (!pathExists(state_file)) return ipam;
  BERTH_TRY_CTX(std::string text, readFile(state_file), "load ipam state");
  try {
    json doc = json::parse(text);
    for (const auto& [id, p] : doc.at("pools").items()) {
      Pool pool;
      BERTH_TRY(pool.subnet, Ipv4Prefix::parse(p.at("subnet").get<std::string>()));
      if (p.contains("ip_range")) {
        BERTH_TRY(Ipv4Prefix range, Ipv4Prefix::parse(p.at("ip_range").get<std::string>()));
        pool.ip_range = range;
      }
      BERTH_TRY(pool.gateway, Ipv4::parse(p.at("gateway").get<std::string>()));
      for (const auto& a : p.at("allocated")) {
        BERTH_TRY(Ipv4 ip, Ipv4::parse(a.get<std::string>()));
        pool.allocated.push_back(ip);
      }
      std::sort(pool.allocated.begin(), pool.allocated.end());
      pool.cursor = p.value("cursor", uint32_t(0));
      pool.serial = p.value("serial", true);
      ipam.pools_[id] = std::move(pool);
    }
  } catch (const json::exception& e) {
    return Error(ErrorCode::kDataLoss, "load ipam state " + state_file + ": " + e.what());
  }
  return ipam;
}

Result<void> Ipam::save() const {
  json pools = json::object();
  for (const auto& [id, pool] : pools_) {
    json p;
    p["subnet"] = pool.subnet.toString();
    if (pool.ip_range) p["ip_range"] = pool.ip_range->toString();
    p["gateway"] = pool.gateway.toString();
    json allocated = json::array();
    for (Ipv4 ip : pool.allocated) allocated.push_back(ip.toString());
    p["allocated"] = std::move(allocated);
    p["cursor"] = pool.cursor;
    p["serial"] = pool.serial;
    pools[id] = std::move(p);
  }
  json doc{{"pools", std::move(pools)}};
  BERTH_TRY_VOID_CTX(writeFileAtomic(state_file_, doc.dump(), 0600), "save ipam state");
  return okResult();
}

PoolInfo Ipam::info(const std::string& id, const Pool& pool) {
  return PoolInfo{id, pool.subnet, pool.ip_range, pool.gateway, pool.allocated, pool.serial};
}

Result<PoolInfo> Ipam::addPool(const std::string& id, const PoolConfig& config) {
  if (pools_.count(id) != 0) return conflict("ipam pool " + id + " already exists");
  Pool pool;
  pool.serial = config.serial;
  pool.subnet = config.subnet.canonical();
  if (!config.subnet.isCanonical()) {
    return invalidArgument("invalid subnet " + config.subnet.toString() + ": it should be " +
                           pool.subnet.toString());
  }
  if (config.ip_range) {
    if (!pool.subnet.contains(config.ip_range->canonical()))
      return invalidArgument("invalid pool request: ip-range " + config.ip_range->toString() +
                             " is not inside subnet " + pool.subnet.toString());
    pool.ip_range = config.ip_range->canonical();
  }
  for (const auto& [other_id, other] : pools_) {
    if (other.subnet.overlaps(pool.subnet))
      return conflict("Pool overlaps with other one on this address space");
  }
  if (config.gateway) {
    if (!pool.subnet.contains(*config.gateway) || reservedInSubnet(pool.subnet, *config.gateway))
      return invalidArgument("no matching subnet for gateway " + config.gateway->toString());
    pool.gateway = *config.gateway;
  } else {
    // As dockerd: the first address of the range (even its network address), else the
    // subnet's first host.
    auto [first, last] = usableSpan(pool.subnet, pool.ip_range);
    if (first > last)
      return invalidArgument("subnet " + pool.subnet.toString() + " has no room for a gateway");
    pool.gateway = Ipv4{first};
  }
  pool.allocated.push_back(pool.gateway);
  pools_[id] = pool;
  auto saved = save();
  if (!saved) {
    pools_.erase(id);
    return std::move(saved).error();
  }
  return info(id, pool);
}

Result<void> Ipam::removePool(const std::string& id) {
  auto it = pools_.find(id);
  if (it == pools_.end()) return notFound("pool " + id + " not found");
  Pool saved_pool = it->second;
  pools_.erase(it);
  auto saved = save();
  if (!saved) {
    pools_[id] = std::move(saved_pool);
    return std::move(saved).error();
  }
  return okResult();
}

bool Ipam::hasPool(const std::string& id) const {
  return pools_.count(id) != 0;
}

Result<PoolInfo> Ipam::pool(const std::string& id) const {
  auto it = pools_.find(id);
  if (it == pools_.end()) return notFound("pool " + id + " not found");
  return info(id, it->second);
}

std::vector<std::string> Ipam::poolIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, pool] : pools_) ids.push_back(id);
  return ids;
}

std::vector<Ipv4Prefix> Ipam::subnets() const {
  std::vector<Ipv4Prefix> out;
  for (const auto& [id, pool] : pools_) out.push_back(pool.subnet);
  return out;
}

bool Ipam::isAllocated(const std::string& id, Ipv4 address) const {
  auto it = pools_.find(id);
  if (it == pools_.end()) return false;
  return std::binary_search(it->second.allocated.begin(), it->second.allocated.end(), address);
}

Result<Ipv4> Ipam::allocate(const std::string& id, std::optional<Ipv4> requested) {
  auto it = pools_.find(id);
  if (it == pools_.end()) return notFound("pool " + id + " not found");
  Pool& pool = it->second;
  auto held = [&](Ipv4 ip) {
    return std::binary_search(pool.allocated.begin(), pool.allocated.end(), ip);
  };
  Ipv4 chosen;
  uint32_t new_cursor = pool.cursor;
  if (requested) {
    if (!pool.subnet.contains(*requested) || reservedInSubnet(pool.subnet, *requested))
      return invalidArgument("no configured subnet or ip-range contain the IP address " +
                             requested->toString());
    if (held(*requested)) return conflict("Address already in use");
    chosen = *requested;
  } else {
    auto [first, last] = usableSpan(pool.subnet, pool.ip_range);
    if (first > last)
      return Error(ErrorCode::kUnavailable,
                   "no available IPv4 addresses on this network's address pools: " + id);
    uint64_t count = uint64_t(last) - first + 1;
    // Start right after the cursor when it lies in the span, else at the start.
    uint64_t start = 0;
    if (pool.serial && pool.cursor >= first && pool.cursor <= last)
      start = uint64_t(pool.cursor) - first + 1;
    bool found = false;
    for (uint64_t i = 0; i < count; ++i) {
      Ipv4 candidate{uint32_t(first + (start + i) % count)};
      if (!held(candidate)) {
        chosen = candidate;
        found = true;
        break;
      }
    }
    if (!found)
      return Error(ErrorCode::kUnavailable,
                   "no available IPv4 addresses on this network's address pools: " + id);
    new_cursor = chosen.value;
  }
  auto pos = std::lower_bound(pool.allocated.begin(), pool.allocated.end(), chosen);
  pool.allocated.insert(pos, chosen);
  uint32_t old_cursor = pool.cursor;
  pool.cursor = new_cursor;
  auto saved = save();
  if (!saved) {
    pool.allocated.erase(std::lower_bound(pool.allocated.begin(), pool.allocated.end(), chosen));
    pool.cursor = old_cursor;
    return std::move(saved).error();
  }
  return chosen;
}

Result<void> Ipam::release(const std::string& id, Ipv4 address) {
  auto it = pools_.find(id);
  if (it == pools_.end()) return notFound("pool " + id + " not found");
  Pool& pool = it->second;
  auto pos = std::lower_bound(pool.allocated.begin(), pool.allocated.end(), address);
  if (pos == pool.allocated.end() || *pos != address) return okResult();
  pool.allocated.erase(pos);
  auto saved = save();
  if (!saved) {
    pool.allocated.insert(std::lower_bound(pool.allocated.begin(), pool.allocated.end(), address),
                          address);
    return std::move(saved).error();
  }
  return okResult();
}

std::vector<Ipv4Prefix> defaultAddressPools() {
  std::vector<Ipv4Prefix> out;
  for (int b = 17; b <= 31; ++b)
    out.push_back(Ipv4Prefix{Ipv4::fromOctets(172, uint8_t(b), 0, 0), 16});
  for (int c = 0; c < 256; c += 16)
    out.push_back(Ipv4Prefix{Ipv4::fromOctets(192, 168, uint8_t(c), 0), 20});
  return out;
}

Result<Ipv4Prefix> pickDefaultSubnet(const std::vector<Ipv4Prefix>& in_use) {
  for (const Ipv4Prefix& candidate : defaultAddressPools()) {
    bool taken = std::any_of(in_use.begin(), in_use.end(), [&](const Ipv4Prefix& used) {
      return used.len > 0 && used.canonical().overlaps(candidate);
    });
    if (!taken) return candidate;
  }
  return Error(ErrorCode::kUnavailable,
               "could not find an available, non-overlapping IPv4 address pool among the "
               "defaults to assign to the network");
}

Result<std::vector<Ipv4Prefix>> hostRoutedPrefixes() {
  BERTH_TRY(Netlink netlink, Netlink::open());
  BERTH_TRY(std::vector<RouteInfo> routes, netlink.listRoutes());
  std::vector<Ipv4Prefix> out;
  for (const RouteInfo& route : routes) {
    if (route.destination.len == 0) continue;
    out.push_back(route.destination.canonical());
  }
  return out;
}

}  // namespace berth::network
