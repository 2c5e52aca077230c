// The container endpoints of the Engine API (moby api/server/router/container).

#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "api/router.h"
#include "api/routes/containers_backend.h"

namespace berth::api::routes {
namespace {

using nlohmann::json;

std::string name(Request& r) {
  return std::string(r.param("name"));
}

Result<std::optional<int>> optionalInt(Request& r, const char* key) {
  if (!r.hasQuery(key) || r.queryString(key).empty()) return std::optional<int>{};
  BERTH_TRY(int64_t v, r.queryInt(key, 0));
  return std::optional<int>(static_cast<int>(v));
}

}  // namespace

std::string multiplexFrame(int stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = static_cast<char>(stream);
  uint32_t size = static_cast<uint32_t>(payload.size());
  frame[4] = static_cast<char>((size >> 24) & 0xff);
  frame[5] = static_cast<char>((size >> 16) & 0xff);
  frame[6] = static_cast<char>((size >> 8) & 0xff);
  frame[7] = static_cast<char>(size & 0xff);
  frame.append(payload);
  return frame;
}

void addContainerRoutes(Router& router, ContainersBackend& backend) {
  ContainersBackend* b = &backend;

  router.add("GET", "/containers/json", [b](Request& r, ResponseWriter& w) {
    ContainerListOptions o;
    o.all = r.queryBool("all");
    o.size = r.queryBool("size");
    auto limit = r.queryInt("limit", -1);
    if (!limit) return void(w.sendError(limit.error()));
    o.limit = *limit;
    o.filters = r.queryString("filters");
    auto out = b->listContainers(o);
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });

  router.add("POST", "/containers/create", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto out = b->createContainer(r.queryString("name"), *body);
    if (!out) return void(w.sendError(out.error()));
    json j = {{"Id", out->id}, {"Warnings", out->warnings}};
    w.sendJson(201, j.dump());
  });

  router.add("POST", "/containers/prune", [b](Request& r, ResponseWriter& w) {
    auto out = b->pruneContainers(r.queryString("filters"));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });

  router.add("GET", "/containers/{name}/json", [b](Request& r, ResponseWriter& w) {
    auto out = b->inspectContainer(name(r), r.queryBool("size"));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });

  router.add("POST", "/containers/{name}/start", [b](Request& r, ResponseWriter& w) {
    auto out = b->startContainer(name(r));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(*out ? 204 : 304);
  });

  router.add("POST", "/containers/{name}/stop", [b](Request& r, ResponseWriter& w) {
    auto t = optionalInt(r, "t");
    if (!t) return void(w.sendError(t.error()));
    auto out = b->stopContainer(name(r), r.queryString("signal"), *t);
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(*out ? 204 : 304);
  });

  router.add("POST", "/containers/{name}/restart", [b](Request& r, ResponseWriter& w) {
    auto t = optionalInt(r, "t");
    if (!t) return void(w.sendError(t.error()));
    auto out = b->restartContainer(name(r), r.queryString("signal"), *t);
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });

  router.add("POST", "/containers/{name}/kill", [b](Request& r, ResponseWriter& w) {
    auto out = b->killContainer(name(r), r.queryString("signal"));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });

  router.add("POST", "/containers/{name}/wait", [b](Request& r, ResponseWriter& w) {
    std::string condition = r.queryString("condition", "not-running");
    if (condition.empty()) condition = "not-running";
    bool streaming = false;
    auto out = b->waitContainer(
        name(r), condition, [&] { streaming = w.beginStream(200, "application/json"); },
        [&] { return w.clientGone(); });
    if (!out) {
      if (!streaming) return void(w.sendError(out.error()));
      json j = {{"StatusCode", -1}, {"Error", {{"Message", out.error().message()}}}};
      w.write(j.dump() + "\n");
      w.end();
      return;
    }
    json j = {{"StatusCode", out->status_code}, {"Error", nullptr}};
    if (!out->error.empty()) j["Error"] = {{"Message", out->error}};
    if (streaming) {
      w.write(j.dump() + "\n");
      w.end();
    } else {
      w.sendJson(200, j.dump() + "\n");
    }
  });

