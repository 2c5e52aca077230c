#pragma once
// Helpers shared by the command files.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cli/cli.h"
#include "client/http_connection.h"

namespace berth::cli {

// --filter values: "name=value" (docker's filters.Args); the flag validator.
Result<void> validateFilter(const std::string& value);
// The "filters" query parameter: {"name":{"value":true},...} ("" for none).
std::string filtersJson(const std::vector<std::string>& filters);

// Go's json.Indent(dst, src, prefix="", indent): insignificant whitespace dropped, tokens kept
// byte for byte (so the daemon's escaping and key order survive), "{}"/"[]" kept compact.
std::string indentJson(std::string_view raw, std::string_view indent = "    ");

// Copies a logs/attach body to stdout/stderr: demultiplexed unless `tty` (raw to stdout).
// Reads until EOF of the body (`raw_fd` >= 0: read the hijacked socket after `buffered`).
Result<void> copyOutput(Cli& cli, client::HttpConnection& conn, bool tty);
Result<void> copyHijackedOutput(Cli& cli, std::string buffered, int fd, bool tty);
// Writes the rest of a response body (an archive: save, export) to `output`, or to stdout when
// it is "". A file is written beside its target, fsynced and renamed, so a failure leaves no
// partial file; errors start with `what` ("failed to save image").
Result<void> saveBody(client::HttpConnection& conn, const std::string& output,
                      const std::string& what);

// docker's pattern for commands over several objects: errors are gathered, printed together at
// the end, one per line, and the exit code is 1 if there was any.
Result<int> finishWithErrors(const std::vector<std::string>& errors);

// Reads an answer "yes" to docker's "Are you sure you want to continue? [y/N] " prompt.
bool promptForConfirmation(Cli& cli, const std::string& message);

}  // namespace berth::cli
