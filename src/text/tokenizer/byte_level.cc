// GPT-2 bytes_to_unicode table and its inverse (text layer).
#include "text/tokenizer/byte_level.h"

#include <array>

#include "text/tokenizer/utf8.h"

namespace baleen {
namespace {

bool StandsForItself(int byte) {
  return (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
}

struct Tables {
  std::array<char32_t, 256> byte_to_unicode{};
  std::array<int16_t, 324> unicode_to_byte{};  // code points 0..323 cover the whole alphabet (max U+0143)

  Tables() {
    unicode_to_byte.fill(-1);
    char32_t next = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
      byte_to_unicode[byte] = StandsForItself(byte) ? char32_t(byte) : next++;
      unicode_to_byte[byte_to_unicode[byte]] = static_cast<int16_t>(byte);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

char32_t ByteToUnicode(uint8_t byte) { return GetTables().byte_to_unicode[byte]; }

int UnicodeToByte(char32_t cp) {
  const Tables& t = GetTables();
  return cp < t.unicode_to_byte.size() ? t.unicode_to_byte[cp] : -1;
}

std::string ByteLevelEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) utf8::Append(ByteToUnicode(static_cast<uint8_t>(c)), out);
  return out;
}

std::optional<std::string> ByteLevelDecode(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    const size_t len = utf8::SequenceLength(token.substr(i));
    if (len == 0) return std::nullopt;
    const int byte = UnicodeToByte(utf8::DecodeSequence(token.data() + i, len));
    if (byte < 0) return std::nullopt;
    out.push_back(static_cast<char>(byte));
    i += len;
  }
  return out;
}

}  // namespace baleen
