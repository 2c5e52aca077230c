#pragma once
// Content digests as used by OCI images and the Docker API: "sha256:<64 lowercase hex>".
//
// Sha256 is a streaming hasher (nettle's sha256); sha256Hex hashes a whole buffer.
// parseDigest accepts the algorithms berth can verify (sha256, sha512) in their canonical form
// (lowercase hex of the exact length) and nothing else. Everything here is thread-compatible: a
// Sha256 object must not be shared between threads without locking; the free functions are pure.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Returns the lowercase hex digest of everything passed to update() so far. The hasher is
  // reset afterwards and can be reused for a new stream.
  std::string finishHex();
  // Bytes passed to update() since construction or the last finishHex().
  std::size_t bytes() const { return bytes_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::size_t bytes_ = 0;
};

// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;        // lowercase hex, 64 or 128 characters

  // "<algorithm>:<hex>".
  std::string str() const { return algorithm + ":" + hex; }
  bool empty() const { return hex.empty(); }
  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
};

// The sha256 digest of `data`.
Digest sha256Digest(std::string_view data);

// Parses "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>". Anything else is
// InvalidArgument "invalid digest \"<text>\": <reason>".
Result<Digest> parseDigest(std::string_view text);

// True when `text` is exactly 64 lowercase hex characters (an image or layer ID without its
// "sha256:" prefix).
bool isSha256Hex(std::string_view text);

}  // namespace berth
