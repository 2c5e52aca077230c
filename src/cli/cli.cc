#include "cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "client/host.h"

namespace berth::cli {
namespace {

struct Group {
  const char* name;
  const char* desc;
};

// Management commands: `berth container ...` etc.
const std::vector<Group> kGroups = {
    {"container", "Manage containers"},
    {"image", "Manage images"},
    {"network", "Manage networks"},
    {"system", "Manage berth"},
};

// The top-level command list shown by `berth --help`.
const std::vector<std::pair<const char*, const char*>> kCommonCommands = {
    {"run", "Create and run a new container from an image"},
    {"ps", "List containers"},
    {"images", "List images"},
    {"version", "Show the berth version information"},
    {"info", "Display system-wide information"},
};

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string rootHelp() {
  std::string s =
      "Usage:  berth [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\n"
      "Common Commands:\n";
  for (const auto& [name, desc] : kCommonCommands) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-11s %s\n", name, desc);
    s += line;
  }
  s += "\nManagement Commands:\n";
  for (const auto& g : kGroups) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-11s %s\n", g.name, g.desc);
    s += line;
  }
  s += "\nCommands:\n";
  std::map<std::string, std::string> top;
  for (const auto& c : commands()) {
    if (c.path.find(' ') == std::string::npos) top.emplace(c.path, c.short_desc);
    for (const auto& a : c.aliases) {
      if (a.find(' ') == std::string::npos) top.emplace(a, c.short_desc);
    }
  }
  for (const auto& [name, desc] : top) {
    bool common = std::any_of(kCommonCommands.begin(), kCommonCommands.end(),
                              [&](const auto& p) { return name == p.first; });
    if (common) continue;
    char line[200];
    std::snprintf(line, sizeof(line), "  %-11s %s\n", name.c_str(), desc.c_str());
    s += line;
  }
  s +=
      "\nGlobal Options:\n"
      "      --config string      Location of client config files (not supported yet)\n"
      "  -D, --debug              Enable debug mode\n"
      "  -H, --host string        Daemon socket to connect to (unix:// or tcp://)\n"
      "  -l, --log-level string   Set the logging level (\"debug\", \"info\", \"warn\", "
      "\"error\",\n"
      "                           \"fatal\") (default \"info\")\n"
      "  -v, --version            Print version information and quit\n"
      "\nRun 'berth COMMAND --help' for more information on a command.\n";
  return s;
}

std::string groupHelp(const Group& g) {
  std::string s = std::string("Usage:  berth ") + g.name + " COMMAND\n\n" + g.desc +
                  "\n\nCommands:\n";
  std::map<std::string, std::string> subs;
  std::string prefix = std::string(g.name) + " ";
  for (const auto& c : commands()) {
    auto add = [&](const std::string& path) {
      if (path.starts_with(prefix)) subs.emplace(path.substr(prefix.size()), c.short_desc);
    };
    add(c.path);
    for (const auto& a : c.aliases) {
      if (a.starts_with(prefix) && a.find(' ', prefix.size()) == std::string::npos &&
          c.path.starts_with(prefix)) {
        continue;  // ls/list/ps: only the canonical name is listed
      }
      add(a);
    }
  }
  for (const auto& [name, desc] : subs) {
    char line[200];
    std::snprintf(line, sizeof(line), "  %-11s %s\n", name.c_str(), desc.c_str());
    s += line;
  }
  s += std::string("\nRun 'berth ") + g.name + " COMMAND --help' for more information on a " +
       "command.\n";
  return s;
}

std::string plural(int n) { return n == 1 ? "argument" : "arguments"; }

FlagSet globalFlags() {
  FlagSet f;
  f.addList("host", 'H', "Daemon socket to connect to");
  f.addString("log-level", 'l', "info", "Set the logging level");
  f.addBool("debug", 'D', "Enable debug mode");
  f.addString("config", 0, "", "Location of client config files");
  f.addBool("version", 'v', "Print version information and quit");
  f.addString("context", 'c', "", "Name of the context to use");
  for (const char* tls : {"tls", "tlsverify"}) f.addBool(tls, 0, "Use TLS");
  for (const char* tls : {"tlscacert", "tlscert", "tlskey"}) f.addString(tls, 0, "", "TLS file");
  return f;
}

std::string envOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

