#include "daemon/system_service.h"

#include "daemon/network_service.h"

#include <sys/vfs.h>

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/version.h"
#include "base/digest.h"
#include "base/file_util.h"
#include "base/strings.h"
#include "daemon/container_service.h"
#include "daemon/events_service.h"
#include "daemon/filters.h"
#include "daemon/image_service.h"

namespace berth::daemon {
namespace {

// Entries of a /proc directory (fds, threads), 0 when it cannot be read.
int entryCount(const std::string& dir) {
  auto entries = listDirectory(dir);
  return entries ? static_cast<int>(entries->size()) : 0;
}

using nlohmann::json;

std::string goArch() {
  struct utsname u {};
  uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "armv7l") return "arm";
  return m;
}

std::string kernelVersion() {
  struct utsname u {};
  uname(&u);
  return u.release;
}

std::string osPrettyName() {
  auto text = readFile("/etc/os-release");
  if (!text) return "Linux";
  for (const auto& line : split(*text, '\n')) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string osField(const char* key) {
  auto text = readFile("/etc/os-release");
  if (!text) return "";
  std::string prefix = std::string(key) + "=";
  for (const auto& line : split(*text, '\n')) {
    if (line.starts_with(prefix)) {
      std::string v = line.substr(prefix.size());
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "";
}

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

// A stable daemon ID, kept in the data root (Docker's engine-id).
std::string daemonId(const std::string& data_root) {
  std::string path = data_root + "/engine-id";
  if (auto id = readFile(path)) return std::string(trim(*id));
  std::string id;
  static const char kHex[] = "0123456789abcdef";
  FILE* f = fopen("/proc/sys/kernel/random/uuid", "r");
  if (f) {
    char buf[64] = {};
    if (fgets(buf, sizeof(buf), f)) id = std::string(trim(buf));
    fclose(f);
  }
  if (id.empty()) id = std::string(36, kHex[0]);
  (void)writeFileAtomic(path, id + "\n");
  return id;
}

}  // namespace

std::string SystemService::versionJson() {
  std::string arch = goArch();
  json details = {{"ApiVersion", api::kApiVersion},
                  {"MinAPIVersion", api::kMinApiVersion},
                  {"GitCommit", "unknown"},
                  {"GoVersion", "n/a"},
                  {"Os", "linux"},
                  {"Arch", arch},
                  {"KernelVersion", kernelVersion()},
                  {"Experimental", "false"},
                  {"BuildTime", __DATE__ " " __TIME__}};
  json j = {{"Platform", {{"Name", "berth Engine"}}},
            {"Components",
             json::array({{{"Name", "Engine"}, {"Version", kBerthVersion}, {"Details", details}}})},
            {"Version", kBerthVersion},
            {"ApiVersion", api::kApiVersion},
            {"MinAPIVersion", api::kMinApiVersion},
            {"GitCommit", "unknown"},
            {"GoVersion", "n/a"},
            {"Os", "linux"},
            {"Arch", arch},
            {"KernelVersion", kernelVersion()},
            {"BuildTime", __DATE__ " " __TIME__}};
  return j.dump();
}

namespace {

// Docker's names for the filesystem under the data root (graphdriver's FsNames).
std::string backingFilesystem(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return "<unknown>";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53: return "extfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794C7630: return "overlayfs";
    case 0x2FC12FC1: return "zfs";
    default: return "<unknown>";
  }
}

}  // namespace

Result<std::string> SystemService::infoJson() {
  auto counts = containers_->counts();
  struct sysinfo si {};
  sysinfo(&si);
  std::string driver = images_->driverName();
  json driver_status = json::array();
  if (driver == "overlay2") {
    // [][2]string in Docker's schema; nlohmann would read pairs of strings as an object.
    auto row = [](const char* key, const std::string& value) { return json::array({key, value}); };
    driver_status = json::array({row("Backing Filesystem", backingFilesystem(config_->data_root)),
                                 row("Supports d_type", "true"),
                                 row("Using metacopy", "false"),
                                 row("Native Overlay Diff", "true"),
                                 row("userxattr", "false")});
  }
  json j = {{"ID", daemonId(config_->data_root)},
            {"Containers", counts.total},
            {"ContainersRunning", counts.running},
            {"ContainersPaused", counts.paused},
            {"ContainersStopped", counts.stopped},
            {"Images", images_->imageCount()},
            {"Driver", driver},
            {"DriverStatus", driver_status},
            {"Plugins",
             {{"Volume", json::array()},
              {"Network", json::array({"host", "null"})},
              {"Authorization", nullptr},
              {"Log", json::array({"json-file"})}}},
            {"MemoryLimit", true},
            {"SwapLimit", pathExists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")},
            {"CpuCfsPeriod", true},
            {"CpuCfsQuota", true},
            {"CPUShares", true},
            {"CPUSet", true},
            {"PidsLimit", true},
            {"IPv4Forwarding", false},
            {"Debug", config_->debug},
            {"NFd", entryCount("/proc/self/fd")},
            {"OomKillDisable", false},
            {"NGoroutines", entryCount("/proc/self/task")},  // berthd's threads
            {"SystemTime", nowRfc3339Nano()},
            {"LoggingDriver", "json-file"},
            {"CgroupDriver", "cgroupfs"},
            {"CgroupVersion", pathExists("/sys/fs/cgroup/cgroup.controllers") ? "2" : "1"},
            {"NEventsListener", events_->listeners()},
            {"KernelVersion", kernelVersion()},
            {"OperatingSystem", osPrettyName()},
            {"OSVersion", osField("VERSION_ID")},
            {"OSType", "linux"},
            {"Architecture", goArch() == "amd64" ? "x86_64" : goArch()},
            {"IndexServerAddress", "https://index.docker.io/v1/"},
            {"RegistryConfig", nullptr},
            {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
            {"MemTotal", static_cast<int64_t>(si.totalram) * si.mem_unit},
            {"GenericResources", nullptr},
            {"DockerRootDir", config_->data_root},
            {"HttpProxy", ""},
            {"HttpsProxy", ""},
            {"NoProxy", ""},
            {"Name", hostname()},
            {"Labels", json::array()},
            {"ExperimentalBuild", false},
            {"ServerVersion", kBerthVersion},
            {"Runtimes", {{"berth-runtime", {{"path", "berth-runtime"}}}}},
            {"DefaultRuntime", "berth-runtime"},
            {"Swarm",
             {{"NodeID", ""},
              {"NodeAddr", ""},
              {"LocalNodeState", "inactive"},
              {"ControlAvailable", false},
              {"Error", ""},
              {"RemoteManagers", nullptr}}},
            {"LiveRestoreEnabled", false},
            {"Isolation", ""},
            {"InitBinary", ""},
            {"ContainerdCommit", {{"ID", ""}}},
            {"RuncCommit", {{"ID", ""}}},
            {"InitCommit", {{"ID", ""}}},
            {"SecurityOptions", json::array({"name=seccomp,profile=builtin"})},
            {"Warnings", nullptr}};
  return j.dump();
}

Result<void> SystemService::streamEvents(const api::routes::EventsOptions& o,
                                         const std::function<bool(std::string_view)>& write,
                                         const std::function<bool()>& cancelled) {
  std::optional<int64_t> since, until;
  if (!o.since.empty()) {
    BERTH_TRY(int64_t s, parseUnixTimestamp(o.since));
    since = s;
  }
  if (!o.until.empty()) {
    BERTH_TRY(int64_t u, parseUnixTimestamp(o.until));
    until = u;
  }
  BERTH_TRY_VOID(parseFilters(o.filters));
  return events_->stream(since, until, o.filters, write, cancelled);
}

Result<std::string> SystemService::diskUsageJson() {
  BERTH_TRY(std::string list, containers_->listContainers({true, -1, true, ""}));
  json containers = json::parse(list);
  json j = {{"LayersSize", 0},
            {"Images", json::array()},
            {"Containers", containers},
            {"Volumes", json::array()},
            {"BuildCache", json::array()}};
  return j.dump();
}

Result<std::string> SystemService::pruneNetworks(const std::string& filters) {
  if (networks_) return networks_->pruneNetworks(filters);
  BERTH_TRY_VOID(parseFilters(filters, {"label", "label!", "until"}));
  return std::string(R"({"NetworksDeleted":[]})");
}

Result<std::string> SystemService::pruneBuildCache(const std::string& filters, bool) {
  BERTH_TRY_VOID(parseFilters(filters, {"id", "parent", "type", "description", "inuse", "shared",
                                        "private", "until", "unused-for", "label", "label!"}));
  return std::string(R"({"CachesDeleted":[],"SpaceReclaimed":0})");
}

}  // namespace berth::daemon
