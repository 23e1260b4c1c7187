// The engine thread: admit waiting jobs into free slots, then give every running generation one step, round robin.
#include "engine/scheduler.h"

#include <algorithm>

namespace baleen {

Scheduler::Scheduler(Model& model, const Tokenizer& tokenizer, const SchedulerOptions& options)
    : model_(model), tokenizer_(tokenizer), options_(options) {
  slots_.resize(static_cast<size_t>(std::max(1, options_.n_slots)));
  for (Slot& slot : slots_) slot.session = std::make_unique<Session>(model_, options_.n_ctx, options_.n_batch);
  thread_ = std::thread([this] { Run(); });
}

Scheduler::~Scheduler() { Shutdown(); }

Result<std::vector<std::shared_ptr<Job>>> Scheduler::Submit(
    std::vector<std::pair<GenerationRequest, JobCallbacks>> jobs, const std::string& tenant) {
  std::vector<std::shared_ptr<Job>> handles;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return ResourceExhausted("the server is shutting down");
    if (queue_.size() + jobs.size() > static_cast<size_t>(options_.max_queue)) {
      return ResourceExhausted("too many requests are waiting (" + std::to_string(queue_.size()) + " queued, limit " +
                               std::to_string(options_.max_queue) + ")");
    }
    for (auto& [request, callbacks] : jobs) {
      handles.push_back(std::shared_ptr<Job>(new Job(std::move(request), std::move(callbacks), tenant)));
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
    for (auto& job : queue_) job->Cancel();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

SchedulerStats Scheduler::Stats() const {
  SchedulerStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.waiting = static_cast<int>(queue_.size());
  }
  stats.running = running_.load();
  stats.slots = static_cast<int>(slots_.size());
  stats.cached_tokens = cached_tokens_.load();
  stats.cache_capacity = options_.n_ctx * stats.slots;
  return stats;
}

void Scheduler::Run() {
  for (;;) {
    const bool busy = AdmitWaiting();
    if (!busy) {
      std::unique_lock lock(mutex_);
      if (stopping_ && queue_.empty()) break;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    bool stopping;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    for (Slot& slot : slots_) {
      if (slot.job == nullptr) continue;
      if (stopping) slot.job->Cancel();
      StepSlot(slot);
    }
    PublishCacheUse();
  }
}

bool Scheduler::AdmitWaiting() {
  for (;;) {
    std::shared_ptr<Job> job;
    Slot* slot = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) break;
      slot = PickSlot(*queue_.front());
      if (slot == nullptr) break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Begin(*slot, std::move(job));
  }
  return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.job != nullptr; });
}

// The free slot whose cache shares the longest prefix with the prompt (the job's tenant's caches only); among
// equals the least recently used.
Scheduler::Slot* Scheduler::PickSlot(const Job& job) {
  Slot* best = nullptr;
  int64_t best_prefix = -1;
  for (Slot& slot : slots_) {
    if (slot.job != nullptr) continue;
    const int64_t prefix = slot.tenant == job.tenant_ ? slot.session->CommonPrefix(job.request_.prompt) : 0;
    if (prefix > best_prefix || (prefix == best_prefix && slot.last_used < best->last_used)) {
      best = &slot;
      best_prefix = prefix;
    }
  }
  return best;
}

void Scheduler::Begin(Slot& slot, std::shared_ptr<Job> job) {
  slot.last_used = ++use_clock_;
  if (slot.tenant != job->tenant_) {
    slot.session->Truncate(0);  // another tenant's tokens are never reused
    slot.tenant = job->tenant_;
  }
  if (job->callbacks_.on_start) job->callbacks_.on_start();
  Result<std::unique_ptr<Generation>> generation =
      Generation::Start(*slot.session, tokenizer_, std::move(job->request_));
  if (!generation.ok()) {
    if (job->callbacks_.on_done) job->callbacks_.on_done(generation.status());
    return;
  }
  slot.job = std::move(job);
  slot.generation = std::move(generation).value();
  running_.fetch_add(1);
}

void Scheduler::StepSlot(Slot& slot) {
  if (slot.job->cancelled()) slot.generation->Cancel();
  Result<bool> more = slot.generation->Step(slot.job->callbacks_.on_delta);
  if (!more.ok()) return Release(slot, more.status());
  if (slot.job->callbacks_.on_step) slot.job->callbacks_.on_step(*slot.generation);
  if (!*more) Release(slot, slot.generation->TakeResult());
}

void Scheduler::PublishCacheUse() {
  int64_t cached = 0;
  for (const Slot& slot : slots_) cached += static_cast<int64_t>(slot.session->tokens().size());
  cached_tokens_.store(cached);
}

void Scheduler::Release(Slot& slot, Result<GenerationResult> result) {
  std::shared_ptr<Job> job = std::move(slot.job);
  slot.job = nullptr;
  slot.generation.reset();
  running_.fetch_sub(1);
  PublishCacheUse();
  if (job->callbacks_.on_done) job->callbacks_.on_done(std::move(result));
}

}  // namespace baleen
