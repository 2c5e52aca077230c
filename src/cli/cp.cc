// berth cp: copy files between a container and the local filesystem, with the docker CLI's path
// rules (moby pkg/archive copy.go as the CLI uses it):
//
//   cp CONTAINER:SRC DEST|-      GET /containers/{id}/archive, then extract locally (or the raw
//                                tar to stdout with "-")
//   cp SRC|- CONTAINER:DEST      HEAD (stat) the destination, tar the source with its entries
//                                renamed as the copy needs, PUT into the destination directory
//
// Entry names are rebased as Docker's PrepareArchiveCopy does: into an existing directory
// unchanged; onto an existing file or a new name with the source's base name replaced. Local
// extraction never writes outside the destination directory: libarchive's secure-extraction
// flags refuse "..", and paths through symlinks, relative to the destination (the process
// works from it while extracting).

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/scope_guard.h"
#include "base/unique_fd.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace berth::cli {
namespace {

void flags(FlagSet& f) {
  f.addBool("archive", 'a', "Archive mode (copy all uid/gid information)");
  f.addBool("follow-link", 'L', "Always follow symbol link in SRC_PATH");
  f.addBool("quiet", 'q', "Suppress progress output during copy. Progress output is "
                          "automatically suppressed if no terminal is attached");
}

// Go's os.FileMode bits the CLI needs.
constexpr uint32_t kModeDir = 1u << 31;
constexpr uint32_t kModeSymlink = 1u << 27;
constexpr uint32_t kModeIrregularTypes = (1u << 26) | (1u << 25) | (1u << 24) | (1u << 21) |
                                         (1u << 19);

struct CpArg {
  std::string container, path;
};

CpArg splitCpArg(const std::string& arg) {
  if (arg.starts_with("/")) return {"", arg};
  auto colon = arg.find(':');
  if (colon == std::string::npos || arg.starts_with(".")) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

bool endsWithSep(std::string_view p) { return !p.empty() && p.back() == '/'; }

std::string cleanPath(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string part(path.substr(start, end - start));
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::string baseOf(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return ".";
  if (path == "/") return "/";
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string dirOf(const std::string& cleaned) {
  auto slash = cleaned.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return cleaned.substr(0, slash);
}

bool specifiesCurrentDir(std::string_view path) { return baseOf(path) == "."; }
bool assertsDirectory(std::string_view path) {
  return endsWithSep(path) || specifiesCurrentDir(path);
}

// Docker's archive.SplitPathDirEntry.
std::pair<std::string, std::string> splitPathDirEntry(const std::string& path) {
  std::string cleaned = cleanPath(path);
  if (specifiesCurrentDir(path)) cleaned += "/.";
  return {dirOf(cleaned), baseOf(cleaned)};
}

std::string preserveTrailing(std::string cleaned, const std::string& original) {
  if (!specifiesCurrentDir(cleaned) && specifiesCurrentDir(original)) {
    if (!endsWithSep(cleaned)) cleaned += "/";
    cleaned += ".";
  }
  if (!endsWithSep(cleaned) && endsWithSep(original)) cleaned += "/";
  return cleaned;
}

// An absolute local path, keeping a trailing "/" or "/.".
Result<std::string> resolveLocalPath(const std::string& path) {
  std::string abs = path;
  if (!path.starts_with("/")) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return errnoError("getcwd");
    abs = std::string(cwd) + "/" + path;
  }
  return preserveTrailing(cleanPath(abs), path);
}

// Renames entry `name` when it is `old_base` or below it (Docker's RebaseArchiveEntries).
std::string rebase(const std::string& name, const std::string& old_base,
                   const std::string& new_base) {
  if (old_base.empty() || new_base.empty() || old_base == new_base) return name;
  if (old_base == ".") return name == "." ? new_base : new_base + "/" + name;
  if (name == old_base) return new_base;
  if (name.starts_with(old_base + "/")) return new_base + name.substr(old_base.size());
  return name;
}

Result<void> writeAllFd(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return okResult();
}

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ReadPtr = std::unique_ptr<archive, ReadDeleter>;
using WritePtr = std::unique_ptr<archive, WriteDeleter>;

// ---------------------------------------------------------------------------------------------
// Local → tar

la_ssize_t writeToFd(archive*, void* opaque, const void* buf, size_t len) {
  int fd = *static_cast<int*>(opaque);
  if (!writeAllFd(fd, buf, len)) return -1;
  return static_cast<la_ssize_t>(len);
}

class LocalTar {
 public:
  explicit LocalTar(int out_fd) : out_fd_(out_fd) {}

  Result<void> open() {
    w_.reset(archive_write_new());
    disk_.reset(archive_read_disk_new());
    if (!w_ || !disk_) return internalError("allocate archive");
    archive_read_disk_set_standard_lookup(disk_.get());
    if (archive_write_set_format_pax_restricted(w_.get()) != ARCHIVE_OK ||
        archive_write_open(w_.get(), &out_fd_, nullptr, writeToFd, nullptr) != ARCHIVE_OK) {
      return internalError(std::string("open tar: ") + archive_error_string(w_.get()));
    }
    return okResult();
  }

  // Writes `path` (a symlink is written as itself) as `name`, directories recursively.
  Result<void> add(const std::string& path, const std::string& name) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return errnoError("lstat " + path);
    if (S_ISSOCK(st.st_mode)) return okResult();
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   archive_entry_free);
    archive_entry_copy_sourcepath(entry.get(), path.c_str());
    if (archive_read_disk_entry_from_file(disk_.get(), entry.get(), -1, &st) != ARCHIVE_OK) {
      return internalError("read " + path + ": " + archive_error_string(disk_.get()));
    }
    archive_entry_set_pathname(entry.get(), name.c_str());
    if (archive_write_header(w_.get(), entry.get()) < ARCHIVE_WARN) {
      return internalError("write " + name + ": " + archive_error_string(w_.get()));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd) return errnoError("open " + path);
      std::vector<char> buf(1 << 16);
      for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("read " + path);
        if (n == 0) break;
        if (archive_write_data(w_.get(), buf.data(), static_cast<size_t>(n)) < 0) {
          return internalError("write " + name + ": " + archive_error_string(w_.get()));
        }
      }
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* d = ::opendir(path.c_str());
      if (d == nullptr) return errnoError("open " + path);
      std::vector<std::string> names;
      while (dirent* de = ::readdir(d)) {
        std::string n = de->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        BERTH_TRY_VOID(add((path == "/" ? "" : path) + "/" + n, name + "/" + n));
      }
    }
    return okResult();
  }

  Result<void> close() {
    if (archive_write_close(w_.get()) != ARCHIVE_OK) {
      return internalError(std::string("close tar: ") + archive_error_string(w_.get()));
    }
    return okResult();
  }

 private:
  int out_fd_;
  WritePtr w_;
  ReadPtr disk_;
};

