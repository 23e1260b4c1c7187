// ScratchAllocator: large blocks come back from the per-thread cache, small ones and overflow go to the system.
#include "base/scratch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

namespace baleen {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

TEST(ScratchVector, IsZeroedAndAlignedLikeAVector) {
  for (size_t n : {size_t{3}, size_t{1} << 20}) {
    ScratchVector<float> v(n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % 64, 0u);
    for (float x : v) ASSERT_EQ(x, 0.0f);
    v.assign(n, 2.0f);
  }
  ScratchVector<float> again(size_t{1} << 20);  // the block written above, zeroed again
  for (float x : again) ASSERT_EQ(x, 0.0f);
}

TEST(ScratchVector, ALargeBlockIsReusedBySameSizeClass) {
  if (!kCaching) GTEST_SKIP() << "the cache is off under AddressSanitizer";
  ScratchTrim();
  const float* first;
  {
    ScratchVector<float> a(1000000);
    first = a.data();
  }
  EXPECT_GE(ScratchCachedBytes(), 4000000u);
  ScratchVector<float> b(999000);  // within the same eighth of a power of two
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(ScratchCachedBytes(), 0u);
  ScratchVector<float> c(1000000);  // the block is taken: a new one
  EXPECT_NE(c.data(), first);
}

TEST(ScratchVector, SmallBlocksAreNotCached) {
  ScratchTrim();
  { ScratchVector<float> v(1000); }
  EXPECT_EQ(ScratchCachedBytes(), 0u);
}

TEST(ScratchVector, EachThreadHasItsOwnCache) {
  if (!kCaching) GTEST_SKIP() << "the cache is off under AddressSanitizer";
  ScratchTrim();
  { ScratchVector<float> v(1 << 20); }
  size_t other_thread_sees = 1;
  std::thread([&] {
    other_thread_sees = ScratchCachedBytes();
    ScratchVector<float> w(1 << 20);  // allocated and freed here, cached here
  }).join();
  EXPECT_EQ(other_thread_sees, 0u);
  EXPECT_EQ(ScratchCachedBytes(), size_t{4} << 20);
  ScratchTrim();
  EXPECT_EQ(ScratchCachedBytes(), 0u);
}

}  // namespace
}  // namespace baleen
