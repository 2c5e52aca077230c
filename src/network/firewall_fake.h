#pragma once
// An in-memory Firewall for daemon unit tests without root: records networks and port mappings;
// listRules() prints them one per line. Not thread-safe (as the real one).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "network/firewall.h"

namespace berth::network {

class FakeFirewall final : public Firewall {
 public:
  Result<void> init() override {
    initialised_ = true;
    return okResult();
  }
  Result<void> addNetwork(const NetworkRules& rules) override {
    networks_[rules.id] = rules;
    return okResult();
  }
  Result<void> removeNetwork(const std::string& network_id) override {
    networks_.erase(network_id);
    return okResult();
  }
  Result<void> addPortMapping(const std::string& owner, const PortMapping& mapping) override {
    (void)removePortMapping(owner, mapping);
    mappings_.emplace_back(owner, mapping);
    return okResult();
  }
  Result<void> removePortMapping(const std::string& owner, const PortMapping& mapping) override {
    std::erase_if(mappings_, [&](const auto& m) {
      return m.first == owner && m.second.proto == mapping.proto &&
             m.second.host_ip.value_or(Ipv4{}) == mapping.host_ip.value_or(Ipv4{}) &&
             m.second.host_port == mapping.host_port;
    });
    return okResult();
  }
  Result<void> removePortMappings(const std::string& owner) override {
    std::erase_if(mappings_, [&](const auto& m) { return m.first == owner; });
    return okResult();
  }
  Result<void> removeAll() override {
    networks_.clear();
    mappings_.clear();
    initialised_ = false;
    return okResult();
  }
  Result<std::string> listRules() override {
    if (!initialised_) return notFound("no such table");
    std::string out;
    for (const auto& [id, n] : networks_)
      out += "net " + id + " " + n.bridge + " " + n.subnet.toString() +
             (n.masquerade ? " masq" : "") + (n.icc ? " icc" : "") +
             (n.internal ? " internal" : "") + "\n";
    for (const auto& [owner, m] : mappings_)
      out += "port " + owner + " " + protocolName(m.proto) + " " +
             m.host_ip.value_or(Ipv4{}).toString() + ":" + std::to_string(m.host_port) + " -> " +
             m.container_ip.toString() + ":" + std::to_string(m.container_port) + "\n";
    return out;
  }

  bool initialised() const { return initialised_; }
  const std::map<std::string, NetworkRules>& networks() const { return networks_; }
  const std::vector<std::pair<std::string, PortMapping>>& mappings() const { return mappings_; }

 private:
  bool initialised_ = false;
  std::map<std::string, NetworkRules> networks_;
  std::vector<std::pair<std::string, PortMapping>> mappings_;
};

}  // namespace berth::network
