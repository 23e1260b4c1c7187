// ThreadPool: every index exactly once, per-thread ids in range, nested loops, many back-to-back loops.
#include "base/thread_pool.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace baleen {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 7, 1000, 100003}) {
      for (int64_t grain : {1, 3, 64, 1000000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.ParallelFor(n, grain, [&](int64_t begin, int64_t end, int thread) {
          ASSERT_GE(thread, 0);
          ASSERT_LT(thread, pool.n_threads());
          for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n " << n << " grain " << grain;
      }
    }
  }
}

TEST(ThreadPool, ManyLoopsBackToBackAndAfterSleeping) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 20000; ++round) {
    pool.ParallelFor(8, 1, [&](int64_t begin, int64_t end, int) { sum.fetch_add(end - begin); });
  }
  EXPECT_EQ(sum.load(), 20000 * 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // workers fall asleep
  pool.ParallelFor(100, 1, [&](int64_t begin, int64_t end, int) { sum.fetch_add(end - begin); });
  EXPECT_EQ(sum.load(), 20000 * 8 + 100);
}

TEST(ThreadPool, NestedLoopsRunSeriallyInsideTheBody) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.ParallelFor(4, 1, [&](int64_t, int64_t, int) {
    pool.ParallelFor(10, 1, [&](int64_t begin, int64_t end, int thread) {
      EXPECT_EQ(begin, 0);
      EXPECT_EQ(end, 10);
      inner.fetch_add(static_cast<int>(end - begin));
    });
  });
  EXPECT_EQ(inner.load(), 40);
}

// Back-to-back loops of alternating sizes, more threads than cores: every chunk runs exactly once and no body runs
// after its ParallelFor returned. (A worker holding the previous loop's exhausted claim once ran a chunk of the next
// loop a second time when it was preempted at the wrong instruction; this pattern is what exposed it, though only a
// preemption inside a few instructions makes it fail.)
TEST(ThreadPool, EveryChunkRunsOnceAndNothingRunsAfterReturn) {
  ThreadPool pool(4);
  const auto end_time = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  std::atomic<int> late{0};
  for (int job = 0; std::chrono::steady_clock::now() < end_time; ++job) {
    const int64_t n = job % 2 ? 2 : 64;
    auto hits = std::make_shared<std::vector<std::atomic<int>>>(static_cast<size_t>(n));
    auto returned = std::make_shared<std::atomic<bool>>(false);
    pool.ParallelFor(n, 1, [hits, returned, &late](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) (*hits)[static_cast<size_t>(i)].fetch_add(1);
      if (returned->load()) late.fetch_add(1);
    });
    returned->store(true);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ((*hits)[static_cast<size_t>(i)].load(), 1) << "job " << job;
  }
  EXPECT_EQ(late.load(), 0);
}

TEST(ThreadPool, GlobalPoolResizes) {
  ThreadPool::SetGlobalThreads(3);
  EXPECT_EQ(ThreadPool::Global().n_threads(), 3);
  ThreadPool::SetGlobalThreads(1);
  EXPECT_EQ(ThreadPool::Global().n_threads(), 1);
}

}  // namespace
}  // namespace baleen