  router.add("DELETE", "/containers/{name}", [b](Request& r, ResponseWriter& w) {
    if (r.queryBool("link")) {
      return void(w.sendError(notImplemented("links are not supported")));
    }
    auto out = b->removeContainer(name(r), r.queryBool("force"), r.queryBool("v"));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });

  router.add("GET", "/containers/{name}/logs", [b](Request& r, ResponseWriter& w) {
    ContainerLogsOptions o;
    o.stdout = r.queryBool("stdout");
    o.stderr = r.queryBool("stderr");
    if (!o.stdout && !o.stderr) {
      return void(
          w.sendError(invalidArgument("Bad parameters: you must choose at least one "
                                      "stream")));
    }
    o.timestamps = r.queryBool("timestamps");
    o.follow = r.queryBool("follow");
    o.tail = r.queryString("tail", "all");
    o.since = r.queryString("since");
    o.until = r.queryString("until");
    o.details = r.queryBool("details");
    bool tty = false;
    auto out = b->containerLogs(
        name(r), o,
        [&](bool is_tty) {
          tty = is_tty;
          return w.beginStream(200, tty ? kRawStreamType : kMultiplexedStreamType);
        },
        [&](int stream, std::string_view data) {
          if (w.clientGone()) return false;
          if (data.empty()) return true;  // the backend checking on the client while idle
          return w.write(tty ? std::string(data) : multiplexFrame(stream, data));
        });
    if (!out) {
      if (!w.started()) return void(w.sendError(out.error()));
    }
    w.end();
  });

  router.add("POST", "/containers/{name}/attach", [b](Request& r, ResponseWriter& w) {
    ContainerAttachOptions o;
    o.stream = r.queryBool("stream");
    o.logs = r.queryBool("logs");
    o.stdin = r.queryBool("stdin");
    o.stdout = r.queryBool("stdout");
    o.stderr = r.queryBool("stderr");
    o.detach_keys = r.queryString("detachKeys");
    auto out = b->attachContainer(name(r), o, [&](bool tty) -> Result<HijackedConnection> {
      return w.hijack(tty ? kRawStreamType : kMultiplexedStreamType);
    });
    if (!out && !w.started()) w.sendError(out.error());
  });

  // Docker's websocket attach: raw streams in binary messages (text ones before API 1.42, as
  // dockerd 20.10); the socketpair end handed to the shim stands for the websocket.
  router.add("GET", "/containers/{name}/attach/ws", [b](Request& r, ResponseWriter& w) {
    ContainerAttachOptions o;
    o.stream = r.queryBool("stream");
    o.logs = r.queryBool("logs");
    o.stdin = r.queryBool("stdin");
    o.stdout = r.queryBool("stdout");
    o.stderr = r.queryBool("stderr");
    o.detach_keys = r.queryString("detachKeys");
    o.raw_streams = true;
    // The relay runs from the handshake on, so that a long logs replay into the socketpair
    // cannot fill it while nobody drains it.
    bool text_frames = compareApiVersions(r.apiVersion(), "1.42") < 0;
    std::unique_ptr<WebSocket> ws;
    std::thread relay;
    auto out = b->attachContainer(name(r), o, [&](bool) -> Result<HijackedConnection> {
      int sv[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return errnoError("attach websocket: socketpair");
      }
      UniqueFd ours(sv[0]), theirs(sv[1]);
      BERTH_TRY(ws, w.acceptWebSocket());
      relay = std::thread([socket = ws.get(), local = std::move(ours), text_frames]() mutable {
        socket->relay(std::move(local), text_frames);
      });
      HijackedConnection conn;
      conn.fd = std::move(theirs);
      return conn;
    });
    // Whatever happened after the handshake, the shim's end (or its drop) ends the relay.
    if (relay.joinable()) relay.join();
    if (!out && !w.started()) return void(w.sendError(out.error()));
  });

  router.add("POST", "/containers/{name}/resize", [b](Request& r, ResponseWriter& w) {
    auto h = r.queryInt("h", 0);
    auto wd = r.queryInt("w", 0);
    if (!h) return void(w.sendError(h.error()));
    if (!wd) return void(w.sendError(wd.error()));
    auto out = b->resizeContainer(name(r), static_cast<unsigned>(*h), static_cast<unsigned>(*wd));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(200);
  });
}

}  // namespace berth::api::routes
