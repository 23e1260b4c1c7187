// The engine thread: admit waiting generations while the paged cache has room, then run one batched forward pass over
// every running generation (decodes first, then prompt chunks within the step's token budget), preempting the newest
// when blocks run out, and hand each generation its logits.
#include "engine/scheduling/scheduler.h"

#include <algorithm>
#include <cstdio>

namespace baleen {

struct Scheduler::Admitted {
  std::shared_ptr<GenerationHandle> handle;
  std::unique_ptr<Session> session;
  std::unique_ptr<Generation> generation;
  uint64_t order = 0;  // admission order: the newest is preempted first
};

namespace {

int64_t BlocksFor(int64_t positions) { return (positions + kKvBlockTokens - 1) / kKvBlockTokens; }

int64_t PoolBlocks(const SchedulerOptions& o) {
  const int64_t tokens = o.kv_tokens > 0 ? o.kv_tokens : std::max(1, o.n_slots) * o.n_ctx;
  // At least one whole context: a sequence running alone can always finish.
  return std::max(BlocksFor(tokens), BlocksFor(std::max<int64_t>(1, o.n_ctx)));
}

}  // namespace

Scheduler::Scheduler(ModelRunner& model, const Tokenizer& tokenizer, const SchedulerOptions& options)
    : model_(model),
      tokenizer_(tokenizer),
      options_(options),
      pool_(std::make_unique<KvBlockPool>(model.cache_geometry(), PoolBlocks(options))),
      allocator_(static_cast<int32_t>(pool_->n_blocks())),
      prefix_(allocator_, kKvBlockTokens) {
  RestoreCache();
  PublishStats();
  thread_ = std::thread([this] { Run(); });
}

Scheduler::~Scheduler() { Shutdown(); }

Result<std::vector<std::shared_ptr<GenerationHandle>>> Scheduler::Submit(
    std::vector<std::pair<GenerationRequest, GenerationCallbacks>> generations, const std::string& tenant) {
  std::vector<std::shared_ptr<GenerationHandle>> handles;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Unavailable("the server is shutting down");
    const auto limit = static_cast<size_t>(options_.max_queue);
    // A request larger than the whole queue would be refused forever: that is the request's fault, not the load's.
    if (generations.size() > limit) {
      return InvalidArgument(std::to_string(generations.size()) +
                             " generations in one request exceed the queue's limit of " + std::to_string(limit));
    }
    // Jobs cancelled while queued (their client left) no longer count, though the engine thread drops them later.
    const size_t waiting = LiveQueuedLocked();
    if (waiting + generations.size() > limit) {
      return Overloaded("too many requests are waiting (" + std::to_string(waiting) + " queued, limit " +
                        std::to_string(limit) + ")");
    }
    for (auto& [request, callbacks] : generations) {
      handles.push_back(
          std::shared_ptr<GenerationHandle>(new GenerationHandle(std::move(request), std::move(callbacks), tenant)));
      queue_.push_back(handles.back());
    }
  }
  wake_.notify_one();
  return handles;
}

void Scheduler::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    for (auto& handle : queue_) handle->Cancel();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

SchedulerStats Scheduler::Stats() const {
  SchedulerStats stats;
  {
    std::lock_guard lock(stats_mutex_);
    stats = stats_;
  }
  std::lock_guard lock(mutex_);
  stats.waiting = static_cast<int>(LiveQueuedLocked()) + stats.waiting;  // + preempted ones, counted by the engine
  return stats;
}

size_t Scheduler::LiveQueuedLocked() const {
  return static_cast<size_t>(
      std::count_if(queue_.begin(), queue_.end(),
                    [](const std::shared_ptr<GenerationHandle>& handle) { return !handle->cancelled(); }));
}

