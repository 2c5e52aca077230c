#pragma once
// ApiClient: the Docker Engine API as the docker CLI's Go client speaks it, over unix:// or
// plain tcp://.
//
//   ApiClient api(endpoint);
//   BERTH_TRY(nlohmann::json list, api.getJson("/containers/json", {{"all", "1"}}));
//
// Version negotiation (like client.NegotiateAPIVersion): before the first request the client
// sends GET /_ping and uses min(kClientApiVersion, the server's API-Version header; "1.24" when
// the header is missing); requests then go to "/v<version><path>". $DOCKER_API_VERSION fixes the
// version and skips negotiation.
//
// Errors:
//   - the daemon answering with a non-2xx status: the code follows the status (404 NotFound,
//     409 Conflict, 400 InvalidArgument, 401/403, 501 NotImplemented, 503 Unavailable, others
//     Internal) and the message is docker's: "Error response from daemon: <message from the
//     JSON body's "message", or the raw body>";
//   - no connection: kUnavailable, "Cannot connect to the berth daemon at <url>. Is the berth
//     daemon running?".
// Every request uses a new connection (the CLI makes few). Not thread-safe.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "client/host.h"
#include "client/http_connection.h"

namespace berth::client {

inline constexpr const char* kClientApiVersion = "1.43";

using Query = std::vector<std::pair<std::string, std::string>>;

// "path?k=v&k2=v2" with values percent-encoded (RFC 3986 unreserved characters kept).
std::string buildTarget(std::string_view path, const Query& query);
std::string urlEncode(std::string_view text);
// Compares "1.41" and "1.43" numerically: <0, 0, >0.
int compareVersions(std::string_view a, std::string_view b);
// The error for a non-2xx response (see the header comment).
Error errorFromResponse(int status, std::string_view body);

struct Response {
  ResponseHead head;
  std::string body;
};

class ApiClient {
 public:
  explicit ApiClient(Endpoint endpoint);

  const Endpoint& endpoint() const { return endpoint_; }
  // Negotiates the API version once; later calls return at once.
  Result<void> negotiate();
  // The version in use (after negotiate(); kClientApiVersion before).
  const std::string& version() const { return version_; }
  // GET /_ping (unversioned): the head of the answer.
  Result<ResponseHead> ping();

  // Sends a request (path without version prefix) and reads the whole response. Non-2xx
  // answers are errors.
  Result<Response> call(const std::string& method, std::string_view path, const Query& query = {},
                        std::string body = {}, bool json_body = false);
  Result<nlohmann::json> getJson(std::string_view path, const Query& query = {});
  // POST with a JSON body (`body` may be null for none); returns the parsed answer (null when
  // the answer is empty).
  Result<nlohmann::json> postJson(std::string_view path, const Query& query,
                                  const nlohmann::json* body);

  // Sends a request and returns the connection positioned at the start of the body, for
  // streamed answers. `request.target` is built from path and query; its method, headers, body
  // and body_fd are used. Non-2xx answers are errors (their body read first).
  Result<HttpConnection> openStream(std::string_view path, const Query& query, Request request,
                                    ResponseHead* head = nullptr);

  // Sends a request without waiting for the answer (e.g. a wait that must be in flight before
  // the container starts); finish() reads it later.
  Result<HttpConnection> begin(std::string_view path, const Query& query, Request request);
  // Reads the whole answer of a begin() request; non-2xx answers are errors.
  Result<Response> finish(HttpConnection& conn);

  // Hijacks a connection (attach): POST with "Connection: Upgrade" and "Upgrade: tcp". Expects
  // 101 (or 200 from old daemons); afterwards the connection is a raw byte stream: read
  // takeBuffered() first, then the fd. The head is stored in `head` when given.
  // `json_body`, when not empty, is sent as an application/json body (exec start).
  Result<HttpConnection> hijack(std::string_view path, const Query& query,
                                ResponseHead* head = nullptr, std::string json_body = {});

 private:
  Result<HttpConnection> connect();
  std::string versioned(std::string_view path) const;

  Endpoint endpoint_;
  std::string version_ = kClientApiVersion;
  bool negotiated_ = false;
};

}  // namespace berth::client
