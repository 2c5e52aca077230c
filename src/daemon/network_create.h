#pragma once
// The networking parts of a container create request: the network mode and
// NetworkingConfig.EndpointsConfig, checked as dockerd checks them before any network lookup.
// Pure; thread-safe.

#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "daemon/network_settings.h"

namespace berth::daemon {

// "", "default", "bridge", "host", "none", "container:<name|id>" or a network name/id.
Result<void> validateNetworkMode(const std::string& mode);

// The network a mode names: "default"/"" → "bridge"; host/none/names as they are; "" for
// container:<x>.
std::string networkOfMode(const std::string& mode);
// The container a "container:<x>" mode names, else "".
std::string containerOfMode(const std::string& mode);

// NetworkingConfig → network name → endpoint settings (IPAMConfig, Aliases, Links, MacAddress).
// More than one network: dockerd's "Container cannot be connected to network endpoints: a, b".
Result<std::map<std::string, EndpointSettings>> parseEndpointsConfig(
    const nlohmann::json& networking_config, const std::string& mode);

}  // namespace berth::daemon
