#pragma once
// ContainersBackend: what the container endpoints of the Engine API need from the daemon (moby's
// api/server/router/container Backend). addContainerRoutes() (containers.cc) does the HTTP side:
// query parsing, status codes (201, 204, 304), stream framing, hijack; the backend does the work.
//
// The large Docker-shaped documents (create body, inspect, list) cross this interface as JSON
// text: the daemon owns their codec (daemon/container.h), so the routes stay free of it.
//
// Thread safety: methods are called concurrently from HTTP worker threads; blocking calls (wait,
// stop, logs with follow) block only their own worker.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/response_writer.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::api {
class Router;
}

namespace berth::api::routes {

struct ContainerCreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

struct ContainerListOptions {
  bool all = false;
  int64_t limit = -1;  // -1: no limit; >0 implies all
  bool size = false;
  std::string filters;  // the `filters` JSON as sent ("" = none)
};

struct ContainerLogsOptions {
  bool stdout = false;
  bool stderr = false;
  bool timestamps = false;
  bool details = false;
  bool follow = false;
  std::string tail = "all";
  std::string since;  // Unix seconds[.nanos] as the CLI sends; "" = no bound
  std::string until;
};

struct ContainerAttachOptions {
  bool stream = false;
  bool logs = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  std::string detach_keys;
  // The websocket endpoint: streams are raw (never multiplexed), as Docker's attach/ws.
  bool raw_streams = false;
};

struct ContainerWaitResult {
  int status_code = 0;
  std::string error;  // "" → "Error": null
};

// Stream numbers of Docker's multiplexed framing.
inline constexpr int kStdin = 0, kStdout = 1, kStderr = 2;

class ContainersBackend {
 public:
  virtual ~ContainersBackend() = default;

  // `body` is POST /containers/create's JSON body.
  virtual Result<ContainerCreateResult> createContainer(const std::string& name,
                                                        std::string_view body) = 0;
  // false: the container was already running (the route answers 304).
  virtual Result<bool> startContainer(const std::string& name) = 0;
  // false: it was not running (304). `signal` "" = the container's StopSignal; nullopt timeout
  // = StopTimeout or 10 s.
  virtual Result<bool> stopContainer(const std::string& name, const std::string& signal,
                                     std::optional<int> timeout) = 0;
  virtual Result<void> restartContainer(const std::string& name, const std::string& signal,
                                        std::optional<int> timeout) = 0;
  // `signal`: name ("KILL", "SIGKILL") or number; "" = SIGKILL. Conflict when not running.
  virtual Result<void> killContainer(const std::string& name, const std::string& signal) = 0;
  // condition: "not-running" (default), "next-exit", "removed". `registered` is called once
  // the waiter is in place (the route then sends its headers); `cancelled` is polled.
  virtual Result<ContainerWaitResult> waitContainer(const std::string& name,
                                                    const std::string& condition,
                                                    const std::function<void()>& registered,
                                                    const std::function<bool()>& cancelled) = 0;
  virtual Result<void> removeContainer(const std::string& name, bool force, bool volumes) = 0;
  // JSON array in GET /containers/json's shape.
  virtual Result<std::string> listContainers(const ContainerListOptions& options) = 0;
  // JSON object in GET /containers/{id}/json's shape.
  virtual Result<std::string> inspectContainer(const std::string& name, bool size) = 0;
  // Calls begin(tty) once the container is found (the route starts its stream), then
  // write(stream, bytes) per chunk until the end (or write returns false).
  virtual Result<void> containerLogs(const std::string& name, const ContainerLogsOptions& options,
                                     const std::function<bool(bool tty)>& begin,
                                     const std::function<bool(int, std::string_view)>& write) = 0;
  // Finds the container, replays logs when options.logs (through `hijack`'s fd), then hands the
  // hijacked connection to the container's shim (or keeps it until start). `hijack(tty)` takes
  // the connection over with the right content type; its `buffered` bytes (input the client
  // sent with the request) reach the container's stdin first.
  virtual Result<void> attachContainer(
      const std::string& name, const ContainerAttachOptions& options,
      const std::function<Result<HijackedConnection>(bool tty)>& hijack) = 0;
  virtual Result<void> resizeContainer(const std::string& name, unsigned height,
                                       unsigned width) = 0;
  // JSON {"ContainersDeleted":[...],"SpaceReclaimed":N}.
  virtual Result<std::string> pruneContainers(const std::string& filters) = 0;
};

void addContainerRoutes(Router& router, ContainersBackend& backend);

// Docker's stream frame: [stream, 0, 0, 0, size (big-endian u32)] + payload.
std::string multiplexFrame(int stream, std::string_view payload);

}  // namespace berth::api::routes
