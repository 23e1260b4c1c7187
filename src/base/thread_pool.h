// A persistent pool of worker threads for data-parallel loops. Base layer.
//
// ParallelFor splits [0, n) into chunks that the calling thread and the workers claim from one atomic counter, so a
// worker the OS has descheduled (the machine is busy) delays only the chunk it holds, and the caller finishes the
// rest itself. Idle workers spin briefly (a new loop usually follows within microseconds during inference), then
// sleep on a futex so they never steal the cores from other processes for long.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace baleen {

class ThreadPool {
 public:
  // The process-wide pool used by the kernels; starts with one thread per available core.
  static ThreadPool& Global();
  // Resizes the global pool (1 = run everything on the caller). Not while a loop runs.
  static void SetGlobalThreads(int n_threads);

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads taking part in a loop, the caller included.
  int n_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end, thread) over [0, n) in chunks of `grain` (≥ 1) indices; `thread` in [0, n_threads())
  // identifies the executing thread for per-thread scratch. Returns when every chunk is done. A call from inside a
  // loop body runs serially on the calling thread; calls from different threads run one after the other.
  using Body = std::function<void(int64_t begin, int64_t end, int thread)>;
  void ParallelFor(int64_t n, int64_t grain, const Body& fn);

 private:
  void WorkerLoop(int thread);
  // Claims and runs chunks of the job of `generation` until none is left.
  void RunChunks(uint32_t generation, int thread);

  std::vector<std::thread> workers_;
  std::mutex caller_mutex_;  // held by the thread whose loop is running
  // Job state, published by bumping `next_` to (generation << 32 | 0).
  const Body* body_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  std::atomic<int64_t> n_chunks_{0};  // read by workers before they claim, so atomic
  std::atomic<uint64_t> next_{0};       // generation in the high 32 bits, next chunk index in the low 32
  std::atomic<int64_t> completed_{0};   // chunks finished in the current job
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

// Shorthand for ThreadPool::Global().ParallelFor.
inline void ParallelFor(int64_t n, int64_t grain, const ThreadPool::Body& fn) {
  ThreadPool::Global().ParallelFor(n, grain, fn);
}

}  // namespace baleen
