// Checks the OpenAI/DeepSeek request bodies and turns them into ChatParams, CompletionParams and the tokenize
// bodies. Server layer. The field reader of json_fields.h (Fields over one JSON object, Errors keeping the first
// failure) lets each parser read as a list of fields.
#include "server/api_request.h"

#include "server/json_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace baleen {
namespace {

using namespace json_fields;

using OrderedJson = nlohmann::ordered_json;

constexpr size_t kMaxPrompts = 64;     // entries of a list `prompt`
constexpr int kMaxLegacyLogprobs = 5;  // OpenAI's cap on the completions `logprobs` integer
constexpr int kMaxSchemaDepth = 64;    // nesting of a tool's `parameters`; deeper is not a real schema
// --- fields shared by chat and completions ---

void ParseStreamOptions(const Fields& f, CommonParams* out) {
  f.Bool("stream", &out->stream);
  const Json* options = f.Object("stream_options");
  if (options == nullptr) return;
  bool include_usage = false;
  Fields(*options, f.Param("stream_options"), f.errors()).Bool("include_usage", &include_usage);
  // OpenAI and vLLM reject stream_options without stream: true. We accept and ignore them instead: wrappers send
  // the same options on every call, and the meaning is plain (no stream, so no usage chunk).
  out->include_usage = out->stream && include_usage;
}

// max_completion_tokens (OpenAI's current name) wins over the deprecated max_tokens; both are checked.
void ParseMaxTokens(const Fields& f, const RequestLimits& limits, int64_t min_tokens, CommonParams* out) {
  const IntRange range{min_tokens, limits.max_tokens_limit >= 0 ? limits.max_tokens_limit : kNoMax};
  int64_t legacy = -1;
  int64_t current = -1;
  f.Int("max_tokens", range, &legacy);
  const bool has_current = f.Int("max_completion_tokens", range, &current);
  out->max_tokens = has_current ? current : legacy;
}

// A logit_bias key: a token id in decimal, without sign or leading zeros (so "7" and "007" cannot both bias 7).
bool ParseTokenIdKey(const std::string& key, int32_t* id) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  int64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > kInt32Max) return false;
  *id = static_cast<int32_t>(value);
  return true;
}

void ParseLogitBias(const Fields& f, std::vector<std::pair<int32_t, float>>* out) {
  const Json* bias = f.Object("logit_bias");
  if (bias == nullptr) return;
  Errors* errors = f.errors();
  for (auto it = bias->begin(); it != bias->end() && !errors->failed(); ++it) {
    const std::string param = f.Param("logit_bias") + "." + Truncate(it.key());
    int32_t id = 0;
    double value = 0;
    if (!ParseTokenIdKey(it.key(), &id)) {
      errors->Fail(param, "invalid_value", "'logit_bias' keys must be token ids in decimal, got " + Describe(it.key()));
    } else if (errors->Number(it.value(), param, {-100, 100}, &value)) {
      out->emplace_back(id, static_cast<float>(value));
    }
  }
}

// top_k: an integer >= 0 (0 = off); llama.cpp clients send -1 for off.
void ParseTopK(const Fields& f, int32_t* top_k) {
  if (f.Int("top_k", {-1, kInt32Max}, top_k) && *top_k == -1) *top_k = 0;
}

// Ranges are OpenAI's where OpenAI has the field. The engine takes temperatures up to 100, but the API keeps
// OpenAI's cap of 2 so that a request behaves the same here as against OpenAI or DeepSeek.
void ParseSampling(const Fields& f, SamplingParams* s) {
  f.Number("temperature", {0, 2}, &s->temperature);
  f.Number("top_p", {0, 1, /*min_open=*/true}, &s->top_p);
  ParseTopK(f, &s->top_k);
  f.Number("min_p", {0, 1}, &s->min_p);
  f.Number("presence_penalty", {-2, 2}, &s->presence_penalty);
  f.Number("frequency_penalty", {-2, 2}, &s->frequency_penalty);
  f.Number("repetition_penalty", {0, INFINITY, /*min_open=*/true}, &s->repetition_penalty);
  ParseLogitBias(f, &s->logit_bias);
}

