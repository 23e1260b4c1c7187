// Generation: evaluate a prompt (reusing the cached common prefix), then sample token by token, streaming text
// split into reasoning and answer, until EOS, a stop string, max_tokens, the end of the context or cancellation.
// Engine layer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "text/output/output_parser.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  int64_t max_tokens = -1;  // -1: until EOS or the end of the context
  std::vector<std::string> stop;
  bool ignore_eos = false;
  OutputParserOptions output;  // where reasoning starts, whether tool calls are parsed
};

enum class FinishReason { kStop, kLength, kCancelled };
const char* FinishReasonName(FinishReason reason);  // "stop", "length", "cancelled"

struct GenerationResult {
  std::string reasoning, content;
  std::vector<ToolCall> tool_calls;
  std::vector<int32_t> tokens;  // generated tokens (the stop token excluded)
  FinishReason finish = FinishReason::kStop;
  int64_t prompt_tokens = 0, cached_tokens = 0, reasoning_tokens = 0;
  double prompt_seconds = 0.0, generation_seconds = 0.0;
};

// Called with each piece of output as it becomes certain; return false to stop generating (a client went away).
using DeltaCallback = std::function<bool(const OutputDelta& delta)>;

// Token ids that end generation: the vocabulary's EOS plus the end-of-turn tokens of the families Baleen runs.
std::vector<int32_t> EndOfGenerationIds(const Tokenizer& tokenizer);

Result<GenerationResult> Generate(Session& session, const Tokenizer& tokenizer, const GenerationRequest& request,
                                  const DeltaCallback& on_delta, const std::atomic<bool>* cancel = nullptr);

}  // namespace baleen
