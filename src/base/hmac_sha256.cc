// HMAC-SHA256, written from RFC 2104: H((K ^ opad) || H((K ^ ipad) || message)).
#include "base/hmac_sha256.h"

#include <algorithm>

#include "base/sha256.h"

namespace baleen {
namespace {

constexpr size_t kBlockBytes = 64;

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> message) {
  std::array<uint8_t, kBlockBytes> block{};  // the key, zero-padded to a block (or its digest, if longer)
  if (key.size() > kBlockBytes) {
    Sha256 sha;
    sha.Update(key);
    const std::array<uint8_t, 32> digest = sha.Finish();
    std::copy(digest.begin(), digest.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<uint8_t, kBlockBytes> pad;
  for (size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x36;
  Sha256 inner;
  inner.Update(pad);
  inner.Update(message);
  const std::array<uint8_t, 32> inner_digest = inner.Finish();
  for (size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
  Sha256 outer;
  outer.Update(pad);
  outer.Update(inner_digest);
  return outer.Finish();
}

std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view message) {
  return HmacSha256(Bytes(key), Bytes(message));
}

}  // namespace baleen
