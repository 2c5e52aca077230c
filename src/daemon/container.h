#pragma once
// The container record: what `docker inspect` shows and what berthd persists in
// <data-root>/containers/<id>/config.v2.json (written atomically). The structs mirror the Docker
// Engine API's JSON objects and, like the OCI types in oci/runtime_spec.h, their fields carry the
// JSON key names (PascalCase here, as Docker's), so the codec is a plain list of names.
//
// Plain values; the codecs live in container.cc (nlohmann-json stays there). Thread safety: none;
// ContainerService guards each record with its own lock.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "daemon/network_settings.h"

namespace berth::daemon {

struct ContainerUlimit {
  std::string Name;
  int64_t Soft = 0;
  int64_t Hard = 0;
};

struct ContainerLogConfig {
  std::string Type;
  std::map<std::string, std::string> Config;
};

struct ContainerRestartPolicy {
  std::string Name;
  int MaximumRetryCount = 0;
};

// HostConfig: the fields berth implements. Any other HostConfig field in a create request must
// be absent or hold its default value (see parseCreateRequest).
struct ContainerHostConfig {
  std::vector<std::string> Binds;
  std::string ContainerIDFile;
  ContainerLogConfig LogConfig;
  std::string NetworkMode;
  ContainerRestartPolicy RestartPolicy;
  bool AutoRemove = false;
  std::vector<std::string> CapAdd;
  std::vector<std::string> CapDrop;
  bool Privileged = false;
  bool ReadonlyRootfs = false;
  std::vector<std::string> SecurityOpt;
  int64_t ShmSize = 0;
  std::vector<int> ConsoleSize;  // [height, width]
  std::string Runtime;
  int64_t Memory = 0;
  int64_t MemorySwap = 0;
  int64_t NanoCpus = 0;
  int64_t CpuShares = 0;
  int64_t CpuQuota = 0;
  int64_t CpuPeriod = 0;
  std::string CpusetCpus;
  std::optional<int64_t> PidsLimit;
  std::vector<ContainerUlimit> Ulimits;
  // Networking (network_settings.h, container_service_network.cc).
  std::vector<std::string> Dns;
  std::vector<std::string> DnsOptions;
  std::vector<std::string> DnsSearch;
  std::optional<std::vector<std::string>> ExtraHosts;
  std::optional<std::vector<std::string>> Links;
  std::map<std::string, std::vector<PortBinding>> PortBindings;
  bool PublishAllPorts = false;
};

// Config: the container's portable configuration (Docker's container.Config).
struct ContainerConfig {
  std::string Hostname;
  std::string Domainname;
  std::string User;
  bool AttachStdin = false;
  bool AttachStdout = false;
  bool AttachStderr = false;
  bool Tty = false;
  bool OpenStdin = false;
  bool StdinOnce = false;
  std::vector<std::string> Env;
  std::optional<std::vector<std::string>> Cmd;
  std::string Image;
  std::map<std::string, std::map<std::string, std::string>> Volumes;  // keys only matter
  std::string WorkingDir;
  std::optional<std::vector<std::string>> Entrypoint;
  std::map<std::string, std::string> Labels;
  std::string StopSignal;
  std::optional<int> StopTimeout;
  std::map<std::string, std::map<std::string, std::string>> ExposedPorts;  // "80/tcp" → {}
  std::string MacAddress;
};

struct ContainerState {
  std::string Status = "created";  // created running paused restarting removing exited dead
  bool Running = false;
  bool Paused = false;
  bool Restarting = false;
  bool OOMKilled = false;
  bool Dead = false;
  int Pid = 0;
  int ExitCode = 0;
  std::string Error;
  std::string StartedAt = "0001-01-01T00:00:00Z";
  std::string FinishedAt = "0001-01-01T00:00:00Z";
};

struct GraphDriverData {
  std::string Name;
  std::map<std::string, std::string> Data;
};

struct MountPoint {
  std::string Type = "bind";
  std::string Source;
  std::string Destination;
  std::string Mode;
  bool RW = true;
  std::string Propagation;
};

struct Container {
  std::string ID;
  std::string Created;  // RFC 3339 nano
  std::string Path;
  std::vector<std::string> Args;
  ContainerState State;
  std::string Image;  // sha256:...
  std::string ResolvConfPath;
  std::string HostnamePath;
  std::string HostsPath;
  std::string LogPath;
  std::string Name;  // "/name"
  int RestartCount = 0;
  std::string Driver;
  std::string Platform = "linux";
  std::string MountLabel;
  std::string ProcessLabel;
  std::string AppArmorProfile;
  GraphDriverData GraphDriver;
  std::vector<MountPoint> Mounts;
  ContainerConfig Config;
  // Config.Image keeps the image reference as the user gave it ("busybox").
  ContainerHostConfig HostConfig;
  ContainerNetworkSettings NetworkSettings;
};

// A create request after validation: every field berth does not implement was absent or held
// its default value.
struct CreateRequest {
  ContainerConfig config;
  ContainerHostConfig host_config;
  std::map<std::string, EndpointSettings> endpoints;  // NetworkingConfig.EndpointsConfig
};

// Parses POST /containers/create's body. Errors (InvalidArgument, HTTP 400) name the field:
//   "HostConfig.Devices is not supported yet", "Config.Healthcheck is not supported yet".
Result<CreateRequest> parseCreateRequest(std::string_view body);

// The record as inspect shows it (and as config.v2.json stores it). `size_rw`/`size_root_fs`
// are added when set (inspect ?size=1).
std::string containerToJson(const Container& container, std::optional<int64_t> size_rw = {},
                            std::optional<int64_t> size_root_fs = {});
Result<Container> parseContainerJson(std::string_view json);

}  // namespace berth::daemon
