// ContainerService: the filesystem and freezer operations (docker pause/unpause, cp, diff,
// export, commit). Paths inside a container are always resolved against a dirfd of its root
// filesystem with openat2(RESOLVE_IN_ROOT) (sys::openInRoot), so no symlink in the container can
// reach the host; a path at or below a bind mount's destination is resolved inside the bind's
// source the same way.
//
// A stopped container's rw layer is mounted for the operation and unmounted after; its entry
// lock is held meanwhile, so it cannot start half-way. A running container's rootfs is opened
// under the lock and used after it is released (the open dirfd keeps the mount reachable even
// if the container exits and its rootfs is unmounted).

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "daemon/container_fs.h"
#include "daemon/container_service.h"
#include "daemon/create_config.h"
#include "daemon/image_service.h"
#include "oci/image_spec_json.h"
#include "runtime/runtime.h"
#include "store/image_changes.h"
#include "store/tar_extract.h"
#include "sys/open_in_root.h"

namespace berth::daemon {

namespace routes = api::routes;
using nlohmann::json;

namespace {

bool isDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

constexpr const char* kEmptyTarDiffId =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

Error fileNotFound(const std::string& path, const std::string& name) {
  return notFound("Could not find the file " + path + " in container " + name);
}

std::string fdPath(int fd) {
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// A temporary file that disappears on close (spools and diffs).
Result<UniqueFd> tempFile(const std::string& dir) {
  BERTH_TRY_VOID(makeDirs(dir, 0700));
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return errnoError("create temporary file in " + dir);
  return fd;
}

store::LayerReader fdReader(int fd) {
  return [fd](char* buf, std::size_t len) -> Result<std::size_t> {
    while (true) {
      ssize_t n = ::read(fd, buf, len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return errnoError("read spooled archive");
    }
  };
}

Result<void> rewind(int fd) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return errnoError("seek temporary file");
  return {};
}

}  // namespace

// An open root filesystem for one operation.
struct ContainerService::RootfsView {
  ContainerService* svc = nullptr;
  std::string id;
  std::string path;  // host path of the rootfs
  UniqueFd root;
  std::vector<MountPoint> mounts;
  ContainerConfig config;
  Container record;  // a copy, for events
  bool read_only = false;
  bool mounted_here = false;
  std::unique_lock<std::mutex> lock;  // held while the layer is mounted for us

  ~RootfsView() {
    root.reset();
    if (mounted_here) {
      if (auto r = svc->images_->unmountContainerLayer(id); !r) {
        log::warn("unmount rootfs of " + id + ": " + r.error().message());
      }
    }
  }

  // Where `abs` (an absolute container path) lives: the rootfs, or the source of the bind
  // mount whose destination is its longest prefix. `rel` is the rest, relative to `fd`.
  struct Target {
    UniqueFd owned;
    int fd = -1;
    std::string rel;
    bool read_only = false;
  };
  // `abs` with its symlinks resolved inside the rootfs (all but a last element that is lstat'ed
  // rather than followed, unless follow_last), so that a link into a mount lands in the mount,
  // as with Docker's mounts on the rootfs. Unresolvable paths are kept as they are.
  std::string resolveInRoot(const std::string& abs, bool follow_last) const {
    ContainerPath p = splitContainerPath(abs);
    std::string head = follow_last || p.base.empty() ? p.abs : p.dir;
    std::string tail = follow_last ? std::string() : p.base;
    UniqueFd fd(sys::openInRoot(root.get(), head.c_str(), O_PATH));
    if (!fd) return p.abs;
    std::string host = fdPath(fd.get());
    std::string root_path = fdPath(root.get());
    if (host != root_path && !host.starts_with(root_path + "/")) return p.abs;
    std::string inside = host.substr(root_path.size());
    if (tail.empty()) {
      if (p.abs.ends_with("/.")) return (inside.empty() ? "" : inside) + "/.";
      if (p.abs.ends_with("/") && !inside.empty()) return inside + "/";
      return inside.empty() ? "/" : inside;
    }
    return inside + "/" + tail;
  }

