// Runs many generations on one model: a fixed number of slots (each a Session with its own cache), a bounded
// queue, and one engine thread that steps every running generation in turn, so concurrent requests progress
// together. Engine layer; the server submits here, and batching across slots will grow out of Step().
//
// A waiting request takes the free slot whose cached tokens share the longest prefix with its prompt, so a chat
// client that resends the conversation reuses its cache. Reuse never crosses tenants (the server's name for an API
// key): a slot that last served another tenant starts from an empty cache, so one client cannot learn from response
// times what another one sent. All callbacks run on the engine thread and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/generate.h"

namespace baleen {

struct JobCallbacks {
  std::function<void()> on_start;                       // left the queue and owns a slot
  DeltaCallback on_delta;                               // text that became certain; false: stop (client gone)
  std::function<void(const Generation&)> on_step;       // after every step (a prompt chunk or a token)
  std::function<void(Result<GenerationResult>)> on_done;  // exactly once, also for errors and cancellations
};

// A submitted generation. Cancel() may be called from any thread; the generation ends at its next step.
class Job {
 public:
  void Cancel() { cancel_.store(true); }
  bool cancelled() const { return cancel_.load(); }

 private:
  friend class Scheduler;
  Job(GenerationRequest request, JobCallbacks callbacks, std::string tenant)
      : request_(std::move(request)), callbacks_(std::move(callbacks)), tenant_(std::move(tenant)) {}
  GenerationRequest request_;
  JobCallbacks callbacks_;
  std::string tenant_;
  std::atomic<bool> cancel_{false};
};

struct SchedulerOptions {
  int n_slots = 1;        // generations that run at once (--parallel)
  int max_queue = 64;     // waiting generations beyond which Submit refuses
  int64_t n_ctx = 4096;   // per slot
  int64_t n_batch = 512;  // prompt chunk: also the longest pause a prompt imposes on the running generations
};

struct SchedulerStats {
  int running = 0, waiting = 0, slots = 0;
  int64_t cached_tokens = 0, cache_capacity = 0;  // tokens held in all slots' caches, and their sum of contexts
};

class Scheduler {
 public:
  Scheduler(Model& model, const Tokenizer& tokenizer, const SchedulerOptions& options);
  ~Scheduler();  // Shutdown()

  // Queues the jobs together (all or none; a request with n choices submits n). ResourceExhausted when the queue
  // has no room for all of them, or after Shutdown. A request's own errors (a prompt longer than the context) come
  // through its on_done when it starts.
  // `tenant` partitions cache reuse; "" is one tenant like any other.
  Result<std::vector<std::shared_ptr<Job>>> Submit(std::vector<std::pair<GenerationRequest, JobCallbacks>> jobs,
                                                   const std::string& tenant = "");
  // Cancels every job (each still gets on_done) and stops the engine thread. Idempotent.
  void Shutdown();
  SchedulerStats Stats() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Slot {
    std::unique_ptr<Session> session;
    std::shared_ptr<Job> job;  // null when free
    std::unique_ptr<Generation> generation;
    std::string tenant;  // whose tokens the cache holds
    uint64_t last_used = 0;
  };

  void Run();
  bool AdmitWaiting();  // moves queued jobs into free slots; returns whether any slot is busy
  void Begin(Slot& slot, std::shared_ptr<Job> job);
  void StepSlot(Slot& slot);
  void Release(Slot& slot, Result<GenerationResult> result);
  Slot* PickSlot(const Job& job);
  void PublishCacheUse();  // for Stats(), read by other threads

  Model& model_;
  const Tokenizer& tokenizer_;
  const SchedulerOptions options_;
  std::vector<Slot> slots_;  // touched by the engine thread only
  uint64_t use_clock_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::atomic<int> running_{0};
  std::atomic<int64_t> cached_tokens_{0};
  std::thread thread_;
};

}  // namespace baleen
