// The network endpoints of the Engine API (moby api/server/router/network).

#include "api/router.h"
#include "api/routes/networks_backend.h"

namespace berth::api::routes {

void addNetworkRoutes(Router& router, NetworksBackend& backend) {
  NetworksBackend* b = &backend;
  router.add("GET", "/networks", [b](Request& r, ResponseWriter& w) {
    auto out = b->listNetworks(r.queryString("filters"));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });
  router.add("GET", "/networks/{name}", [b](Request& r, ResponseWriter& w) {
    auto out = b->inspectNetwork(std::string(r.param("name")));
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(200, *out);
  });
  router.add("POST", "/networks/create", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto out = b->createNetwork(*body);
    if (!out) return void(w.sendError(out.error()));
    w.sendJson(201, *out);
  });
  router.add("DELETE", "/networks/{name}", [b](Request& r, ResponseWriter& w) {
    auto out = b->removeNetwork(std::string(r.param("name")));
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(204);
  });
  router.add("POST", "/networks/{name}/connect", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto out = b->connectNetwork(std::string(r.param("name")), *body);
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(200);
  });
  router.add("POST", "/networks/{name}/disconnect", [b](Request& r, ResponseWriter& w) {
    auto body = r.readBodyAll();
    if (!body) return void(w.sendError(body.error()));
    auto out = b->disconnectNetwork(std::string(r.param("name")), *body);
    if (!out) return void(w.sendError(out.error()));
    w.sendStatus(200);
  });
}

}  // namespace berth::api::routes