  Result<Target> target(const std::string& given, bool follow_last) const {
    std::string abs = resolveInRoot(given, follow_last);
    std::string clean = cleanSlashPath(abs);
    const MountPoint* best = nullptr;
    size_t best_len = 0;
    for (const auto& m : mounts) {
      std::string dest = cleanSlashPath(m.Destination);
      bool under = clean == dest || (dest != "/" && clean.starts_with(dest + "/"));
      if (under && (!best || dest.size() > best_len)) {
        best = &m;
        best_len = dest.size();
      }
    }
    Target t;
    if (!best) {
      t.fd = root.get();
      t.rel = abs;
      t.read_only = read_only;
      return t;
    }
    std::string rest = abs.substr(std::min(abs.size(), best_len));
    std::string src = cleanSlashPath(best->Source);
    if (isDirectory(src)) {
      t.owned.reset(::open(src.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      t.rel = rest;
    } else {
      // A file bind (/etc/hostname, /etc/hosts, /etc/resolv.conf): resolved in its directory.
      std::string dir = src.substr(0, src.rfind('/'));
      t.owned.reset(::open(dir.empty() ? "/" : dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      t.rel = src.substr(src.rfind('/')) + rest;
    }
    if (!t.owned) {
      return errnoError("open bind mount source " + best->Source + " of " + best->Destination);
    }
    t.fd = t.owned.get();
    t.read_only = !best->RW;
    return t;
  }
};

Result<std::unique_ptr<ContainerService::RootfsView>> ContainerService::openRootfs(
    const std::shared_ptr<Entry>& entry) {
  auto view = std::make_unique<RootfsView>();
  view->svc = this;
  std::unique_lock lock(entry->mu);
  if (entry->removed) return notFound("No such container: " + entry->c.ID);
  const Container& c = entry->c;
  view->id = c.ID;
  view->mounts = c.Mounts;
  // The files Docker bind-mounts into every container are what cp sees there.
  for (const auto& [source, dest] : {std::pair{c.HostnamePath, "/etc/hostname"},
                                     std::pair{c.HostsPath, "/etc/hosts"},
                                     std::pair{c.ResolvConfPath, "/etc/resolv.conf"}}) {
    if (source.empty() || !pathExists(source)) continue;
    MountPoint m;
    m.Source = source;
    m.Destination = dest;
    view->mounts.push_back(m);
  }
  view->config = c.Config;
  view->record = c;
  view->read_only = c.HostConfig.ReadonlyRootfs;
  if (c.State.Running) {
    auto data = images_->graphDriverData(c.ID);
    if (data && data->count("MergedDir")) {
      view->path = data->at("MergedDir");
    } else {
      BERTH_TRY(view->path, images_->mountContainerLayer(c.ID));  // vfs: the tree itself
    }
  } else {
    BERTH_TRY(view->path, images_->mountContainerLayer(c.ID));
    view->mounted_here = true;
  }
  view->root.reset(::open(view->path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!view->root) return errnoError("open rootfs of container " + c.ID);
  if (view->mounted_here) view->lock = std::move(lock);
  return view;
}

// ---------------------------------------------------------------------------------------------
// pause / unpause

void ContainerService::thawAfterKill(Entry& entry) {
  if (!entry.c.State.Paused) return;
  runtime::Runtime rt({options_.exec_root + "/runtime"});
  if (auto r = rt.resume(entry.c.ID); !r) {
    log::warn("unpause " + entry.c.ID + " to deliver a signal: " + r.error().message());
    return;
  }
  entry.c.State.Paused = false;
  entry.c.State.Status = "running";
  (void)save(entry.c);
  publish(entry.c, "unpause");
}

Result<void> ContainerService::pauseContainer(const std::string& name) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  Container& c = entry->c;
  if (!c.State.Running || !entry->shim) return conflict("Container " + c.ID + " is not running");
  if (c.State.Paused) return conflict("Container " + c.ID + " is already paused");
  runtime::Runtime rt({options_.exec_root + "/runtime"});
  BERTH_TRY_VOID_CTX(rt.pause(c.ID), "cannot pause container " + c.ID);
  c.State.Paused = true;
  c.State.Status = "paused";
  BERTH_TRY_VOID(save(c));
  publish(c, "pause");
  return {};
}

Result<void> ContainerService::unpauseContainer(const std::string& name) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  Container& c = entry->c;
  if (!c.State.Paused) return conflict("Container " + c.ID + " is not paused");
  if (!c.State.Running || !entry->shim) return conflict("Container " + c.ID + " is not running");
  runtime::Runtime rt({options_.exec_root + "/runtime"});
  BERTH_TRY_VOID_CTX(rt.resume(c.ID), "cannot unpause container " + c.ID);
  c.State.Paused = false;
  c.State.Status = "running";
  BERTH_TRY_VOID(save(c));
  publish(c, "unpause");
  return {};
}

// ---------------------------------------------------------------------------------------------
// archive: stat, GET, PUT

namespace {

// The resolved source of a GET/HEAD: the directory holding the entry and the entry's name in
// it ("." for the directory itself).
struct Located {
  UniqueFd dir;
  std::string entry;
  struct stat st {};
  PathStat stat;
};

// Docker's ResolvePath + StatPath against `root` (paths relative to it).
Result<Located> locate(int root, const std::string& rel_abs, const std::string& shown_path,
                       const std::string& container) {
  ContainerPath p = splitContainerPath(rel_abs.empty() ? "/" : rel_abs);
  Located out;
  auto notFoundOr = [&](const std::string& what) -> Error {
    if (errno == ENOENT || errno == ENOTDIR) return fileNotFound(shown_path, container);
    return errnoError(what + " " + shown_path + " in container " + container);
  };
  if (p.base.empty()) {
    // "/a/b/": the whole path is resolved, symlinks included.
    out.dir.reset(sys::openInRoot(root, p.abs.c_str(), O_PATH | O_DIRECTORY));
    if (!out.dir) return notFoundOr("resolve");
    out.entry = ".";
  } else {
    out.dir.reset(sys::openInRoot(root, p.dir.c_str(), O_PATH | O_DIRECTORY));
    if (!out.dir) return notFoundOr("resolve");
    out.entry = p.base;
  }
  if (::fstatat(out.dir.get(), out.entry.c_str(), &out.st, AT_SYMLINK_NOFOLLOW) != 0) {
    return notFoundOr("stat");
  }
  out.stat.name = slashBase(p.abs);
  out.stat.size = out.st.st_size;
  out.stat.mode = goFileMode(out.st.st_mode);
  out.stat.mtime_nanos =
      static_cast<int64_t>(out.st.st_mtim.tv_sec) * 1000000000 + out.st.st_mtim.tv_nsec;
  if (S_ISLNK(out.st.st_mode)) {
    // The link's full resolution inside the root, as an absolute container path.
    std::string root_path = fdPath(root);
    UniqueFd resolved(sys::openInRoot(root, p.abs.c_str(), O_PATH));
    std::string host = resolved ? fdPath(resolved.get()) : std::string();
    if (!host.empty() && host.starts_with(root_path)) {
      std::string inside = host.substr(root_path.size());
      out.stat.link_target = inside.empty() ? "/" : inside;
    } else {
      // Dangling: resolve the target lexically.
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(out.dir.get(), out.entry.c_str(), buf, sizeof buf);
      std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
      out.stat.link_target =
          cleanSlashPath(target.starts_with("/") ? target : p.dir + "/" + target);
    }
  }
  return out;
}

}  // namespace

Result<routes::ContainerPathStatResult> ContainerService::statContainerPath(
    const std::string& name, const std::string& path) {
  BERTH_TRY(auto entry, find(name));
  BERTH_TRY(auto view, openRootfs(entry));
  std::string abs = splitContainerPath(path).abs;
  BERTH_TRY(auto target, view->target(abs, false));
  BERTH_TRY(Located loc, locate(target.fd, target.rel, path, name));
  loc.stat.name = slashBase(abs);
  return routes::ContainerPathStatResult{pathStatHeader(loc.stat)};
}

Result<void> ContainerService::archiveContainerPath(
    const std::string& name, const std::string& path,
    const std::function<void(const routes::ContainerPathStatResult&)>& begin, int out_fd) {
  BERTH_TRY(auto entry, find(name));
  BERTH_TRY(auto view, openRootfs(entry));
  std::string abs = splitContainerPath(path).abs;
  BERTH_TRY(auto target, view->target(abs, false));
  BERTH_TRY(Located loc, locate(target.fd, target.rel, path, name));
  std::string rebase = slashBase(abs);
  if (rebase == "/") rebase = ".";
  loc.stat.name = slashBase(abs);
  begin(routes::ContainerPathStatResult{pathStatHeader(loc.stat)});
  store::WriteOptions wo;
  wo.whiteouts = store::WhiteoutFormat::kApplyInPlace;
  return store::writePathTar(loc.dir.get(), loc.entry, rebase, out_fd, wo);
}

Result<void> ContainerService::extractToContainer(const std::string& name, const std::string& path,
                                                  bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                                  const routes::FsByteReader& body) {
  BERTH_TRY(auto entry, find(name));
  BERTH_TRY(auto view, openRootfs(entry));
  std::string abs = splitContainerPath(path).abs;
  BERTH_TRY(auto target, view->target(abs, true));
  // The destination is resolved entirely, a final symlink included (so a link to a directory
  // can be extracted into), and must be a directory.
  UniqueFd dir(sys::openInRoot(target.fd, target.rel.c_str(), O_RDONLY | O_DIRECTORY));
  if (!dir) {
    if (errno == ENOENT) return fileNotFound(path, name);
    if (errno == ENOTDIR) return invalidArgument("extraction point is not a directory");
    return errnoError("open " + path + " in container " + name);
  }
  if (target.read_only) {
    return Error(ErrorCode::kForbidden, target.fd == view->root.get()
                                            ? "container rootfs is marked read-only"
                                            : "mounted volume is marked read-only");
  }
  store::ApplyOptions ao;
  ao.plain_whiteouts = true;
  ao.skip_root_entry = true;
  ao.refuse_escaping_symlinks = true;
  ao.display_root = cleanSlashPath(abs);
  ao.allow_devices = false;
  ao.no_overwrite_dir_non_dir = no_overwrite_dir_non_dir;
  if (copy_uid_gid) {
    BERTH_TRY(ResolvedUser user, resolveUserInRootfs(view->path, view->config.User));
    ao.chown = std::make_pair(user.uid, user.gid);
  }
  // Spool, check everything, then apply: a refused archive leaves the container untouched.
  BERTH_TRY(UniqueFd spool, tempFile(options_.data_root + "/tmp"));
  std::vector<char> buf(1 << 16);
  for (;;) {
    BERTH_TRY(std::size_t n, body(buf.data(), buf.size()));
    if (n == 0) break;
    std::string_view chunk(buf.data(), n);
    while (!chunk.empty()) {
      ssize_t w = ::write(spool.get(), chunk.data(), chunk.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errnoError("spool archive");
      chunk.remove_prefix(static_cast<size_t>(w));
    }
  }
  BERTH_TRY_VOID(rewind(spool.get()));
  ao.check_only = true;
  BERTH_TRY_VOID(store::applyLayerAt(fdReader(spool.get()), dir.get(), ao));
  BERTH_TRY_VOID(rewind(spool.get()));
  ao.check_only = false;
  BERTH_TRY_VOID(store::applyLayerAt(fdReader(spool.get()), dir.get(), ao));
  publish(view->record, "extract-to-dir");
  return {};
}

// ---------------------------------------------------------------------------------------------
// changes, export

Result<std::vector<routes::ContainerChangeItem>> ContainerService::containerChanges(
    const std::string& name) {
  BERTH_TRY(auto entry, find(name));
  std::string id;
  {
    std::lock_guard lock(entry->mu);
    id = entry->c.ID;
  }
  auto& layers = images_->layers();
  BERTH_TRY(store::RwLayerInfo rw, layers.getRwLayer(id));
  auto& driver = layers.driver();
  std::vector<FsChange> changes;
  if (driver.name() == "vfs") {
    std::string base = "/nonexistent-berth-base";
    if (rw.parent) {
      BERTH_TRY(store::LayerInfo parent, layers.get(*rw.parent));
      base = driver.diffDir(parent.cache_id);
    }
    BERTH_TRY(changes, treeChanges(driver.diffDir(rw.cache_id), base));
  } else {
    BERTH_TRY(auto lowers, driver.getLowerDirs(rw.cache_id));
    BERTH_TRY(changes, overlayChanges(driver.diffDir(rw.cache_id), lowers));
  }
  std::vector<routes::ContainerChangeItem> out;
  for (auto& c : withoutInitStubs(std::move(changes))) {
    out.push_back({c.path, static_cast<int>(c.kind)});
  }
  return out;
}

Result<void> ContainerService::exportContainer(const std::string& name, int out_fd) {
  BERTH_TRY(auto entry, find(name));
  BERTH_TRY(auto view, openRootfs(entry));
  store::WriteOptions wo;
  wo.whiteouts = store::WhiteoutFormat::kApplyInPlace;
  BERTH_TRY_VOID_CTX(store::writeLayerTarAt(view->root.get(), out_fd, wo),
                     "export container " + name);
  publish(view->record, "export");
  return {};
}

// ---------------------------------------------------------------------------------------------
// commit

namespace {

// vfs keeps no upper dir: the changes against the image's tree become the layer tar.
Result<void> vfsDiffOf(ImageService& images, const std::string& id, int out_fd) {
  auto& layers = images.layers();
  auto& driver = layers.driver();
  BERTH_TRY(store::RwLayerInfo rw, layers.getRwLayer(id));
  std::string base = "/nonexistent-berth-base";
  if (rw.parent) {
    BERTH_TRY(store::LayerInfo parent, layers.get(*rw.parent));
    base = driver.diffDir(parent.cache_id);
  }
  std::string tree = driver.diffDir(rw.cache_id);
  BERTH_TRY(auto changes, treeChanges(tree, base));
  std::vector<store::TarChange> entries;
  for (const auto& c : withoutInitStubs(std::move(changes))) {
    entries.push_back({c.path, c.kind == ChangeKind::kDeleted});
  }
  UniqueFd root(::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errnoError("open " + tree);
  BERTH_TRY_VOID(store::writeChangesTar(root.get(), entries, out_fd));
  return {};
}

}  // namespace

Result<std::string> ContainerService::commitContainer(const routes::ContainerCommitOptions& o) {
  BERTH_TRY(auto entry, find(o.container));
  std::unique_lock lock(entry->mu);
  if (entry->removed) return notFound("No such container: " + o.container);
  const Container c = entry->c;
  if (entry->removing) {
    return conflict("You cannot commit container " + c.ID + " which is being removed");
  }

  // The image the container came from: its config is the base of the new one.
  BERTH_TRY(Digest image_id, parseDigest(c.Image));
  BERTH_TRY(std::string parent_bytes, images_->images().configBytes(image_id));
  BERTH_TRY(oci::ImageConfig image, oci::parseImageConfig(parent_bytes));

  // Config: the request's (or the container's), the changes on top, the rest from the
  // container (moby daemon/commit.go).
  oci::ContainerConfig container_conf = imageConfigOf(c.Config);
  if (image.config) {
    // What the container record does not keep but inherited from its image.
    container_conf.exposedPorts = image.config->exposedPorts;
    for (const auto& v : image.config->volumes) container_conf.volumes.push_back(v);
    std::sort(container_conf.volumes.begin(), container_conf.volumes.end());
    container_conf.volumes.erase(
        std::unique(container_conf.volumes.begin(), container_conf.volumes.end()),
        container_conf.volumes.end());
    container_conf.healthcheck = image.config->healthcheck;
    container_conf.shell = image.config->shell;
  }
  oci::ContainerConfig user = container_conf;
  std::string body(trim(o.config));
  if (!body.empty() && body != "null" && body != "{}") {
    BERTH_TRY(CreateRequest request, parseCreateRequest(body));
    user = imageConfigOf(request.config);
  }
  BERTH_TRY_VOID(store::applyChanges(user, o.changes));
  mergeCommitConfig(user, container_conf);

  // The rw layer's changes, with the container frozen while they are read.
  BERTH_TRY(UniqueFd diff, tempFile(options_.data_root + "/tmp"));
  {
    bool paused_here = false;
    runtime::Runtime rt({options_.exec_root + "/runtime"});
    if (o.pause && c.State.Running && !c.State.Paused && entry->shim) {
      BERTH_TRY_VOID_CTX(rt.pause(c.ID), "pause container " + c.ID + " for commit");
      paused_here = true;
      publish(c, "pause");  // as Docker's commit, which pauses through containerPause
    }
    ScopeGuard thaw([&] {
      if (paused_here) {
        if (auto r = rt.resume(c.ID); !r) {
          log::warn("unpause " + c.ID + " after commit: " + r.error().message());
        } else {
          publish(c, "unpause");
        }
      }
    });
    if (images_->layers().driver().name() == "vfs") {
      BERTH_TRY_VOID_CTX(vfsDiffOf(*images_, c.ID, diff.get()), "commit container " + c.ID);
    } else {
      // The overlay upper dir as a layer tar, without the mount-point stubs berth made for the
      // files it bind-mounts (Docker keeps those in its init layer, out of commits).
      BERTH_TRY(store::RwLayerInfo rw, images_->layers().getRwLayer(c.ID));
      store::WriteOptions wo;
      wo.whiteouts = store::WhiteoutFormat::kOverlay;
      wo.skip_empty_files = {"etc/hostname", "etc/hosts", "etc/resolv.conf", ".dockerenv"};
      BERTH_TRY_VOID_CTX(
          store::writeLayerTar(images_->layers().driver().diffDir(rw.cache_id), diff.get(), wo),
          "commit container " + c.ID);
    }
  }
  lock.unlock();
  BERTH_TRY_VOID(rewind(diff.get()));
  BERTH_TRY(store::RwLayerInfo rw, images_->layers().getRwLayer(c.ID));
  BERTH_TRY(store::LayerInfo layer, images_->layers().registerLayer(rw.parent, diff.get()));
  struct Release {
    store::LayerStore& layers;
    Digest chain;
    ~Release() { (void)layers.release(chain); }
  } release{images_->layers(), layer.chain_id};

  std::string created = nowRfc3339Nano();
  bool empty_layer = layer.diff_id.str() == kEmptyTarDiffId;
  image.created = created;
  image.author = o.author;
  image.config = user;
  if (!empty_layer) image.rootfs.diffIds.push_back(layer.diff_id.str());
  image.extra.erase("comment");
  if (!o.comment.empty()) image.extra["comment"] = json(o.comment).dump();
  image.extra["container"] = json(c.ID).dump();
  oci::History h;
  h.created = created;
  h.author = o.author;
  h.comment = o.comment;
  h.createdBy = c.Config.Cmd ? join(*c.Config.Cmd, " ") : std::string();
  h.emptyLayer = empty_layer;
  image.history.push_back(h);

  BERTH_TRY(Digest id, images_->images().addImage(oci::imageConfigToJson(image)));
  std::string ref;
  if (!o.repo.empty()) {
    BERTH_TRY_VOID(images_->tagImage(id.str(), o.repo, o.tag));
    ref = o.repo + ":" + (o.tag.empty() ? "latest" : o.tag);
  }
  publish(c, "commit", {{"comment", o.comment}, {"imageID", id.str()}, {"imageRef", ref}});
  return id.str();
}

}  // namespace berth::daemon