// ---------------------------------------------------------------------------------------------
// tar → local

la_ssize_t readFromConn(archive*, void* opaque, const void** buf) {
  struct Src {
    client::HttpConnection* conn;
    std::vector<char> buf;
  };
  auto* src = static_cast<Src*>(opaque);
  auto n = src->conn->readBody(src->buf.data(), src->buf.size());
  if (!n) return -1;
  *buf = src->buf.data();
  return static_cast<la_ssize_t>(*n);
}

// Extracts the tar from `conn` into `dst_dir`, renaming entries old_base → new_base.
Result<void> extractLocal(client::HttpConnection& conn, const std::string& dst_dir,
                          const std::string& old_base, const std::string& new_base) {
  UniqueFd cwd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (::chdir(dst_dir.c_str()) != 0) return errnoError("chdir " + dst_dir);
  ScopeGuard back([&] {
    if (cwd) (void)!::fchdir(cwd.get());
  });
  struct Src {
    client::HttpConnection* conn;
    std::vector<char> buf;
  } src{&conn, std::vector<char>(1 << 16)};
  ReadPtr r(archive_read_new());
  WritePtr w(archive_write_disk_new());
  if (!r || !w) return internalError("allocate archive");
  archive_read_support_format_tar(r.get());
  archive_read_support_format_empty(r.get());
  archive_write_disk_set_options(
      w.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                   ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
                   ARCHIVE_EXTRACT_UNLINK);
  if (archive_read_open(r.get(), &src, nullptr,
                        reinterpret_cast<archive_read_callback*>(readFromConn),
                        nullptr) != ARCHIVE_OK) {
    return internalError(std::string("read tar: ") + archive_error_string(r.get()));
  }
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(r.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return internalError(std::string("read tar: ") + archive_error_string(r.get()));
    }
    std::string raw = archive_entry_pathname(e);
    while (raw.starts_with("/")) raw.erase(0, 1);
    std::string name = cleanPath(rebase(cleanPath(raw), old_base, new_base));
    if (name == ".." || name.starts_with("../")) {
      return invalidArgument("refusing to extract " + raw + ": path escapes " + dst_dir);
    }
    archive_entry_set_pathname(e, name.c_str());
    if (const char* link = archive_entry_hardlink(e)) {
      std::string target = cleanPath(rebase(cleanPath(link), old_base, new_base));
      archive_entry_set_hardlink(e, target.c_str());
    }
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
    struct stat st;
    if (name != "." && ::lstat(name.c_str(), &st) == 0) {
      std::string shown = dst_dir + "/" + name;
      if (S_ISDIR(st.st_mode) && !is_dir) {
        return invalidArgument("cannot overwrite directory \"" + shown +
                               "\" with non-directory \"" + dst_dir + "\"");
      }
      if (!S_ISDIR(st.st_mode) && is_dir) {
        return invalidArgument("cannot overwrite non-directory \"" + shown +
                               "\" with directory \"" + dst_dir + "\"");
      }
    }
    // The copy belongs to the user running the CLI, as docker cp (NoLchown).
    archive_entry_set_uid(e, ::geteuid());
    archive_entry_set_gid(e, ::getegid());
    if (archive_write_header(w.get(), e) < ARCHIVE_WARN) {
      return internalError("extract " + name + ": " + archive_error_string(w.get()));
    }
    const void* block;
    size_t size;
    la_int64_t offset;
    for (;;) {
      int d = archive_read_data_block(r.get(), &block, &size, &offset);
      if (d == ARCHIVE_EOF) break;
      if (d < ARCHIVE_WARN) {
        return internalError("read " + name + ": " + archive_error_string(r.get()));
      }
      if (archive_write_data_block(w.get(), block, size, offset) < ARCHIVE_WARN) {
        return internalError("extract " + name + ": " + archive_error_string(w.get()));
      }
    }
    if (archive_write_finish_entry(w.get()) < ARCHIVE_WARN) {
      return internalError("extract " + name + ": " + archive_error_string(w.get()));
    }
  }
  if (archive_write_close(w.get()) != ARCHIVE_OK) {
    return internalError(std::string("extract: ") + archive_error_string(w.get()));
  }
  return okResult();
}

