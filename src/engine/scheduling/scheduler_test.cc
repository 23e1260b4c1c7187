// The scheduler on a tiny model: concurrent jobs give what they give alone, the queue limit, cancellation, prefix
// reuse across requests and shutdown with work in flight.
#include "engine/scheduling/scheduler.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <chrono>
#include <thread>
#include <random>

#include <gtest/gtest.h>

#include "engine/generation/tiny_model_test_util.h"
#include "engine/scheduling/scheduler_test_util.h"

namespace baleen {
namespace {

class SchedulerTest : public testing::TinyDeepseekTest {
 protected:
  GenerationRequest Request(const std::string& prompt, int64_t max_tokens, uint64_t seed) const {
    GenerationRequest r;
    r.prompt = text_.tokenizer->EncodeUntrusted(prompt).value();
    r.sampling.temperature = 1.0f;
    r.sampling.seed = seed;
    r.max_tokens = max_tokens;
    r.output.parse_reasoning = false;
    return r;
  }

  // Run on this thread while no scheduler is busy (the kernels' thread pool takes one caller at a time anyway).
  std::vector<int32_t> Alone(const GenerationRequest& r, int64_t n_batch) {
    Session session(*model_, 128, n_batch);
    return Generate(session, *text_.tokenizer, r, nullptr).value().tokens;
  }

  // Submits one job whose result lands in the returned future.
  std::future<Result<GenerationResult>> SubmitOne(Scheduler& s, GenerationRequest r,
                                                  std::shared_ptr<GenerationHandle>* job = nullptr,
                                                  DeltaCallback on_delta = nullptr, const std::string& tenant = "") {
    auto promise = std::make_shared<std::promise<Result<GenerationResult>>>();
    GenerationCallbacks callbacks;
    callbacks.on_delta = std::move(on_delta);
    callbacks.on_done = [promise](Result<GenerationResult> result) { promise->set_value(std::move(result)); };
    std::vector<std::pair<GenerationRequest, GenerationCallbacks>> jobs;
    jobs.emplace_back(std::move(r), std::move(callbacks));
    auto handles = s.Submit(std::move(jobs), tenant);
    EXPECT_TRUE(handles.ok());
    if (job != nullptr && handles.ok()) *job = handles->front();
    return promise->get_future();
  }
};

TEST_F(SchedulerTest, ConcurrentJobsGiveWhatTheyGiveAlone) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 2, .max_queue = 8, .n_ctx = 128, .n_batch = 4});
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 5; ++i) requests.push_back(Request("prompt number " + std::to_string(i), 6 + i, 100 + i));
  std::vector<std::future<Result<GenerationResult>>> futures;
  for (const auto& r : requests) futures.push_back(SubmitOne(scheduler, r));
  std::vector<Result<GenerationResult>> results;
  for (auto& future : futures) results.push_back(future.get());
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->tokens, Alone(requests[i], 4)) << i;
  }
  EXPECT_EQ(scheduler.Stats().running, 0);
  EXPECT_EQ(scheduler.Stats().waiting, 0);
}

TEST_F(SchedulerTest, ARequestLargerThanTheQueueIsInvalidAndErrorsComeThroughOnDone) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 1, .max_queue = 2, .n_ctx = 16, .n_batch = 512});
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> three(3);
  // Three generations never fit a queue of two, even on an idle server: not "busy, retry", but a bad request.
  EXPECT_EQ(scheduler.Submit(std::move(three)).status().code(), StatusCode::kInvalidArgument);
  GenerationRequest too_long = Request(std::string(200, 'x'), 4, 1);
  Result<GenerationResult> result = SubmitOne(scheduler, too_long).get();
  EXPECT_EQ(result.status().code(), StatusCode::kOutOfRange);
}

