#include "daemon/log_reader.h"

#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "daemon/container.h"

namespace berth::daemon {
namespace {

// Docker's log timestamp: RFC 3339 with exactly 9 fraction digits.
std::string fixedTimestamp(const std::string& time) {
  auto nanos = parseRfc3339Nano(time);
  if (!nanos) return time;
  std::string t = formatRfc3339Nano(*nanos - *nanos % 1000000000);
  t.pop_back();  // Z
  char frac[16];
  snprintf(frac, sizeof(frac), ".%09lld", static_cast<long long>(*nanos % 1000000000));
  return t + frac + "Z";
}

bool selected(const LogEntry& e, const LogReadOptions& o) {
  if (e.stream == 1 && !o.stdout) return false;
  if (e.stream == 2 && !o.stderr) return false;
  if (o.since_nanos || o.until_nanos) {
    auto t = parseRfc3339Nano(e.time);
    if (!t) return false;
    if (o.since_nanos && *t < *o.since_nanos) return false;
    if (o.until_nanos && *t > *o.until_nanos) return false;
  }
  return true;
}

bool emit(const LogEntry& e, const LogReadOptions& o,
          const std::function<bool(int, std::string_view)>& write) {
  // berth records no log attributes (log-opt labels/env), so --details adds the separator only.
  std::string line = o.details ? " " + e.log : e.log;
  if (o.timestamps) return write(e.stream, fixedTimestamp(e.time) + " " + line);
  return write(e.stream, line);
}

}  // namespace

std::optional<LogEntry> parseLogLine(std::string_view line) {
  try {
    auto j = nlohmann::json::parse(line);
    LogEntry e;
    e.log = j.value("log", "");
    e.stream = j.value("stream", "stdout") == "stderr" ? 2 : 1;
    e.time = j.value("time", "");
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Result<void> readContainerLog(const std::string& path, const LogReadOptions& o,
                              const std::function<bool(int, std::string_view)>& write,
                              const std::function<bool()>& running) {
  std::vector<std::string> files;
  for (int i = std::max(o.max_files, 1) + 1; i >= 1; --i) {
    std::string rotated = path + "." + std::to_string(i);
    if (pathExists(rotated)) files.push_back(rotated);
  }
  files.push_back(path);

  std::deque<LogEntry> tail;
  auto deliver = [&](LogEntry e) -> bool {
    if (!selected(e, o)) return true;
    if (o.tail) {
      if (*o.tail <= 0) return true;
      tail.push_back(std::move(e));
      if (static_cast<int64_t>(tail.size()) > *o.tail) tail.pop_front();
      return true;
    }
    return emit(e, o, write);
  };
  std::streamoff offset = 0;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) continue;
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // an incomplete last line: left for follow
      if (auto e = parseLogLine(line); e && !deliver(std::move(*e))) return {};
    }
    if (file == path) {
      in.clear();
      in.seekg(0, std::ios::end);
      offset = in.tellg();
      // Re-read a trailing partial line in follow mode.
      if (!line.empty() && offset >= static_cast<std::streamoff>(line.size())) {
        offset -= static_cast<std::streamoff>(line.size());
      }
    }
  }
  for (auto& e : tail) {
    if (!emit(e, o, write)) return {};
  }
  if (!o.follow) return {};

  std::string pending;
  for (;;) {
    bool alive = running();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size < offset) offset = 0;  // rotated
    std::ifstream in(path);
    if (in) {
      in.seekg(offset);
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      offset += static_cast<std::streamoff>(chunk.size());
      pending += chunk;
      size_t pos;
      while ((pos = pending.find('\n')) != std::string::npos) {
        auto e = parseLogLine(std::string_view(pending).substr(0, pos));
        pending.erase(0, pos + 1);
        if (e && selected(*e, o) && !emit(*e, o, write)) return {};
      }
    }
    if (!alive) return {};
    // An empty write asks the reader whether its client is still there (logs -f of a quiet
    // container must not outlive its client).
    if (!write(1, {})) return {};
    if (o.until_nanos && std::chrono::system_clock::now().time_since_epoch() >
                             std::chrono::nanoseconds(*o.until_nanos)) {
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace berth::daemon
