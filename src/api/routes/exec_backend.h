#pragma once
// ExecBackend: what the exec endpoints (moby api/server/router/container exec.go) and the two
// process-level container endpoints added with them (top, rename) need from the daemon.
// addExecRoutes() (exec.cc) does the HTTP side: query and body reading, status codes, the
// hijack; the backend does the work. Exec documents cross the interface as JSON text: the daemon
// owns their codec (daemon/exec_config.h).
//
// Thread safety: methods are called concurrently from HTTP worker threads.

#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::api {
class Router;
}

namespace berth::api::routes {

class ExecBackend {
 public:
  virtual ~ExecBackend() = default;

  // POST /containers/{name}/exec with an ExecConfig body; returns the new exec's id.
  virtual Result<std::string> createExec(const std::string& container, std::string_view body) = 0;
  // POST /exec/{id}/start with an ExecStartCheck body. Errors found before the process starts
  // (unknown exec, already started, container not running) are returned before `hijack`; without
  // Detach the backend then calls hijack(tty) and owns the connection (errors after that point
  // are written into the stream). Returns whether the request was detached (the route answers
  // 200 with no body then).
  virtual Result<bool> startExec(const std::string& id, std::string_view body,
                                 const std::function<Result<UniqueFd>(bool tty)>& hijack) = 0;
  virtual Result<void> resizeExec(const std::string& id, unsigned height, unsigned width) = 0;
  // GET /exec/{id}/json as JSON text.
  virtual Result<std::string> inspectExec(const std::string& id) = 0;
  // GET /containers/{name}/top?ps_args=: {"Titles":[...],"Processes":[[...]]}.
  virtual Result<std::string> topContainer(const std::string& name, const std::string& ps_args) = 0;
  // POST /containers/{name}/rename?name=.
  virtual Result<void> renameContainer(const std::string& name, const std::string& new_name) = 0;
};

void addExecRoutes(Router& router, ExecBackend& backend);

}  // namespace berth::api::routes
