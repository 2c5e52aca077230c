#include "daemon/container.h"

#include <time.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/config.h"
#include "daemon/network_create.h"

namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value) {
      j = *value;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null()) {
      value.reset();
    } else {
      value = j.get<T>();
    }
  }
};
}  // namespace nlohmann

namespace berth::daemon {
namespace {

using nlohmann::json;

template <typename T>
void readField(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  out = it->template get<T>();
}
template <typename T>
void readField(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return;
  }
  out = it->template get<T>();
}

}  // namespace

#define BERTH_JSON_FROM(v1) readField(nlohmann_json_j, #v1, nlohmann_json_t.v1);
#define BERTH_DOCKER_JSON(Type, ...)                                                    \
  inline void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {   \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))            \
  }                                                                                     \
  inline void from_json(const nlohmann::json& nlohmann_json_j, Type& nlohmann_json_t) { \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(BERTH_JSON_FROM, __VA_ARGS__))             \
  }

BERTH_DOCKER_JSON(ContainerUlimit, Name, Soft, Hard)
BERTH_DOCKER_JSON(ContainerLogConfig, Type, Config)
BERTH_DOCKER_JSON(ContainerRestartPolicy, Name, MaximumRetryCount)
BERTH_DOCKER_JSON(ContainerHostConfig, Binds, ContainerIDFile, LogConfig, NetworkMode,
                  RestartPolicy, AutoRemove, CapAdd, CapDrop, Privileged, ReadonlyRootfs,
                  SecurityOpt, ShmSize, ConsoleSize, Runtime, Memory, MemorySwap, NanoCpus,
                  CpuShares, CpuQuota, CpuPeriod, CpusetCpus, PidsLimit, Ulimits, Dns,
                  DnsOptions, DnsSearch, ExtraHosts, Links, PortBindings, PublishAllPorts)
BERTH_DOCKER_JSON(ContainerConfig, Hostname, Domainname, User, AttachStdin, AttachStdout,
                  AttachStderr, Tty, OpenStdin, StdinOnce, Env, Cmd, Image, Volumes, WorkingDir,
                  Entrypoint, Labels, StopSignal, StopTimeout, ExposedPorts, MacAddress)
BERTH_DOCKER_JSON(ContainerState, Status, Running, Paused, Restarting, OOMKilled, Dead, Pid,
                  ExitCode, Error, StartedAt, FinishedAt)
BERTH_DOCKER_JSON(GraphDriverData, Name, Data)
BERTH_DOCKER_JSON(MountPoint, Type, Source, Destination, Mode, RW, Propagation)
BERTH_DOCKER_JSON(Container, ID, Created, Path, Args, State, Image, ResolvConfPath, HostnamePath,
                  HostsPath, LogPath, Name, RestartCount, Driver, Platform, MountLabel,
                  ProcessLabel, AppArmorProfile, GraphDriver, Mounts, Config, HostConfig,
                  NetworkSettings)

namespace {

// True when `value` is what a client sends for a field it does not use.
bool isDefaultValue(const json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_number()) return value.get<double>() == 0;
  if (value.is_string()) return value.get<std::string>().empty();
  if (value.is_array()) return value.empty();
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      if (!isDefaultValue(v)) return false;
    }
    return true;
  }
  return false;
}

// Fields accepted with any value although berth gives them no meaning (they change nothing
// that berth does), and fields whose "unset" value is not the zero value.
bool isAcceptedValue(std::string_view section, const std::string& key, const json& value) {
  if (section == "Config") {
    if (key == "ArgsEscaped") return true;  // Windows only
  }
  if (section == "HostConfig") {
    if (key == "MemorySwappiness" && value.is_number() && value.get<int64_t>() == -1) return true;
    if (key == "RestartPolicy" && value.is_object()) {
      std::string name = value.value("Name", "");
      return (name.empty() || name == "no") && value.value("MaximumRetryCount", 0) == 0;
    }
  }
  return isDefaultValue(value);
}

const std::set<std::string>& configKeys() {
  static const std::set<std::string> keys = {
      "Hostname", "Domainname", "User",       "AttachStdin", "AttachStdout", "AttachStderr",
      "Tty",      "OpenStdin",  "StdinOnce",  "Env",         "Cmd",          "Image",
      "Volumes",  "WorkingDir", "Entrypoint", "Labels",      "StopSignal",   "StopTimeout",
      "ExposedPorts", "MacAddress"};
  return keys;
}

const std::set<std::string>& hostConfigKeys() {
  static const std::set<std::string> keys = {
      "Binds",     "ContainerIDFile", "LogConfig",      "NetworkMode", "AutoRemove", "CapAdd",
      "CapDrop",   "Privileged",      "ReadonlyRootfs", "SecurityOpt", "ShmSize",    "ConsoleSize",
      "Runtime",   "Memory",          "MemorySwap",     "NanoCpus",    "CpuShares",  "CpuQuota",
      "CpuPeriod", "CpusetCpus",      "PidsLimit",      "Ulimits",
      "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Links", "PortBindings", "PublishAllPorts"};
  return keys;
}

Result<void> checkUnsupported(const json& object, std::string_view section,
                              const std::set<std::string>& supported,
                              const std::set<std::string>& skip) {
  for (const auto& [key, value] : object.items()) {
    if (supported.count(key) || skip.count(key)) continue;
    if (!isAcceptedValue(section, key, value)) {
      return invalidArgument(std::string(section) + "." + key + " is not supported yet");
    }
  }
  return {};
}

}  // namespace

