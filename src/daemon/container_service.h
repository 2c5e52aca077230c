#pragma once
// ContainerService: berthd's containers (moby daemon/): the records under
// <data-root>/containers/<id>/, their shims, and the one exit-watcher thread. Implements the
// Engine API's ContainersBackend.
//
// Each container's shim (berth-shim) owns its process; the service talks to it through
// ShimClient and learns about exits from one epoll loop over each running container's
// "watch_exit" control connection (no thread per container). Waiters block on the container's
// condition variable, fired by the watcher.
//
// Thread safety: all public methods are thread-safe. Locks: an entry's mutex guards its record
// and shim; mu_ guards the maps and may be taken while an entry's mutex is held, never the
// other way round.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/routes/container_fs_backend.h"
#include "api/routes/containers_backend.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "daemon/container.h"
#include "daemon/events.h"
#include "runtime/seccomp/filter_cache.h"
#include "daemon/network_service.h"
#include "shim/shim_client.h"
#include "store/image_store.h"

namespace berth::daemon {

class ImageService;

struct ContainerServiceOptions {
  std::string data_root;    // containers/<id>/ lives here
  std::string exec_root;    // containers/<id>/ (bundle, shim state), runtime/ (runtime root)
  std::string shim_binary;  // berth-shim
  std::vector<ContainerUlimit> default_ulimits;
  uint64_t log_max_size = 0;
  int log_max_files = 1;
  NetworkService* network = nullptr;  // must outlive the service
};

class ContainerService : public api::routes::ContainersBackend,
                         public api::routes::ContainerFsBackend,
                         public ContainerHooks {
 public:
  // Loads every container record, reconnects to the shims of running ones (or marks them
  // exited with the code their shim recorded, 255 when none), and starts the watcher thread.
  // `images` must outlive the service.
  static Result<std::unique_ptr<ContainerService>> open(ContainerServiceOptions options,
                                                        ImageService* images, EventSink events);
  ~ContainerService() override;  // stops the watcher; containers keep running

  struct Counts {
    int total = 0, running = 0, paused = 0, stopped = 0;
  };
  Counts counts();
  // The first container using `image_id` (for rmi conflicts).
  std::optional<store::ImageUser> imageUser(const std::string& image_id);

  // --- ContainersBackend.
  Result<api::routes::ContainerCreateResult> createContainer(const std::string& name,
                                                             std::string_view body) override;
  Result<bool> startContainer(const std::string& name) override;
  Result<bool> stopContainer(const std::string& name, const std::string& signal,
                             std::optional<int> timeout) override;
  Result<void> restartContainer(const std::string& name, const std::string& signal,
                                std::optional<int> timeout) override;
  Result<void> killContainer(const std::string& name, const std::string& signal) override;
  Result<api::routes::ContainerWaitResult> waitContainer(
      const std::string& name, const std::string& condition,
      const std::function<void()>& registered, const std::function<bool()>& cancelled) override;
  Result<void> removeContainer(const std::string& name, bool force, bool volumes) override;
  Result<std::string> listContainers(const api::routes::ContainerListOptions& options) override;
  Result<std::string> inspectContainer(const std::string& name, bool size) override;
  Result<void> containerLogs(const std::string& name,
                             const api::routes::ContainerLogsOptions& options,
                             const std::function<bool(bool tty)>& begin,
                             const std::function<bool(int, std::string_view)>& write) override;
  Result<void> attachContainer(const std::string& name,
                               const api::routes::ContainerAttachOptions& options,
                               const std::function<Result<api::HijackedConnection>(bool tty)>&
                                   hijack) override;
  Result<void> resizeContainer(const std::string& name, unsigned height, unsigned width) override;
  Result<std::string> pruneContainers(const std::string& filters) override;

  // --- For ExecService (exec, top) and rename (container_service_exec.cc).
  struct ExecTarget {
    std::string id, name, image;  // name without "/"; image as Config.Image
    std::map<std::string, std::string> labels;
    bool running = false, paused = false, restarting = false;
    ContainerConfig config;
    std::string bundle;        // the OCI bundle (config.json)
    std::string runtime_root;  // berth::runtime's state root
    std::optional<shim::ShimClient> shim;
  };
  Result<ExecTarget> execTarget(const std::string& name);
  // Docker's rename: 400 for an empty/bad/same name, 409 when the name is in use; event rename.
  Result<void> renameContainer(const std::string& name, const std::string& new_name);
  // The ExecIDs inspect shows for a container (set once by berthd before serving).
  void setExecIdsSource(std::function<std::vector<std::string>(const std::string& id)> source) {
    exec_ids_ = std::move(source);
  }
  // --- ContainerFsBackend (container_service_fs.cc).
  Result<void> pauseContainer(const std::string& name) override;
  Result<void> unpauseContainer(const std::string& name) override;
  Result<api::routes::ContainerPathStatResult> statContainerPath(const std::string& name,
                                                                 const std::string& path) override;
  Result<void> archiveContainerPath(
      const std::string& name, const std::string& path,
      const std::function<void(const api::routes::ContainerPathStatResult&)>& begin,
      int out_fd) override;
  Result<void> extractToContainer(const std::string& name, const std::string& path,
                                  bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                  const api::routes::FsByteReader& body) override;
  Result<std::vector<api::routes::ContainerChangeItem>> containerChanges(
      const std::string& name) override;
  Result<void> exportContainer(const std::string& name, int out_fd) override;
  Result<std::string> commitContainer(const api::routes::ContainerCommitOptions& options) override;
  // --- ContainerHooks (container_service_network.cc).
  Result<void> connectContainer(const std::string& container, const NetworkRecord& network,
                                const EndpointSettings& endpoint) override;
  Result<void> disconnectContainer(const std::string& container, const NetworkRecord& network,
                                   bool force) override;

 private:
  struct RootfsView;  // container_service_fs.cc
  struct PendingAttach {
    UniqueFd conn;
    shim::AttachOptions options;
  };
  struct Entry {
    std::mutex mu;
    std::condition_variable cv;
    Container c;
    std::optional<shim::ShimClient> shim;
    uint64_t exits = 0;    // bumped at each exit (wait next-exit)
    bool removed = false;  // wait removed
    bool removing = false;
    std::vector<PendingAttach> pending;
    // Attach requests between their hijack (the client already saw "101 UPGRADED" and may send
    // start) and their registration in `pending`: start waits for them, or the first output
    // would reach only the log.
    int attaching = 0;
  };

  ContainerService(ContainerServiceOptions options, ImageService* images, EventSink events)
      : options_(std::move(options)), images_(images), events_(std::move(events)) {}

  Result<std::shared_ptr<Entry>> find(const std::string& name_or_id);
  // A snapshot of the entries, taken under mu_ alone (lock order: an entry's mu, then mu_;
  // never mu_ then an entry's mu).
  std::vector<std::shared_ptr<Entry>> entries();
  std::string containerDir(const std::string& id) const;
  std::string bundleDir(const std::string& id) const;
  std::string shimStateDir(const std::string& id) const;
  // REQUIRES: entry->mu held.
  Result<void> save(const Container& c);
  void publish(const Container& c, const std::string& action,
               std::map<std::string, std::string> extra = {});

  Result<bool> startLocked(const std::shared_ptr<Entry>& entry, std::unique_lock<std::mutex>& lock);
  Result<bool> stopLocked(const std::shared_ptr<Entry>& entry, std::unique_lock<std::mutex>& lock,
                          const std::string& signal, std::optional<int> timeout);
  // Records the exit; REQUIRES: entry->mu held. Returns true when AutoRemove should follow.
  bool markExited(Entry& entry, const shim::ExitRecord& record, const std::string& error);
  void handleExit(const std::string& id);
  void autoRemove(const std::string& id);
  // A kill or stop of a paused container thaws it after signalling, as Docker does, so the
  // signal is delivered. REQUIRES: entry.mu held.
  void thawAfterKill(Entry& entry);
  Result<std::unique_ptr<RootfsView>> openRootfs(const std::shared_ptr<Entry>& entry);

  // Networking (container_service_network.cc). REQUIRES: the entry's mu held.
  Result<void> prepareNetwork(Container* c, const std::map<std::string, EndpointSettings>& eps);
  Result<void> writeNetworkFiles(const Container& c);
  struct NetnsChoice {
    std::string path;  // join this netns ("" = a new one)
    bool host = false; // the host's netns
  };
  Result<NetnsChoice> startNetwork(Container& c);
  void releaseNetwork(Container& c);
  void restoreNetwork(const Container& c);
  // After loading: endpoints and sandbox files of containers that are not running any more
  // (removed or exited while berthd was down without a record of it) are removed.
  void reconcileNetwork();
  // --link "a:db" → Docker's stored form "/a:/<name>/db".
  void normalizeLinks(Container* c);

  Result<void> loadAll();
  Result<void> watch(const std::string& id, const shim::ShimClient& shim);
  void watcherLoop();

  ContainerServiceOptions options_;
  ImageService* images_;
  // Compiled seccomp filters in <exec-root>/seccomp, loaded by the shims (filter_cache.h).
  std::unique_ptr<runtime::seccomp::FilterCache> seccomp_cache_;
  EventSink events_;

  std::mutex mu_;                                             // guards containers_ and names_
  std::map<std::string, std::shared_ptr<Entry>> containers_;  // id → entry
  std::map<std::string, std::string> names_;                  // "/name" → id

  std::mutex watch_mu_;                                      // guards watched_
  std::map<int, std::pair<std::string, UniqueFd>> watched_;  // fd → (id, watch connection)
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: stop the watcher
  std::thread watcher_;
  std::atomic<bool> stopping_{false};
  std::function<std::vector<std::string>(const std::string& id)> exec_ids_;
};

}  // namespace berth::daemon
