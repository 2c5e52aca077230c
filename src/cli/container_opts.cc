#include "cli/container_opts.h"

#include <cstdlib>
#include <set>

#include "base/file_util.h"
#include "base/strings.h"
#include "cli/network_opts.h"
#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

void addContainerFlags(FlagSet& f, bool for_run) {
  f.addList("attach", 'a', "Attach to STDIN, STDOUT or STDERR");
  f.addList("cap-add", 0, "Add Linux capabilities");
  f.addList("cap-drop", 0, "Drop Linux capabilities");
  f.addString("cpus", 0, "", "Number of CPUs", "decimal");
  f.validate([](const std::string& v) -> Result<void> {
    auto c = parseCpus(v);
    if (!c) return std::move(c).error();
    return okResult();
  });
  if (for_run) {
    f.addBool("detach", 'd', "Run container in background and print container ID");
    f.addString("detach-keys", 0, "", "Override the key sequence for detaching a container");
  }
  f.addString("domainname", 0, "", "Container NIS domain name");
  f.addString("entrypoint", 0, "", "Overwrite the default ENTRYPOINT of the image");
  f.addList("env", 'e', "Set environment variables");
  f.addList("env-file", 0, "Read in a file of environment variables");
  f.addString("hostname", 'h', "", "Container host name");
  f.addBool("init", 0,
            "Run an init inside the container that forwards signals and reaps processes");
  f.addBool("interactive", 'i', "Keep STDIN open even if not attached");
  f.addList("label", 'l', "Set meta data on a container");
  f.addString("log-driver", 0, "", "Logging driver for the container (berth has json-file)");
  f.addList("log-opt", 0, "Log driver options");
  f.addString("memory", 'm', "", "Memory limit", "bytes");
  f.validate([](const std::string& v) -> Result<void> {
    auto m = ramInBytes(v);
    if (!m) return std::move(m).error();
    return okResult();
  });
  f.addString("name", 0, "", "Assign a name to the container");
  f.addString("network", 0, "", "Connect a container to a network", "network");
  f.addInt("pids-limit", 0, 0, "Tune container pids limit (set -1 for unlimited)");
  f.addBool("privileged", 0, "Give extended privileges to this container");
  f.addString("pull", 0, "missing", "Pull image before running (\"never\"|\"missing\")");
  f.addBool("read-only", 0, "Mount the container's root filesystem as read only");
  f.addBool("rm", 0, "Automatically remove the container and its associated anonymous volumes "
                     "when it exits");
  if (for_run) f.addBool("sig-proxy", 0, "Proxy received signals to the process (default true)");
  f.addString("stop-signal", 0, "", "Signal to stop the container");
  f.addInt("stop-timeout", 0, 0, "Timeout (in seconds) to stop a container");
  f.addBool("tty", 't', "Allocate a pseudo-TTY");
  f.addList("ulimit", 0, "Ulimit options", "ulimit");
  f.validate([](const std::string& v) -> Result<void> {
    auto u = parseUlimit(v);
    if (!u) return std::move(u).error();
    return okResult();
  });
  f.addString("user", 'u', "", "Username or UID (format: <name|uid>[:<group|gid>])");
  f.addList("volume", 'v', "Bind mount a volume");
  f.addString("workdir", 'w', "", "Working directory inside the container");
  addNetworkFlags(f);
}