// The docker CLI's TLS settings: --tlsverify (default: $DOCKER_TLS_VERIFY set) implies --tls
// (default: $DOCKER_TLS set); files default to $DOCKER_CERT_PATH (else ~/.docker)/{ca,cert,
// key}.pem, the default client certificate only when it exists. nullopt: plain HTTP.
std::optional<tls::TlsFiles> tlsFiles(const FlagSet& global) {
  bool verify = global.changed("tlsverify") ? global.getBool("tlsverify")
                                            : !envOr("DOCKER_TLS_VERIFY", "").empty();
  bool tls = global.getBool("tls") || !envOr("DOCKER_TLS", "").empty() ||
             global.changed("tlsverify") || verify;
  if (!tls) return std::nullopt;
  std::string dir = envOr("DOCKER_CERT_PATH", envOr("HOME", "/root") + "/.docker");
  tls::TlsFiles files;
  files.verify = verify;
  files.ca = global.changed("tlscacert") ? global.getString("tlscacert") : dir + "/ca.pem";
  if (global.changed("tlscert") || global.changed("tlskey")) {
    files.cert = global.changed("tlscert") ? global.getString("tlscert") : dir + "/cert.pem";
    files.key = global.changed("tlskey") ? global.getString("tlskey") : dir + "/key.pem";
  } else if (::access((dir + "/cert.pem").c_str(), R_OK) == 0 &&
             ::access((dir + "/key.pem").c_str(), R_OK) == 0) {
    files.cert = dir + "/cert.pem";
    files.key = dir + "/key.pem";
  }
  return files;
}

}  // namespace

Cli::Cli(std::string host) : host_(std::move(host)) {}

Result<client::ApiClient*> Cli::api() {
  if (!api_) {
    BERTH_TRY(client::Endpoint ep,
              client::parseHost(client::resolveHost(host_), tls_.has_value()));
    if (tls_ && ep.kind == client::Endpoint::Kind::kTcp) {
      BERTH_TRY(tls::TlsContext ctx, tls::TlsContext::client(*tls_));
      ep.tls = std::make_shared<const tls::TlsContext>(std::move(ctx));
    }
    api_ = std::make_unique<client::ApiClient>(std::move(ep));
  }
  return api_.get();
}

void Cli::out(std::string_view text) { writeAll(STDOUT_FILENO, text); }
void Cli::err(std::string_view text) { writeAll(STDERR_FILENO, text); }
bool Cli::stdoutIsTerminal() const { return ::isatty(STDOUT_FILENO) == 1; }
bool Cli::stdinIsTerminal() const { return ::isatty(STDIN_FILENO) == 1; }

Result<void> checkArgs(const CommandSpec& spec, const std::string& invoked_path, size_t n_args) {
  int n = static_cast<int>(n_args);
  std::string what;
  switch (spec.rule) {
    case ArgRule::kAny: return okResult();
    case ArgRule::kNone:
      if (n == 0) return okResult();
      what = "accepts no arguments";
      break;
    case ArgRule::kExact:
      if (n == spec.min_args) return okResult();
      what = "requires " + std::to_string(spec.min_args) + " " + plural(spec.min_args);
      break;
    case ArgRule::kMin:
      if (n >= spec.min_args) return okResult();
      what = "requires at least " + std::to_string(spec.min_args) + " " + plural(spec.min_args);
      break;
    case ArgRule::kMax:
      if (n <= spec.max_args) return okResult();
      what = "requires at most " + std::to_string(spec.max_args) + " " + plural(spec.max_args);
      break;
    case ArgRule::kRange:
      if (n >= spec.min_args && n <= spec.max_args) return okResult();
      what = "requires at least " + std::to_string(spec.min_args) + " and at most " +
             std::to_string(spec.max_args) + " " + plural(spec.max_args);
      break;
  }
  return invalidArgument(std::string(kBinName) + ": '" + invoked_path + "' " + what +
                         "\n\nUsage:  " + invoked_path + " " + spec.use + "\n\nSee '" +
                         invoked_path + " --help' for more information");
}

std::string helpText(const CommandSpec& spec, const std::string& invoked_path) {
  std::string s = "Usage:  " + invoked_path + " " + spec.use + "\n\n" + spec.short_desc + "\n";
  if (!spec.aliases.empty()) {
    std::vector<std::string> all;
    all.push_back(std::string(kBinName) + " " + spec.path);
    for (const auto& a : spec.aliases) all.push_back(std::string(kBinName) + " " + a);
    s += "\nAliases:\n  " + join(all, ", ") + "\n";
  }
  FlagSet flags;
  if (spec.flags) spec.flags(flags);
  if (!flags.empty()) s += "\nOptions:\n" + flags.usages();
  return s;
}