TEST_F(SchedulerTest, AFullQueueIsOverloadedAndACancelledJobFreesItsPlaceAtOnce) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 1, .max_queue = 2, .n_ctx = 4096, .n_batch = 512});
  // One generation that runs until cancelled holds the only slot, so the next two wait in the queue.
  std::shared_ptr<GenerationHandle> runner, first_waiting;
  GenerationRequest endless = Request("runs until cancelled", -1, 1);
  endless.ignore_eos = true;
  auto running = SubmitOne(scheduler, endless, &runner);
  while (scheduler.Stats().running == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto waiting1 = SubmitOne(scheduler, Request("waits", 4, 2), &first_waiting);
  auto waiting2 = SubmitOne(scheduler, Request("waits too", 4, 3));
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> one(1);
  EXPECT_EQ(scheduler.Submit(std::move(one)).status().code(), StatusCode::kOverloaded);
  // Its client leaves: the place is free before the running generation ends, and the job ends as cancelled.
  first_waiting->Cancel();
  EXPECT_EQ(waiting1.get()->finish, FinishReason::kCancelled);
  EXPECT_EQ(scheduler.Stats().running, 1);
  auto waiting3 = SubmitOne(scheduler, Request("takes the freed place", 4, 4));
  runner->Cancel();
  EXPECT_EQ(running.get()->finish, FinishReason::kCancelled);
  EXPECT_TRUE(waiting2.get().ok());
  EXPECT_TRUE(waiting3.get().ok());
}

TEST_F(SchedulerTest, CancelStopsAJobAndAFalseDeltaCallbackToo) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 2, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  std::shared_ptr<GenerationHandle> job;
  auto cancelled = SubmitOne(scheduler, Request("cancel me", -1, 1), &job);
  job->Cancel();
  int calls = 0;
  auto gone = SubmitOne(scheduler, Request("a client that leaves", 100, 2), nullptr,
                        [&](const OutputDelta&) { return ++calls < 3; });
  EXPECT_EQ(cancelled.get()->finish, FinishReason::kCancelled);
  Result<GenerationResult> g = gone.get();
  EXPECT_EQ(g->finish, FinishReason::kCancelled);
  EXPECT_LT(g->tokens.size(), 100u);
}

// Whole blocks of the cache are reused, never the prompt's last token (its logits are needed).
int64_t ReusableTokens(int64_t cached, int64_t prompt) {
  return std::min(cached, prompt - 1) / kKvBlockTokens * kKvBlockTokens;
}

TEST_F(SchedulerTest, AFollowUpRequestReusesItsConversation) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 3, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  GenerationRequest first = Request("the first turn of a conversation that is long enough to fill a few blocks", 6, 1);
  Result<GenerationResult> a = SubmitOne(scheduler, first).get();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(SubmitOne(scheduler, Request("an unrelated request", 4, 2)).get().ok());
  GenerationRequest second = first;
  second.prompt.insert(second.prompt.end(), a->tokens.begin(), a->tokens.end());
  second.prompt.push_back(5);
  Result<GenerationResult> b = SubmitOne(scheduler, second).get();
  ASSERT_TRUE(b.ok());
  const auto evaluated = static_cast<int64_t>(first.prompt.size() + a->tokens.size());
  EXPECT_EQ(b->cached_tokens, ReusableTokens(evaluated, static_cast<int64_t>(second.prompt.size())));
  EXPECT_GE(b->cached_tokens, 2 * kKvBlockTokens);
  EXPECT_EQ(b->tokens, Alone(second, 512));  // reused blocks give what evaluating everything gives
  const SchedulerStats stats = scheduler.Stats();
  EXPECT_EQ(stats.prefix_hit_tokens, b->cached_tokens);
  EXPECT_GT(stats.kv_blocks_prefix, 0);
}

