// Test-only: submitting generations to a Scheduler and collecting their results as futures. Engine layer tests.
#pragma once

#include <future>
#include <memory>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/scheduling/scheduler.h"

namespace baleen::testing {

// Submits the requests in one Submit call, so they start together; one future per request, in order.
inline std::vector<std::future<Result<GenerationResult>>> SubmitTogether(Scheduler& scheduler,
                                                                         const std::vector<GenerationRequest>& requests) {
  std::vector<std::future<Result<GenerationResult>>> futures;
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> generations;
  for (const GenerationRequest& r : requests) {
    auto promise = std::make_shared<std::promise<Result<GenerationResult>>>();
    futures.push_back(promise->get_future());
    GenerationCallbacks callbacks;
    callbacks.on_done = [promise](Result<GenerationResult> result) { promise->set_value(std::move(result)); };
    generations.emplace_back(r, std::move(callbacks));
  }
  EXPECT_TRUE(scheduler.Submit(std::move(generations)).ok());
  return futures;
}

}  // namespace baleen::testing