// Any int64 (stored as its two's complement) and, for seeds drawn as 64 random bits, any uint64.
void ParseSeed(const Fields& f, CommonParams* out) {
  const Json* v = f.Get("seed");
  if (v == nullptr || f.errors()->failed()) return;
  if (v->is_number_unsigned()) {
    out->sampling.seed = v->get<uint64_t>();
    out->seed_given = true;
    return;
  }
  int64_t seed = 0;
  if (!f.Int("seed", {kNoMin, kNoMax}, &seed)) return;
  out->sampling.seed = static_cast<uint64_t>(seed);
  out->seed_given = true;
}

void AddStop(const Json& v, const std::string& param, Errors* errors, std::vector<std::string>* out) {
  std::string stop;
  if (!errors->String(v, param, &stop)) return;
  if (stop.empty()) return errors->Fail(param, "invalid_value", Quote(param) + " must not be an empty string");
  out->push_back(std::move(stop));
}

void ParseStop(const Fields& f, const RequestLimits& limits, std::vector<std::string>* out) {
  const Json* stop = f.Get("stop");
  Errors* errors = f.errors();
  if (stop == nullptr || errors->failed()) return;
  if (stop->is_string()) return AddStop(*stop, "stop", errors, out);
  if (!stop->is_array()) return errors->TypeError("stop", "a string or an array of strings", *stop);
  if (TooMany(errors, "stop", stop->size(), static_cast<size_t>(limits.max_stop), "strings")) return;
  for (size_t i = 0; i < stop->size(); ++i) AddStop((*stop)[i], Index("stop", i), errors, out);
}

void ParseCommon(const Fields& f, const RequestLimits& limits, int64_t min_tokens, CommonParams* out) {
  f.String("model", &out->model);
  ParseStreamOptions(f, out);
  ParseMaxTokens(f, limits, min_tokens, out);
  ParseSampling(f, &out->sampling);
  ParseSeed(f, out);
  ParseStop(f, limits, &out->stop);
  f.Int("n", {1, limits.max_n}, &out->n);
  f.String("user", &out->user);
  f.Bool("ignore_eos", &out->ignore_eos);
}

// --- chat messages ---

constexpr std::string_view kRoles[] = {"system", "developer", "user", "assistant", "tool"};

bool IsRole(std::string_view role) {
  for (std::string_view known : kRoles) {
    if (role == known) return true;
  }
  return false;
}

// Appends the text of one content part. Only text parts exist for a text-only model; an image or audio part is a
// 400 naming it rather than being dropped, so the client learns the model never saw it.
void AppendTextPart(const Json& part, const std::string& path, Errors* errors, std::string* text) {
  if (!part.is_object()) return errors->TypeError(path, "a content part object", part);
  Fields f(part, path, errors);
  std::string type;
  if (!f.String("type", &type, /*required=*/true)) return;
  if (type != "text") {
    return errors->Fail(f.Param("type"), "unsupported_value",
                        Quote(f.Param("type")) + " " + Describe(Json(type)) +
                            " is not supported: this server accepts only \"text\" content parts");
  }
  std::string piece;
  if (f.String("text", &piece, /*required=*/true)) text->append(piece);
}

// `content` as a string or null. Text parts are joined with nothing between them: OpenAI documents no separator
// and the parts are pieces of one message, so we add no text the client did not send (vLLM and llama.cpp insert
// "\n"; a client wanting a break can put it in a part).
OrderedJson ParseContent(const Fields& f, bool nullable) {
  const Json* content = f.Get("content");
  Errors* errors = f.errors();
  const std::string param = f.Param("content");
  if (content == nullptr) {
    if (!nullable) errors->Fail(param, "missing_required_parameter", Quote(param) + " is required");
    return nullptr;
  }
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) return errors->TypeError(param, "a string or an array of text parts", *content), nullptr;
  std::string text;
  for (size_t i = 0; i < content->size() && !errors->failed(); ++i) {
    AppendTextPart((*content)[i], Index(param, i), errors, &text);
  }
  return text;
}