// ---------------------------------------------------------------------------------------------

struct PathStat {
  std::string name, link_target;
  uint32_t mode = 0;
};

Result<std::string> headerValue(const client::ResponseHead& head) {
  std::string v = head.header("X-Docker-Container-Path-Stat");
  if (v.empty()) return internalError("unable to get container path stat: header missing");
  return v;
}

std::string base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Result<PathStat> parseStat(const std::string& header) {
  auto j = nlohmann::json::parse(base64Decode(header), nullptr, false);
  if (!j.is_object()) return internalError("unable to decode container path stat header");
  PathStat s;
  s.name = j.value("name", "");
  s.link_target = j.value("linkTarget", "");
  s.mode = j.value("mode", 0u);
  return s;
}

Result<PathStat> statPath(client::ApiClient& api, const std::string& container,
                          const std::string& path) {
  client::Request req;
  req.method = "HEAD";
  client::ResponseHead head;
  auto conn = api.openStream("/containers/" + container + "/archive", {{"path", path}},
                             std::move(req), &head);
  if (!conn) {
    if (conn.error().code() == ErrorCode::kNotFound) {
      return notFound("Error: No such container:path: " + container + ":" + path);
    }
    return conn.error();
  }
  BERTH_TRY(std::string v, headerValue(head));
  return parseStat(v);
}