TEST_F(SchedulerTest, CachedPrefixesAreNeverSharedAcrossTenants) {
  // Room for every tenant's copy, so nothing is evicted.
  Scheduler scheduler(*model_, *text_.tokenizer,
                      {.n_slots = 1, .max_queue = 8, .n_ctx = 128, .n_batch = 512, .kv_tokens = 1024});
  const GenerationRequest r =
      Request("a shared system prompt that both tenants send, long enough for two blocks", 2, 1);
  const int64_t reusable = ReusableTokens(static_cast<int64_t>(r.prompt.size()), static_cast<int64_t>(r.prompt.size()));
  ASSERT_GT(reusable, 0);
  ASSERT_TRUE(SubmitOne(scheduler, r, nullptr, nullptr, "alice").get().ok());
  Result<GenerationResult> bob = SubmitOne(scheduler, r, nullptr, nullptr, "bob").get();
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->cached_tokens, 0);  // alice's identical prompt is cached, but not for bob
  Result<GenerationResult> bob_again = SubmitOne(scheduler, r, nullptr, nullptr, "bob").get();
  EXPECT_EQ(bob_again->cached_tokens, reusable);
  Result<GenerationResult> alice = SubmitOne(scheduler, r, nullptr, nullptr, "alice").get();
  EXPECT_EQ(alice->cached_tokens, reusable);  // her own blocks
  Result<GenerationResult> carol = SubmitOne(scheduler, r, nullptr, nullptr, "").get();
  EXPECT_EQ(carol->cached_tokens, 0);  // the no-key tenant is one more tenant
  EXPECT_EQ(carol->tokens, bob->tokens);
}

// One engine step runs several sequences: with four concurrent jobs most steps carry more than one.
TEST_F(SchedulerTest, StepsBatchTheRunningSequences) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 4, .max_queue = 8, .n_ctx = 128, .n_batch = 64});
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 4; ++i) requests.push_back(Request("batched request " + std::to_string(i), 12, 40 + i));
  std::vector<std::future<Result<GenerationResult>>> futures = testing::SubmitTogether(scheduler, requests);
  for (size_t i = 0; i < futures.size(); ++i) {
    Result<GenerationResult> result = futures[i].get();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->tokens, Alone(requests[i], 64)) << i;
  }
  const SchedulerStats stats = scheduler.Stats();
  EXPECT_GE(stats.step_sequences, 3 * stats.steps) << stats.step_sequences << " sequences in " << stats.steps;
}

// A long prompt is evaluated in chunks within each step's token budget, beside the decodes: a short job that is
// decoding finishes while the long prompt is still being read.
TEST_F(SchedulerTest, ALongPromptDoesNotStallDecoding) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 2, .max_queue = 8, .n_ctx = 256, .n_batch = 8});
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += "word" + std::to_string(i) + " ";
  GenerationRequest long_request = Request(long_text, 2, 7);
  ASSERT_GT(long_request.prompt.size(), 80u);
  auto long_prefilling = std::make_shared<std::atomic<bool>>(true);
  auto short_done_while_prefilling = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> jobs;
  auto short_promise = std::make_shared<std::promise<void>>(), long_promise = std::make_shared<std::promise<void>>();
  GenerationCallbacks short_callbacks, long_callbacks;
  short_callbacks.on_done = [=](Result<GenerationResult> r) {
    EXPECT_TRUE(r.ok());
    short_done_while_prefilling->store(long_prefilling->load());
    short_promise->set_value();
  };
  long_callbacks.on_step = [=](const Generation& g) { long_prefilling->store(g.prefilling()); };
  long_callbacks.on_done = [=](Result<GenerationResult> r) {
    EXPECT_TRUE(r.ok());
    long_promise->set_value();
  };
  jobs.emplace_back(Request("short", 5, 3), std::move(short_callbacks));
  jobs.emplace_back(std::move(long_request), std::move(long_callbacks));
  ASSERT_TRUE(scheduler.Submit(std::move(jobs)).ok());
  short_promise->get_future().get();
  long_promise->get_future().get();
  EXPECT_TRUE(short_done_while_prefilling->load());
}