Result<std::vector<std::string>> parseEnvFileContent(
    const std::string& content, const std::string& path,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::vector<std::string> out;
  auto lines = split(content, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (i == 0 && line.starts_with("\xEF\xBB\xBF")) line = line.substr(3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    std::string_view l = std::string_view(line).substr(start);
    if (l.starts_with("#")) continue;
    bool has_eq = false;
    auto [name, value] = splitOnce(l, '=', &has_eq);
    if (name.empty()) {
      return invalidArgument("no variable name on line '" + std::string(l) + "'");
    }
    if (name.find_first_of(" \t") != std::string_view::npos) {
      return invalidArgument("variable '" + std::string(name) + "' contains whitespaces");
    }
    if (has_eq) {
      out.push_back(std::string(name) + "=" + std::string(value));
    } else if (auto v = lookup(std::string(name)); v) {
      out.push_back(std::string(name) + "=" + *v);
    }
  }
  (void)path;
  return out;
}

Result<VolumeSpec> parseVolume(const std::string& spec) {
  auto parts = split(spec, ':');
  auto bad = [&](const std::string& why) {
    return invalidArgument("invalid spec: " + spec + ": " + why);
  };
  if (spec.empty()) return bad("empty section between colons");
  if (parts.size() == 1) {
    if (!spec.starts_with("/")) return bad("invalid volume specification");
    return notImplemented("anonymous volumes are not supported yet: " + spec);
  }
  if (parts.size() > 3) return bad("too many colons");
  for (const auto& p : parts) {
    if (p.empty()) return bad("empty section between colons");
  }
  VolumeSpec v{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  if (!v.target.starts_with("/")) {
    return invalidArgument("invalid volume specification: '" + spec +
                           "': invalid mount config for type \"bind\": invalid mount path: '" +
                           v.target + "' mount path must be absolute");
  }
  if (!v.source.starts_with("/")) {
    return notImplemented("named volumes are not supported yet: " + spec +
                          " (use an absolute host path to bind-mount)");
  }
  static const std::set<std::string> kModes = {"ro", "rw", "z", "Z", "private", "rprivate",
                                               "shared", "rshared", "slave", "rslave",
                                               "nocopy", "consistent", "cached", "delegated"};
  if (!v.mode.empty()) {
    for (const auto& m : split(v.mode, ',')) {
      if (!kModes.count(m)) return bad("invalid mode: " + m);
    }
  }
  return v;
}

Result<Ulimit> parseUlimit(const std::string& spec) {
  auto bad = [&] { return invalidArgument("invalid ulimit argument: " + spec); };
  bool has_eq = false;
  auto [name, limits] = splitOnce(spec, '=', &has_eq);
  if (!has_eq || name.empty()) return bad();
  static const std::set<std::string> kNames = {
      "as",     "core",   "cpu",     "data",  "fsize",  "locks",    "memlock", "msgqueue",
      "nice",   "nofile", "nproc",   "rss",   "rtprio", "rttime",   "sigpending", "stack"};
  if (!kNames.count(std::string(name))) {
    return invalidArgument("invalid ulimit type: " + std::string(name));
  }
  bool has_colon = false;
  auto [soft, hard] = splitOnce(limits, ':', &has_colon);
  auto s = parseInt(soft);
  if (!s) return invalidArgument("invalid ulimit soft value: " + std::string(soft));
  int64_t h = *s;
  if (has_colon) {
    auto hv = parseInt(hard);
    if (!hv) return invalidArgument("invalid ulimit hard value: " + std::string(hard));
    h = *hv;
  }
  if (*s > h) {
    return invalidArgument("ulimit soft limit must be less than or equal to hard limit: " +
                           std::to_string(*s) + " > " + std::to_string(h));
  }
  return Ulimit{std::string(name), *s, h};
}

Result<int64_t> parseCpus(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || v < 0) {
    return invalidArgument("failed to parse " + text + " as a rational number");
  }
  double nanos = v * 1e9;
  if (nanos != static_cast<double>(static_cast<int64_t>(nanos))) {
    return invalidArgument("value is too precise");
  }
  return static_cast<int64_t>(nanos);
}

Result<ContainerRequest> buildContainerRequest(const FlagSet& f, bool for_run) {
  ContainerRequest req;
  const auto& args = f.args();
  req.image = args.empty() ? "" : args[0];
  req.name = f.getString("name");
  req.pull = f.getString("pull");
  if (req.pull != "missing" && req.pull != "never") {
    if (req.pull == "always") {
      return notImplemented("--pull=always is not supported: berth cannot pull images yet");
    }
    return invalidArgument("invalid pull option: '" + req.pull +
                           "': must be one of \"always\", \"missing\" or \"never\"");
  }
  if (f.getBool("init")) return notImplemented("--init is not supported yet");

  bool detach = for_run && f.getBool("detach");
  bool interactive = f.getBool("interactive");
  req.tty = f.getBool("tty");
  req.auto_remove = f.getBool("rm");

  // Attach streams (docker: -a, or all of stdout/stderr (+stdin with -i) when not detached).
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  auto attach = f.getList("attach");
  if (!attach.empty()) {
    if (detach) return invalidArgument("conflicting options: cannot specify both --attach and --detach");
    for (const auto& a : attach) {
      std::string s = toLower(a);
      if (s == "stdin") attach_stdin = true;
      else if (s == "stdout") attach_stdout = true;
      else if (s == "stderr") attach_stderr = true;
      else return invalidArgument("valid streams are STDIN, STDOUT and STDERR");
    }
  } else if (for_run && !detach) {
    attach_stdout = attach_stderr = true;
    attach_stdin = interactive;
  } else if (!for_run) {
    attach_stdin = interactive;
  }
  req.attach_stdin = attach_stdin;

  // Environment: --env-file first, then -e, as docker does.
  std::vector<std::string> env;
  auto lookup = [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  for (const auto& path : f.getList("env-file")) {
    auto content = readFile(path);
    if (!content) return std::move(content).error();
    BERTH_TRY(auto vars, parseEnvFileContent(*content, path, lookup));
    env.insert(env.end(), vars.begin(), vars.end());
  }
  for (const auto& e : f.getList("env")) {
    if (e.find('=') == std::string::npos) {
      if (auto v = lookup(e)) {
        env.push_back(e + "=" + *v);
        continue;
      }
    }
    if (e.starts_with("=")) return invalidArgument("invalid environment variable: " + e);
    env.push_back(e);
  }

  json labels = json::object();
  for (const auto& l : f.getList("label")) {
    auto [k, v] = splitOnce(l, '=');
    labels[std::string(k)] = std::string(v);
  }

  json binds = json::array();
  for (const auto& v : f.getList("volume")) {
    BERTH_TRY(VolumeSpec spec, parseVolume(v));
    binds.push_back(v);
  }

  json config = json::object();
  config["Hostname"] = f.getString("hostname");
  config["Domainname"] = f.getString("domainname");
  config["User"] = f.getString("user");
  config["AttachStdin"] = attach_stdin;
  config["AttachStdout"] = attach_stdout;
  config["AttachStderr"] = attach_stderr;
  config["Tty"] = req.tty;
  config["OpenStdin"] = interactive;
  config["StdinOnce"] = interactive && attach_stdin;
  config["Env"] = env;
  if (args.size() > 1) {
    config["Cmd"] = std::vector<std::string>(args.begin() + 1, args.end());
  } else {
    config["Cmd"] = nullptr;
  }
  config["Image"] = req.image;
  config["WorkingDir"] = f.getString("workdir");
  if (f.changed("entrypoint")) {
    std::string ep = f.getString("entrypoint");
    // docker: --entrypoint "" resets the image's entrypoint ([""]).
    config["Entrypoint"] = std::vector<std::string>{ep};
  } else {
    config["Entrypoint"] = nullptr;
  }
  config["Labels"] = labels;
  if (f.changed("stop-signal")) config["StopSignal"] = f.getString("stop-signal");
  if (f.changed("stop-timeout")) config["StopTimeout"] = f.getInt("stop-timeout");

  json host = json::object();
  host["Binds"] = binds.empty() ? json(nullptr) : binds;
  host["AutoRemove"] = req.auto_remove;
  host["Privileged"] = f.getBool("privileged");
  host["ReadonlyRootfs"] = f.getBool("read-only");
  host["CapAdd"] = f.getList("cap-add");
  host["CapDrop"] = f.getList("cap-drop");
  if (f.changed("memory")) {
    BERTH_TRY(int64_t mem, ramInBytes(f.getString("memory")));
    host["Memory"] = mem;
  }
  if (f.changed("cpus")) {
    auto cpus = parseCpus(f.getString("cpus"));
    if (!cpus) {
      return invalidArgument("invalid argument \"" + f.getString("cpus") +
                             "\" for \"--cpus\" flag: " + cpus.error().message());
    }
    host["NanoCpus"] = *cpus;
  }
  if (f.getInt("pids-limit") != 0) host["PidsLimit"] = f.getInt("pids-limit");
  json ulimits = json::array();
  for (const auto& u : f.getList("ulimit")) {
    BERTH_TRY(Ulimit ul, parseUlimit(u));
    ulimits.push_back({{"Name", ul.name}, {"Soft", ul.soft}, {"Hard", ul.hard}});
  }
  if (!ulimits.empty()) host["Ulimits"] = ulimits;
  // The daemon validates the driver and its options (it knows which it implements).
  json log_config = {{"Type", f.getString("log-driver")}, {"Config", json::object()}};
  for (const auto& opt : f.getList("log-opt")) {
    auto eq = opt.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalidArgument("invalid log opt '" + opt + "': expected key=value");
    }
    log_config["Config"][opt.substr(0, eq)] = opt.substr(eq + 1);
  }
  host["LogConfig"] = log_config;

  json networking = {{"EndpointsConfig", json::object()}};
  BERTH_TRY_VOID(applyNetworkFlags(f, config, host, networking));
  config["HostConfig"] = host;
  config["NetworkingConfig"] = networking;
  req.body = std::move(config);
  return req;
}

}  // namespace berth::cli