Result<int> copyFromContainer(Cli& cli, const std::string& container, std::string src,
                              std::string dst, bool follow) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (dst != "-") {
    BERTH_TRY(dst, resolveLocalPath(dst));
    std::string dir = dirOf(cleanPath(dst));
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
      return invalidArgument("invalid output path: directory \"" + dir + "\" does not exist");
    }
  }
  std::string rebase_name;
  if (follow) {
    auto st = statPath(*api, container, src);
    if (st && (st->mode & kModeSymlink)) {
      std::string target = st->link_target;
      if (!target.starts_with("/")) target = cleanPath(splitPathDirEntry(src).first + "/" + target);
      // Docker's GetRebaseName: the copy keeps the name the user gave.
      target = preserveTrailing(target, src);
      rebase_name = splitPathDirEntry(src).second;
      src = target;
    }
  }
  client::Request req;
  req.method = "GET";
  client::ResponseHead head;
  BERTH_TRY(client::HttpConnection conn,
            api->openStream("/containers/" + container + "/archive", {{"path", src}},
                            std::move(req), &head));
  if (dst == "-") {
    char buf[1 << 16];
    for (;;) {
      BERTH_TRY(size_t n, conn.readBody(buf, sizeof buf));
      if (n == 0) break;
      BERTH_TRY_VOID(writeAllFd(STDOUT_FILENO, buf, n));
    }
    return 0;
  }
  BERTH_TRY(std::string hv, headerValue(head));
  BERTH_TRY(PathStat stat, parseStat(hv));
  bool src_is_dir = (stat.mode & kModeDir) != 0;
  // The daemon names the entries after the last element of the path it was asked for.
  std::string entry_base = splitPathDirEntry(src).second;
  if (entry_base == "/") entry_base = ".";

  // Docker's CopyInfoDestinationPath: follow symlinks at the destination.
  std::string path = dst;
  bool exists = false, is_dir = false;
  struct stat st;
  int rc = ::lstat(path.c_str(), &st);
  for (int n = 0; rc == 0 && S_ISLNK(st.st_mode); ++n) {
    if (n > 10) return invalidArgument("too many symlinks in " + dst);
    char buf[PATH_MAX];
    ssize_t len = ::readlink(path.c_str(), buf, sizeof buf);
    if (len < 0) return errnoError("readlink " + path);
    std::string target(buf, static_cast<size_t>(len));
    if (!target.starts_with("/")) target = splitPathDirEntry(path).first + "/" + target;
    path = cleanPath(target);
    rc = ::lstat(path.c_str(), &st);
  }
  if (rc == 0) {
    exists = true;
    is_dir = S_ISDIR(st.st_mode);
  } else {
    if (errno != ENOENT) return errnoError("lstat " + path);
    std::string parent = splitPathDirEntry(path).first;
    struct stat pst;
    if (::stat(parent.c_str(), &pst) != 0) return errnoError("stat " + parent);
    if (!S_ISDIR(pst.st_mode)) return invalidArgument("not a directory");
  }
  // Docker's PrepareArchiveCopy.
  auto [dst_dir, dst_base] = splitPathDirEntry(path);
  std::string to = rebase_name.empty() ? entry_base : rebase_name;
  std::string extract_dir;
  if (exists && is_dir) {
    extract_dir = path;
  } else if (exists && src_is_dir) {
    return invalidArgument("cannot copy directory");
  } else if (exists || src_is_dir) {
    extract_dir = dst_dir;
    to = dst_base;
  } else if (assertsDirectory(path)) {
    return notFound("no such directory");
  } else {
    extract_dir = dst_dir;
    to = dst_base;
  }
  BERTH_TRY_VOID(extractLocal(conn, extract_dir, entry_base, to));
  return 0;
}