// One past call: {"id", "type": "function", "function": {"name", "arguments"}}; arguments is JSON text, as sent.
OrderedJson ParseToolCall(const Json& call, const std::string& path, Errors* errors) {
  if (!call.is_object()) return errors->TypeError(path, "an object", call), nullptr;
  Fields f(call, path, errors);
  std::string id, type = "function", name, arguments;
  f.String("id", &id, /*required=*/true);
  if (f.String("type", &type) && type != "function") errors->ValueError(f.Param("type"), "\"function\"", Json(type));
  if (const Json* function = f.Object("function", /*required=*/true)) {
    Fields fn(*function, f.Param("function"), errors);
    fn.String("name", &name, /*required=*/true);
    fn.String("arguments", &arguments, /*required=*/true);
  }
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

// reasoning_content, tool_calls and DeepSeek's `prefix` (chat prefix completion: only on the last message).
void ParseAssistantFields(const Fields& f, bool is_last, OrderedJson* message) {
  Errors* errors = f.errors();
  std::string reasoning;
  if (f.String("reasoning_content", &reasoning)) (*message)["reasoning_content"] = reasoning;
  if (const Json* calls = f.Array("tool_calls"); calls != nullptr && !calls->empty()) {
    OrderedJson parsed = OrderedJson::array();
    for (size_t i = 0; i < calls->size() && !errors->failed(); ++i) {
      parsed.push_back(ParseToolCall((*calls)[i], Index(f.Param("tool_calls"), i), errors));
    }
    (*message)["tool_calls"] = std::move(parsed);
  }
  bool prefix = false;
  if (f.Bool("prefix", &prefix) && prefix) {
    if (!is_last) {
      return errors->Fail(f.Param("prefix"), "invalid_value",
                          Quote(f.Param("prefix")) + " is allowed only on the last message");
    }
    (*message)["prefix"] = true;
  }
  if ((*message)["content"].is_null() && !message->contains("tool_calls")) {
    errors->Fail(f.Param("content"), "missing_required_parameter",
                 Quote(f.Param("content")) + " is required unless the message has tool_calls");
  }
}

OrderedJson ParseMessage(const Json& m, const std::string& path, bool is_last, Errors* errors) {
  if (!m.is_object()) return errors->TypeError(path, "a message object", m), nullptr;
  Fields f(m, path, errors);
  std::string role;
  if (f.String("role", &role, /*required=*/true) && !IsRole(role)) {
    errors->ValueError(f.Param("role"), "one of system, developer, user, assistant, tool", Json(role));
  }
  if (errors->failed()) return nullptr;
  OrderedJson message = {{"role", role}};
  message["content"] = ParseContent(f, /*nullable=*/role == "assistant");
  std::string name;
  if (f.String("name", &name)) message["name"] = name;
  if (role == "assistant") ParseAssistantFields(f, is_last, &message);
  std::string call_id;
  if (role == "tool" && f.String("tool_call_id", &call_id, /*required=*/true)) message["tool_call_id"] = call_id;
  return message;
}

void ParseMessages(const Fields& f, const RequestLimits& limits, OrderedJson* out) {
  const Json* messages = f.Array("messages", /*required=*/true);
  Errors* errors = f.errors();
  if (messages == nullptr) return;
  if (messages->empty()) return errors->Fail("messages", "invalid_value", "'messages' must not be empty");
  if (TooMany(errors, "messages", messages->size(), limits.max_messages, "messages")) return;
  *out = OrderedJson::array();
  for (size_t i = 0; i < messages->size() && !errors->failed(); ++i) {
    out->push_back(ParseMessage((*messages)[i], Index("messages", i), i + 1 == messages->size(), errors));
  }
}

// --- tools and tool_choice ---

// OpenAI's rule for function names: ^[a-zA-Z0-9_-]{1,64}$.
bool IsToolName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Bounded recursion: the schema is copied (recursively) into the result, so a hostile depth is refused first.
int Depth(const Json& v, int limit) {
  if (!v.is_structured() || limit == 0) return 0;
  int deepest = 0;
  for (const Json& child : v) deepest = std::max(deepest, Depth(child, limit - 1));
  return deepest + 1;
}

OrderedJson ParseFunction(const Fields& fn) {
  Errors* errors = fn.errors();
  std::string name, description;
  if (fn.String("name", &name, /*required=*/true) && !IsToolName(name)) {
    errors->ValueError(fn.Param("name"), "1 to 64 letters, digits, '_' or '-'", Json(name));
  }
  OrderedJson function = {{"name", name}};
  if (fn.String("description", &description)) function["description"] = description;
  const Json* parameters = fn.Object("parameters");
  if (parameters != nullptr && Depth(*parameters, kMaxSchemaDepth + 1) > kMaxSchemaDepth) {
    errors->Fail(fn.Param("parameters"), "invalid_value",
                 Quote(fn.Param("parameters")) + " is nested deeper than " + std::to_string(kMaxSchemaDepth));
  } else if (parameters != nullptr) {
    function["parameters"] = OrderedJson(*parameters);
  }
  return function;
}

OrderedJson ParseTool(const Json& tool, const std::string& path, Errors* errors) {
  if (!tool.is_object()) return errors->TypeError(path, "a tool object", tool), nullptr;
  Fields f(tool, path, errors);
  std::string type;
  if (f.String("type", &type, /*required=*/true) && type != "function") {
    errors->ValueError(f.Param("type"), "\"function\"", Json(type));
  }
  const Json* function = f.Object("function", /*required=*/true);
  if (function == nullptr) return nullptr;
  return {{"type", "function"}, {"function", ParseFunction(Fields(*function, f.Param("function"), errors))}};
}

// Index of the tool called `name`, or -1.
int FindTool(const OrderedJson& tools, const std::string& name, size_t end) {
  for (size_t i = 0; i < end && i < tools.size(); ++i) {
    if (tools[i]["function"]["name"] == name) return static_cast<int>(i);
  }
  return -1;
}

// null when absent or empty (clients often send "tools": [] to mean none), else the validated list.
void ParseTools(const Fields& f, const RequestLimits& limits, OrderedJson* out) {
  const Json* tools = f.Array("tools");
  Errors* errors = f.errors();
  if (tools == nullptr || tools->empty()) return;
  if (TooMany(errors, "tools", tools->size(), limits.max_tools, "tools")) return;
  *out = OrderedJson::array();
  for (size_t i = 0; i < tools->size() && !errors->failed(); ++i) {
    OrderedJson tool = ParseTool((*tools)[i], Index("tools", i), errors);
    if (errors->failed()) return;
    const std::string name = tool["function"]["name"].get<std::string>();
    if (const int earlier = FindTool(*out, name, i); earlier >= 0) {
      const std::string param = Index("tools", i) + ".function.name";
      return errors->Fail(
          param, "invalid_value",
          Quote(param) + " " + Describe(Json(name)) + " repeats tools[" + std::to_string(earlier) + "]");
    }
    out->push_back(std::move(tool));
  }
}

// The name in {"type": "function", "function": {"name": N}}, or "" after an error.
std::string NamedToolChoice(const Json& choice, Errors* errors) {
  Fields f(choice, "tool_choice", errors);
  std::string type, name;
  if (f.String("type", &type, /*required=*/true) && type != "function") {
    errors->ValueError(f.Param("type"), "\"function\"", Json(type));
  }
  if (const Json* function = f.Object("function", /*required=*/true)) {
    Fields(*function, f.Param("function"), errors).String("name", &name, /*required=*/true);
  }
  return name;
}

void ParseToolChoice(const Fields& f, ChatParams* out) {
  const bool has_tools = out->tools.is_array();
  out->tool_choice = has_tools ? "auto" : "none";
  const Json* choice = f.Get("tool_choice");
  Errors* errors = f.errors();
  if (choice == nullptr || errors->failed()) return;
  constexpr std::string_view kExpected = "\"none\", \"auto\", \"required\" or {\"type\": \"function\", ...}";
  std::string value;
  const bool named = choice->is_object();
  if (named) {
    value = NamedToolChoice(*choice, errors);
  } else if (!choice->is_string()) {
    return errors->TypeError("tool_choice", kExpected, *choice);
  } else if (value = choice->get<std::string>(); value != "none" && value != "auto" && value != "required") {
    return errors->ValueError("tool_choice", kExpected, *choice);
  }
  if (errors->failed()) return;
  if (!has_tools && (named || value != "none")) {
    return errors->Fail("tool_choice", "invalid_value",
                        "'tool_choice' needs 'tools'; without tools only \"none\" is allowed");
  }
  if (named && FindTool(out->tools, value, out->tools.size()) < 0) {
    return errors->Fail("tool_choice.function.name", "invalid_value",
                        "'tool_choice.function.name' " + Describe(Json(value)) + " is not one of 'tools'");
  }
  out->tool_choice = value;
  out->tool_choice_is_name = named;
}

// --- the rest of chat ---

void ParseChatLogprobs(const Fields& f, const RequestLimits& limits, ChatParams* out) {
  f.Bool("logprobs", &out->logprobs);
  if (f.Int("top_logprobs", {0, limits.max_top_logprobs}, &out->top_logprobs) && !out->logprobs) {
    f.errors()->Fail("top_logprobs", "invalid_value", "'top_logprobs' requires 'logprobs': true");
  }
}

void ParseResponseFormat(const Fields& f, bool* json_object) {
  const Json* format = f.Object("response_format");
  if (format == nullptr) return;
  Errors* errors = f.errors();
  std::string type;
  if (!Fields(*format, "response_format", errors).String("type", &type, /*required=*/true)) return;
  if (type == "json_schema") {
    return errors->Fail("response_format.type", "unsupported_value",
                        "'response_format.type' \"json_schema\" is not supported yet; use \"json_object\" and "
                        "describe the schema in the prompt");
  }
  if (type != "text" && type != "json_object") {
    return errors->ValueError("response_format.type", "\"text\" or \"json_object\"", Json(type));
  }
  *json_object = type == "json_object";
}

void ParseReasoningEffort(const Fields& f, ChatParams* out) {
  std::string effort;
  if (!f.String("reasoning_effort", &effort)) return;
  // OpenAI's levels plus DeepSeek's "max"; "none" and "minimal" turn thinking off, the others on.
  constexpr std::string_view kOn[] = {"low", "medium", "high", "xhigh", "max"};
  bool on = false;
  for (std::string_view level : kOn) on = on || effort == level;
  if (!on && effort != "none" && effort != "minimal") {
    return f.errors()->ValueError("reasoning_effort", "one of none, minimal, low, medium, high, xhigh, max",
                                  Json(effort));
  }
  out->reasoning_effort = effort;
  out->thinking = on;
}

// Three spellings of one switch. The most specific wins: DeepSeek's own `thinking`, then the template kwargs
// (enable_thinking before thinking), then reasoning_effort.
void ParseThinking(const Fields& f, ChatParams* out) {
  ParseReasoningEffort(f, out);
  Errors* errors = f.errors();
  if (const Json* kwargs = f.Object("chat_template_kwargs")) {
    Fields k(*kwargs, "chat_template_kwargs", errors);
    bool on = false;
    if (k.Bool("thinking", &on)) out->thinking = on;
    if (k.Bool("enable_thinking", &on)) out->thinking = on;
  }
  const Json* thinking = f.Object("thinking");
  std::string type;
  if (thinking == nullptr || !Fields(*thinking, "thinking", errors).String("type", &type, /*required=*/true)) return;
  if (type != "enabled" && type != "disabled") {
    return errors->ValueError("thinking.type", "\"enabled\" or \"disabled\"", Json(type));
  }
  out->thinking = type == "enabled";
}

// --- completions ---

void ParseTokenIds(const Json& ids, const std::string& param, Errors* errors, std::vector<int32_t>* out) {
  for (size_t i = 0; i < ids.size() && !errors->failed(); ++i) {
    int64_t id = 0;
    if (errors->Int(ids[i], Index(param, i), {0, kInt32Max}, &id)) out->push_back(static_cast<int32_t>(id));
  }
}

// One prompt: text, or a list of token ids. In a list of prompts every element must be of the first one's kind.
void ParsePromptEntry(const Json& entry, const std::string& param, bool ids, Errors* errors,
                      std::vector<CompletionParams::Prompt>* out) {
  CompletionParams::Prompt prompt;
  prompt.is_ids = ids;
  if (!ids) {
    if (errors->String(entry, param, &prompt.text)) out->push_back(std::move(prompt));
    return;
  }
  if (!entry.is_array()) return errors->TypeError(param, "an array of token ids, like prompt[0]", entry);
  if (entry.empty()) return errors->Fail(param, "invalid_value", Quote(param) + " must not be empty");
  ParseTokenIds(entry, param, errors, &prompt.ids);
  out->push_back(std::move(prompt));
}

void ParsePrompt(const Fields& f, std::vector<CompletionParams::Prompt>* out) {
  const Json* prompt = f.Required("prompt");
  Errors* errors = f.errors();
  if (prompt == nullptr || errors->failed()) return;
  constexpr std::string_view kExpected = "a string, an array of strings or token ids, or an array of token id arrays";
  if (prompt->is_string()) return ParsePromptEntry(*prompt, "prompt", /*ids=*/false, errors, out);
  if (!prompt->is_array()) return errors->TypeError("prompt", kExpected, *prompt);
  if (prompt->empty()) return errors->Fail("prompt", "invalid_value", "'prompt' must not be empty");
  const Json& first = prompt->front();
  if (first.is_number()) return ParsePromptEntry(*prompt, "prompt", /*ids=*/true, errors, out);
  if (!first.is_string() && !first.is_array()) return errors->TypeError("prompt[0]", kExpected, first);
  if (TooMany(errors, "prompt", prompt->size(), kMaxPrompts, "prompts")) return;
  for (size_t i = 0; i < prompt->size() && !errors->failed(); ++i) {
    ParsePromptEntry((*prompt)[i], Index("prompt", i), first.is_array(), errors, out);
  }
}

// best_of picks the best of several server-side samples; we do not rank samples, so only best_of == n (which
// asks for nothing extra) is accepted.
void ParseBestOf(const Fields& f, int n) {
  int best_of = n;
  if (f.Int("best_of", {1, kInt32Max}, &best_of) && best_of != n) {
    f.errors()->Fail("best_of", "unsupported_value",
                     "'best_of' other than 'n' is not supported (got best_of " + std::to_string(best_of) + ", n " +
                         std::to_string(n) + ")");
  }
}

}  // namespace

