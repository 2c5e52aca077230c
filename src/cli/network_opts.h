#pragma once
// The networking flags of run/create (docker/cli opts.go): --network/--net, --ip,
// --network-alias, -p/--publish, -P/--publish-all, --expose, --dns, --dns-search, --dns-option,
// --add-host, --link, --mac-address; and docker's port spec parser (nat.ParsePortSpecs).

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/flags.h"

namespace berth::cli {

void addNetworkFlags(FlagSet& f);

// Fills Config (ExposedPorts, MacAddress), HostConfig (NetworkMode, PortBindings,
// PublishAllPorts, Dns*, ExtraHosts, Links) and NetworkingConfig from the flags.
Result<void> applyNetworkFlags(const FlagSet& f, nlohmann::json& config, nlohmann::json& host,
                               nlohmann::json& networking);

struct PortMappingSpec {
  std::string port;  // "80/tcp"
  std::string host_ip;
  std::string host_port;  // "", "8080" or "8000-8010"
};
// One -p value → its mappings (one per container port of a range).
Result<std::vector<PortMappingSpec>> parsePortSpec(const std::string& spec);

}  // namespace berth::cli