Result<int> copyToContainer(Cli& cli, const std::string& container, std::string src,
                            const std::string& dst, bool follow, bool copy_uid_gid) {
  BERTH_TRY(client::ApiClient * api, cli.api());
  if (src != "-") {
    BERTH_TRY(src, resolveLocalPath(src));
  }
  std::string dst_path = dst;
  auto dst_stat = statPath(*api, container, dst);
  if (dst_stat && (dst_stat->mode & kModeSymlink)) {
    std::string target = dst_stat->link_target;
    if (!target.starts_with("/")) target = cleanPath(splitPathDirEntry(dst).first + "/" + target);
    dst_path = target;
    dst_stat = statPath(*api, container, target);
  }
  if (dst_stat && (dst_stat->mode & kModeIrregularTypes)) {
    return invalidArgument("destination \"" + container + ":" + dst +
                           "\" must be a directory or a regular file");
  }
  bool exists = dst_stat.ok();
  bool is_dir = exists && (dst_stat->mode & kModeDir);

  client::Query q;
  q.emplace_back("noOverwriteDirNonDir", "true");
  if (copy_uid_gid) q.emplace_back("copyUIDGID", "true");
  client::Request req;
  req.method = "PUT";
  req.headers = {{"Content-Type", "application/x-tar"}};

  if (src == "-") {
    if (!is_dir) {
      return invalidArgument("destination \"" + container + ":" + dst + "\" must be a directory");
    }
    q.emplace_back("path", dst_path);
    req.body_fd = STDIN_FILENO;
    BERTH_TRY(client::HttpConnection conn, api->openStream("/containers/" + container + "/archive",
                                                           q, std::move(req)));
    (void)conn;
    return 0;
  }

  // Docker's CopyInfoSourcePath / ResolveHostSourcePath.
  std::string resolved = src;
  std::string rebase_name;
  {
    auto [dir, base] = splitPathDirEntry(src);
    if (follow) {
      char buf[PATH_MAX];
      if (::realpath(src.c_str(), buf) == nullptr) return errnoError("lstat " + src);
      resolved = preserveTrailing(buf, src);
      if (baseOf(cleanPath(resolved)) != baseOf(cleanPath(src))) rebase_name = baseOf(src);
    } else if (endsWithSep(src) || specifiesCurrentDir(src)) {
      char buf[PATH_MAX];
      if (::realpath(src.c_str(), buf) == nullptr) return errnoError("lstat " + src);
      resolved = preserveTrailing(buf, src);
    } else {
      char buf[PATH_MAX];
      if (::realpath(dir.c_str(), buf) == nullptr) return errnoError("lstat " + src);
      resolved = std::string(buf) + (std::string(buf) == "/" ? "" : "/") + base;
    }
  }
  struct stat st;
  std::string lstat_path = specifiesCurrentDir(resolved) ? cleanPath(resolved) : resolved;
  if (::lstat(lstat_path.c_str(), &st) != 0) return errnoError("lstat " + src);
  bool src_is_dir = S_ISDIR(st.st_mode);
  auto [src_dir, src_base] = splitPathDirEntry(resolved);
  std::string entry_name = rebase_name.empty() ? src_base : rebase_name;

  // Docker's PrepareArchiveCopy: where to extract and how to name the entries.
  auto [dst_dir, dst_base] = splitPathDirEntry(dst_path);
  std::string extract_dir;
  if (exists && is_dir) {
    extract_dir = dst_path;
  } else if (exists && src_is_dir) {
    return invalidArgument("cannot copy directory");
  } else if (exists || src_is_dir) {
    extract_dir = dst_dir;
    entry_name = dst_base;
  } else if (assertsDirectory(dst_path)) {
    return notFound("no such directory");
  } else {
    extract_dir = dst_dir;
    entry_name = dst_base;
  }
  q.emplace_back("path", extract_dir);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errnoError("pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  req.body_fd = rd.get();
  // A thread writes the tar into the pipe that the request streams (chunked) to the daemon.
  Result<void> produced = okResult();
  std::string source_path = src_base == "." ? cleanPath(resolved) : lstat_path;
  std::thread producer([&] {
    LocalTar tar(wr.get());
    produced = tar.open();
    if (produced) produced = tar.add(source_path, entry_name);
    if (produced) produced = tar.close();
    wr.reset();
  });
  auto conn = api->openStream("/containers/" + container + "/archive", q, std::move(req));
  rd.reset();
  producer.join();
  if (!produced) return std::move(produced).error();
  if (!conn) return std::move(conn).error();
  return 0;
}

Result<int> runCp(Cli& cli, const FlagSet& f) {
  const std::string& source = f.args()[0];
  const std::string& destination = f.args()[1];
  if (source.empty()) return invalidArgument("source can not be empty");
  if (destination.empty()) return invalidArgument("destination can not be empty");
  CpArg src = splitCpArg(source);
  CpArg dst = splitCpArg(destination);
  if (!src.container.empty() && !dst.container.empty()) {
    return invalidArgument("copying between containers is not supported");
  }
  if (src.container.empty() && dst.container.empty()) {
    return invalidArgument("must specify at least one container source");
  }
  if (!src.container.empty()) {
    return copyFromContainer(cli, src.container, src.path, dst.path, f.getBool("follow-link"));
  }
  return copyToContainer(cli, dst.container, src.path, dst.path, f.getBool("follow-link"),
                         f.getBool("archive"));
}

}  // namespace

CommandSpec cpCommand() {
  return {"container cp",
          {"cp"},
          "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- "
          "CONTAINER:DEST_PATH",
          "Copy files/folders between a container and the local filesystem",
          ArgRule::kExact,
          2,
          2,
          true,
          flags,
          runCp};
}

}  // namespace berth::cli
