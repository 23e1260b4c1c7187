// HMAC-SHA256 against the RFC 4231 test cases 1-7 (short, long, block-sized and larger-than-block keys).
#include "base/hmac_sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "base/sha256.h"

namespace baleen {
namespace {

std::string Hmac(const std::string& key, const std::string& message) {
  return Sha256::Hex(HmacSha256(key, message));
}

TEST(HmacSha256, Rfc4231Vectors) {
  std::string key4;
  for (char c = 1; c <= 25; ++c) key4 += c;
  const std::string key_long(131, '\xaa');
  EXPECT_EQ(Hmac(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hmac(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(Hmac(key4, std::string(50, '\xcd')), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5 is published truncated to 128 bits.
  EXPECT_EQ(Hmac(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
  EXPECT_EQ(Hmac(key_long, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hmac(key_long,
                 "This is a test using a larger than block-size key and a larger than block-size data. The key needs "
                 "to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, KeyChangesTheDigest) {
  EXPECT_NE(Hmac("secret-a", "sk-key"), Hmac("secret-b", "sk-key"));
  EXPECT_EQ(Hmac("secret-a", "sk-key"), Hmac("secret-a", "sk-key"));
}

}  // namespace
}  // namespace baleen
