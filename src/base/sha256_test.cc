// SHA-256 against the FIPS 180-4 example vectors, fed whole and in odd-sized pieces.
#include "base/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace baleen {
namespace {

std::string Digest(const std::string& text, size_t piece) {
  Sha256 sha;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size(); i += piece) sha.Update({bytes + i, std::min(piece, text.size() - i)});
  return Sha256::Hex(sha.Finish());
}

TEST(Sha256, KnownVectors) {
  const std::string million(1000000, 'a');
  for (size_t piece : {1, 7, 64, 1000000}) {
    EXPECT_EQ(Digest("", piece), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Digest("abc", piece), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    if (piece >= 7) {
      EXPECT_EQ(Digest(million, piece), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
  }
}

}  // namespace
}  // namespace baleen
