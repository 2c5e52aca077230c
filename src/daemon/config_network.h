#pragma once
// daemon.json's networking keys (dockerd's names): bridge, bip, fixed-cidr, mtu,
// default-gateway, icc, ip, ip-masq, iptables, ip-forward, dns, dns-search, dns-opts.
// Values are checked for type and syntax here; addresses against each other when the network
// service opens. Pure; thread-safe.

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "daemon/config.h"

namespace berth::daemon {

Result<void> mergeNetworkConfig(const nlohmann::json& doc, DaemonConfig* config);

}  // namespace berth::daemon
