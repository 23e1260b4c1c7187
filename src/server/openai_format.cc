// Response fragments in the OpenAI wire format.
#include "server/openai_format.h"

#include <chrono>
#include <random>

namespace baleen {

std::string NewId(std::string_view prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kHex[rng() & 15];
  return id;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void UsageCounts::Add(const GenerationResult& r, bool first_choice) {
  if (first_choice) {
    prompt += r.prompt_tokens;
    cached += r.cached_tokens;
  }
  completion += static_cast<int64_t>(r.tokens.size());
  reasoning += r.reasoning_tokens;
}

ojson UsageJson(const UsageCounts& u) {
  return {{"prompt_tokens", u.prompt},
          {"completion_tokens", u.completion},
          {"total_tokens", u.prompt + u.completion},
          {"prompt_tokens_details", {{"cached_tokens", u.cached}}},
          {"completion_tokens_details", {{"reasoning_tokens", u.reasoning}}},
          {"prompt_cache_hit_tokens", u.cached},
          {"prompt_cache_miss_tokens", u.prompt - u.cached}};
}

std::string TokenText(const Tokenizer& tokenizer, int32_t token) {
  return tokenizer.Decode(std::span(&token, 1));
}

namespace {

ojson TokenEntry(const Tokenizer& tokenizer, int32_t token, float logprob) {
  ojson bytes = ojson::array();
  for (unsigned char c : tokenizer.TokenBytes(token)) bytes.push_back(c);
  return {{"token", TokenText(tokenizer, token)}, {"logprob", logprob}, {"bytes", bytes}};
}

}  // namespace

ojson ChatLogprobsJson(const Tokenizer& tokenizer, std::span<const TokenLogprob> logprobs) {
  ojson content = ojson::array();
  for (const TokenLogprob& lp : logprobs) {
    ojson entry = TokenEntry(tokenizer, lp.token, lp.logprob);
    ojson top = ojson::array();
    for (const auto& [id, value] : lp.top) top.push_back(TokenEntry(tokenizer, id, value));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return {{"content", std::move(content)}};
}

ojson ToolCallsJson(std::span<const ToolCall> calls, int first_index, bool with_index) {
  ojson out = ojson::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    ojson call;
    if (with_index) call["index"] = first_index + static_cast<int>(i);
    call["id"] = NewId("call_");
    call["type"] = "function";
    call["function"] = {{"name", calls[i].name}, {"arguments", calls[i].arguments}};
    out.push_back(std::move(call));
  }
  return out;
}

const char* FinishReasonFor(const GenerationResult& result) {
  switch (result.finish) {
    case FinishReason::kStop: return result.tool_calls.empty() ? "stop" : "tool_calls";
    case FinishReason::kLength: return "length";
    // Only a shutdown cancels a generation whose client is still there to read it. OpenAI has no value for that;
    // "length" tells clients the truth they act on: the output was cut short, not finished.
    case FinishReason::kCancelled: return "length";
  }
  return "stop";
}

std::string SseData(const ojson& payload) { return "data: " + payload.dump() + "\n\n"; }

net::awaitable<void> ReplyJson(HttpExchange& exchange, int status, const ojson& body) {
  co_await exchange.Reply(status, "application/json", body.dump());
}

net::awaitable<void> ReplyError(HttpExchange& exchange, const ApiError& error) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (error.retry_after()) headers.emplace_back("Retry-After", "1");
  if (error.kind == ErrorKind::kUnauthorized) headers.emplace_back("WWW-Authenticate", "Bearer");
  co_await exchange.Reply(error.status(), "application/json", error.ToJson().dump(), std::move(headers));
}

}  // namespace baleen
