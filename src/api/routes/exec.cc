// The exec endpoints of the Engine API, with top and rename (see exec_backend.h).

#include "api/router.h"
#include "api/routes/exec_backend.h"

namespace berth::api::routes {

void addExecRoutes(Router& router, ExecBackend& backend) {
  ExecBackend* b = &backend;

  router.add("POST", "/containers/{name}/exec", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto id = b->createExec(std::string(r.param("name")), *body);
    if (!id) return void(w.sendError(id.error()));
    w.sendJson(201, "{\"Id\":\"" + *id + "\"}");
  });

  router.add("POST", "/exec/{name}/start", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto out = b->startExec(std::string(r.param("name")), *body, [&](bool tty) -> Result<UniqueFd> {
      BERTH_TRY(HijackedConnection conn, w.hijack(tty ? kRawStreamType : kMultiplexedStreamType));
      return std::move(conn.fd);
    });
    if (!out) {
      if (!w.started()) w.sendError(out.error());
      return;
    }
    if (*out && !w.started()) w.sendStatus(200);
  });

  router.add("POST", "/exec/{name}/resize", [b](Request& r, ResponseWriter& w) {
    auto h = r.queryInt("h", 0);
    auto wd = r.queryInt("w", 0);
    if (!h) return void(w.sendError(h.error()));
    if (!wd) return void(w.sendError(wd.error()));
    if (*h < 0 || *wd < 0) return void(w.sendError(invalidArgument("invalid tty size")));
    auto out = b->resizeExec(std::string(r.param("name")), static_cast<unsigned>(*h),
                             static_cast<unsigned>(*wd));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(200);
  });

  router.add("GET", "/exec/{name}/json", [b](Request& r, ResponseWriter& w) {
    auto out = b->inspectExec(std::string(r.param("name")));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });

  router.add("GET", "/containers/{name}/top", [b](Request& r, ResponseWriter& w) {
    auto out = b->topContainer(std::string(r.param("name")), r.queryString("ps_args"));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });

  router.add("POST", "/containers/{name}/rename", [b](Request& r, ResponseWriter& w) {
    auto out = b->renameContainer(std::string(r.param("name")), r.queryString("name"));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });
}

}  // namespace berth::api::routes
