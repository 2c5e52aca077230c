#include "daemon/berthd.h"

#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include "api/http/server.h"
#include "api/router.h"
#include "api/routes/containers_backend.h"
#include "api/routes/networks_backend.h"
#include "api/routes/system_backend.h"
#include "base/file_util.h"
#include "base/log.h"
#include "base/strings.h"
#include "daemon/config.h"
#include "daemon/container_service.h"
#include "daemon/events_service.h"
#include "daemon/exec_service.h"
#include "daemon/image_service.h"
#include "daemon/network_service.h"
#include "daemon/system_service.h"
#include "runtime/cgroups/cgroup_manager.h"
#include "tls/tls.h"

namespace berth::daemon {
namespace {

log::Level levelOf(const std::string& level) {
  if (level == "debug") return log::Level::kDebug;
  if (level == "warn") return log::Level::kWarn;
  if (level == "error" || level == "fatal") return log::Level::kError;
  return log::Level::kInfo;
}

std::string selfDir() {
  char buf[PATH_MAX] = {};
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  return std::filesystem::path(std::string(buf, static_cast<size_t>(n))).parent_path().string();
}

// Refuses to start when the pidfile names a live berthd; writes our pid otherwise.
Result<void> writePidfile(const std::string& path) {
  if (auto text = readFile(path)) {
    if (auto pid = parseInt(trim(*text)); pid && *pid > 0 && *pid != getpid()) {
      auto comm = readFile("/proc/" + std::to_string(*pid) + "/comm");
      if (comm && trim(*comm) == "berthd") {
        return conflict("pid file found, ensure berthd is not running or delete " + path);
      }
    }
  }
  auto parent = std::filesystem::path(path).parent_path().string();
  if (!parent.empty()) BERTH_TRY_VOID(makeDirs(parent));
  return writeFileAtomic(path, std::to_string(getpid()) + "\n");
}

}  // namespace

int runBerthd(const std::vector<std::string>& args) {
  // Block the stop signals before any thread exists: they are taken with sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto loaded = loadDaemonConfig(args);
  if (!loaded) {
    fprintf(stderr, "berthd: %s\n", loaded.error().message().c_str());
    return 1;
  }
  DaemonConfig config = std::move(*loaded);
  if (config.show_help) {
    fputs(daemonUsage().c_str(), stdout);
    return 0;
  }
  if (config.show_version) {
    printf("berthd version %s\n", kBerthVersion);
    return 0;
  }
  auto fail = [](const Error& e) {
    log::error(e.message());
    fprintf(stderr, "berthd: %s\n", e.message().c_str());
    return 1;
  };
  if (auto r = log::configure("", log::Format::kText, levelOf(config.log_level)); !r) {
    return fail(r.error());
  }
  if (auto r = writePidfile(config.pidfile); !r) return fail(r.error());
  struct PidfileRemover {
    std::string path;
    ~PidfileRemover() { ::unlink(path.c_str()); }
  } pidfile_remover{config.pidfile};

  for (const auto& dir : {config.data_root, config.exec_root}) {
    if (auto r = makeDirs(dir, 0711); !r) return fail(r.error());
  }

  EventsService events;
  auto images =
      ImageService::open(config.data_root + "/image", events.sink(), config.storage_driver);
  if (!images) return fail(images.error().wrap("open image store"));

  NetworkServiceOptions net_options;
  net_options.data_root = config.data_root;
  net_options.exec_root = config.exec_root;
  net_options.bridge = config.bridge;
  net_options.bip = config.bip;
  net_options.fixed_cidr = config.fixed_cidr;
  net_options.mtu = config.mtu;
  net_options.default_gateway = config.default_gateway;
  net_options.icc = config.icc;
  net_options.ip_masq = config.ip_masq;
  net_options.iptables = config.iptables;
  net_options.default_bind_ip = config.default_bind_ip;
  net_options.dns = config.dns;
  net_options.dns_search = config.dns_search;
  net_options.dns_options = config.dns_opts;
  auto networks = NetworkService::open(net_options, events.sink());
  if (!networks) return fail(networks.error().wrap("open networks"));

  ContainerServiceOptions options;
  options.data_root = config.data_root;
  options.exec_root = config.exec_root;
  options.shim_binary = selfDir() + "/berth-shim";
  for (const auto& u : config.default_ulimits) {
    options.default_ulimits.push_back({u.name, u.soft, u.hard});
  }
  options.log_max_size = config.log_max_size;
  options.log_max_files = config.log_max_files;
  options.network = networks->get();
  auto containers = ContainerService::open(options, images->get(), events.sink());
  if (!containers) return fail(containers.error().wrap("load containers"));
  ContainerService* svc = containers->get();
  (*networks)->setContainerHooks(svc);
  (*images)->setUsageCheck([svc](const std::string& id) { return svc->imageUser(id); });
  auto execs = ExecService::open(svc, events.sink());
  if (!execs) return fail(execs.error().wrap("start exec service"));

  SystemService system(&config, svc, images->get(), &events);
  api::Router router;
  api::routes::addSystemRoutes(router, system);
  api::routes::addContainerRoutes(router, *svc);
  api::routes::addExecRoutes(router, **execs);
  api::routes::addContainerFsRoutes(router, *svc);
  system.setNetworks(networks->get());
  api::routes::addNetworkRoutes(router, **networks);
  (*images)->addRoutes(router);

  api::HttpServerOptions server_options;
  server_options.server_header = std::string("berth/") + kBerthVersion + " (linux)";
  if (config.tls) {
    auto tls_ctx = tls::TlsContext::server(
        {config.tls_ca, config.tls_cert, config.tls_key, config.tls_verify});
    if (!tls_ctx) return fail(tls_ctx.error().wrap("configure TLS"));
    server_options.wrap_tcp = [ctx = *tls_ctx](UniqueFd tcp,
                                               api::HttpServerOptions::AdoptFn adopt) {
      tls::acceptTlsBridge(std::move(tcp), ctx, std::move(adopt));
    };
  }
  api::HttpServer server(router.asHandler(), server_options);
  for (const auto& host : config.hosts) {
    auto bound = server.addListener(host);
    if (!bound) return fail(bound.error());
    log::info("API listen on " + *bound);
    if (host.starts_with("tcp://") && !config.tls_verify) {
      log::warn("API listens on " + *bound + " without --tlsverify: anyone who can reach it " +
                "has root on this host");
    }
  }
  if (auto r = server.start(); !r) return fail(r.error());
  log::info(std::string("berthd ") + kBerthVersion + " started (data root " + config.data_root +
            ", storage driver " + (*images)->driverName() + ")");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("received signal " + std::to_string(sig) + ": shutting down (containers keep running)");
  server.stop(std::chrono::seconds(5));
  containers->reset();
  networks->reset();  // bridges and rules of running containers stay, as Docker's
  // The parent of the containers' cgroups (/berth/<id>) goes once no container is left in it.
  runtime::cgroups::removeIfEmpty("/berth");
  for (const auto& host : config.hosts) {
    if (host.starts_with("unix://")) ::unlink(host.substr(7).c_str());
  }
  log::info("berthd stopped");
  return 0;
}

}  // namespace berth::daemon
