#include "cli/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "client/stream.h"

namespace berth::cli {

Result<void> validateFilter(const std::string& value) {
  if (value.find('=') == std::string::npos) {
    return invalidArgument("bad format of filter (expected name=value)");
  }
  return okResult();
}

std::string filtersJson(const std::vector<std::string>& filters) {
  if (filters.empty()) return "";
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : filters) {
    auto [k, v] = splitOnce(f, '=');
    j[std::string(trim(toLower(k)))][std::string(trim(v))] = true;
  }
  return j.dump();
}

std::string indentJson(std::string_view raw, std::string_view indent) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  bool need_indent = false;  // after '[' or '{': newline+indent before the next value
  auto newline = [&] {
    out += '\n';
    for (int i = 0; i < depth; ++i) out += indent;
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < raw.size()) {
        out += raw[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (need_indent && c != ']' && c != '}') {
      need_indent = false;
      ++depth;
      newline();
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        need_indent = true;
        break;
      case ']':
      case '}':
        if (need_indent) {
          need_indent = false;  // empty: "{}" / "[]"
        } else {
          --depth;
          newline();
        }
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

Result<void> writeStream(client::StdStream s, std::string_view data) {
  int fd = s == client::StdStream::kStderr ? STDERR_FILENO : STDOUT_FILENO;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write output");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okResult();
}

}  // namespace

Result<void> copyOutput(Cli&, client::HttpConnection& conn, bool tty) {
  client::FrameDemuxer demux;
  char buf[32 * 1024];
  for (;;) {
    BERTH_TRY(size_t n, conn.readBody(buf, sizeof(buf)));
    if (n == 0) return okResult();
    if (tty) {
      BERTH_TRY_VOID(writeStream(client::StdStream::kStdout, std::string_view(buf, n)));
    } else {
      BERTH_TRY_VOID(demux.feed(std::string_view(buf, n), writeStream));
    }
  }
}

Result<void> copyHijackedOutput(Cli&, std::string buffered, int fd, bool tty) {
  client::FrameDemuxer demux;
  auto emit = [&](std::string_view data) -> Result<void> {
    if (tty) return writeStream(client::StdStream::kStdout, data);
    return demux.feed(data, writeStream);
  };
  if (!buffered.empty()) BERTH_TRY_VOID(emit(buffered));
  char buf[32 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return okResult();
      return errnoError("read attach stream");
    }
    if (n == 0) return okResult();
    BERTH_TRY_VOID(emit(std::string_view(buf, static_cast<size_t>(n))));
  }
}

Result<int> finishWithErrors(const std::vector<std::string>& errors) {
  if (errors.empty()) return 0;
  return Error(ErrorCode::kInternal, join(errors, "\n"));
}

bool promptForConfirmation(Cli& cli, const std::string& message) {
  cli.out(message + "\nAre you sure you want to continue? [y/N] ");
  std::string answer;
  char c;
  while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') answer += c;
  answer = std::string(trim(answer));
  return answer == "y" || answer == "Y";
}

Result<void> saveBody(client::HttpConnection& conn, const std::string& output,
                      const std::string& what) {
  int fd = STDOUT_FILENO;
  UniqueFd file;
  std::string tmp;
  if (!output.empty()) {
    tmp = output + ".berth-XXXXXX";
    file.reset(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!file) return errnoError(what + ": create " + tmp);
    ::fchmod(file.get(), 0644);
    fd = file.get();
  }
  auto fail = [&](Error e) -> Result<void> {
    if (!tmp.empty()) ::unlink(tmp.c_str());
    return e;
  };
  char buf[64 * 1024];
  for (;;) {
    auto n = conn.readBody(buf, sizeof(buf));
    if (!n) return fail(std::move(n).error());
    if (*n == 0) break;
    std::string_view data(buf, *n);
    while (!data.empty()) {
      ssize_t w = ::write(fd, data.data(), data.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail(errnoError(what + ": write " + (tmp.empty() ? "stdout" : tmp)));
      data.remove_prefix(static_cast<size_t>(w));
    }
  }
  if (!tmp.empty() && (::fsync(fd) != 0 || ::rename(tmp.c_str(), output.c_str()) != 0)) {
    return fail(errnoError(what + ": rename " + tmp + " to " + output));
  }
  return okResult();
}

}  // namespace berth::cli