int run(const std::vector<std::string>& args) {
  FlagSet global = globalFlags();
  if (auto r = global.parse(args, /*interspersed=*/false); !r) {
    std::fprintf(stderr, "%s\nSee 'berth --help'.\n", r.error().message().c_str());
    return 125;
  }
  Cli cli("");
  if (global.getBool("version")) {
    cli.out(std::string("berth version ") + kCliVersion + "\n");
    return 0;
  }
  if (global.changed("config")) {
    cli.err("Failed to initialize: --config is not supported yet\n");
    return 1;
  }
  if (global.changed("context")) {
    cli.err("Failed to initialize: --context is not supported yet\n");
    return 1;
  }
  std::string level = global.getString("log-level");
  if (global.getBool("debug")) level = "debug";
  if (level == "debug") log::setLevel(log::Level::kDebug);
  else if (level == "info") log::setLevel(log::Level::kInfo);
  else if (level == "warn") log::setLevel(log::Level::kWarn);
  else if (level == "error" || level == "fatal") log::setLevel(log::Level::kError);
  else {
    cli.err("Unable to parse logging level: " + level + "\n");
    return 1;
  }
  auto hosts = global.getList("host");
  if (hosts.size() > 1) {
    cli.err("Failed to initialize: unable to resolve docker endpoint: Specify only one -H\n");
    return 1;
  }
  cli = Cli(hosts.empty() ? "" : hosts[0]);
  if (auto files = tlsFiles(global)) cli.setTls(std::move(*files));
  if (auto ep = client::parseHost(client::resolveHost(cli.host()), cli.tlsEnabled()); !ep) {
    cli.err("Failed to initialize: unable to resolve berth endpoint: " + ep.error().message() +
            "\n");
    return 1;
  }

  std::vector<std::string> rest = global.args();
  if (rest.empty()) {
    cli.out(rootHelp());
    return global.help() ? 0 : 0;
  }
  if (rest[0] == "help") {
    rest.erase(rest.begin());
    rest.push_back("--help");
    if (rest.size() == 1) {
      cli.out(rootHelp());
      return 0;
    }
  }
  // Find the command: a group and its subcommand, or a top-level command.
  const CommandSpec* spec = nullptr;
  std::string path;
  size_t consumed = 0;
  const Group* group = nullptr;
  for (const auto& g : kGroups) {
    if (rest[0] == g.name) group = &g;
  }
  auto matches = [](const CommandSpec& c, const std::string& p) {
    return c.path == p || std::find(c.aliases.begin(), c.aliases.end(), p) != c.aliases.end();
  };
  if (group != nullptr) {
    if (rest.size() < 2 || rest[1] == "--help" || rest[1] == "-h") {
      cli.out(groupHelp(*group));
      return 0;
    }
    path = std::string(group->name) + " " + rest[1];
    consumed = 2;
  } else {
    path = rest[0];
    consumed = 1;
  }
  for (const auto& c : commands()) {
    if (matches(c, path)) spec = &c;
  }
  if (spec == nullptr) {
    if (group != nullptr) {
      cli.err("berth: unknown command: berth " + path + "\n\nUsage:  berth " + group->name +
              "\n\nRun 'berth " + group->name + " --help' for more information\n");
    } else {
      cli.err("berth: unknown command: berth " + path +
              "\n\nRun 'berth --help' for more information\n");
    }
    return 1;
  }
  std::string invoked = std::string(kBinName) + " " + path;
  cli.command_path = invoked;
  FlagSet flags;
  if (spec->flags) spec->flags(flags);
  std::vector<std::string> cmd_args(rest.begin() + static_cast<long>(consumed), rest.end());
  if (auto r = flags.parse(cmd_args, spec->interspersed); !r) {
    cli.err(r.error().message() + "\n\nUsage:  " + invoked + " " + spec->use + "\n\nRun '" +
            invoked + " --help' for more information\n");
    return 125;
  }
  if (flags.help()) {
    cli.out(helpText(*spec, invoked));
    return 0;
  }
  if (auto r = checkArgs(*spec, invoked, flags.args().size()); !r) {
    cli.err(r.error().message() + "\n");
    return 1;
  }
  auto code = spec->run(cli, flags);
  if (!code) {
    cli.err(code.error().message() + "\n");
    return 1;
  }
  return *code;
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return run(args);
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> kAll = [] {
    std::vector<CommandSpec> all = {
        runCommand(),       createCommand(),       startCommand(),
        stopCommand(),      killCommand(),         restartCommand(),
        rmCommand(),        psCommand(),           logsCommand(),
        waitCommand(),      inspectCommand(),      containerInspectCommand(),
        imageInspectCommand(), imagesCommand(),    importCommand(),
        loadCommand(),      saveCommand(),         tagCommand(),
        rmiCommand(),       historyCommand(),      infoCommand(),
        versionCommand(),   systemPruneCommand(),  containerPruneCommand(),
        imagePruneCommand(),  portCommand(),
        execCommand(),      topCommand(),          renameCommand(),
        pauseCommand(),     unpauseCommand(),      diffCommand(),
        exportCommand(),    commitCommand(),       cpCommand(),
        attachCommand(),
    };
    for (auto& c : networkCommands()) all.push_back(std::move(c));
    return all;
  }();
  return kAll;
}

}  // namespace berth::cli
