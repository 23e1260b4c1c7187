// Continuous batching on one model: every engine step advances all running generations in one forward pass (one
// token for each decoding sequence plus chunks of waiting prompts, within a token budget, so a long prompt never
// stalls the decodes), over a paged KV cache shared by all sequences. Engine layer; the server submits here.
//
// Memory: the cache is a pool of fixed-size blocks. A generation is admitted only when the blocks its prompt needs are
// free (or held only by the prefix cache) beyond what the running prompts still need, so admission never over-commits;
// when decoding runs out of blocks, the most recently admitted sequence is preempted (its blocks freed, its tokens
// evaluated again later) instead of failing.
//
// Prefix cache: full blocks of finished prompts and generations stay in a radix tree (PrefixCache) and later requests
// that start with the same tokens reuse them, least recently used evicted first. Reuse never crosses tenants (the
// server's name for an API key): a request only ever sees blocks its own tenant computed, so one client cannot learn
// from response times what another one sent. All callbacks run on the engine thread and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/generation/generate.h"
#include "engine/kv/kv_blocks.h"
#include "engine/kv/prefix_cache.h"
#include "models/model_runner.h"

namespace baleen {

struct GenerationCallbacks {
  std::function<void()> on_start;                       // left the queue and runs
  DeltaCallback on_delta;                               // text that became certain; false: stop (client gone)
  std::function<void(const Generation&)> on_step;       // after every step (a prompt chunk or a token)
  std::function<void(Result<GenerationResult>)> on_done;  // exactly once, also for errors and cancellations
};

// A submitted generation. Cancel() may be called from any thread; the generation ends at its next step.
class GenerationHandle {
 public:
  void Cancel() { cancel_.store(true); }
  bool cancelled() const { return cancel_.load(); }

 private:
  friend class Scheduler;
  GenerationHandle(GenerationRequest request, GenerationCallbacks callbacks, std::string tenant)
      : request_(std::move(request)), callbacks_(std::move(callbacks)), tenant_(std::move(tenant)) {}
  GenerationRequest request_;
  GenerationCallbacks callbacks_;
  std::string tenant_;
  std::atomic<bool> cancel_{false};
};

struct SchedulerOptions {
  int n_slots = 1;        // generations that run at once (--parallel): the largest decode batch
  int max_queue = 64;     // waiting generations beyond which Submit refuses
  int64_t n_ctx = 4096;   // per generation
  int64_t n_batch = 512;  // tokens per engine step (decodes + prompt chunks): the longest pause a prompt imposes
  int64_t kv_tokens = 0;  // positions in the shared paged cache; 0: n_slots × n_ctx
  bool prefix_cache = true;
  std::string cache_file;   // where the prefix cache is kept across restarts ("" : not kept)
  std::string fingerprint;  // identifies the model for cache_file (a file for another model is ignored)
};

struct SchedulerStats {
  int running = 0, waiting = 0, slots = 0;
  int64_t cached_tokens = 0, cache_capacity = 0;  // positions the pool's used blocks hold, and the pool's capacity
  int64_t kv_blocks = 0, kv_blocks_free = 0, kv_blocks_prefix = 0;  // total, free, held by the prefix cache
  int64_t prefix_hit_tokens = 0, prefix_miss_tokens = 0;  // prompt tokens reused from / computed beside the cache
  int64_t preemptions = 0;
  int64_t steps = 0, step_sequences = 0, step_tokens = 0;  // engine steps, and the sequences and tokens they ran
  int last_batch_sequences = 0;
};

class Scheduler {
 public:
  // Restores the prefix cache from options.cache_file when there is one (a bad file is reported on stderr and
  // ignored); the returned status of that restore is in restore_status().
  Scheduler(ModelRunner& model, const Tokenizer& tokenizer, const SchedulerOptions& options);
  ~Scheduler();  // Shutdown()

  // Queues the generations together (all or none; a request with n choices submits n). Overloaded when the queue has no
  // room for all of them now, InvalidArgument when they are more than the whole queue holds (they never would fit),
  // Unavailable after Shutdown. A request's own errors (a prompt longer than the context) come
  // through its on_done when it starts.
  // `tenant` partitions cache reuse; "" is one tenant like any other.
  Result<std::vector<std::shared_ptr<GenerationHandle>>> Submit(
      std::vector<std::pair<GenerationRequest, GenerationCallbacks>> generations, const std::string& tenant = "");
  // Cancels every generation (each still gets on_done), stops the engine thread and saves the prefix cache to
  // options.cache_file. Idempotent.
  void Shutdown();
  SchedulerStats Stats() const;
  const SchedulerOptions& options() const { return options_; }
  const Status& restore_status() const { return restore_status_; }

 private:
  struct Admitted;

  void Run();
  void DropCancelledQueued();
  size_t LiveQueuedLocked() const;  // queued generations not cancelled; mutex_ held
  void AdmitWaiting();
  bool TryAdmit(std::unique_ptr<Admitted>& seq);
  std::unique_ptr<Admitted> Start(std::shared_ptr<GenerationHandle> handle);
  // The sequences one step runs, each with the chunk of tokens it evaluates (in the same order).
  struct StepPlan {
    std::vector<Admitted*> sequences;
    std::vector<SequenceChunk> chunks;
  };
  void StepAll();
  void EndCancelled();
  StepPlan PlanStep();
  void ApplyStep(const StepPlan& plan, const Status& status, std::span<const float> logits);
  bool EnsureBlocks(Admitted& seq, int64_t positions);
  std::optional<int32_t> AllocateBlock();
  void Preempt(Admitted& seq);
  void OfferPrefix(Admitted& seq);
  void Release(Admitted& seq, Result<GenerationResult> result);
  void ReleaseBlocks(Admitted& seq);
  int64_t BlocksStillNeeded() const;
  void RestoreCache();
  void SaveCache();
  void PublishStats();

  ModelRunner& model_;
  const Tokenizer& tokenizer_;
  const SchedulerOptions options_;
  std::unique_ptr<KvBlockPool> pool_;
  BlockAllocator allocator_;
  PrefixCache prefix_;
  Status restore_status_;

  // Touched by the engine thread only.
  std::vector<std::unique_ptr<Admitted>> running_;   // in admission order
  std::deque<std::unique_ptr<Admitted>> preempted_;  // resume before new generations, earliest admitted first
  uint64_t admissions_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<GenerationHandle>> queue_;
  bool stopping_ = false;
  mutable std::mutex stats_mutex_;
  SchedulerStats stats_;  // published after every step
  std::thread thread_;
};

}  // namespace baleen
