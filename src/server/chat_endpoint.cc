// POST /v1/chat/completions: messages → the model's chat template → n generations → one response or an SSE
// stream of chunks, with DeepSeek's reasoning_content beside the answer.
#include <cstdio>
#include <random>

#include "server/endpoints.h"
#include "server/generation_relay.h"
#include "server/openai_format.h"

namespace baleen {
namespace {

constexpr std::string_view kDone = "data: [DONE]\n\n";

ojson Field(const char* name, ojson value) {
  ojson out = ojson::object();
  out[name] = std::move(value);
  return out;
}

ojson RoleDelta() { return {{"role", "assistant"}, {"content", ""}}; }

// Only with --log-content: the operator asked for the text.
void LogCompletion(const GenerationResult& r) {
  if (!r.reasoning.empty()) std::fprintf(stderr, "reasoning: %s\n", r.reasoning.c_str());
  std::fprintf(stderr, "completion: %s\n", r.content.c_str());
}

struct ChatPlan {
  std::vector<GenerationRequest> requests;
  ojson tools;  // as offered to the model (after tool_choice)
};

// The tools the model is shown: none for tool_choice "none", only the named one for a named choice.
ojson OfferedTools(const ChatParams& params) {
  if (!params.tools.is_array() || (params.tool_choice == "none" && !params.tool_choice_is_name)) return nullptr;
  if (!params.tool_choice_is_name) return params.tools;
  ojson only = ojson::array();
  for (const auto& tool : params.tools) {
    if (tool["function"].value("name", "") == params.tool_choice) only.push_back(tool);
  }
  return only;
}

uint64_t SeedFor(const CommonParams& common, int choice) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return common.seed_given ? common.sampling.seed + static_cast<uint64_t>(choice) : rng();
}

std::variant<ChatPlan, ApiError> Plan(const ServerContext& context, const ChatParams& params) {
  ChatPlan plan;
  plan.tools = OfferedTools(params);
  const bool thinking = params.thinking.value_or(context.settings.default_thinking);
  Result<ChatPrompt> prompt = context.prompts.Build(params.messages, thinking, plan.tools);
  if (!prompt.ok()) return ErrorFromStatus(prompt.status(), "messages");
  const int64_t n_ctx = context.scheduler.options().n_ctx;
  const auto n_prompt = static_cast<int64_t>(prompt->tokens.size());
  if (n_prompt >= n_ctx) {
    return ApiError{.kind = ErrorKind::kContextLength,
                    .message = "this model's context holds " + std::to_string(n_ctx) +
                               " tokens, but the messages take " + std::to_string(n_prompt) +
                               "; shorten them (or restart the server with a larger --ctx)",
                    .param = "messages"};
  }
  if (context.settings.log_content) std::fprintf(stderr, "prompt: %s\n", prompt->text.c_str());
  const CommonParams& common = params.common;
  for (int i = 0; i < common.n; ++i) {
    GenerationRequest r;
    r.prompt = prompt->tokens;
    r.sampling = common.sampling;
    r.sampling.seed = SeedFor(common, i);
    r.max_tokens = common.max_tokens;  // the end of the context stops it too ("length")
    r.ignore_eos = common.ignore_eos;
    r.stop = common.stop;
    r.output.starts_in_reasoning = prompt->starts_in_reasoning;
    r.output.parse_tool_calls = plan.tools.is_array() && !plan.tools.empty();
    r.top_logprobs = params.logprobs ? params.top_logprobs : -1;
    if (params.json_object) r.json_object = context.json_tokens;
    plan.requests.push_back(std::move(r));
  }
  return plan;
}

// Streams chunks: the role first, then reasoning / content / tool-call deltas, a finish chunk per choice, the usage
// chunk when asked, and [DONE].
class ChatStream {
 public:
  ChatStream(ServerContext& context, const ChatParams& params)
      : context_(context), params_(params), id_(NewId("chatcmpl-")), created_(UnixNow()) {}

  ojson Chunk(int index, ojson delta, const char* finish) const {
    ojson choice = {{"index", index}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                    {"finish_reason", finish == nullptr ? ojson(nullptr) : ojson(finish)}};
    ojson chunk = {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_},
                   {"model", context_.settings.model_id}, {"system_fingerprint", "baleen"},
                   {"choices", ojson::array({std::move(choice)})}};
    if (params_.common.include_usage) chunk["usage"] = nullptr;
    return chunk;
  }

  net::awaitable<void> Run(HttpExchange& exchange, GenerationRelay& relay) {
    if (!co_await exchange.BeginEvents()) co_return;
    // (GCC 12 cannot keep braced JSON initializers alive across co_await: payloads are built on lines of their own.)
    for (int i = 0; i < params_.common.n; ++i) {
      const std::string first = SseData(Chunk(i, RoleDelta(), nullptr));
      co_await exchange.Send(first);
    }
    std::vector<int> tool_call_count(static_cast<size_t>(params_.common.n), 0);
    UsageCounts usage;
    while (!relay.finished()) {
      for (ChoiceEvent& event : co_await relay.Next()) {
        co_await SendDelta(exchange, event, tool_call_count[static_cast<size_t>(event.index)]);
        if (event.done) co_await SendDone(exchange, event, usage);
      }
    }
    if (exchange.client_gone()) co_return;
    if (params_.common.include_usage) {
      ojson chunk = Chunk(0, nullptr, nullptr);
      chunk["choices"] = ojson::array();
      chunk["usage"] = UsageJson(usage);
      co_await exchange.Send(SseData(chunk));
    }
    co_await exchange.Send(std::string(kDone));
    co_await exchange.EndEvents();
  }

