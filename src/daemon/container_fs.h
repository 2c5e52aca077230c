#pragma once
// Pure pieces of the container filesystem operations (docker cp, diff, commit), apart from the
// service so they can be unit-tested without root or a daemon:
//
//  - ContainerPath: how Docker reads the `path` of /containers/{id}/archive (moby's
//    container.ResolvePath and archive.PreserveTrailingDotOrSeparator): absolute inside the
//    container, cleaned, with a trailing "/" or "/." kept, split into the directory (resolved
//    with symlinks, inside the root) and the last element (lstat'ed as it is).
//  - PathStat and the X-Docker-Container-Path-Stat header: base64 of
//    {"name","size","mode","mtime","linkTarget"} where mode is Go's os.FileMode.
//  - changes of a read-write layer (GET /containers/{id}/changes): from an overlay upper dir
//    (0:0 character devices are deletions, trusted.overlay.opaque directories replace the lower
//    one) or, for vfs, by comparing the container's tree with its image's tree.
//  - commit's config: Docker's merge of the requested config with the container's.
//
// Thread safety: pure functions (the change walks only read the directories given).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "daemon/container.h"
#include "oci/image_spec.h"

namespace berth::daemon {

// Go's filepath.Clean of a slash path ("" → ".").
std::string cleanSlashPath(std::string_view path);
// Go's filepath.Base ("/a/b/" → "b", "/" → "/", "" → ".").
std::string slashBase(std::string_view path);

struct ContainerPath {
  std::string abs;   // "/a/b", "/a/b/" or "/a/b/." (trailing separator or dot kept)
  std::string dir;   // "/a/" : resolved with every symlink followed (inside the root)
  std::string base;  // "b" ("" when abs ends in "/": then the whole path is resolved)
};
ContainerPath splitContainerPath(std::string_view path);

struct PathStat {
  std::string name;
  int64_t size = 0;
  uint32_t mode = 0;  // Go os.FileMode
  int64_t mtime_nanos = 0;
  std::string link_target;  // for a symlink: its full resolution inside the container
};

// st_mode → Go's os.FileMode bits (ModeDir 1<<31, ModeSymlink 1<<27, ...).
uint32_t goFileMode(mode_t st_mode);
std::string pathStatJson(const PathStat& stat);
// The header value: base64 (standard, padded) of pathStatJson.
std::string pathStatHeader(const PathStat& stat);
std::string base64Encode(std::string_view data);

// Kinds as the Engine API numbers them.
enum class ChangeKind { kModified = 0, kAdded = 1, kDeleted = 2 };
struct FsChange {
  std::string path;  // absolute inside the container
  ChangeKind kind;
};

// Changes recorded in an overlay upper dir, against the lower dirs (top first), in Docker's
// order (a sorted depth-first walk; a parent directory is reported modified before the first
// addition or deletion below it).
Result<std::vector<FsChange>> overlayChanges(const std::string& upper,
                                             const std::vector<std::string>& lowers);
// Changes between two full trees (vfs: the container's copy against its image's).
Result<std::vector<FsChange>> treeChanges(const std::string& tree, const std::string& base_tree);
// Drops the entries berth itself makes for every container (mount points of /etc/hostname,
// /etc/hosts, /etc/resolv.conf, /dev, /proc, /sys, /.dockerenv) that Docker keeps in its
// "-init" layer, when they are plain stubs; a change the container made to them stays.
std::vector<FsChange> withoutInitStubs(std::vector<FsChange> changes);

// The container's config in image-config form (Env, Cmd, Entrypoint, User, WorkingDir, Labels,
// Volumes, StopSignal).
oci::ContainerConfig imageConfigOf(const ContainerConfig& config);
// Docker's commit merge (moby daemon/commit.go merge): fields `user` leaves empty come from
// `base`; Env and Labels gain the keys `user` lacks; ExposedPorts and Volumes are united; Cmd and
// Entrypoint come from `base` only when `user` sets no Entrypoint.
void mergeCommitConfig(oci::ContainerConfig& user, const oci::ContainerConfig& base);

}  // namespace berth::daemon
