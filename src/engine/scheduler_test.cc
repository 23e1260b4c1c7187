// The scheduler on a tiny model: concurrent jobs give what they give alone, the queue limit, cancellation, prefix
// reuse across requests and shutdown with work in flight.
#include "engine/scheduler.h"

#include <future>

#include <gtest/gtest.h>

#include "engine/tiny_model_test_util.h"

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
  std::future<Result<GenerationResult>> SubmitOne(Scheduler& s, GenerationRequest r, std::shared_ptr<Job>* job = nullptr,
                                                  DeltaCallback on_delta = nullptr, const std::string& tenant = "") {
    auto promise = std::make_shared<std::promise<Result<GenerationResult>>>();
    JobCallbacks callbacks;
    callbacks.on_delta = std::move(on_delta);
    callbacks.on_done = [promise](Result<GenerationResult> result) { promise->set_value(std::move(result)); };
    std::vector<std::pair<GenerationRequest, JobCallbacks>> jobs;
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

TEST_F(SchedulerTest, AFullQueueRefusesAndErrorsComeThroughOnDone) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 1, .max_queue = 2, .n_ctx = 16, .n_batch = 512});
  std::vector<std::pair<GenerationRequest, JobCallbacks>> three(3);
  EXPECT_EQ(scheduler.Submit(std::move(three)).status().code(), StatusCode::kResourceExhausted);
  GenerationRequest too_long = Request(std::string(200, 'x'), 4, 1);
  Result<GenerationResult> result = SubmitOne(scheduler, too_long).get();
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(SchedulerTest, CancelStopsAJobAndAFalseDeltaCallbackToo) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 2, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  std::shared_ptr<Job> job;
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

TEST_F(SchedulerTest, AFollowUpRequestReusesItsConversationsSlot) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 3, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  GenerationRequest first = Request("the first turn of a conversation", 4, 1);
  Result<GenerationResult> a = SubmitOne(scheduler, first).get();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(SubmitOne(scheduler, Request("an unrelated request", 4, 2)).get().ok());
  GenerationRequest second = first;
  second.prompt.insert(second.prompt.end(), a->tokens.begin(), a->tokens.end());
  second.prompt.push_back(5);
  Result<GenerationResult> b = SubmitOne(scheduler, second).get();
  ASSERT_TRUE(b.ok());
  EXPECT_GE(b->cached_tokens, static_cast<int64_t>(first.prompt.size()));
}

TEST_F(SchedulerTest, CachedPrefixesAreNeverSharedAcrossTenants) {
  Scheduler scheduler(*model_, *text_.tokenizer, {.n_slots = 1, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  const GenerationRequest r = Request("a shared system prompt that both tenants send", 2, 1);
  ASSERT_TRUE(SubmitOne(scheduler, r, nullptr, nullptr, "alice").get().ok());
  Result<GenerationResult> bob = SubmitOne(scheduler, r, nullptr, nullptr, "bob").get();
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->cached_tokens, 0);  // the only slot held alice's identical prompt
  Result<GenerationResult> bob_again = SubmitOne(scheduler, r, nullptr, nullptr, "bob").get();
  EXPECT_EQ(bob_again->cached_tokens, static_cast<int64_t>(r.prompt.size()) - 1);
  Result<GenerationResult> alice = SubmitOne(scheduler, r, nullptr, nullptr, "alice").get();
  EXPECT_EQ(alice->cached_tokens, 0);  // and bob's tokens are not alice's either
}

TEST_F(SchedulerTest, ShutdownFinishesEveryJobAsCancelled) {
  auto scheduler = std::make_unique<Scheduler>(
      *model_, *text_.tokenizer, SchedulerOptions{.n_slots = 1, .max_queue = 8, .n_ctx = 128, .n_batch = 512});
  auto running = SubmitOne(*scheduler, Request("runs until shutdown", -1, 1));
  auto waiting = SubmitOne(*scheduler, Request("waits until shutdown", -1, 2));
  scheduler->Shutdown();
  EXPECT_EQ(running.get()->finish, FinishReason::kCancelled);
  EXPECT_EQ(waiting.get()->finish, FinishReason::kCancelled);
  std::vector<std::pair<GenerationRequest, JobCallbacks>> late(1);
  EXPECT_FALSE(scheduler->Submit(std::move(late)).ok());
}

}  // namespace
}  // namespace baleen
