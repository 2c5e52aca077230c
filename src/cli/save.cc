// berth save: write images to a tar archive (-o FILE, or a non-terminal stdout).

#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addString("output", 'o', "", "Write to a file, instead of STDOUT");
}

std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<int> runSave(Cli& cli, const FlagSet& f) {
  std::string output = f.getString("output");
  if (output.empty()) {
    if (cli.stdoutIsTerminal()) {
      return invalidArgument(
          "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
  } else {
    std::string dir = dirOf(output);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      return errnoError("failed to save image: invalid output path: stat " + dir);
    }
    if (!S_ISDIR(st.st_mode)) {
      return invalidArgument("failed to save image: invalid output path: " + dir +
                             " is not a directory");
    }
  }
  BERTH_TRY(client::ApiClient * api, cli.api());
  client::Query q;
  for (const auto& name : f.args()) q.emplace_back("names", name);
  client::Request req;
  req.method = "GET";
  BERTH_TRY(client::HttpConnection conn, api->openStream("/images/get", q, std::move(req)));

  BERTH_TRY_VOID(saveBody(conn, output, "failed to save image"));
  return 0;
}

}  // namespace

CommandSpec saveCommand() {
  return {"image save", {"save"}, "[OPTIONS] IMAGE [IMAGE...]",
          "Save one or more images to a tar archive (streamed to STDOUT by default)",
          ArgRule::kMin, 1, 0, true, flags, runSave};
}

}  // namespace berth::cli