std::optional<ApiError> ParseChatParams(const nlohmann::json& body, const RequestLimits& limits, ChatParams* out) {
  *out = ChatParams{};
  if (!body.is_object()) return BodyError(body);
  Errors errors;
  const Fields f(body, "", &errors);
  ParseCommon(f, limits, /*min_tokens=*/1, &out->common);
  ParseMessages(f, limits, &out->messages);
  ParseTools(f, limits, &out->tools);
  ParseToolChoice(f, out);
  f.Bool("parallel_tool_calls", &out->parallel_tool_calls);
  ParseChatLogprobs(f, limits, out);
  ParseResponseFormat(f, &out->json_object);
  ParseThinking(f, out);
  return errors.Take();
}

// max_tokens may be 0 here: with echo it asks for the prompt's log-probabilities alone.
std::optional<ApiError> ParseCompletionParams(const nlohmann::json& body, const RequestLimits& limits,
                                              CompletionParams* out) {
  *out = CompletionParams{};
  if (!body.is_object()) return BodyError(body);
  Errors errors;
  const Fields f(body, "", &errors);
  ParseCommon(f, limits, /*min_tokens=*/0, &out->common);
  ParsePrompt(f, &out->prompts);
  std::string suffix;
  if (f.String("suffix", &suffix)) out->suffix = std::move(suffix);
  f.Bool("echo", &out->echo);
  int logprobs = 0;
  if (f.Int("logprobs", {0, kMaxLegacyLogprobs}, &logprobs)) out->logprobs = logprobs;
  ParseBestOf(f, out->common.n);
  return errors.Take();
}

std::optional<ApiError> ParseTokenizeParams(const nlohmann::json& body, TokenizeParams* out) {
  *out = TokenizeParams{};
  if (!body.is_object()) return BodyError(body);
  Errors errors;
  const Fields f(body, "", &errors);
  // llama.cpp's name first, vLLM's "prompt" otherwise.
  const std::string key = f.Get("content") != nullptr || f.Get("prompt") == nullptr ? "content" : "prompt";
  f.String(key, &out->content, /*required=*/true);
  f.Bool("add_special", &out->add_special);
  f.Bool("with_pieces", &out->with_pieces);
  return errors.Take();
}

std::optional<ApiError> ParseDetokenizeParams(const nlohmann::json& body, DetokenizeParams* out) {
  *out = DetokenizeParams{};
  if (!body.is_object()) return BodyError(body);
  Errors errors;
  const Fields f(body, "", &errors);
  const Json* tokens = f.Array("tokens", /*required=*/true);
  if (tokens != nullptr) ParseTokenIds(*tokens, "tokens", &errors, &out->tokens);
  return errors.Take();
}

}  // namespace baleen
