// libFuzzer target for the API request parsers: the input is parsed as JSON (without exceptions) and handed to all
// four parsers. Nothing may crash or throw; an error must serialize; an accepted request must satisfy the engine's
// own checks (anything the API lets through, ValidateSamplingParams must accept). Fuzz harness.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/sampling/sampler.h"
#include "server/api_request.h"

namespace {

// Larger than any token id the parsers accept, so only the ranges are compared.
constexpr int64_t kVocabSize = int64_t{1} << 32;

void Require(bool condition) {
  if (!condition) std::abort();
}

// An error is a 400 with a message, and its JSON form dumps with the strict UTF-8 handler.
void CheckError(const std::optional<baleen::ApiError>& error) {
  if (!error) return;
  Require(error->status() == 400 && !error->message.empty());
  (void)error->ToJson().dump();
}

void CheckCommon(const baleen::CommonParams& common, const baleen::RequestLimits& limits) {
  Require(baleen::ValidateSamplingParams(common.sampling, kVocabSize).ok());
  Require(common.n >= 1 && common.n <= limits.max_n);
  Require(common.stop.size() <= static_cast<size_t>(limits.max_stop));
  Require(common.max_tokens >= -1);
  Require(!common.include_usage || common.stream);
}

void FuzzChat(const nlohmann::json& body, const baleen::RequestLimits& limits) {
  baleen::ChatParams chat;
  const std::optional<baleen::ApiError> error = baleen::ParseChatParams(body, limits, &chat);
  CheckError(error);
  if (error) return;
  CheckCommon(chat.common, limits);
  Require(chat.messages.is_array() && !chat.messages.empty());
  for (const auto& message : chat.messages) {
    Require(message["role"].is_string() && (message["content"].is_string() || message["content"].is_null()));
  }
  Require(chat.tools.is_null() || (chat.tools.is_array() && !chat.tools.empty()));
  Require(chat.top_logprobs == 0 || chat.logprobs);
  (void)chat.messages.dump();
  (void)chat.tools.dump();
}

void FuzzCompletion(const nlohmann::json& body, const baleen::RequestLimits& limits) {
  baleen::CompletionParams completion;
  const std::optional<baleen::ApiError> error = baleen::ParseCompletionParams(body, limits, &completion);
  CheckError(error);
  if (error) return;
  CheckCommon(completion.common, limits);
  Require(!completion.prompts.empty());
  for (const auto& prompt : completion.prompts) {
    for (int32_t id : prompt.ids) Require(id >= 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  const baleen::RequestLimits limits;
  FuzzChat(body, limits);
  FuzzCompletion(body, limits);
  baleen::TokenizeParams tokenize;
  CheckError(baleen::ParseTokenizeParams(body, &tokenize));
  baleen::DetokenizeParams detokenize;
  const std::optional<baleen::ApiError> error = baleen::ParseDetokenizeParams(body, &detokenize);
  CheckError(error);
  for (int32_t id : detokenize.tokens) Require(error || id >= 0);
  return 0;
}
