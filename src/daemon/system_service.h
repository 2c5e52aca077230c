#pragma once
// SystemService: /version, /info, /events and /system/df from the daemon's real state
// (containers, images, kernel, host), and the network and build-cache prunes. Thread-safe.

#include <string>

#include "api/routes/system_backend.h"
#include "daemon/config.h"

namespace berth::daemon {

class ContainerService;
class EventsService;
class ImageService;
class NetworkService;

inline constexpr const char* kBerthVersion = "0.1.0";

class SystemService : public api::routes::SystemBackend {
 public:
  // All pointers must outlive the service.
  SystemService(const DaemonConfig* config, ContainerService* containers, ImageService* images,
                EventsService* events)
      : config_(config), containers_(containers), images_(images), events_(events) {}

  std::string versionJson() override;
  Result<std::string> infoJson() override;
  Result<void> streamEvents(const api::routes::EventsOptions& options,
                            const std::function<bool(std::string_view json)>& write,
                            const std::function<bool()>& cancelled) override;
  Result<std::string> diskUsageJson() override;
  // berth has no user-defined networks and no build cache yet: nothing to delete, so these
  // validate the filters and answer Docker's empty reports.
  Result<std::string> pruneNetworks(const std::string& filters) override;
  Result<std::string> pruneBuildCache(const std::string& filters, bool all) override;
  // POST /networks/prune goes to the network service once there is one.
  void setNetworks(NetworkService* networks) { networks_ = networks; }

 private:
  NetworkService* networks_ = nullptr;
  const DaemonConfig* config_;
  ContainerService* containers_;
  ImageService* images_;
  EventsService* events_;
};

}  // namespace berth::daemon
