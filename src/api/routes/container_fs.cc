// The filesystem and freezer endpoints of containers (moby api/server/router/container: copy.go
// and the commit, changes, export, pause, unpause handlers).

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "api/router.h"
#include "api/routes/container_fs_backend.h"
#include "base/unique_fd.h"

namespace berth::api::routes {
namespace {

using nlohmann::json;

constexpr const char* kStatHeader = "X-Docker-Container-Path-Stat";

std::string name(Request& r) { return std::string(r.param("name")); }

Result<std::string> archivePath(Request& r) {
  std::string path = r.queryString("path");
  if (path.empty()) return invalidArgument("bad parameter: path cannot be empty");
  return path;
}

// Runs `produce(fd)` on a thread writing into a pipe and streams the pipe to the client as it
// fills (nothing is held in memory). `headers()` is called before the stream starts, once the
// producer has written its first byte (or finished). An error before the first byte is an
// ordinary HTTP error; after it, the stream is cut short.
void servePipe(ResponseWriter& w, const std::function<Result<void>(int fd)>& produce,
               const std::function<void()>& headers) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    w.sendError(errnoError("pipe"));
    return;
  }
  UniqueFd rd(fds[0]);
  UniqueFd wr(fds[1]);
  Result<void> result;
  std::thread producer([&] {
    // A client that goes away closes the read end: EPIPE for this thread, not a SIGPIPE.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    result = produce(wr.get());
    wr.reset();
  });
  std::vector<char> buf(1 << 16);
  bool streaming = false;
  bool client_ok = true;
  for (;;) {
    ssize_t n = ::read(rd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!streaming) {
      streaming = true;
      headers();
      client_ok = w.beginStream(200, "application/x-tar");
    }
    if (client_ok) client_ok = w.write(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!client_ok) break;
  }
  rd.reset();
  producer.join();
  if (!streaming) {
    if (!result) {
      w.sendError(result.error());
      return;
    }
    headers();
    w.beginStream(200, "application/x-tar");
  }
  w.end();
}

void getArchive(ContainerFsBackend& b, Request& r, ResponseWriter& w) {
  auto path = archivePath(r);
  if (!path) return void(w.sendError(path.error()));
  std::mutex mu;
  std::string header;
  servePipe(
      w,
      [&](int fd) {
        return b.archiveContainerPath(
            name(r), *path,
            [&](const ContainerPathStatResult& stat) {
              std::lock_guard lock(mu);
              header = stat.header;
            },
            fd);
      },
      [&] {
        std::lock_guard lock(mu);
        if (!header.empty()) w.setHeader(kStatHeader, header);
      });
}

void commit(ContainerFsBackend& b, Request& r, ResponseWriter& w) {
  auto body = r.readBodyAll();
  if (!body) return void(w.sendError(body.error()));
  ContainerCommitOptions o;
  o.container = r.queryString("container");
  o.repo = r.queryString("repo");
  o.tag = r.queryString("tag");
  o.comment = r.queryString("comment");
  o.author = r.queryString("author");
  // Docker: pause defaults to true (API >= 1.13) when the parameter is absent or empty.
  o.pause = r.queryString("pause").empty() ? true : r.queryBool("pause");
  o.changes = r.queryAll("changes");
  o.config = *body;
  auto id = b.commitContainer(o);
  if (!id) return void(w.sendError(id.error()));
  w.sendJson(201, json{{"Id", *id}}.dump());
}

}  // namespace

void addContainerFsRoutes(Router& router, ContainerFsBackend& backend) {
  ContainerFsBackend* b = &backend;

  router.add("POST", "/containers/{name}/pause", [b](Request& r, ResponseWriter& w) {
    auto out = b->pauseContainer(name(r));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });
  router.add("POST", "/containers/{name}/unpause", [b](Request& r, ResponseWriter& w) {
    auto out = b->unpauseContainer(name(r));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });
  router.add("HEAD", "/containers/{name}/archive", [b](Request& r, ResponseWriter& w) {
    auto path = archivePath(r);
    if (!path) return void(w.sendError(path.error()));
    auto stat = b->statContainerPath(name(r), *path);
    if (!stat) return void(w.sendError(stat.error()));
    w.setHeader(kStatHeader, stat->header);
    w.sendStatus(200);
  });
  router.add("GET", "/containers/{name}/archive",
             [b](Request& r, ResponseWriter& w) { getArchive(*b, r, w); });
  router.add("PUT", "/containers/{name}/archive", [b](Request& r, ResponseWriter& w) {
    auto path = archivePath(r);
    if (!path) return void(w.sendError(path.error()));
    FsByteReader reader = [&r](char* buf, std::size_t len) -> Result<std::size_t> {
      return r.body().read(buf, len);
    };
    auto out = b->extractToContainer(name(r), *path, r.queryBool("noOverwriteDirNonDir"),
                                     r.queryBool("copyUIDGID"), reader);
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(200);
  });
  router.add("GET", "/containers/{name}/changes", [b](Request& r, ResponseWriter& w) {
    auto changes = b->containerChanges(name(r));
    if (!changes) return void(w.sendError(changes.error()));
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& c : *changes) out.push_back({{"Path", c.path}, {"Kind", c.kind}});
    w.sendJson(200, changes->empty() ? "null" : out.dump());
  });
  router.add("GET", "/containers/{name}/export", [b](Request& r, ResponseWriter& w) {
    std::string n = name(r);
    servePipe(
        w, [&](int fd) { return b->exportContainer(n, fd); }, [] {});
  });
  router.add("POST", "/commit", [b](Request& r, ResponseWriter& w) { commit(*b, r, w); });
}

}  // namespace berth::api::routes
