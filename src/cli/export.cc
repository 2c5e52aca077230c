// berth export: a container's filesystem as a tar archive (-o FILE, or a non-terminal stdout).

#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) { f.addString("output", 'o', "", "Write to a file, instead of STDOUT"); }

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
  BERTH_TRY_VOID(saveBody(conn, output, "failed to export container"));
  return 0;
}

}  // namespace

CommandSpec exportCommand() {
  return {"container export", {"export"}, "[OPTIONS] CONTAINER",
          "Export a container's filesystem as a tar archive", ArgRule::kExact, 1, 1, true, flags,
          runExport};
}

}  // namespace berth::cli