// Jobs whose client left while they waited end now, not when a slot frees up: their requests are already gone, and
// a long generation ahead of them must not hold their memory (Submit already stopped counting them).
void Scheduler::DropCancelledQueued() {
  std::vector<std::shared_ptr<GenerationHandle>> dropped;
  {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if ((*it)->cancelled()) {
        dropped.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::shared_ptr<GenerationHandle>& handle : dropped) {
    GenerationResult result;
    result.finish = FinishReason::kCancelled;
    result.prompt_tokens = static_cast<int64_t>(handle->request_.prompt.size());
    if (handle->callbacks_.on_done) handle->callbacks_.on_done(std::move(result));
  }
}

void Scheduler::Run() {
  for (;;) {
    DropCancelledQueued();
    AdmitWaiting();
    bool stopping;
    {
      std::unique_lock lock(mutex_);
      if (running_.empty() && preempted_.empty()) {
        if (stopping_ && queue_.empty()) break;
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        continue;
      }
      stopping = stopping_;
    }
    if (stopping) {
      for (auto& seq : running_) seq->handle->Cancel();
      for (auto& seq : preempted_) seq->handle->Cancel();
    }
    StepAll();
    PublishStats();
  }
  SaveCache();
  PublishStats();
}

// Blocks the running prompts will still take before their first token (what admission must leave them).
int64_t Scheduler::BlocksStillNeeded() const {
  int64_t needed = 0;
  for (const auto& seq : running_) {
    const int64_t want = BlocksFor(static_cast<int64_t>(seq->generation->context().size()));
    needed += std::max<int64_t>(0, want - static_cast<int64_t>(seq->session->cache().blocks().size()));
  }
  return needed;
}

void Scheduler::AdmitWaiting() {
  // Preempted sequences first (they were admitted before anything queued), then the queue in order; admission stops
  // at the first one that does not fit, so nobody is overtaken indefinitely.
  while (!preempted_.empty() && static_cast<int>(running_.size()) < options_.n_slots) {
    if (!TryAdmit(preempted_.front())) return;
    preempted_.pop_front();
  }
  if (!preempted_.empty()) return;
  while (static_cast<int>(running_.size()) < options_.n_slots) {
    std::shared_ptr<GenerationHandle> handle;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      handle = queue_.front();
    }
    std::unique_ptr<Admitted> seq = Start(handle);
    {
      std::lock_guard lock(mutex_);
      queue_.pop_front();
    }
    if (seq == nullptr) continue;  // failed at start; on_done has run
    if (!TryAdmit(seq)) {
      preempted_.push_back(std::move(seq));  // started, waits for memory ahead of the queue
      return;
    }
  }
}

// Creates the generation (request errors end it here) with no cache blocks yet.
std::unique_ptr<Scheduler::Admitted> Scheduler::Start(std::shared_ptr<GenerationHandle> handle) {
  auto seq = std::make_unique<Admitted>();
  seq->handle = std::move(handle);
  if (seq->handle->callbacks_.on_start) seq->handle->callbacks_.on_start();
  seq->session = std::make_unique<Session>(model_, std::make_unique<KvCache>(*pool_, options_.n_ctx), options_.n_batch);
  Result<std::unique_ptr<Generation>> g =
      Generation::Start(*seq->session, tokenizer_, std::move(seq->handle->request_));
  Status status = g.status();
  if (g.ok()) seq->generation = std::move(g).value();
  if (!status.ok()) {
    if (seq->handle->callbacks_.on_done) seq->handle->callbacks_.on_done(status);
    return nullptr;
  }
  return seq;
}

// Reuses the tenant's cached prefix, then admits the sequence if the blocks for the rest of its context are free
// (counting those only the prefix cache holds) beyond what running prompts still need.
bool Scheduler::TryAdmit(std::unique_ptr<Admitted>& seq) {
  Generation& g = *seq->generation;
  const std::vector<int32_t>& context = g.context();
  const auto n = static_cast<int64_t>(context.size());
  std::vector<int32_t> matched;
  const bool first_admission = seq->order == 0;
  if (options_.prefix_cache && !g.request().prompt_logprobs) {
    // Whole blocks only, and never the last token: its logits are needed.
    matched = prefix_.Match(seq->handle->tenant_, context, (n - 1) / kKvBlockTokens);
  }
  const int64_t need = BlocksFor(n) - static_cast<int64_t>(matched.size());
  const int64_t available = allocator_.free_blocks() + prefix_.evictable_blocks() - BlocksStillNeeded();
  if (need > available && !running_.empty()) {
    for (int32_t b : matched) allocator_.Unref(b);
    return false;
  }
  const int64_t reused = static_cast<int64_t>(matched.size()) * kKvBlockTokens;
  seq->session->cache().set_blocks(std::move(matched));
  seq->session->Restore(std::vector<int32_t>(context.begin(), context.begin() + reused));
  g.Rewind(reused);
  if (first_admission) {
    const auto prompt = static_cast<int64_t>(g.request().prompt.size());
    g.set_cached_tokens(reused);
    prefix_.RecordLookup(reused, prompt - reused);
  }
  seq->order = ++admissions_;
  running_.push_back(std::move(seq));
  return true;
}

std::optional<int32_t> Scheduler::AllocateBlock() {
  if (std::optional<int32_t> block = allocator_.Allocate()) return block;
  if (prefix_.Evict(1) == 0) return std::nullopt;
  return allocator_.Allocate();
}

