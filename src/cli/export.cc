// berth export: a container's filesystem as a tar archive (-o FILE, or a non-terminal stdout).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "cli/commands.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) { f.addString("output", 'o', "", "Write to a file, instead of STDOUT"); }

Result<void> writeAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okResult();
}

Result<int> runExport(Cli& cli, const FlagSet& f) {
  std::string output = f.getString("output");
  if (output.empty() && cli.stdoutIsTerminal()) {
    return invalidArgument("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  BERTH_TRY(client::ApiClient * api, cli.api());
  client::Request req;
  req.method = "GET";
  BERTH_TRY(client::HttpConnection conn,
            api->openStream("/containers/" + f.args()[0] + "/export", {}, std::move(req)));
  int fd = STDOUT_FILENO;
  UniqueFd file;
  std::string tmp;
  if (!output.empty()) {
    // Written beside the target and renamed: a failed export leaves no partial file.
    tmp = output + ".berth-export-XXXXXX";
    file.reset(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!file) return errnoError("failed to export container: create " + tmp);
    ::fchmod(file.get(), 0644);
    fd = file.get();
  }
  char buf[64 * 1024];
  for (;;) {
    auto n = conn.readBody(buf, sizeof(buf));
    Result<void> w = okResult();
    if (n && *n > 0) w = writeAll(fd, std::string_view(buf, *n), output.empty() ? "stdout" : tmp);
    if (!n || !w) {
      if (!tmp.empty()) ::unlink(tmp.c_str());
      return n ? std::move(w).error() : std::move(n).error();
    }
    if (*n == 0) break;
  }
  if (!tmp.empty() && ::rename(tmp.c_str(), output.c_str()) != 0) {
    auto e = errnoError("failed to export container: rename " + tmp + " to " + output);
    ::unlink(tmp.c_str());
    return e;
  }
  return 0;
}

}  // namespace

CommandSpec exportCommand() {
  return {"container export", {"export"}, "[OPTIONS] CONTAINER",
          "Export a container's filesystem as a tar archive", ArgRule::kExact, 1, 1, true, flags,
          runExport};
}

}  // namespace berth::cli
