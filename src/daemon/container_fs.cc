#include "daemon/container_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file_util.h"
#include "base/strings.h"
#include "base/time_format.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

// Go's os.FileMode bits.
constexpr uint32_t kGoModeDir = 1u << 31;
constexpr uint32_t kGoModeSymlink = 1u << 27;
constexpr uint32_t kGoModeDevice = 1u << 26;
constexpr uint32_t kGoModeNamedPipe = 1u << 25;
constexpr uint32_t kGoModeSocket = 1u << 24;
constexpr uint32_t kGoModeSetuid = 1u << 23;
constexpr uint32_t kGoModeSetgid = 1u << 22;
constexpr uint32_t kGoModeCharDevice = 1u << 21;
constexpr uint32_t kGoModeSticky = 1u << 20;

std::string joinChild(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

Result<std::vector<std::string>> sortedNames(const std::string& dir) {
  BERTH_TRY(auto names, listDirectory(dir));
  std::sort(names.begin(), names.end());
  return names;
}

bool lstatOk(const std::string& path, struct stat* st) { return ::lstat(path.c_str(), st) == 0; }

bool isWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool isOpaque(const std::string& path) {
  char v[4];
  ssize_t n = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

class OverlayWalk {
 public:
  OverlayWalk(const std::string& upper, const std::vector<std::string>& lowers)
      : upper_(upper), lowers_(lowers) {}

  Result<void> walk(const std::string& rel) {
    BERTH_TRY(auto names, sortedNames(rel == "/" ? upper_ : upper_ + rel));
    for (const auto& name : names) {
      if (name.starts_with(".wh..wh.")) continue;  // aufs metadata
      std::string path = joinChild(rel, name);
      struct stat st;
      if (!lstatOk(upper_ + path, &st)) return errnoError("stat " + upper_ + path);
      visit(path, st);
      if (S_ISDIR(st.st_mode)) BERTH_TRY_VOID(walk(path));
    }
    return {};
  }

  std::vector<FsChange> take() { return std::move(changes_); }

 private:
  bool inLower(const std::string& path, struct stat* lower) const {
    for (const auto& l : lowers_) {
      if (lstatOk(l + path, lower)) return true;
    }
    return false;
  }

  void visit(const std::string& path, const struct stat& st) {
    FsChange change{path, ChangeKind::kAdded};
    struct stat lower;
    bool deleted = isWhiteout(st) || (S_ISDIR(st.st_mode) && isOpaque(upper_ + path) &&
                                      inLower(path, &lower));
    if (deleted) {
      change.kind = ChangeKind::kDeleted;
    } else if (inLower(path, &lower)) {
      if (S_ISDIR(lower.st_mode) && S_ISDIR(st.st_mode) && lower.st_size == st.st_size &&
          lower.st_mode == st.st_mode && lower.st_mtim.tv_sec == st.st_mtim.tv_sec &&
          lower.st_mtim.tv_nsec == st.st_mtim.tv_nsec) {
        return;  // only here as the parent of a change
      }
      change.kind = ChangeKind::kModified;
    }
    if (S_ISDIR(st.st_mode)) changed_dirs_.insert(path);
    if (change.kind != ChangeKind::kModified) {
      std::string parent = path.substr(0, path.rfind('/'));
      if (!parent.empty() && !changed_dirs_.count(parent)) {
        changes_.push_back({parent, ChangeKind::kModified});
        changed_dirs_.insert(parent);
      }
    }
    changes_.push_back(std::move(change));
  }

  std::string upper_;
  std::vector<std::string> lowers_;
  std::set<std::string> changed_dirs_;
  std::vector<FsChange> changes_;
};

std::string linkTarget(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool differs(const std::string& a_path, const struct stat& a, const std::string& b_path,
             const struct stat& b) {
  if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
      a.st_rdev != b.st_rdev) {
    return true;
  }
  if (S_ISDIR(a.st_mode)) return false;  // a directory's size and mtime say little
  if (a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
      a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) {
    return true;
  }
  return S_ISLNK(a.st_mode) && linkTarget(a_path) != linkTarget(b_path);
}

// vfs: compares `tree` with `base` below `rel`; a directory with a change below it is reported
// modified (before its children), as moby's naive diff.
Result<void> compareTrees(const std::string& tree, const std::string& base, const std::string& rel,
                          std::vector<FsChange>& out) {
  std::string dir = rel == "/" ? tree : tree + rel;
  std::string base_dir = rel == "/" ? base : base + rel;
  BERTH_TRY(auto names, sortedNames(dir));
  auto old_names = sortedNames(base_dir);
  std::set<std::string> present(names.begin(), names.end());
  if (old_names.ok()) {
    for (const auto& name : *old_names) {
      if (!present.count(name)) out.push_back({joinChild(rel, name), ChangeKind::kDeleted});
    }
  }
  for (const auto& name : names) {
    std::string path = joinChild(rel, name);
    struct stat st, old;
    if (!lstatOk(tree + path, &st)) return errnoError("stat " + tree + path);
    bool existed = lstatOk(base + path, &old);
    size_t mark = out.size();
    if (!existed) {
      out.push_back({path, ChangeKind::kAdded});
    } else if (differs(tree + path, st, base + path, old)) {
      out.push_back({path, ChangeKind::kModified});
    }
    if (S_ISDIR(st.st_mode)) {
      if (existed && S_ISDIR(old.st_mode)) {
        BERTH_TRY_VOID(compareTrees(tree, base, path, out));
        if (out.size() > mark && (out[mark].path != path)) {
          out.insert(out.begin() + static_cast<std::ptrdiff_t>(mark),
                     {path, ChangeKind::kModified});
        }
      } else {
        // A new directory (or one that replaced a non-directory): everything below is new.
        std::vector<FsChange> below;
        BERTH_TRY_VOID(compareTrees(tree, "/nonexistent-berth-base", path, below));
        for (auto& c : below) out.push_back(std::move(c));
      }
    }
  }
  return {};
}

}  // namespace

std::string cleanSlashPath(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  for (auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
      continue;
    }
    parts.push_back(p);
  }
  std::string out = (rooted ? "/" : "") + join(parts, "/");
  return out.empty() ? "." : out;
}