bool Scheduler::EnsureBlocks(Admitted& seq, int64_t positions) {
  KvCache& cache = seq.session->cache();
  std::vector<int32_t> blocks = cache.blocks();
  bool ok = true;
  while (static_cast<int64_t>(blocks.size()) < BlocksFor(positions)) {
    std::optional<int32_t> block = AllocateBlock();
    if (!block) {
      ok = false;
      break;
    }
    blocks.push_back(*block);
  }
  cache.set_blocks(std::move(blocks));
  return ok;
}

void Scheduler::ReleaseBlocks(Admitted& seq) {
  for (int32_t b : seq.session->cache().blocks()) allocator_.Unref(b);
  seq.session->cache().set_blocks({});
  seq.session->Restore({});
}

// Frees the sequence's blocks (what it computed stays reusable through the prefix cache) and queues it to resume.
void Scheduler::Preempt(Admitted& seq) {
  OfferPrefix(seq);
  ReleaseBlocks(seq);
  seq.generation->Rewind(0);
  auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& p) { return p.get() == &seq; });
  std::unique_ptr<Admitted> owned = std::move(*it);
  running_.erase(it);
  auto at = std::find_if(preempted_.begin(), preempted_.end(), [&](const auto& p) { return p->order > owned->order; });
  preempted_.insert(at, std::move(owned));
  std::lock_guard lock(stats_mutex_);
  ++stats_.preemptions;
}

void Scheduler::OfferPrefix(Admitted& seq) {
  if (options_.prefix_cache) prefix_.Insert(seq.handle->tenant_, seq.session->tokens(), seq.session->cache().blocks());
}

// One engine step: end what was cancelled, plan which sequences run and on which tokens, run them in one forward
// pass, and hand each its logits.
void Scheduler::StepAll() {
  EndCancelled();
  if (running_.empty()) return;
  StepPlan plan = PlanStep();
  if (plan.sequences.empty()) return;
  std::vector<float> logits;
  const Status status = model_.ForwardBatch(plan.chunks, logits);
  ApplyStep(plan, status, logits);
}

// Cancelled generations end without a forward pass, running or preempted.
void Scheduler::EndCancelled() {
  for (size_t i = 0; i < running_.size();) {
    Admitted& seq = *running_[i];
    if (seq.handle->cancelled()) seq.generation->Cancel();
    if (seq.generation->FinishIfCancelled(seq.handle->callbacks_.on_delta)) {
      Release(seq, seq.generation->TakeResult());
      continue;
    }
    ++i;
  }
  while (!preempted_.empty() && preempted_.front()->handle->cancelled()) {
    std::unique_ptr<Admitted> seq = std::move(preempted_.front());
    preempted_.pop_front();
    seq->generation->Cancel();
    seq->generation->FinishIfCancelled(seq->handle->callbacks_.on_delta);
    running_.push_back(std::move(seq));
    Release(*running_.back(), running_.back()->generation->TakeResult());
  }
}

// Decodes first (one token each), then prompt chunks (and recomputation after preemption) in admission order within
// the token budget, each with the cache blocks its tokens need; when blocks run out, the newest sequence not in this
// step is preempted (possibly the one being planned).
Scheduler::StepPlan Scheduler::PlanStep() {
  std::vector<Admitted*> order;
  for (auto& seq : running_) {
    if (seq->generation->pending() == 1) order.push_back(seq.get());
  }
  for (auto& seq : running_) {
    if (seq->generation->pending() > 1) order.push_back(seq.get());
  }
  StepPlan plan;
  int64_t budget = std::max<int64_t>(options_.n_batch, static_cast<int64_t>(order.size()));
  std::vector<Admitted*> preempted_now;
  const auto preempted = [&](Admitted* seq) {
    return std::find(preempted_now.begin(), preempted_now.end(), seq) != preempted_now.end();
  };
  for (Admitted* seq : order) {
    if (budget <= 0) break;
    if (preempted(seq)) continue;
    const StepInput input = seq->generation->NextInput(budget);
    if (input.tokens.empty()) continue;
    const int64_t end = static_cast<int64_t>(seq->session->tokens().size() + input.tokens.size());
    while (!EnsureBlocks(*seq, end)) {
      Admitted* victim = nullptr;
      for (auto it = running_.rbegin(); it != running_.rend() && victim == nullptr; ++it) {
        if (std::find(plan.sequences.begin(), plan.sequences.end(), it->get()) == plan.sequences.end()) {
          victim = it->get();
        }
      }
      if (victim == nullptr) break;  // everything else runs this step; this one waits a step
      preempted_now.push_back(victim);
      Preempt(*victim);
      if (victim == seq) break;
    }
    if (preempted(seq)) continue;
    if (static_cast<int64_t>(seq->session->cache().capacity()) < end) continue;
    plan.sequences.push_back(seq);
    plan.chunks.push_back(seq->session->Chunk(input.tokens, input.which));
    budget -= static_cast<int64_t>(input.tokens.size());
  }
  return plan;
}