// A cache too small for every running sequence: the newest is preempted, resumes later, and still gives what it
// gives alone; nothing fails.
TEST_F(SchedulerTest, OutOfCacheMemoryPreemptsAndRecomputes) {
  Scheduler scheduler(
      *model_, *text_.tokenizer,
      {.n_slots = 3, .max_queue = 8, .n_ctx = 64, .n_batch = 16, .kv_tokens = 80, .prefix_cache = false});
  std::vector<GenerationRequest> requests;
  std::vector<std::future<Result<GenerationResult>>> futures;
  for (int i = 0; i < 3; ++i) {
    GenerationRequest r = Request("preemption candidate " + std::to_string(i), 40, 60 + i);
    r.ignore_eos = true;
    requests.push_back(r);
    futures.push_back(SubmitOne(scheduler, r));
  }
  for (size_t i = 0; i < futures.size(); ++i) {
    Result<GenerationResult> result = futures[i].get();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->tokens.size(), 40u);
    EXPECT_EQ(result->tokens, Alone(requests[i], 16)) << i;
  }
  const SchedulerStats stats = scheduler.Stats();
  EXPECT_GT(stats.preemptions, 0);
  EXPECT_EQ(stats.kv_blocks_free, stats.kv_blocks);
}

// More distinct prompts than the cache holds: least recently used prefixes are evicted, requests never fail.
TEST_F(SchedulerTest, ThePrefixCacheEvictsWhenMemoryIsNeeded) {
  Scheduler scheduler(*model_, *text_.tokenizer,
                      {.n_slots = 1, .max_queue = 8, .n_ctx = 64, .n_batch = 64, .kv_tokens = 64});
  for (int i = 0; i < 6; ++i) {
    Result<GenerationResult> r =
        SubmitOne(scheduler, Request("distinct prompt number " + std::to_string(i) + " with some more words", 3, i))
            .get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  const SchedulerStats stats = scheduler.Stats();
  EXPECT_LE(stats.kv_blocks_prefix, stats.kv_blocks);
  EXPECT_GT(stats.kv_blocks_prefix, 0);
}

// --cache-dir: the prefix cache outlives the scheduler; a damaged or foreign file is refused and ignored.
TEST_F(SchedulerTest, ThePrefixCachePersistsAndABadFileIsIgnored) {
  const std::string path = ::testing::TempDir() + "/scheduler_prefix_cache.bin";
  std::filesystem::remove(path);
  const GenerationRequest r = Request("a conversation worth keeping across a restart of the server process", 4, 9);
  SchedulerOptions options{.n_slots = 1, .max_queue = 8, .n_ctx = 128, .n_batch = 512};
  options.cache_file = path;
  options.fingerprint = "tiny model";
  std::vector<int32_t> expected;
  {
    Scheduler first(*model_, *text_.tokenizer, options);
    EXPECT_FALSE(first.restore_status().ok());  // no file yet
    Result<GenerationResult> result = SubmitOne(first, r, nullptr, nullptr, "alice").get();
    ASSERT_TRUE(result.ok());
    expected = result->tokens;
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    Scheduler second(*model_, *text_.tokenizer, options);
    EXPECT_TRUE(second.restore_status().ok()) << second.restore_status().ToString();
    Result<GenerationResult> again = SubmitOne(second, r, nullptr, nullptr, "alice").get();
    ASSERT_TRUE(again.ok());
    EXPECT_GT(again->cached_tokens, 0);
    EXPECT_EQ(again->tokens, expected);
    EXPECT_EQ(SubmitOne(second, r, nullptr, nullptr, "bob").get()->cached_tokens, 0);
  }
  options.fingerprint = "another model";
  {
    Scheduler foreign(*model_, *text_.tokenizer, options);
    EXPECT_FALSE(foreign.restore_status().ok());
    EXPECT_EQ(SubmitOne(foreign, r, nullptr, nullptr, "alice").get()->cached_tokens, 0);
  }
  options.fingerprint = "tiny model";
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
    f.put('\x5a');
  }
  {
    Scheduler damaged(*model_, *text_.tokenizer, options);
    EXPECT_FALSE(damaged.restore_status().ok());
    Result<GenerationResult> result = SubmitOne(damaged, r, nullptr, nullptr, "alice").get();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->cached_tokens, 0);
    EXPECT_EQ(result->tokens, expected);
  }
  std::filesystem::remove(path);
}

