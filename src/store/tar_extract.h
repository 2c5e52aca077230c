#pragma once
// Layer tar streams: applying an image layer (a tar, plain or compressed) onto a directory, and
// writing a directory back out as a layer tar.
//
// applyLayer treats the archive as hostile:
//  - entry names are relative to the layer root: a leading "/" is dropped (as Docker does);
//    a name whose ".." climbs above the root is refused ("refusing to extract \"../x\": path
//    escapes the layer root");
//  - every parent directory is resolved with openat2(RESOLVE_IN_ROOT) against a dirfd of the
//    root, so a symlink in the archive ("link -> /etc" then "link/passwd") resolves inside the
//    root, as in Docker's chrooted extraction, and nothing outside the root is ever written;
//  - an existing entry is replaced (removed first) unless both are directories, so a final
//    symlink is never written through; hardlink targets must resolve inside the root;
//  - device nodes are refused unless ApplyOptions::allow_devices; sockets are skipped;
//  - "trusted.overlay.*" xattrs in the archive are dropped (they would steer overlayfs).
// Ownership (numeric uid/gid), modes (setuid included), mtimes, xattrs (not on symlinks),
// hardlinks, symlinks, devices and fifos are preserved: the caller is expected to be root.
//
// Atomicity: when target_dir does not exist, the layer is extracted into a sibling
// "<target_dir>.tmp-XXXXXX" and renamed into place only after the whole stream was read and its
// DiffID checked; on any error the temporary directory is removed and target_dir never appears.
// When target_dir already exists (kApplyInPlace on a vfs copy of the parent layer, or an
// explicit in-place apply), entries are applied directly: on error target_dir is left partly
// modified and the caller must discard it (the vfs driver creates that copy for this purpose).
//
// Thread safety: the functions share no state; concurrent calls must use different targets.
// Requires Linux >= 5.6 (openat2).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"

