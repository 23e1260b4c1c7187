// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256): keyed digests, e.g. the server's tenant ids from API keys. Base
// layer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace baleen {

// HMAC(key, message) with SHA-256. Keys longer than the 64-byte block are hashed first, as RFC 2104 says.
std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> message);
std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view message);

}  // namespace baleen