 private:
  net::awaitable<void> SendDelta(HttpExchange& exchange, const ChoiceEvent& event, int& tool_calls_sent) {
    const OutputDelta& d = event.delta;
    std::vector<std::string> payloads;
    if (!d.reasoning.empty())
      payloads.push_back(SseData(Chunk(event.index, Field("reasoning_content", d.reasoning), nullptr)));
    if (!d.content.empty() || !event.logprobs.empty()) {
      ojson chunk = Chunk(event.index, Field("content", d.content), nullptr);
      if (params_.logprobs) chunk["choices"][0]["logprobs"] = ChatLogprobsJson(context_.tokenizer(), event.logprobs);
      payloads.push_back(SseData(chunk));
    }
    if (!d.tool_calls.empty()) {
      payloads.push_back(SseData(
          Chunk(event.index, Field("tool_calls", ToolCallsJson(d.tool_calls, tool_calls_sent, true)), nullptr)));
      tool_calls_sent += static_cast<int>(d.tool_calls.size());
    }
    for (std::string& payload : payloads) co_await exchange.Send(std::move(payload));
  }

  net::awaitable<void> SendDone(HttpExchange& exchange, const ChoiceEvent& event, UsageCounts& usage) {
    const Result<GenerationResult>& result = *event.done;
    std::string payload;
    if (!result.ok()) {
      payload = SseErrorEvent(ErrorFromStatus(result.status(), "messages"));
    } else {
      usage.Add(*result, event.index == 0);
      if (context_.settings.log_content) LogCompletion(*result);
      payload = SseData(Chunk(event.index, ojson::object(), FinishReasonFor(*result)));
    }
    co_await exchange.Send(std::move(payload));
  }

  ServerContext& context_;
  const ChatParams& params_;
  const std::string id_;
  const int64_t created_;
};

ojson MessageJson(const GenerationResult& r) {
  ojson message = {{"role", "assistant"}};
  message["content"] = r.content.empty() && !r.tool_calls.empty() ? ojson(nullptr) : ojson(r.content);
  if (!r.reasoning.empty()) message["reasoning_content"] = r.reasoning;
  if (!r.tool_calls.empty()) message["tool_calls"] = ToolCallsJson(r.tool_calls, 0, false);
  return message;
}

ojson ChoiceJson(const ServerContext& context, const ChatParams& params, size_t index, const GenerationResult& r) {
  ojson choice = {{"index", index}, {"message", MessageJson(r)}, {"logprobs", nullptr},
                  {"finish_reason", FinishReasonFor(r)}};
  if (params.logprobs) choice["logprobs"] = ChatLogprobsJson(context.tokenizer(), r.logprobs);
  return choice;
}

// Waits for every choice, then answers with one chat.completion object.
net::awaitable<void> ReplyWhole(ServerContext& context, const ChatParams& params, HttpExchange& exchange,
                                GenerationRelay& relay) {
  std::vector<std::optional<Result<GenerationResult>>> results(static_cast<size_t>(params.common.n));
  while (!relay.finished()) {
    for (ChoiceEvent& event : co_await relay.Next()) {
      if (event.done) results[static_cast<size_t>(event.index)] = std::move(event.done);
    }
  }
  if (exchange.client_gone()) co_return;
  ojson choices = ojson::array();
  UsageCounts usage;
  for (size_t i = 0; i < results.size(); ++i) {
    const Result<GenerationResult>& result = *results[i];
    if (!result.ok()) {
      const ApiError error = ErrorFromStatus(result.status(), "messages");
      co_return co_await ReplyError(exchange, error);
    }
    usage.Add(*result, i == 0);
    if (context.settings.log_content) LogCompletion(*result);
    choices.push_back(ChoiceJson(context, params, i, *result));
  }
  const ojson response = {{"id", NewId("chatcmpl-")}, {"object", "chat.completion"}, {"created", UnixNow()},
                          {"model", context.settings.model_id}, {"system_fingerprint", "baleen"},
                          {"choices", std::move(choices)}, {"usage", UsageJson(usage)}};
  co_await ReplyJson(exchange, 200, response);
}

}  // namespace

net::awaitable<void> ServeChatCompletions(ServerContext& context, HttpExchange& exchange, const nlohmann::json& body) {
  ChatParams params;
  if (auto error = ParseChatParams(body, context.settings.limits, &params))
    co_return co_await ReplyError(exchange, *error);
  std::variant<ChatPlan, ApiError> plan = Plan(context, params);
  if (auto* error = std::get_if<ApiError>(&plan)) co_return co_await ReplyError(exchange, *error);
  GenerationRelay relay(context, exchange, params.common.stream);
  if (auto error = relay.Submit(std::move(std::get<ChatPlan>(plan).requests), "n")) {
    co_return co_await ReplyError(exchange, *error);
  }
  if (params.common.stream) {
    ChatStream stream(context, params);
    co_await stream.Run(exchange, relay);
  } else {
    co_await ReplyWhole(context, params, exchange, relay);
  }
}

}  // namespace baleen
