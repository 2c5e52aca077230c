#pragma once
// A container's networking, as Docker's inspect shows it (NetworkSettings) and as berthd keeps
// it in config.v2.json: the networks it is on (requested at create or connect, filled at start),
// its sandbox (the persistent netns file) and its published ports. Plain values; the JSON codec
// lives in network_settings.cc (nlohmann only there and in container.cc).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace berth::daemon {

struct EndpointIpamConfig {
  std::string IPv4Address;
  std::string IPv6Address;
};

// One network of a container (Docker's network.EndpointSettings).
struct EndpointSettings {
  std::optional<EndpointIpamConfig> IPAMConfig;  // --ip
  std::optional<std::vector<std::string>> Links;
  std::optional<std::vector<std::string>> Aliases;  // --network-alias
  std::string NetworkID;
  std::string EndpointID;
  std::string Gateway;
  std::string IPAddress;
  int IPPrefixLen = 0;
  std::string MacAddress;  // requested (--mac-address) before start, the real one after
};

struct PortBinding {
  std::string HostIp;
  std::string HostPort;
};

// "80/tcp" → bindings; std::nullopt = exposed, not published (Docker's JSON null).
using PortMap = std::map<std::string, std::optional<std::vector<PortBinding>>>;

struct ContainerNetworkSettings {
  std::string SandboxID;
  std::string SandboxKey;  // the netns file while running
  PortMap Ports;           // while running
  std::map<std::string, EndpointSettings> Networks;  // network name → endpoint
};

void to_json(nlohmann::json& j, const EndpointIpamConfig& v);
void from_json(const nlohmann::json& j, EndpointIpamConfig& v);
void to_json(nlohmann::json& j, const EndpointSettings& v);
void from_json(const nlohmann::json& j, EndpointSettings& v);
void to_json(nlohmann::json& j, const PortBinding& v);
void from_json(const nlohmann::json& j, PortBinding& v);
void to_json(nlohmann::json& j, const ContainerNetworkSettings& v);
void from_json(const nlohmann::json& j, ContainerNetworkSettings& v);

// Docker's inspect NetworkSettings object (with the legacy top-level fields of the default
// bridge endpoint) for a container whose mode is `network_mode`.
nlohmann::json networkSettingsInspectJson(const ContainerNetworkSettings& s,
                                          const std::string& network_mode, bool running);

// GET /containers/json's "Ports" array ({IP, PrivatePort, PublicPort, Type}; exposed-only ports
// without IP and PublicPort) and "NetworkSettings.Networks" object.
nlohmann::json psPortsJson(const ContainerNetworkSettings& s, bool running);
nlohmann::json psNetworksJson(const ContainerNetworkSettings& s, const std::string& network_mode);

}  // namespace berth::daemon