namespace berth::store {

enum class WhiteoutFormat {
  // Layers for overlayfs: ".wh.name" becomes a 0:0 character device "name", and
  // ".wh..wh..opq" sets trusted.overlay.opaque="y" on its directory. Needs root (mknod and
  // trusted.* xattrs).
  kOverlay,
  // Layers applied on top of a copy of their parent (vfs): ".wh.name" deletes "name" and
  // ".wh..wh..opq" deletes the directory's content that did not come from this layer.
  kApplyInPlace,
};

struct ApplyOptions {
  WhiteoutFormat whiteouts = WhiteoutFormat::kOverlay;
  bool allow_devices = true;
  // When set, the DiffID the uncompressed stream must have; a mismatch is DataLoss and nothing
  // is kept (for a new target).
  std::optional<Digest> expected_diff_id;
  // docker cp (PUT /containers/{id}/archive) rather than a layer: ".wh." names are ordinary
  // files and nothing is whited out (Docker's Untar, not its ApplyLayer).
  bool plain_whiteouts = false;
  // An entry for the root itself ("." or "./") changes nothing (Docker's Untar skips it, so
  // `cp dir/. c:/tmp` leaves /tmp's owner and mode alone).
  bool skip_root_entry = false;
  // When set, every entry is owned by this uid:gid instead of the archive's (cp -a).
  std::optional<std::pair<std::uint32_t, std::uint32_t>> chown;
  // Refuse to replace an existing directory with a non-directory and vice versa (cp's
  // noOverwriteDirNonDir): InvalidArgument "cannot overwrite directory \"/a\" with
  // non-directory \"/a\"" (names relative to the target, with a leading "/").
  bool no_overwrite_dir_non_dir = false;
  // Read the whole stream and run every check (names, devices, dir/non-dir overwrites, hardlink
  // targets) without writing anything: a first pass over a spooled copy, so that a hostile or
  // inconsistent archive is refused before the target is touched.
  bool check_only = false;
  // Refuse a relative symlink whose target climbs above the target directory, as Docker's Untar
  // does for docker cp: InvalidArgument "invalid symlink \"<display_root>/a\" -> \"../..\"".
  // (The extraction is contained either way; this mirrors Docker's refusal.)
  bool refuse_escaping_symlinks = false;
  std::string display_root = "/";  // how the target directory is named in messages
};

struct LayerApplyStats {
  std::uint64_t tar_bytes = 0;   // size of the uncompressed tar stream
  std::uint64_t file_bytes = 0;  // regular-file content written
  std::uint64_t entries = 0;     // archive entries processed, whiteouts included
  std::uint64_t whiteouts = 0;   // whiteout and opaque markers applied
  std::uint64_t skipped = 0;     // sockets, aufs metadata and refused xattrs
  Digest diff_id;                // sha256 of the uncompressed tar stream
};

// Reads up to `len` bytes into `buf`: the count read, 0 at the end of the stream, or an error.
using LayerReader = std::function<Result<std::size_t>(char* buf, std::size_t len)>;

// Applies the layer read from `fd` (not owned; read to its end). The stream may be a plain tar
// or compressed with any filter libarchive detects (gzip, zstd, xz, bzip2).
Result<LayerApplyStats> applyLayer(int fd, const std::string& target_dir,
                                   const ApplyOptions& options);
// Same, pulling the stream from `reader`.
Result<LayerApplyStats> applyLayer(const LayerReader& reader, const std::string& target_dir,
                                   const ApplyOptions& options);

// Applies the stream into the open directory `root_fd` (not owned), in place (as applyLayer on an
// existing target): on error the directory may be partly modified, so callers that need
// all-or-nothing run a check_only pass over a spooled copy first.
Result<LayerApplyStats> applyLayerAt(const LayerReader& reader, int root_fd,
                                     const ApplyOptions& options);

struct WriteOptions {
  // kOverlay: 0:0 character devices become ".wh.name" entries and opaque directories gain a
  // ".wh..wh..opq" entry; trusted.overlay.* xattrs are not written. kApplyInPlace: the tree is
  // written as it is (a vfs layer or an exported rootfs has no whiteouts).
  WhiteoutFormat whiteouts = WhiteoutFormat::kOverlay;
  // false: a directory is written without its children (writeChangesTar).
  bool recursive = true;
  // Root-relative paths ("etc/hostname") left out when they are empty regular files: the mount
  // points berth creates for every container, which Docker keeps in its init layer (commit).
  std::vector<std::string> skip_empty_files;
};

// One entry of a changes tar: a path (root-relative, "etc/passwd") written from the tree, or a
// deletion written as its ".wh." whiteout.
struct TarChange {
  std::string path;
  bool deleted = false;
};

// Writes `changes` of the tree open as `root_fd` as a layer tar (each path's parent resolved
// inside the root; directories without their children) and returns its DiffID. For drivers
// without an upper dir (vfs): the caller computes the changes against the parent tree.
Result<Digest> writeChangesTar(int root_fd, const std::vector<TarChange>& changes, int out_fd);

// Writes `dir` as an uncompressed PAX tar to `out_fd` (not owned) and returns its sha256 (the
// DiffID). Names are relative ("etc/passwd", directories end in "/"), children sorted by name,
// mtimes truncated to seconds, hardlinks kept, only the security.capability xattr recorded (as
// Docker does, so host labels do not leak into images). Sockets are skipped.
Result<Digest> writeLayerTar(const std::string& dir, int out_fd, const WriteOptions& options = {});
// Same for the open directory `dir_fd` (not owned).
Result<Digest> writeLayerTarAt(int dir_fd, int out_fd, const WriteOptions& options = {});
// docker cp's GET archive: writes the entry `name` of directory `dir_fd` ("." for dir_fd
// itself; a symlink is written as a link, never followed) under the name `rebase` ("bar",
// "bar/child", ...), a directory with its whole subtree. Same entry format as writeLayerTar.
Result<void> writePathTar(int dir_fd, const std::string& name, const std::string& rebase,
                          int out_fd, const WriteOptions& options = {});

}  // namespace berth::store