Result<CreateRequest> parseCreateRequest(std::string_view body) {
  json doc;
  try {
    doc = body.empty() ? json::object() : json::parse(body);
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid JSON: ") + e.what());
  }
  if (!doc.is_object()) return invalidArgument("invalid JSON: the body must be an object");
  BERTH_TRY_VOID(checkUnsupported(doc, "Config", configKeys(), {"HostConfig", "NetworkingConfig"}));
  CreateRequest request;
  try {
    request.config = doc.get<ContainerConfig>();
    if (doc.contains("HostConfig") && !doc["HostConfig"].is_null()) {
      const json& hc = doc["HostConfig"];
      if (!hc.is_object()) return invalidArgument("HostConfig: expected an object");
      BERTH_TRY_VOID(checkUnsupported(hc, "HostConfig", hostConfigKeys(), {}));
      request.host_config = hc.get<ContainerHostConfig>();
    }
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid create request: ") + e.what());
  }
  ContainerHostConfig& hc = request.host_config;
  if (hc.RestartPolicy.Name.empty()) hc.RestartPolicy.Name = "no";

  // --entrypoint "" arrives as [""]: an explicitly empty entrypoint.
  auto& entrypoint = request.config.Entrypoint;
  if (entrypoint && entrypoint->size() == 1 && (*entrypoint)[0].empty()) entrypoint->clear();

  if (!request.config.Volumes.empty()) {
    return invalidArgument("volumes are not supported yet: use a bind mount (-v /host/path:" +
                           request.config.Volumes.begin()->first + ")");
  }
  BERTH_TRY_VOID(validateNetworkMode(hc.NetworkMode));
  if (!hc.LogConfig.Type.empty() && hc.LogConfig.Type != "json-file") {
    return invalidArgument("log driver \"" + hc.LogConfig.Type +
                           "\" is not supported: berth has only json-file");
  }
  BERTH_TRY_VOID(parseLogOpts(hc.LogConfig.Config));
  if (!hc.Runtime.empty() && hc.Runtime != "berth-runtime" && hc.Runtime != "runc") {
    return invalidArgument("unknown or invalid runtime name: " + hc.Runtime);
  }
  for (const auto& opt : hc.SecurityOpt) {
    if (opt != "seccomp=unconfined" && opt != "seccomp:unconfined" && opt != "no-new-privileges" &&
        opt != "no-new-privileges=true" && opt != "no-new-privileges:true") {
      return invalidArgument("security option \"" + opt + "\" is not supported yet");
    }
  }
  if (doc.contains("NetworkingConfig") && doc["NetworkingConfig"].is_object()) {
    BERTH_TRY(request.endpoints, parseEndpointsConfig(doc["NetworkingConfig"], hc.NetworkMode));
  }
  return request;
}

std::string containerToJson(const Container& container, std::optional<int64_t> size_rw,
                            std::optional<int64_t> size_root_fs) {
  json j = container;
  // The record's field is ID (as moby's config.v2.json); the Engine API's object says Id.
  j["Id"] = std::move(j["ID"]);
  j.erase("ID");
  j["NetworkSettings"] = networkSettingsInspectJson(container.NetworkSettings,
                                                    container.HostConfig.NetworkMode,
                                                    container.State.Running);
  // The HostConfig and Config fields berth does not implement show with the value Docker shows
  // for them when unset (berth: own pid, ipc and uts namespaces, the host's cgroup namespace),
  // so that every string of Docker's shape is a string.
  static const json kHostConfigDefaults = {{"CgroupnsMode", "host"},
                                           {"GroupAdd", nullptr},
                                           {"IpcMode", "private"},
                                           {"Cgroup", ""},
                                           {"OomScoreAdj", 0},
                                           {"PidMode", ""},
                                           {"UTSMode", ""},
                                           {"UsernsMode", ""},
                                           {"Isolation", ""},
                                           {"VolumeDriver", ""},
                                           {"VolumesFrom", nullptr},
                                           {"CgroupParent", ""},
                                           {"BlkioWeight", 0},
                                           {"BlkioWeightDevice", json::array()},
                                           {"BlkioDeviceReadBps", json::array()},
                                           {"BlkioDeviceWriteBps", json::array()},
                                           {"BlkioDeviceReadIOps", json::array()},
                                           {"BlkioDeviceWriteIOps", json::array()},
                                           {"CpuRealtimePeriod", 0},
                                           {"CpuRealtimeRuntime", 0},
                                           {"CpusetMems", ""},
                                           {"Devices", json::array()},
                                           {"DeviceCgroupRules", nullptr},
                                           {"DeviceRequests", nullptr},
                                           {"MemoryReservation", 0},
                                           {"MemorySwappiness", nullptr},
                                           {"OomKillDisable", false},
                                           {"Init", nullptr},
                                           {"CpuCount", 0},
                                           {"CpuPercent", 0},
                                           {"IOMaximumIOps", 0},
                                           {"IOMaximumBandwidth", 0}};
  for (const auto& [key, value] : kHostConfigDefaults.items()) {
    if (!j["HostConfig"].contains(key)) j["HostConfig"][key] = value;
  }
  if (!j["Config"].contains("OnBuild")) j["Config"]["OnBuild"] = nullptr;
  // Docker omits these when empty (omitempty).
  if (container.Config.ExposedPorts.empty()) j["Config"].erase("ExposedPorts");
  if (container.Config.MacAddress.empty()) j["Config"].erase("MacAddress");
  j["ExecIDs"] = nullptr;
  if (size_rw) j["SizeRw"] = *size_rw;
  if (size_root_fs) j["SizeRootFs"] = *size_root_fs;
  return j.dump();
}

Result<Container> parseContainerJson(std::string_view text) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return invalidArgument("invalid container record: expected an object");
    if (!j.contains("ID") && j.contains("Id")) j["ID"] = j["Id"];
    return j.get<Container>();
  } catch (const json::exception& e) {
    return invalidArgument(std::string("invalid container record: ") + e.what());
  }
}

}  // namespace berth::daemon
