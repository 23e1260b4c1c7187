// The decode loop. Text passes token → UTF-8 (StreamDecoder) → stop strings → reasoning/answer split, so a stop
// string is never emitted and a marker split across tokens is still recognized.
#include "engine/generate.h"

#include <algorithm>
#include <chrono>

#include "engine/stop_strings.h"
#include "text/tokenizer/detokenizer.h"

namespace baleen {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Accumulate(const OutputDelta& delta, GenerationResult& result) {
  result.reasoning += delta.reasoning;
  result.content += delta.content;
  result.tool_calls.insert(result.tool_calls.end(), delta.tool_calls.begin(), delta.tool_calls.end());
}

}  // namespace

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "stop";
}

std::vector<int32_t> EndOfGenerationIds(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  if (tokenizer.vocab().eos_id) ids.push_back(*tokenizer.vocab().eos_id);
  for (const char* marker : {"<｜end▁of▁sentence｜>", "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>"}) {
    if (auto id = tokenizer.AddedTokenId(marker); id && std::find(ids.begin(), ids.end(), *id) == ids.end()) {
      ids.push_back(*id);
    }
  }
  return ids;
}

Result<GenerationResult> Generate(Session& session, const Tokenizer& tokenizer, const GenerationRequest& request,
                                  const DeltaCallback& on_delta, const std::atomic<bool>* cancel) {
  const int64_t vocab = session.model().vocab_size();
  RETURN_IF_ERROR(ValidateSamplingParams(request.sampling, vocab));
  if (request.prompt.empty()) return InvalidArgument("the prompt is empty");
  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(request.prompt.size());

  // Reuse the cached prefix, but always re-evaluate at least the last prompt token to get its logits.
  const auto t_prompt = std::chrono::steady_clock::now();
  const int64_t reuse = std::min(session.CommonPrefix(request.prompt), result.prompt_tokens - 1);
  result.cached_tokens = reuse;
  session.Truncate(reuse);
  std::vector<float> logits;
  RETURN_IF_ERROR(session.Append(std::span(request.prompt).subspan(static_cast<size_t>(reuse)), LogitsFor::kLast,
                                 &logits));
  result.prompt_seconds = Seconds(t_prompt);

  const auto t_gen = std::chrono::steady_clock::now();
  Sampler sampler(request.sampling, vocab);
  const std::vector<int32_t> end_ids = EndOfGenerationIds(tokenizer);
  DecodeOptions decode_options;
  decode_options.skip_special_tokens = true;  // EOS and other control tokens are never answer text
  StreamDecoder decoder(tokenizer, decode_options);
  StopStringMatcher stops(request.stop);
  OutputParser parser(request.output);
  bool in_reasoning = request.output.starts_in_reasoning;
  bool client_gone = false;
  auto emit = [&](const OutputDelta& delta) {
    if (delta.empty()) return;
    if (!delta.content.empty() || !delta.tool_calls.empty()) in_reasoning = false;
    if (!delta.reasoning.empty() && delta.content.empty()) in_reasoning = true;
    Accumulate(delta, result);
    if (on_delta && !on_delta(delta)) client_gone = true;
  };

  result.finish = FinishReason::kLength;
  while (request.max_tokens < 0 || static_cast<int64_t>(result.tokens.size()) < request.max_tokens) {
    if (cancel != nullptr && cancel->load()) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    const int32_t token = sampler.Sample(logits, session.tokens());
    if (!request.ignore_eos && std::find(end_ids.begin(), end_ids.end(), token) != end_ids.end()) {
      result.finish = FinishReason::kStop;
      break;
    }
    result.tokens.push_back(token);
    if (in_reasoning) ++result.reasoning_tokens;
    StopStringMatcher::Result text = stops.Push(decoder.Push(token));
    emit(parser.Push(text.emit));
    if (text.stopped) {
      result.finish = FinishReason::kStop;
      break;
    }
    if (client_gone) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    if (session.tokens().size() >= static_cast<size_t>(session.n_ctx())) break;  // context full: "length"
    RETURN_IF_ERROR(session.Append(std::span(&token, 1), LogitsFor::kLast, &logits));
  }
  if (!stops.stopped()) emit(parser.Push(stops.Push(decoder.Finish()).emit + stops.Flush()));
  emit(parser.Finish());
  result.generation_seconds = Seconds(t_gen);
  return result;
}

}  // namespace baleen
