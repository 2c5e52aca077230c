#include "base/digest.h"

#include <nettle/sha2.h>

#include <cstdlib>

namespace berth {

// Nettle rather than OpenSSL: the same speed here (both use the CPU's SHA extensions), and
// libnettle is already loaded for libarchive while libcrypto cost berthd ~3 MB of resident
// pages (relocations, provider set-up) for this one hash.
struct Sha256::State {
  sha256_ctx ctx;
};

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool isLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Sha256::Sha256() : state_(std::make_unique<State>()) {
  sha256_init(&state_->ctx);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t len) {
  if (len == 0) return;
  sha256_update(&state_->ctx, len, static_cast<const uint8_t*>(data));
  bytes_ += len;
}

std::string Sha256::finishHex() {
  uint8_t md[SHA256_DIGEST_SIZE];
  constexpr unsigned int md_len = SHA256_DIGEST_SIZE;
  sha256_digest(&state_->ctx, SHA256_DIGEST_SIZE, md);  // also resets the context
  bytes_ = 0;
  std::string hex;
  hex.reserve(md_len * 2);
  for (unsigned int i = 0; i < md_len; ++i) {
    hex.push_back(kHexDigits[md[i] >> 4]);
    hex.push_back(kHexDigits[md[i] & 0xf]);
  }
  return hex;
}

std::string sha256Hex(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finishHex();
}

Digest sha256Digest(std::string_view data) {
  return Digest{"sha256", sha256Hex(data)};
}

bool isSha256Hex(std::string_view text) {
  return text.size() == 64 && isLowerHex(text);
}

Result<Digest> parseDigest(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return invalidArgument("invalid digest \"" + std::string(text) + "\": " + std::string(why));
  };
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return fail("missing algorithm");
  std::string_view algorithm = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  std::size_t want = 0;
  if (algorithm == "sha256") {
    want = 64;
  } else if (algorithm == "sha512") {
    want = 128;
  } else {
    return fail("unsupported algorithm");
  }
  if (!isLowerHex(hex)) return fail("hex must be lowercase [0-9a-f]");
  if (hex.size() != want) return fail("wrong length for " + std::string(algorithm));
  return Digest{std::string(algorithm), std::string(hex)};
}

}  // namespace berth