std::string slashBase(std::string_view path) {
  if (path.empty()) return ".";
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return "/";
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

ContainerPath splitContainerPath(std::string_view path) {
  std::string cleaned = cleanSlashPath("/" + std::string(path));
  auto endsWithSep = [](std::string_view s) { return !s.empty() && s.back() == '/'; };
  if (slashBase(cleaned) != "." && slashBase(path) == "." && !path.empty()) {
    if (!endsWithSep(cleaned)) cleaned += "/";
    cleaned += ".";
  }
  if (!endsWithSep(cleaned) && endsWithSep(path)) cleaned += "/";
  ContainerPath out;
  out.abs = cleaned;
  auto slash = cleaned.rfind('/');
  out.dir = cleaned.substr(0, slash + 1);
  out.base = cleaned.substr(slash + 1);
  return out;
}

uint32_t goFileMode(mode_t m) {
  uint32_t out = m & 0777;
  switch (m & S_IFMT) {
    case S_IFBLK: out |= kGoModeDevice; break;
    case S_IFCHR: out |= kGoModeDevice | kGoModeCharDevice; break;
    case S_IFDIR: out |= kGoModeDir; break;
    case S_IFIFO: out |= kGoModeNamedPipe; break;
    case S_IFLNK: out |= kGoModeSymlink; break;
    case S_IFSOCK: out |= kGoModeSocket; break;
    default: break;
  }
  if (m & S_ISGID) out |= kGoModeSetgid;
  if (m & S_ISUID) out |= kGoModeSetuid;
  if (m & S_ISVTX) out |= kGoModeSticky;
  return out;
}

std::string pathStatJson(const PathStat& s) {
  // Docker's field order (types.ContainerPathStat).
  nlohmann::ordered_json j = {{"name", s.name},
            {"size", s.size},
            {"mode", s.mode},
            {"mtime", formatRfc3339Nano(s.mtime_nanos)},
            {"linkTarget", s.link_target}};
  return j.dump();
}

std::string base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string pathStatHeader(const PathStat& stat) { return base64Encode(pathStatJson(stat)); }

Result<std::vector<FsChange>> overlayChanges(const std::string& upper,
                                             const std::vector<std::string>& lowers) {
  OverlayWalk walk(upper, lowers);
  BERTH_TRY_VOID(walk.walk("/"));
  return walk.take();
}

Result<std::vector<FsChange>> treeChanges(const std::string& tree, const std::string& base_tree) {
  std::vector<FsChange> out;
  BERTH_TRY_VOID(compareTrees(tree, base_tree, "/", out));
  return out;
}

std::vector<FsChange> withoutInitStubs(std::vector<FsChange> changes) {
  static const std::set<std::string> kInit = {
      "/.dockerenv", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab",
      "/dev",        "/dev/pts",      "/dev/shm",   "/dev/console",     "/proc",
      "/sys"};
  std::set<std::string> dropped_parents;
  std::vector<FsChange> kept;
  for (auto& c : changes) {
    if (kInit.count(c.path) && c.kind != ChangeKind::kDeleted) {
      dropped_parents.insert(c.path.substr(0, c.path.rfind('/')));
      continue;
    }
    kept.push_back(std::move(c));
  }
  std::vector<FsChange> out;
  for (size_t i = 0; i < kept.size(); ++i) {
    const auto& c = kept[i];
    if (c.kind == ChangeKind::kModified && dropped_parents.count(c.path)) {
      bool below = false;
      for (const auto& other : kept) below = below || other.path.starts_with(c.path + "/");
      if (!below) continue;
    }
    out.push_back(c);
  }
  return out;
}

oci::ContainerConfig imageConfigOf(const ContainerConfig& c) {
  oci::ContainerConfig out;
  out.user = c.User;
  out.env = c.Env;
  if (c.Cmd) out.cmd = *c.Cmd;
  if (c.Entrypoint) out.entrypoint = *c.Entrypoint;
  for (const auto& [k, v] : c.Volumes) out.volumes.push_back(k);
  out.workingDir = c.WorkingDir;
  out.labels = c.Labels;
  out.stopSignal = c.StopSignal;
  return out;
}

void mergeCommitConfig(oci::ContainerConfig& user, const oci::ContainerConfig& base) {
  if (user.user.empty()) user.user = base.user;
  for (const auto& p : base.exposedPorts) {
    if (std::find(user.exposedPorts.begin(), user.exposedPorts.end(), p) ==
        user.exposedPorts.end()) {
      user.exposedPorts.push_back(p);
    }
  }
  std::sort(user.exposedPorts.begin(), user.exposedPorts.end());
  if (user.env.empty()) {
    user.env = base.env;
  } else {
    for (const auto& e : base.env) {
      std::string key = e.substr(0, e.find('='));
      bool found = false;
      for (const auto& u : user.env) found = found || u.substr(0, u.find('=')) == key;
      if (!found) user.env.push_back(e);
    }
  }
  for (const auto& [k, v] : base.labels) user.labels.emplace(k, v);
  if (user.entrypoint.empty()) {
    if (user.cmd.empty()) user.cmd = base.cmd;
    user.entrypoint = base.entrypoint;
  }
  if (!user.healthcheck) user.healthcheck = base.healthcheck;
  if (user.workingDir.empty()) user.workingDir = base.workingDir;
  for (const auto& v : base.volumes) {
    if (std::find(user.volumes.begin(), user.volumes.end(), v) == user.volumes.end()) {
      user.volumes.push_back(v);
    }
  }
  std::sort(user.volumes.begin(), user.volumes.end());
  if (user.stopSignal.empty()) user.stopSignal = base.stopSignal;
}

}  // namespace berth::daemon
