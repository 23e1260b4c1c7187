// GPT-2 byte-level alphabet: each byte is shown as one printable code point in vocabulary strings ("Ġ" = space,
// "Ċ" = newline). Text layer.
//
// Bytes 33-126, 161-172 and 174-255 stand for themselves; the other 68 bytes map, in increasing order, to
// U+0100 + n. Baleen keeps vocabulary tokens as raw bytes internally and uses this table only at the boundaries
// (loading vocabularies and merges, printing pieces).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baleen {

char32_t ByteToUnicode(uint8_t byte);

// The byte a code point of the byte-level alphabet stands for, or -1 when it is not in the alphabet.
int UnicodeToByte(char32_t cp);

// Raw bytes -> byte-level string ("\n " -> "ĊĠ").
std::string ByteLevelEncode(std::string_view bytes);

// Byte-level string -> raw bytes; std::nullopt when `token` (valid UTF-8) has a character outside the alphabet.
std::optional<std::string> ByteLevelDecode(std::string_view token);

}  // namespace baleen
