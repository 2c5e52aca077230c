#pragma once
// NetworksBackend: the network endpoints of the Engine API (moby api/server/router/network).
// Bodies and answers are JSON text (Docker's shapes), so this header stays light. addNetworkRoutes
// (networks.cc) does the HTTP side. Thread-safe, as every backend.

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::api {
class Router;
}

namespace berth::api::routes {

class NetworksBackend {
 public:
  virtual ~NetworksBackend() = default;
  // GET /networks: a JSON array. `filters` as sent; bad filters: InvalidArgument.
  virtual Result<std::string> listNetworks(const std::string& filters) = 0;
  // GET /networks/{id}: by full name, full id or id prefix. Unknown: NotFound.
  virtual Result<std::string> inspectNetwork(const std::string& name_or_id) = 0;
  // POST /networks/create: {"Id":"...","Warning":""}.
  virtual Result<std::string> createNetwork(std::string_view body) = 0;
  // DELETE /networks/{id}.
  virtual Result<void> removeNetwork(const std::string& name_or_id) = 0;
  // POST /networks/{id}/connect and /disconnect.
  virtual Result<void> connectNetwork(const std::string& name_or_id, std::string_view body) = 0;
  virtual Result<void> disconnectNetwork(const std::string& name_or_id, std::string_view body) = 0;
  // POST /networks/prune: {"NetworksDeleted":[...]}.
  virtual Result<std::string> pruneNetworks(const std::string& filters) = 0;
};

// Registers every /networks route except /networks/prune (the system routes own that path and
// forward it, see SystemService).
void addNetworkRoutes(Router& router, NetworksBackend& backend);

}  // namespace berth::api::routes