// Everything at once on a cache too small for the load: three tenants, shared prefixes, prompt log-probs, jobs
// cancelled at random moments from another thread, preemption and eviction. Every job ends exactly once, the ones
// not cancelled give what they give alone, and afterwards every block is free or held by the prefix cache only.
TEST_F(SchedulerTest, AMixedLoadEndsCleanAndLeaksNoBlock) {
  Scheduler scheduler(*model_, *text_.tokenizer,
                      {.n_slots = 4, .max_queue = 64, .n_ctx = 128, .n_batch = 24, .kv_tokens = 160});
  std::mt19937 rng(7);
  struct Submitted {
    GenerationRequest request;
    std::shared_ptr<GenerationHandle> job;
    std::future<Result<GenerationResult>> result;
    std::shared_ptr<std::atomic<int>> done_calls;
  };
  std::vector<Submitted> all;
  const std::string shared = "a system prompt that several requests share, long enough for a block or two: ";
  for (int i = 0; i < 24; ++i) {
    GenerationRequest r =
        Request((i % 3 == 0 ? shared : "") + "request " + std::to_string(i), 1 + static_cast<int>(rng() % 24), 500 + i);
    r.ignore_eos = i % 2 == 0;
    r.prompt_logprobs = i % 7 == 3;
    if (r.prompt_logprobs) r.top_logprobs = 1;
    auto promise = std::make_shared<std::promise<Result<GenerationResult>>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    GenerationCallbacks callbacks;
    callbacks.on_done = [promise, calls](Result<GenerationResult> result) {
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(result));
    };
    std::vector<std::pair<GenerationRequest, GenerationCallbacks>> jobs;
    jobs.emplace_back(r, std::move(callbacks));
    auto handles = scheduler.Submit(std::move(jobs), "tenant" + std::to_string(i % 3));
    ASSERT_TRUE(handles.ok());
    all.push_back({r, handles->front(), promise->get_future(), calls});
    if (i % 5 == 4) all[rng() % all.size()].job->Cancel();
  }
  for (Submitted& s : all) {
    Result<GenerationResult> result = s.result.get();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    if (s.job->cancelled()) continue;
    EXPECT_NE(result->finish, FinishReason::kCancelled);
    EXPECT_EQ(result->tokens, Alone(s.request, 24));
  }
  // The engine thread publishes its figures after the step that ended the last job.
  for (int i = 0; i < 200 && (scheduler.Stats().running > 0 || scheduler.Stats().waiting > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const Submitted& s : all) EXPECT_EQ(s.done_calls->load(), 1);
  const SchedulerStats stats = scheduler.Stats();
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(stats.kv_blocks_free + stats.kv_blocks_prefix, stats.kv_blocks);
  EXPECT_GT(stats.preemptions, 0);  // the load did exceed the cache
  EXPECT_GT(stats.prefix_hit_tokens, 0);
}

TEST_F(SchedulerTest, ShutdownFinishesEveryJobAsCancelled) {
  auto scheduler = std::make_unique<Scheduler>(
      *model_, *text_.tokenizer, SchedulerOptions{.n_slots = 1, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  auto running = SubmitOne(*scheduler, Request("runs until shutdown", -1, 1));
  auto waiting = SubmitOne(*scheduler, Request("waits until shutdown", -1, 2));
  scheduler->Shutdown();
  EXPECT_EQ(running.get()->finish, FinishReason::kCancelled);
  EXPECT_EQ(waiting.get()->finish, FinishReason::kCancelled);
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> late(1);
  EXPECT_FALSE(scheduler->Submit(std::move(late)).ok());
}

}  // namespace
}  // namespace baleen
