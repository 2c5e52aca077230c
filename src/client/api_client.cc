#include "client/api_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::client {
namespace {

ErrorCode codeForStatus(int status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 401: return ErrorCode::kUnauthorized;
    case 403: return ErrorCode::kForbidden;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 501: return ErrorCode::kNotImplemented;
    case 503: return ErrorCode::kUnavailable;
    default: return ErrorCode::kInternal;
  }
}

const char* statusText(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// As the Go client: 1xx/3xx other than errors are not failures (304 "not modified" answers a
// start of a running container or a stop of a stopped one).
bool isSuccess(int status) { return status >= 200 && status < 400; }

}  // namespace

std::string urlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string buildTarget(std::string_view path, const Query& query) {
  std::string target(path);
  char sep = '?';
  for (const auto& [k, v] : query) {
    target += sep;
    target += urlEncode(k);
    target += '=';
    target += urlEncode(v);
    sep = '&';
  }
  return target;
}

int compareVersions(std::string_view a, std::string_view b) {
  auto pa = split(a, '.');
  auto pb = split(b, '.');
  size_t n = std::max(pa.size(), pb.size());
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < pa.size() ? parseInt(pa[i]).value_or(0) : 0;
    int64_t y = i < pb.size() ? parseInt(pb[i]).value_or(0) : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

Error errorFromResponse(int status, std::string_view body) {
  std::string message;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("message") && j["message"].is_string()) {
    message = j["message"].get<std::string>();
  } else {
    message = std::string(trim(body));
  }
  if (message.empty()) {
    message = std::string("request returned ") + statusText(status) +
              " for API route and version, check if the server supports the requested API "
              "version";
    return Error(codeForStatus(status), message);
  }
  return Error(codeForStatus(status), "Error response from daemon: " + message);
}

ApiClient::ApiClient(Endpoint endpoint) : endpoint_(std::move(endpoint)) {
  const char* fixed = std::getenv("DOCKER_API_VERSION");
  if (fixed != nullptr && *fixed != '\0') {
    version_ = fixed;
    negotiated_ = true;
  }
}

Result<HttpConnection> ApiClient::connect() {
  auto conn = HttpConnection::open(endpoint_);
  if (!conn && conn.error().code() == ErrorCode::kUnavailable) {
    return Error(ErrorCode::kUnavailable, "Cannot connect to the berth daemon at " +
                                              endpoint_.url + ". Is the berth daemon running?",
                 conn.error().sysErrno());
  }
  return conn;
}

std::string ApiClient::versioned(std::string_view path) const {
  return "/v" + version_ + std::string(path);
}

Result<ResponseHead> ApiClient::ping() {
  BERTH_TRY(HttpConnection conn, connect());
  Request req;
  req.method = "GET";
  req.target = "/_ping";
  BERTH_TRY_VOID(conn.send(req));
  BERTH_TRY(ResponseHead head, conn.readHead());
  BERTH_TRY(std::string body, conn.readAllBody(1 << 20));
  if (!isSuccess(head.status) && head.header("api-version").empty()) {
    return errorFromResponse(head.status, body);
  }
  return head;
}

Result<void> ApiClient::negotiate() {
  if (negotiated_) return okResult();
  BERTH_TRY(ResponseHead head, ping());
  std::string server = head.header("api-version");
  if (server.empty()) server = "1.24";
  version_ = compareVersions(server, kClientApiVersion) < 0 ? server : kClientApiVersion;
  negotiated_ = true;
  return okResult();
}

Result<Response> ApiClient::call(const std::string& method, std::string_view path,
                                 const Query& query, std::string body, bool json_body) {
  Request req;
  req.method = method;
  req.body = std::move(body);
  if (json_body) req.headers.emplace_back("Content-Type", "application/json");
  Response resp;
  BERTH_TRY(HttpConnection conn, openStream(path, query, std::move(req), &resp.head));
  BERTH_TRY(resp.body, conn.readAllBody());
  return resp;
}

Result<nlohmann::json> ApiClient::getJson(std::string_view path, const Query& query) {
  BERTH_TRY(Response resp, call("GET", path, query));
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded()) {
    return internalError("malformed JSON answer from daemon for " + std::string(path));
  }
  return j;
}

Result<nlohmann::json> ApiClient::postJson(std::string_view path, const Query& query,
                                           const nlohmann::json* body) {
  BERTH_TRY(Response resp, call("POST", path, query, body ? body->dump() : std::string(),
                                body != nullptr));
  if (trim(resp.body).empty()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded()) {
    return internalError("malformed JSON answer from daemon for " + std::string(path));
  }
  return j;
}

Result<HttpConnection> ApiClient::openStream(std::string_view path, const Query& query,
                                             Request request, ResponseHead* head_out) {
  BERTH_TRY_VOID(negotiate());
  BERTH_TRY(HttpConnection conn, connect());
  request.target = buildTarget(versioned(path), query);
  BERTH_TRY_VOID(conn.send(request));
  BERTH_TRY(ResponseHead head, conn.readHead(request.method == "HEAD"));
  if (!isSuccess(head.status)) {
    auto body = conn.readAllBody(1 << 20);
    return errorFromResponse(head.status, body ? *body : std::string());
  }
  if (head_out != nullptr) *head_out = std::move(head);
  return conn;
}

Result<HttpConnection> ApiClient::begin(std::string_view path, const Query& query,
                                        Request request) {
  BERTH_TRY_VOID(negotiate());
  BERTH_TRY(HttpConnection conn, connect());
  request.target = buildTarget(versioned(path), query);
  BERTH_TRY_VOID(conn.send(request));
  return conn;
}

Result<Response> ApiClient::finish(HttpConnection& conn) {
  Response resp;
  BERTH_TRY(resp.head, conn.readHead());
  BERTH_TRY(resp.body, conn.readAllBody());
  if (!isSuccess(resp.head.status)) return errorFromResponse(resp.head.status, resp.body);
  return resp;
}

Result<HttpConnection> ApiClient::hijack(std::string_view path, const Query& query,
                                         ResponseHead* head_out, std::string json_body) {
  BERTH_TRY_VOID(negotiate());
  BERTH_TRY(HttpConnection conn, connect());
  Request req;
  req.method = "POST";
  req.target = buildTarget(versioned(path), query);
  req.headers = {{"Content-Type", "text/plain"}, {"Connection", "Upgrade"}, {"Upgrade", "tcp"}};
  if (!json_body.empty()) {
    req.headers[0].second = "application/json";
    req.body = std::move(json_body);
  }
  BERTH_TRY_VOID(conn.send(req));
  BERTH_TRY(ResponseHead head, conn.readHead());
  if (head.status != 101 && head.status != 200) {
    auto body = conn.readAllBody(1 << 20);
    return errorFromResponse(head.status, body ? *body : std::string());
  }
  if (head_out != nullptr) *head_out = std::move(head);
  return conn;
}

}  // namespace berth::client
