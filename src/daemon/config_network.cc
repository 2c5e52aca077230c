#include "daemon/config_network.h"

#include <nlohmann/json.hpp>

#include "network/ip_address.h"

namespace berth::daemon {

using nlohmann::json;

Result<void> mergeNetworkConfig(const json& doc, DaemonConfig* config) {
  auto str = [&](const char* key, std::string* out) -> Result<void> {
    if (!doc.contains(key)) return {};
    if (!doc[key].is_string()) return invalidArgument(std::string(key) + ": expected a string");
    *out = doc[key].get<std::string>();
    return {};
  };
  auto boolean = [&](const char* key, bool* out) -> Result<void> {
    if (!doc.contains(key)) return {};
    if (!doc[key].is_boolean()) return invalidArgument(std::string(key) + ": expected a boolean");
    *out = doc[key].get<bool>();
    return {};
  };
  auto list = [&](const char* key, std::vector<std::string>* out) -> Result<void> {
    if (!doc.contains(key)) return {};
    if (!doc[key].is_array()) return invalidArgument(std::string(key) + ": expected an array");
    out->clear();
    for (const auto& v : doc[key]) {
      if (!v.is_string()) return invalidArgument(std::string(key) + ": expected strings");
      out->push_back(v.get<std::string>());
    }
    return {};
  };
  BERTH_TRY_VOID(str("bridge", &config->bridge));
  if (config->bridge.size() > 15) {
    return invalidArgument("bridge: interface name \"" + config->bridge + "\" is too long");
  }
  BERTH_TRY_VOID(str("bip", &config->bip));
  if (!config->bip.empty()) BERTH_TRY_VOID_CTX(network::Ipv4Prefix::parse(config->bip), "bip");
  BERTH_TRY_VOID(str("fixed-cidr", &config->fixed_cidr));
  if (!config->fixed_cidr.empty()) {
    BERTH_TRY_VOID_CTX(network::Ipv4Prefix::parse(config->fixed_cidr), "fixed-cidr");
  }
  BERTH_TRY_VOID(str("default-gateway", &config->default_gateway));
  if (!config->default_gateway.empty()) {
    BERTH_TRY_VOID_CTX(network::Ipv4::parse(config->default_gateway), "default-gateway");
  }
  BERTH_TRY_VOID(str("ip", &config->default_bind_ip));
  BERTH_TRY_VOID_CTX(network::Ipv4::parse(config->default_bind_ip), "ip");
  if (doc.contains("mtu")) {
    if (!doc["mtu"].is_number_integer()) return invalidArgument("mtu: expected an integer");
    config->mtu = doc["mtu"].get<int>();
    if (config->mtu < 0 || config->mtu > 65535) return invalidArgument("invalid MTU");
  }
  BERTH_TRY_VOID(boolean("icc", &config->icc));
  BERTH_TRY_VOID(boolean("ip-masq", &config->ip_masq));
  BERTH_TRY_VOID(boolean("iptables", &config->iptables));
  bool forward = true;
  BERTH_TRY_VOID(boolean("ip-forward", &forward));
  if (!forward) return notImplemented("\"ip-forward\": false is not supported yet");
  BERTH_TRY_VOID(list("dns", &config->dns));
  BERTH_TRY_VOID(list("dns-search", &config->dns_search));
  BERTH_TRY_VOID(list("dns-opts", &config->dns_opts));
  return {};
}

}  // namespace berth::daemon
