#pragma once
// ExecService: berthd's `docker exec` records and the top endpoint (moby daemon/exec.go,
// top_unix.go). Implements api::routes::ExecBackend (rename is forwarded to ContainerService).
//
// Exec records live in memory only (as Docker's). Starting one asks the container's shim to run
// the process (ShimClient::exec) and hands it the hijacked client connection: the shim pumps the
// stdio, so berthd keeps no thread per exec. Each started exec leaves one "exit watch"
// connection to the shim; a single watcher thread epolls them all and records the exit code
// (event exec_die). An inspect of a record still marked running asks the shim, so a client that
// saw its stream end always reads the exit code.
//
// Thread safety: all public methods are thread-safe. Lock order: ContainerService's locks may be
// held when execIds() is called (it takes mu_ only); this service never calls ContainerService
// with mu_ held.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/routes/exec_backend.h"
#include "base/unique_fd.h"
#include "daemon/container_service.h"
#include "daemon/events.h"
#include "daemon/exec_config.h"

namespace berth::daemon {

class ExecService : public api::routes::ExecBackend {
 public:
  // `containers` must outlive the service; registers itself as its ExecIDs source.
  static Result<std::unique_ptr<ExecService>> open(ContainerService* containers, EventSink events);
  ~ExecService() override;  // stops the watcher (exec processes keep running in their shims)

  // The execs of a container that are created or running (inspect's ExecIDs).
  std::vector<std::string> execIds(const std::string& container_id);

  Result<std::string> createExec(const std::string& container, std::string_view body) override;
  Result<bool> startExec(const std::string& id, std::string_view body,
                         const std::function<Result<UniqueFd>(bool tty)>& hijack) override;
  Result<void> resizeExec(const std::string& id, unsigned height, unsigned width) override;
  Result<std::string> inspectExec(const std::string& id) override;
  Result<std::string> topContainer(const std::string& name, const std::string& ps_args) override;
  Result<void> renameContainer(const std::string& name, const std::string& new_name) override;

 private:
  struct Record {
    std::string id, container_id, container_name, image;
    std::map<std::string, std::string> labels;
    ExecConfig config;
    bool started = false;  // start was requested
    bool running = false;
    std::optional<int> exit_code;
    bool die_published = false;
    int pid = 0;
    std::optional<shim::ShimClient> shim;
    std::chrono::steady_clock::time_point created, finished;
  };

  ExecService(ContainerService* containers, EventSink events)
      : containers_(containers), events_(std::move(events)) {}

  std::shared_ptr<Record> find(const std::string& id);  // nullptr if unknown
  void publish(const Record& r, const std::string& action,
               std::map<std::string, std::string> extra = {});
  // Builds the process (as JSON) the shim runs, from the container's bundle and the config.
  Result<std::string> buildProcess(const ContainerService::ExecTarget& target,
                                   const ExecConfig& config,
                                   std::optional<std::pair<unsigned, unsigned>> console_size);
  // REQUIRES: mu_ held. Marks the record exited.
  void finishLocked(Record& r, int exit_code);
  void pruneLocked();
  void watcherLoop();

  ContainerService* containers_;
  EventSink events_;

  std::mutex mu_;  // guards execs_, watched_ and the records
  std::map<std::string, std::shared_ptr<Record>> execs_;
  std::map<int, std::pair<std::string, UniqueFd>> watched_;  // fd → (exec id, exit watch)
  UniqueFd epoll_, wake_;
  std::thread watcher_;
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::daemon
