#pragma once
// ContainerFsBackend: the container endpoints that work on a container's filesystem and its
// freezer (moby's api/server/router/container copy.go, container_routes.go): archive
// (GET/HEAD/PUT, docker cp), changes (docker diff), export, commit, pause and unpause.
// addContainerFsRoutes() does the HTTP side; the daemon implements the backend.
//
// Thread safety: methods are called concurrently from HTTP worker threads.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::api {
class Router;
}

namespace berth::api::routes {

using FsByteReader = std::function<Result<std::size_t>(char* buf, std::size_t len)>;

struct ContainerPathStatResult {
  std::string header;  // X-Docker-Container-Path-Stat: base64 of the stat JSON
};

struct ContainerChangeItem {
  std::string path;
  int kind = 0;  // 0 modified, 1 added, 2 deleted
};

struct ContainerCommitOptions {
  std::string container;
  std::string repo, tag;
  std::string comment, author;
  bool pause = true;
  std::vector<std::string> changes;
  std::string config;  // the request body: a container.Config JSON, "" or "null" for none
};

class ContainerFsBackend {
 public:
  virtual ~ContainerFsBackend() = default;

  virtual Result<void> pauseContainer(const std::string& name) = 0;
  virtual Result<void> unpauseContainer(const std::string& name) = 0;
  // HEAD archive: the stat header of `path` (NotFound "Could not find the file /x in container
  // c").
  virtual Result<ContainerPathStatResult> statContainerPath(const std::string& name,
                                                            const std::string& path) = 0;
  // GET archive: calls `begin(header)` once the path is found (before any byte is written), then
  // writes the tar to `out_fd` (not owned; may be a pipe).
  virtual Result<void> archiveContainerPath(
      const std::string& name, const std::string& path,
      const std::function<void(const ContainerPathStatResult&)>& begin, int out_fd) = 0;
  // PUT archive: extracts the tar read from `body` into the directory `path`.
  virtual Result<void> extractToContainer(const std::string& name, const std::string& path,
                                          bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                          const FsByteReader& body) = 0;
  virtual Result<std::vector<ContainerChangeItem>> containerChanges(const std::string& name) = 0;
  // Writes the tar of the container's root filesystem to `out_fd` (not owned).
  virtual Result<void> exportContainer(const std::string& name, int out_fd) = 0;
  // Returns the new image's ID ("sha256:...").
  virtual Result<std::string> commitContainer(const ContainerCommitOptions& options) = 0;
};

void addContainerFsRoutes(Router& router, ContainerFsBackend& backend);

}  // namespace berth::api::routes
