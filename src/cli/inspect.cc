// berth inspect / container inspect / image inspect: JSON array output indented like docker's,
// or a -f template per object.

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "base/strings.h"
#include "cli/common.h"
#include "template/template.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addString("format", 'f', "",
              "Format output using a custom template:\n"
              "'json':             Print in JSON format\n"
              "'TEMPLATE':         Print output using the given Go template.\n"
              "Refer to https://docs.docker.com/go/formatting/ for more information about "
              "formatting output with templates");
  f.addBool("size", 's', "Display total file sizes if the type is container");
  f.addString("type", 0, "", "Only inspect objects of the given type");
}

void typedFlags(FlagSet& f) {
  f.addString("format", 'f', "", "Format output using a custom template");
  f.addBool("size", 's', "Display total file sizes");
}

struct Found {
  std::string raw;
};

// Fetches one object's raw JSON; NotFound when the daemon has none of the allowed types.
Result<std::string> fetchRaw(client::ApiClient* api, const std::string& name,
                             const std::string& type, bool size) {
  auto get = [&](const std::string& path, const client::Query& q) -> Result<std::string> {
    BERTH_TRY(client::Response r, api->call("GET", path, q));
    return r.body;
  };
  if (type == "container") {
    client::Query q;
    if (size) q.emplace_back("size", "1");
    return get("/containers/" + name + "/json", q);
  }
  if (type == "image") return get("/images/" + name + "/json", {});
  if (type == "network") return get("/networks/" + name, {});
  // Any type: a container first, then an image (docker tries more types; berth has these).
  client::Query q;
  if (size) q.emplace_back("size", "1");
  auto c = get("/containers/" + name + "/json", q);
  if (c || c.error().code() != ErrorCode::kNotFound) return c;
  auto i = get("/images/" + name + "/json", {});
  if (i || i.error().code() != ErrorCode::kNotFound) return i;
  auto n = get("/networks/" + name, {});
  if (n || n.error().code() != ErrorCode::kNotFound) return n;
  return notFound("Error: No such object: " + name);
}

Result<int> inspectWithType(Cli& cli, const FlagSet& f, const std::string& type) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (!type.empty() && type != "container" && type != "image" && type != "network") {
    return invalidArgument("\"" + type + "\" is not a valid value for --type");
  }
  std::string format = f.getString("format");
  std::optional<tmpl::Template> tmpl;
  if (!format.empty() && format != "json") {
    auto t = tmpl::Template::parse(format);
    if (!t) return t.error().wrap("template parsing error");
    tmpl.emplace(std::move(*t));
  }
  std::vector<std::string> raws;
  std::vector<std::string> errors;
  std::string out;
  for (const auto& name : f.args()) {
    auto raw = fetchRaw(api, name, type, f.getBool("size"));
    if (!raw) {
      std::string msg = raw.error().message();
      errors.push_back(msg);
      continue;
    }
    if (!tmpl) {
      raws.push_back(*raw);
      continue;
    }
    nlohmann::json data = nlohmann::json::parse(*raw, nullptr, false);
    if (data.is_discarded()) return internalError("malformed JSON answer from daemon");
    auto text = tmpl->execute(data);
    if (!text) return text.error().wrap("template parsing error");
    out += *text + "\n";
  }
  if (!tmpl) {
    if (raws.empty()) {
      out = "[]\n";
    } else {
      std::string joined = "[" + join(raws, ",") + "]";
      out = indentJson(joined) + "\n";
    }
  }
  cli.out(out);
  return finishWithErrors(errors);
}

Result<int> runInspect(Cli& cli, const FlagSet& f) {
  return inspectWithType(cli, f, f.getString("type"));
}
Result<int> runContainerInspect(Cli& cli, const FlagSet& f) {
  return inspectWithType(cli, f, "container");
}
Result<int> runImageInspect(Cli& cli, const FlagSet& f) {
  return inspectWithType(cli, f, "image");
}

}  // namespace

CommandSpec inspectCommand() {
  return {"inspect", {}, "[OPTIONS] NAME|ID [NAME|ID...]",
          "Return low-level information on berth objects", ArgRule::kMin, 1, 0, true, flags,
          runInspect};
}

CommandSpec containerInspectCommand() {
  return {"container inspect", {}, "[OPTIONS] CONTAINER [CONTAINER...]",
          "Display detailed information on one or more containers", ArgRule::kMin, 1, 0, true,
          typedFlags, runContainerInspect};
}

CommandSpec imageInspectCommand() {
  return {"image inspect", {}, "[OPTIONS] IMAGE [IMAGE...]",
          "Display detailed information on one or more images", ArgRule::kMin, 1, 0, true,
          typedFlags, runImageInspect};
}

}  // namespace berth::cli