// Commits each planned chunk to its session and gives its generation the logits it asked for (or ends it with the
// pass's error); finished generations are released, and a prompt that just completed is offered to the prefix cache.
void Scheduler::ApplyStep(const StepPlan& plan, const Status& status, std::span<const float> logits) {
  const size_t vocab = static_cast<size_t>(model_.vocab_size());
  size_t row = 0;
  int64_t tokens = 0;
  for (size_t i = 0; i < plan.sequences.size(); ++i) {
    Admitted& seq = *plan.sequences[i];
    if (!status.ok()) {
      Release(seq, status);
      continue;
    }
    const SequenceChunk& c = plan.chunks[i];
    const size_t rows = c.which == LogitsFor::kAll ? c.tokens.size() : c.which == LogitsFor::kLast ? 1 : 0;
    const bool was_prefilling = seq.generation->prefilling();
    seq.session->Commit(c.tokens);
    tokens += static_cast<int64_t>(c.tokens.size());
    seq.generation->Accept(logits.subspan(row * vocab, rows * vocab), static_cast<int64_t>(c.tokens.size()),
                           seq.handle->callbacks_.on_delta);
    row += rows;
    if (seq.handle->callbacks_.on_step) seq.handle->callbacks_.on_step(*seq.generation);
    if (was_prefilling && !seq.generation->prefilling()) OfferPrefix(seq);  // the prompt is reusable from now on
    if (seq.generation->done()) Release(seq, seq.generation->TakeResult());
  }
  std::lock_guard lock(stats_mutex_);
  ++stats_.steps;
  stats_.step_sequences += static_cast<int64_t>(plan.sequences.size());
  stats_.step_tokens += tokens;
  stats_.last_batch_sequences = static_cast<int>(plan.sequences.size());
}

void Scheduler::Release(Admitted& seq, Result<GenerationResult> result) {
  if (result.ok()) OfferPrefix(seq);
  ReleaseBlocks(seq);
  auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& p) { return p.get() == &seq; });
  std::unique_ptr<Admitted> owned = std::move(*it);
  running_.erase(it);
  if (owned->handle->callbacks_.on_done) owned->handle->callbacks_.on_done(std::move(result));
}

void Scheduler::RestoreCache() {
  if (options_.cache_file.empty() || !options_.prefix_cache) return;
  Result<int64_t> restored = prefix_.Load(options_.cache_file, options_.fingerprint,
                                          [this](int32_t block, std::span<const std::byte> bytes) {
                                            std::span<std::byte> dst = pool_->BlockBytes(block);
                                            std::copy(bytes.begin(), bytes.end(), dst.begin());
                                          },
                                          static_cast<int64_t>(pool_->block_bytes()));
  restore_status_ = restored.status();
}

void Scheduler::SaveCache() {
  if (options_.cache_file.empty() || !options_.prefix_cache) return;
  Status saved = prefix_.Save(options_.cache_file, options_.fingerprint,
                              [this](int32_t block) { return std::span<const std::byte>(pool_->BlockBytes(block)); });
  if (!saved.ok()) std::fprintf(stderr, "baleen: the prefix cache was not saved: %s\n", saved.ToString().c_str());
}

void Scheduler::PublishStats() {
  int64_t used_blocks = allocator_.n_blocks() - allocator_.free_blocks();
  const PrefixCacheStats p = prefix_.stats();
  std::lock_guard lock(stats_mutex_);
  stats_.running = static_cast<int>(running_.size());
  stats_.waiting = static_cast<int>(preempted_.size());
  stats_.slots = options_.n_slots;
  stats_.kv_blocks = allocator_.n_blocks();
  stats_.kv_blocks_free = allocator_.free_blocks();
  stats_.kv_blocks_prefix = p.cached_blocks;
  stats_.cached_tokens = used_blocks * kKvBlockTokens;
  stats_.cache_capacity = stats_.kv_blocks * kKvBlockTokens;
  stats_.prefix_hit_tokens = p.hit_tokens;
  stats_.prefix_miss_tokens = p.miss_tokens;
}

}  // namespace baleen
