#include "cli/formatters.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/units.h"
#include "template/format.h"

namespace berth::cli {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

std::string sinceText(int64_t created, int64_t now_ns) {
  return humanDuration(now_ns - created * 1000000000) + " ago";
}

struct Ref {
  std::string name;  // familiar
  std::string tag;
  std::string digest;
};

Ref splitRef(const std::string& ref) {
  Ref r;
  std::string rest = ref;
  if (auto at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  r.name = familiarName(rest);
  return r;
}

}  // namespace

std::string familiarName(const std::string& name) {
  std::string n = name;
  for (const char* prefix : {"docker.io/", "index.docker.io/"}) {
    if (n.starts_with(prefix)) {
      n = n.substr(std::string_view(prefix).size());
      if (n.starts_with("library/") && n.find('/', 8) == std::string::npos) n = n.substr(8);
      break;
    }
  }
  return n;
}

json psHeader() {
  return {{"ID", "CONTAINER ID"},   {"Image", "IMAGE"},       {"Command", "COMMAND"},
          {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
          {"State", "STATE"},        {"Status", "STATUS"},     {"Size", "SIZE"},
          {"Names", "NAMES"},        {"Labels", "LABELS"},     {"Mounts", "MOUNTS"},
          {"LocalVolumes", "LOCAL VOLUMES"}, {"Networks", "NETWORKS"},
          {"Platform", "PLATFORM"}};
}

json imagesHeader() {
  return {{"ID", "IMAGE ID"},          {"Repository", "REPOSITORY"}, {"Tag", "TAG"},
          {"Digest", "DIGEST"},        {"CreatedSince", "CREATED"},  {"CreatedAt", "CREATED AT"},
          {"Size", "SIZE"},            {"Containers", "CONTAINERS"},
          {"VirtualSize", "VIRTUAL SIZE"}, {"SharedSize", "SHARED SIZE"},
          {"UniqueSize", "UNIQUE SIZE"}};
}

json historyHeader(bool human) {
  return {{"ID", "IMAGE"},       {"CreatedSince", human ? "CREATED" : "CREATED AT"}, {"CreatedAt", "CREATED AT"},
          {"CreatedBy", "CREATED BY"}, {"Size", "SIZE"},     {"Comment", "COMMENT"}};
}

std::string displayablePorts(const json& ports) {
  if (!ports.is_array()) return "";
  std::vector<std::string> out;
  for (const auto& p : ports) {
    std::string type = str(p, "Type");
    int64_t priv = num(p, "PrivatePort");
    std::string ip = str(p, "IP");
    if (p.contains("PublicPort") && num(p, "PublicPort") != 0) {
      std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
      out.push_back(host + ":" + std::to_string(num(p, "PublicPort")) + "->" +
                    std::to_string(priv) + "/" + type);
    } else {
      out.push_back(std::to_string(priv) + "/" + type);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return join(out, ", ");
}

json containerRow(const json& c, bool trunc, int64_t now_ns) {
  json row = json::object();
  std::string id = str(c, "Id");
  row["ID"] = trunc ? truncateId(id) : id;

  std::string image = str(c, "Image");
  if (image.empty()) {
    image = "<no image>";
  } else if (trunc) {
    std::string image_id = str(c, "ImageID");
    if (truncateId(image_id) == truncateId(image)) {
      image = truncateId(image);
    } else if (image.find(':') == std::string::npos || image.find('@') != std::string::npos ||
               image.rfind(':') < image.rfind('/') + 1) {
      // Drop a digest ("name@sha256:..." → "name"), keep "name:tag".
      Ref r = splitRef(image);
      if (!r.name.empty()) image = r.tag.empty() ? r.name : r.name + ":" + r.tag;
    } else {
      Ref r = splitRef(image);
      image = r.name + ":" + r.tag;
    }
  }
  row["Image"] = image;

  std::string command = str(c, "Command");
  row["Command"] = goQuote(trunc ? ellipsis(command, 20) : command);
  int64_t created = num(c, "Created");
  row["CreatedAt"] = goTimeString(created);
  row["RunningFor"] = sinceText(created, now_ns);
  row["Ports"] = displayablePorts(c.value("Ports", json::array()));
  row["State"] = str(c, "State");
  row["Status"] = str(c, "Status");

  std::string srw = humanSizeWithPrecision(static_cast<double>(num(c, "SizeRw")), 3);
  int64_t rootfs = num(c, "SizeRootFs");
  row["Size"] = rootfs > 0 ? srw + " (virtual " +
                                 humanSizeWithPrecision(static_cast<double>(rootfs), 3) + ")"
                           : srw;

  std::vector<std::string> names;
  if (auto it = c.find("Names"); it != c.end() && it->is_array()) {
    for (const auto& n : *it) {
      std::string name = n.is_string() ? n.get<std::string>() : "";
      if (name.starts_with("/")) name = name.substr(1);
      names.push_back(name);
    }
  }
  if (trunc) {
    for (const auto& n : names) {
      if (n.find('/') == std::string::npos) {
        names = {n};
        break;
      }
    }
  }
  row["Names"] = join(names, ",");

  std::vector<std::string> labels;
  if (auto it = c.find("Labels"); it != c.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      labels.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  row["Labels"] = join(labels, ",");

  std::vector<std::string> mounts;
  int local_volumes = 0;
  if (auto it = c.find("Mounts"); it != c.end() && it->is_array()) {
    for (const auto& m : *it) {
      std::string name = str(m, "Name");
      if (name.empty()) name = str(m, "Source");
      mounts.push_back(trunc ? ellipsis(name, 15) : name);
      if (str(m, "Driver") == "local") ++local_volumes;
    }
  }
  row["Mounts"] = join(mounts, ",");
  row["LocalVolumes"] = std::to_string(local_volumes);

  std::vector<std::string> networks;
  if (auto ns = c.find("NetworkSettings"); ns != c.end() && ns->is_object()) {
    if (auto nets = ns->find("Networks"); nets != ns->end() && nets->is_object()) {
      for (const auto& [k, v] : nets->items()) networks.push_back(k);
    }
  }
  std::sort(networks.begin(), networks.end());
  row["Networks"] = join(networks, ",");
  row["Platform"] = nullptr;
  return row;
}

std::vector<json> imageRows(const json& img, bool trunc, bool digests, int64_t now_ns) {
  auto make = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
    json row = json::object();
    std::string id = str(img, "Id");
    row["ID"] = trunc ? truncateId(id) : id;
    row["Repository"] = repo;
    row["Tag"] = tag;
    row["Digest"] = digest;
    int64_t created = num(img, "Created");
    row["CreatedSince"] = created == 0 && !img.contains("Created") ? "N/A"
                                                                  : sinceText(created, now_ns);
    row["CreatedAt"] = goTimeString(created);
    double size = static_cast<double>(num(img, "Size"));
    row["Size"] = humanSizeWithPrecision(size, 3);
    int64_t containers = num(img, "Containers", -1);
    row["Containers"] = containers == -1 ? "N/A" : std::to_string(containers);
    int64_t virtual_size = num(img, "VirtualSize", num(img, "Size"));
    row["VirtualSize"] = humanSize(static_cast<double>(virtual_size));
    int64_t shared = num(img, "SharedSize", -1);
    row["SharedSize"] = shared == -1 ? "N/A" : humanSize(static_cast<double>(shared));
    row["UniqueSize"] = shared == -1 || virtual_size == -1
                            ? "N/A"
                            : humanSize(static_cast<double>(virtual_size - shared));
    return row;
  };

  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  if (auto it = img.find("RepoTags"); it != img.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) repo_tags.push_back(t.get<std::string>());
    }
  }
  if (auto it = img.find("RepoDigests"); it != img.end() && it->is_array()) {
    for (const auto& d : *it) {
      if (d.is_string()) repo_digests.push_back(d.get<std::string>());
    }
  }
  bool dangling = (repo_tags.empty() && repo_digests.empty()) ||
                  (repo_tags == std::vector<std::string>{"<none>:<none>"} &&
                   repo_digests == std::vector<std::string>{"<none>@<none>"});
  if (dangling) return {make("<none>", "<none>", "<none>")};

  // Ordered maps keep output stable (docker iterates Go maps, i.e. in random order).
  std::vector<std::pair<std::string, std::vector<std::string>>> tags_by_repo;
  std::vector<std::pair<std::string, std::vector<std::string>>> digests_by_repo;
  auto slot = [](auto& vec, const std::string& key) -> std::vector<std::string>& {
    for (auto& [k, v] : vec) {
      if (k == key) return v;
    }
    vec.emplace_back(key, std::vector<std::string>{});
    return vec.back().second;
  };
  for (const auto& t : repo_tags) {
    Ref r = splitRef(t);
    if (r.tag.empty() || !r.digest.empty()) continue;
    slot(tags_by_repo, r.name).push_back(r.tag);
  }
  for (const auto& d : repo_digests) {
    Ref r = splitRef(d);
    if (r.digest.empty()) continue;
    slot(digests_by_repo, r.name).push_back(r.digest);
  }
  std::vector<json> rows;
  for (const auto& [repo, tags] : tags_by_repo) {
    std::vector<std::string> ds;
    for (auto it = digests_by_repo.begin(); it != digests_by_repo.end(); ++it) {
      if (it->first == repo) {
        ds = it->second;
        digests_by_repo.erase(it);
        break;
      }
    }
    if (!digests) ds.clear();
    for (const auto& tag : tags) {
      if (ds.empty()) {
        rows.push_back(make(repo, tag, "<none>"));
        continue;
      }
      for (const auto& d : ds) rows.push_back(make(repo, tag, d));
    }
  }
  for (const auto& [repo, ds] : digests_by_repo) {
    if (digests) {
      for (const auto& d : ds) rows.push_back(make(repo, "<none>", d));
    } else {
      rows.push_back(make(repo, "<none>", ""));
    }
  }
  return rows;
}

json historyRow(const json& h, bool trunc, bool human, int64_t now_ns) {
  json row = json::object();
  std::string id = str(h, "Id");
  row["ID"] = trunc ? truncateId(id) : id;
  int64_t created = num(h, "Created");
  row["CreatedAt"] = rfc3339(created);
  row["CreatedSince"] = human ? sinceText(created, now_ns) : rfc3339(created);
  std::string by = str(h, "CreatedBy");
  std::replace(by.begin(), by.end(), '\t', ' ');
  row["CreatedBy"] = trunc ? ellipsis(by, 45) : by;
  int64_t size = num(h, "Size");
  row["Size"] = human ? humanSizeWithPrecision(static_cast<double>(size), 3)
                      : std::to_string(size);
  row["Comment"] = str(h, "Comment");
  return row;
}

namespace {

// Go's reflect-based argument check of a `func(string) string` method.
std::optional<Result<std::string>> stringArgument(std::string_view name,
                                                   const std::vector<const json*>& args) {
  if (args.size() != 1) {
    return Result<std::string>(invalidArgument("wrong number of args for " + std::string(name) +
                                               ": want 1 got " + std::to_string(args.size())));
  }
  if (!args[0]->is_string()) {
    return Result<std::string>(invalidArgument("expected string; found " + args[0]->dump()));
  }
  return Result<std::string>(args[0]->get<std::string>());
}

}  // namespace

LabelMethods::LabelMethods(std::map<std::string, json> labels_by_id, std::string id_key) {
  rows_ = std::make_shared<tmpl::MethodResolver>([labels = std::move(labels_by_id),
                                                  id_key = std::move(id_key)](
              const json& row, std::string_view name,
              const std::vector<const json*>& args) -> std::optional<Result<json>> {
    if (name != "Label") return std::nullopt;
    auto key = *stringArgument(name, args);
    if (!key) return Result<json>(key.error());
    auto id = row.find(id_key);
    if (id == row.end() || !id->is_string()) return Result<json>(json(""));
    auto it = labels.find(id->get<std::string>());
    if (it == labels.end() || !it->second.is_object()) return Result<json>(json(""));
    auto v = it->second.find(*key);
    if (v == it->second.end() || !v->is_string()) return Result<json>(json(""));
    return Result<json>(*v);
  });
  header_ = std::make_shared<tmpl::MethodResolver>([](
      const json&, std::string_view name,
      const std::vector<const json*>& args) -> std::optional<Result<json>> {
    if (name != "Label") return std::nullopt;
    auto key = *stringArgument(name, args);
    if (!key) return Result<json>(key.error());
    std::string h = key->substr(key->rfind('.') == std::string::npos ? 0 : key->rfind('.') + 1);
    std::replace(h.begin(), h.end(), '-', ' ');
    std::replace(h.begin(), h.end(), '_', ' ');
    return Result<json>(json(h));
  });
}

Result<std::string> renderFormatted(const std::string& format, const char* default_table,
                                    const json& header, const std::vector<json>& rows,
                                    const tmpl::RowMethods& methods) {
  std::string f = format;
  tmpl::FormatSpec spec = tmpl::parseFormat(f);
  if (f.empty() || (spec.is_table && spec.body.empty())) f = default_table;
  BERTH_TRY(std::string out, tmpl::renderRows(f, header, rows, methods));
  tmpl::FormatSpec final_spec = tmpl::parseFormat(f);
  if (final_spec.is_json || trim(final_spec.body) == "{{json .}}") {
    // docker marshals its formatter contexts with encoding/json, which escapes HTML characters.
    std::string escaped;
    for (char c : out) {
      if (c == '<') escaped += "\\u003c";
      else if (c == '>') escaped += "\\u003e";
      else if (c == '&') escaped += "\\u0026";
      else escaped += c;
    }
    return escaped;
  }
  return out;
}

}  // namespace berth::cli
