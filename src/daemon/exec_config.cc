#include "daemon/exec_config.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "base/strings.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

Result<json> parseObject(std::string_view body, const char* what) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return invalidArgument(std::string("invalid ") + what + " body: not a JSON object");
  }
  return j;
}

template <typename T>
Result<void> field(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    return invalidArgument(std::string("invalid value for ") + key);
  }
  return {};
}

Result<std::optional<std::pair<unsigned, unsigned>>> consoleSize(const json& j) {
  auto it = j.find("ConsoleSize");
  if (it == j.end() || it->is_null()) return std::optional<std::pair<unsigned, unsigned>>();
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() ||
      !(*it)[1].is_number_integer() || (*it)[0].get<int64_t>() < 0 || (*it)[1].get<int64_t>() < 0) {
    return invalidArgument("invalid ConsoleSize: expected [height, width]");
  }
  return std::optional<std::pair<unsigned, unsigned>>(
      std::make_pair((*it)[0].get<unsigned>(), (*it)[1].get<unsigned>()));
}

}  // namespace

Result<ExecConfig> parseExecConfig(std::string_view body) {
  BERTH_TRY(json j, parseObject(body, "exec config"));
  ExecConfig c;
  BERTH_TRY_VOID(field(j, "User", &c.User));
  BERTH_TRY_VOID(field(j, "Privileged", &c.Privileged));
  BERTH_TRY_VOID(field(j, "Tty", &c.Tty));
  BERTH_TRY(c.ConsoleSize, consoleSize(j));
  BERTH_TRY_VOID(field(j, "AttachStdin", &c.AttachStdin));
  BERTH_TRY_VOID(field(j, "AttachStderr", &c.AttachStderr));
  BERTH_TRY_VOID(field(j, "AttachStdout", &c.AttachStdout));
  BERTH_TRY_VOID(field(j, "Detach", &c.Detach));
  BERTH_TRY_VOID(field(j, "DetachKeys", &c.DetachKeys));
  BERTH_TRY_VOID(field(j, "Env", &c.Env));
  BERTH_TRY_VOID(field(j, "WorkingDir", &c.WorkingDir));
  BERTH_TRY_VOID(field(j, "Cmd", &c.Cmd));
  if (c.Cmd.empty()) return invalidArgument("No exec command specified");
  if (!c.WorkingDir.empty() && c.WorkingDir[0] != '/') {
    return invalidArgument("the working directory '" + c.WorkingDir +
                           "' is invalid, it needs to be an absolute path");
  }
  for (const auto& e : c.Env) {
    if (e.empty() || e[0] == '=') return invalidArgument("invalid environment variable: " + e);
  }
  return c;
}

Result<ExecStartConfig> parseExecStart(std::string_view body) {
  BERTH_TRY(json j, parseObject(body, "exec start"));
  ExecStartConfig s;
  BERTH_TRY_VOID(field(j, "Detach", &s.Detach));
  BERTH_TRY_VOID(field(j, "Tty", &s.Tty));
  BERTH_TRY(s.ConsoleSize, consoleSize(j));
  return s;
}

std::string execInspectJson(const ExecInspect& e) {
  json process = {
      {"tty", e.config.Tty},
      {"entrypoint", e.config.Cmd.empty() ? std::string() : e.config.Cmd.front()},
      {"arguments", e.config.Cmd.size() > 1
                        ? std::vector<std::string>(e.config.Cmd.begin() + 1, e.config.Cmd.end())
                        : std::vector<std::string>()},
      {"privileged", e.config.Privileged}};
  if (!e.config.User.empty()) process["user"] = e.config.User;
  json j = json::object();
  j["ID"] = e.id;
  j["Running"] = e.running;
  j["ExitCode"] = e.exit_code ? json(*e.exit_code) : json(nullptr);
  j["ProcessConfig"] = process;
  j["OpenStdin"] = e.config.AttachStdin;
  j["OpenStderr"] = e.config.AttachStderr;
  j["OpenStdout"] = e.config.AttachStdout;
  j["CanRemove"] = e.can_remove;
  j["ContainerID"] = e.container_id;
  j["DetachKeys"] = e.config.DetachKeys;
  j["Pid"] = e.pid;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string execEventAction(std::string_view verb, const std::vector<std::string>& cmd) {
  std::string out = std::string(verb) + ": " + (cmd.empty() ? std::string() : cmd.front()) + " ";
  for (std::size_t i = 1; i < cmd.size(); ++i) {
    if (i > 1) out += " ";
    out += cmd[i];
  }
  return out;
}

Result<std::vector<std::string>> topPsArgs(std::string_view ps_args) {
  if (ps_args.empty()) ps_args = "-ef";
  static const std::regex relabel(R"(\s+([^\s]*)=\s*(PID[^\s]*))");
  std::string text(ps_args);
  std::smatch m;
  if (std::regex_search(text, m, relabel)) {
    return invalidArgument("specifying \"" + m[1].str() + "=" + m[2].str() + "\" is not allowed");
  }
  std::vector<std::string> args;
  for (const std::string& a : split(ps_args, ' ')) args.push_back(a);
  return args;
}

Result<std::string> topFromPsOutput(std::string_view output, const std::set<pid_t>& pids) {
  std::vector<std::string> lines = split(output, '\n');
  std::vector<std::string> titles;
  if (!lines.empty()) {
    for (const std::string& f : split(lines[0], ' ')) {
      if (!f.empty()) titles.push_back(f);
    }
  }
  int pid_index = -1;
  for (std::size_t i = 0; i < titles.size(); ++i) {
    if (titles[i] == "PID") pid_index = static_cast<int>(i);
  }
  if (pid_index < 0) return invalidArgument("Couldn't find PID field in ps output");
  json procs = json::array();
  for (std::size_t l = 1; l < lines.size(); ++l) {
    std::string_view line = lines[l];
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (pos < line.size() && fields.size() + 1 < titles.size()) {
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos >= line.size()) break;
      std::size_t end = line.find_first_of(" \t", pos);
      if (end == std::string_view::npos) end = line.size();
      fields.emplace_back(line.substr(pos, end - pos));
      pos = end;
    }
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos < line.size()) fields.emplace_back(line.substr(pos));
    if (fields.empty()) continue;
    if (static_cast<int>(fields.size()) <= pid_index) continue;
    char* end = nullptr;
    long pid = std::strtol(fields[pid_index].c_str(), &end, 10);
    if (end == fields[pid_index].c_str() || *end != '\0') {
      return invalidArgument("Unexpected pid '" + fields[pid_index] + "'");
    }
    if (pids.count(static_cast<pid_t>(pid)) == 0) continue;
    procs.push_back(fields);
  }
  json out = {{"Titles", titles}, {"Processes", procs}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string withExecIds(std::string inspect_json, const std::vector<std::string>& ids) {
  if (ids.empty()) return inspect_json;
  // ordered_json: the document keeps Docker's key order.
  auto j = nlohmann::ordered_json::parse(inspect_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return inspect_json;
  j["ExecIDs"] = ids;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace berth::daemon
