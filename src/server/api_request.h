// The OpenAI/DeepSeek request bodies, checked and turned into engine terms. Server layer.
//
// Parsing is strict about what a field holds and lenient about what is there: unknown fields are ignored (clients
// send vendor extensions), a known field of the wrong type or out of range is a 400 that names the field
// ("messages[2].content", "stop[3]", "logit_bias.50256"). Nothing here touches the model; the handlers check what
// needs it (token ids against the vocabulary, the prompt against the context).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling/sampler.h"
#include "server/api_error.h"

namespace baleen {

// Limits a request must respect; the server fills them from its flags.
struct RequestLimits {
  int max_stop = 16;              // entries in `stop`
  int max_n = 8;                  // choices per request
  int max_top_logprobs = 20;      // OpenAI's limit
  int64_t max_tokens_limit = -1;  // -1: no cap beyond the context
  size_t max_messages = 4096;
  size_t max_tools = 128;
};

// Fields shared by /v1/chat/completions and /v1/completions.
struct CommonParams {
  std::string model;        // echoed back; any value is accepted (one model is loaded)
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage; false unless stream (options without it are ignored)
  int64_t max_tokens = -1;     // max_completion_tokens, else max_tokens; -1: not given
  SamplingParams sampling;     // engine defaults for fields not given; seed random unless given
  bool seed_given = false;
  std::vector<std::string> stop;  // a string or a list of strings; empty strings rejected
  int n = 1;
  std::string user;
  bool ignore_eos = false;  // llama.cpp's extension: generate through end-of-text tokens (benchmarks)
};

struct ChatParams {
  CommonParams common;
  // Validated messages, normalized for the chat template: every message an object with a known role (system,
  // developer, user, assistant, tool); `content` a string or null (an array of {"type": "text", "text"} parts is
  // joined into one string with no separator; other part types are a 400 naming the part; null only for an
  // assistant message with tool_calls); `name` a string; assistant `reasoning_content` a string;
  // assistant `tool_calls` an array of {"id", "type": "function", "function": {"name", "arguments" (string)}};
  // tool messages a string `content` and a `tool_call_id`; DeepSeek's `prefix: true` (chat prefix completion) on
  // a last assistant message. Unknown fields of a message are dropped.
  nlohmann::ordered_json messages;
  // null, or a validated array of {"type": "function", "function": {"name", "description"?, "parameters"?}}.
  nlohmann::ordered_json tools;
  // "none", "auto", "required", or the name of one of `tools` (from {"type":"function","function":{"name"}}).
  // Defaults to "auto" with tools and "none" without, as OpenAI does.
  std::string tool_choice = "auto";
  bool tool_choice_is_name = false;  // tool_choice names a tool (a tool may itself be called "auto" or "none")
  bool parallel_tool_calls = true;
  bool logprobs = false;
  int top_logprobs = 0;      // 0..max_top_logprobs; needs logprobs: true
  bool json_object = false;  // response_format {"type": "json_object"}; "text" is the default; others are 400
  // DeepSeek `thinking: {"type": "enabled" | "disabled"}`, or OpenAI `reasoning_effort` ("none"/"minimal" off,
  // "low"/"medium"/"high"/"xhigh"/"max" on), or the chat_template_kwargs `enable_thinking`/`thinking` booleans;
  // unset: model default. When several are given, `thinking` wins, then the kwargs, then reasoning_effort.
  std::optional<bool> thinking;
  std::string reasoning_effort;  // as given ("" when absent), for formats that take a level (V4: "high", "max")
};

struct CompletionParams {
  CommonParams common;
  // `prompt`: a string, a list of strings, a list of token ids, or a list of lists of token ids. One entry per
  // element of this vector; each entry is either text or ids.
  struct Prompt {
    std::string text;
    std::vector<int32_t> ids;
    bool is_ids = false;
  };
  std::vector<Prompt> prompts;
  std::optional<std::string> suffix;  // fill-in-the-middle
  bool echo = false;
  std::optional<int> logprobs;  // the legacy integer: top alternatives per token, 0..5 (0: the chosen token only)
};

struct TokenizeParams {
  std::string content;        // "content" (llama.cpp) or "prompt"
  bool add_special = false;   // add BOS where the vocabulary asks for it
  bool with_pieces = false;   // return {"id", "piece"} objects instead of ids
};

struct DetokenizeParams {
  std::vector<int32_t> tokens;
};

// Each returns nullopt and fills `out`, or the error naming the first offending field.
std::optional<ApiError> ParseChatParams(const nlohmann::json& body, const RequestLimits& limits, ChatParams* out);
std::optional<ApiError> ParseCompletionParams(const nlohmann::json& body, const RequestLimits& limits,
                                              CompletionParams* out);
std::optional<ApiError> ParseTokenizeParams(const nlohmann::json& body, TokenizeParams* out);
std::optional<ApiError> ParseDetokenizeParams(const nlohmann::json& body, DetokenizeParams* out);

}  // namespace baleen
