// JSON pieces shared by the OpenAI-shaped responses: ids, usage, log-probs, tool calls, SSE framing and error
// replies. Server layer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/generation/generate.h"
#include "server/api_request.h"
#include "server/http_server.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {

using ojson = nlohmann::ordered_json;

// "chatcmpl-" + 24 random hex digits (not derived from anything in the request).
std::string NewId(std::string_view prefix);
int64_t UnixNow();

struct UsageCounts {
  int64_t prompt = 0, completion = 0, cached = 0, reasoning = 0;
  void Add(const GenerationResult& r, bool first_choice);  // the prompt counts once for n choices
};
// OpenAI's usage with DeepSeek's cache-hit/miss split.
ojson UsageJson(const UsageCounts& usage);

// Chat log-probs: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}.
ojson ChatLogprobsJson(const Tokenizer& tokenizer, std::span<const TokenLogprob> logprobs);
// One token as log-prob entries show it: its text (U+FFFD for a partial UTF-8 character) and its exact bytes.
std::string TokenText(const Tokenizer& tokenizer, int32_t token);

// [{"id", "type": "function", "function": {"name", "arguments"}}], with "index" for stream deltas.
ojson ToolCallsJson(std::span<const ToolCall> calls, int first_index, bool with_index);

// OpenAI's values only: "stop", "tool_calls" (a stop after tool calls), or "length" (the token limit or the context
// ended it, or a shutdown cut it short).
const char* FinishReasonFor(const GenerationResult& result);

std::string SseData(const ojson& payload);  // "data: {...}\n\n"

// Replies with {"error": {...}} and the error's status, with Retry-After where the error table says so.
net::awaitable<void> ReplyError(HttpExchange& exchange, const ApiError& error);
net::awaitable<void> ReplyJson(HttpExchange& exchange, int status, const ojson& body);

}  // namespace baleen
