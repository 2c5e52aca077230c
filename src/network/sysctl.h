#pragma once
// Reading and writing /proc/sys values of the calling thread's network namespace
// ("net.ipv4.ip_forward", "net.ipv4.conf.berth0.route_localnet").

#include <string>

#include "base/result.h"

namespace berth::network {

// "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward. Returns the trimmed value.
Result<std::string> readSysctl(const std::string& key);
// Writes `value` only when it differs from the current one.
Result<void> writeSysctl(const std::string& key, const std::string& value);

}  // namespace berth::network
