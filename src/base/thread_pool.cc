// Chunk claiming packs the job's generation with the chunk index in one 64-bit atomic: a worker that wakes late,
// after its job finished and the next one started, fails its claim instead of running a chunk of the wrong job.
#include "base/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <memory>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BALEEN_PAUSE() _mm_pause()
#else
#define BALEEN_PAUSE() std::this_thread::yield()
#endif

namespace baleen {
namespace {

// How long an idle worker spins before sleeping: inference issues loops back to back, microseconds apart, and a
// futex wake-up costs about as much as a small loop.
constexpr auto kSpinTime = std::chrono::microseconds(50);

thread_local bool t_inside_loop = false;

std::unique_ptr<ThreadPool>& GlobalSlot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}

}  // namespace

ThreadPool& ThreadPool::Global() {
  auto& pool = GlobalSlot();
  if (!pool) pool = std::make_unique<ThreadPool>(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return *pool;
}

void ThreadPool::SetGlobalThreads(int n_threads) {
  auto& pool = GlobalSlot();
  if (pool && pool->n_threads() == n_threads) return;
  pool.reset();
  pool = std::make_unique<ThreadPool>(std::max(1, n_threads));
}

ThreadPool::ThreadPool(int n_threads) {
  for (int t = 1; t < n_threads; ++t) workers_.emplace_back([this, t] { WorkerLoop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::RunChunks(uint32_t generation, int thread) {
  const uint64_t tag = static_cast<uint64_t>(generation) << 32;
  uint64_t claim = next_.load(std::memory_order_acquire);
  while (true) {
    if ((claim & ~0xffffffffull) != tag) return;  // a later job: ours is over
    const int64_t chunk = static_cast<int64_t>(claim & 0xffffffffull);
    if (chunk >= n_chunks_.load(std::memory_order_acquire)) return;
    if (!next_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
    const int64_t begin = chunk * grain_;
    (*body_)(begin, std::min(n_, begin + grain_), thread);
    completed_.fetch_add(1, std::memory_order_acq_rel);
    claim = next_.load(std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop(int thread) {
  t_inside_loop = true;  // loops started from a body run serially
  uint32_t seen = 0;
  while (true) {
    uint32_t generation = generation_.load(std::memory_order_acquire);
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    for (int spin = 1; generation == seen; ++spin) {
      BALEEN_PAUSE();
      generation = generation_.load(std::memory_order_acquire);
      if (spin % 64 == 0 && std::chrono::steady_clock::now() > spin_until) break;
    }
    if (generation == seen) {
      // seq_cst on both sides (here and in ParallelFor) so a sleeper and a publisher cannot miss each other.
      sleepers_.fetch_add(1);
      generation_.wait(seen);
      sleepers_.fetch_sub(1);
      continue;
    }
    if (stop_.load()) return;
    seen = generation;
    RunChunks(generation, thread);
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, const Body& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  grain = std::max(grain, n / (int64_t{1} << 30) + 1);  // chunk indices must fit the counter's low 32 bits
  const int64_t n_chunks = (n + grain - 1) / grain;
  if (workers_.empty() || n_chunks == 1 || t_inside_loop) {
    fn(0, n, 0);
    return;
  }
  // One loop at a time: the job state below is shared. Callers on different threads (the server's engine thread and
  // a test's main thread, say) take turns instead of corrupting each other's loop.
  std::lock_guard caller_lock(caller_mutex_);
  // Close the previous job's counter first: a worker that read its last (exhausted) claim and is preempted before
  // comparing it with n_chunks_ would otherwise see this job's larger count, win its compare-exchange on the
  // unchanged counter and run this job's body with a chunk that also runs normally (twice, and possibly after this
  // call returned). After this store its compare-exchange fails. The release on n_chunks_ (acquire in RunChunks)
  // orders this store before the new count for any worker that reads it.
  const uint32_t previous = generation_.load(std::memory_order_relaxed);
  next_.store((static_cast<uint64_t>(previous) << 32) | 0xffffffffull, std::memory_order_relaxed);
  body_ = &fn;
  n_ = n;
  grain_ = grain;
  n_chunks_.store(n_chunks, std::memory_order_release);
  completed_.store(0, std::memory_order_relaxed);
  const uint32_t generation = previous + 1;
  next_.store(static_cast<uint64_t>(generation) << 32, std::memory_order_release);
  generation_.store(generation);
  if (sleepers_.load() > 0) generation_.notify_all();

  t_inside_loop = true;
  RunChunks(generation, 0);
  t_inside_loop = false;
  // Wait for chunks other threads still hold; yield now and then in case one of them needs this core.
  for (int spin = 1; completed_.load(std::memory_order_acquire) < n_chunks; ++spin) {
    BALEEN_PAUSE();
    if (spin % 256 == 0) std::this_thread::yield();
  }
}

}  // namespace baleen
