#pragma once
// Reads a container's json-file log (the shim writes it; see shim/json_log.h), rotated files
// included (<path>.N … <path>.1, then <path>), as GET /containers/{id}/logs: stream selection,
// since/until, tail, timestamps, and follow (polling the file while `running()` holds).
// Thread-safe (no shared state).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::daemon {

struct LogReadOptions {
  bool stdout = true;
  bool stderr = true;
  bool timestamps = false;
  bool details = false;  // Docker's --details: the entry's attributes and a space before it
  bool follow = false;
  std::optional<int64_t> tail;  // nullopt = all lines
  std::optional<int64_t> since_nanos, until_nanos;
  int max_files = 1;  // how many rotated files may exist
};

// One decoded log entry.
struct LogEntry {
  int stream = 1;  // 1 stdout, 2 stderr
  std::string log;
  std::string time;  // RFC 3339 nano as written
};

// Parses one line of the log; nullopt for a malformed line (skipped, as moby does).
std::optional<LogEntry> parseLogLine(std::string_view line);

// Calls write(stream, bytes) for each selected entry (prefixed with its time in Docker's fixed
// 9-digit form and a space when timestamps). Stops early when write returns false. While
// following an idle log it calls write(1, "") every poll: return false there to stop.
Result<void> readContainerLog(const std::string& path, const LogReadOptions& options,
                              const std::function<bool(int, std::string_view)>& write,
                              const std::function<bool()>& running);

}  // namespace berth::daemon
