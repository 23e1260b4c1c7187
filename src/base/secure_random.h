// Random bytes from the kernel's CSPRNG, for secrets and unguessable file names. Base layer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace baleen {

// Fills `bytes` from getrandom(2), or /dev/urandom where the kernel lacks it. Blocks only before the kernel's pool
// is first seeded (early boot), never after.
Status SecureRandomBytes(std::span<uint8_t> bytes);

// `n_bytes` random bytes as a string (a key for HmacSha256).
Result<std::string> SecureRandomString(size_t n_bytes);

}  // namespace baleen
