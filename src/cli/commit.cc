// berth commit: create a new image from a container's changes.

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addString("author", 'a', "",
              "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  f.addList("change", 'c', "Apply Dockerfile instruction to the created image");
  f.addString("message", 'm', "", "Commit message");
  f.add({"pause", 'p', FlagKind::kBool, "true", "Pause container during commit", "", false, {}});
}

Result<int> runCommit(Cli& cli, const FlagSet& f) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  client::Query q;
  q.emplace_back("container", f.args()[0]);
  std::string repo, tag;
  if (f.args().size() > 1) {
    std::string ref = f.args()[1];
    if (ref.find('@') != std::string::npos) {
      return invalidArgument("refusing to create a tag with a digest reference");
    }
    auto slash = ref.rfind('/');
    auto colon = ref.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
      repo = ref.substr(0, colon);
      tag = ref.substr(colon + 1);
    } else {
      repo = ref;
      tag = "latest";
    }
  }
  q.emplace_back("repo", repo);
  q.emplace_back("tag", tag);
  q.emplace_back("comment", f.getString("message"));
  q.emplace_back("author", f.getString("author"));
  for (const auto& c : f.getList("change")) q.emplace_back("changes", c);
  if (f.changed("pause") && !f.getBool("pause")) q.emplace_back("pause", "0");
  nlohmann::json body = nullptr;
  BERTH_TRY(nlohmann::json out, api->postJson("/commit", q, &body));
  cli.out(out.value("Id", "") + "\n");
  return 0;
}

}  // namespace

CommandSpec commitCommand() {
  return {"container commit", {"commit"}, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
          "Create a new image from a container's changes", ArgRule::kRange, 1, 2, true, flags,
          runCommit};
}

}  // namespace berth::cli
