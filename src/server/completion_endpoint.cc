// POST /v1/completions: raw continuation of a prompt (text or token ids), fill-in-the-middle with the model's FIM
// tokens, echo, and the legacy log-prob format (with echo and max_tokens 0: the prompt's own log-probs).
#include <random>

#include "server/endpoints.h"
#include "server/generation_relay.h"
#include "server/openai_format.h"

namespace baleen {
namespace {

// DeepSeek (Coder, V2/V3) and Qwen spell the three FIM markers differently; both orders are prefix-suffix-middle.
struct FimMarkers {
  const char* begin;
  const char* hole;
  const char* end;
};
constexpr FimMarkers kFimFamilies[] = {
    {"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"},
    {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"},
};

struct PromptPlan {
  std::vector<int32_t> tokens;
  std::string echo_text;  // the prompt as text, for echo
};

std::variant<PromptPlan, ApiError> EncodePrompt(const ServerContext& context, const CompletionParams& params,
                                                 size_t index) {
  const Tokenizer& tokenizer = context.tokenizer();
  const CompletionParams::Prompt& prompt = params.prompts[index];
  const std::string param = params.prompts.size() > 1 ? "prompt[" + std::to_string(index) + "]" : "prompt";
  PromptPlan plan;
  if (prompt.is_ids) {
    for (int32_t id : prompt.ids) {
      if (!tokenizer.IsValidId(id)) {
        return ApiError{.message = "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                   std::to_string(tokenizer.vocab_size()),
                        .param = param, .code = "invalid_value"};
      }
    }
    plan.tokens = prompt.ids;
    plan.echo_text = tokenizer.Decode(prompt.ids);
    return plan;
  }
  // Prompt text is user data: it never turns into control tokens (send token ids for those).
  Result<std::vector<int32_t>> ids = tokenizer.EncodeUntrusted(prompt.text);
  if (!ids.ok()) return ErrorFromStatus(ids.status(), param);
  plan.echo_text = prompt.text;
  const auto& bos = tokenizer.vocab().bos_id;
  if (params.suffix) {
    const FimMarkers* fim = nullptr;
    for (const FimMarkers& family : kFimFamilies) {
      if (tokenizer.AddedTokenId(family.begin) && tokenizer.AddedTokenId(family.hole) &&
          tokenizer.AddedTokenId(family.end)) {
        fim = &family;
      }
    }
    if (fim == nullptr) {
      return ApiError{.message = "this model has no fill-in-the-middle tokens; leave out 'suffix'", .param = "suffix",
                      .code = "unsupported_value"};
    }
    Result<std::vector<int32_t>> suffix = tokenizer.EncodeUntrusted(*params.suffix);
    if (!suffix.ok()) return ErrorFromStatus(suffix.status(), "suffix");
    if (tokenizer.vocab().add_bos && bos) plan.tokens.push_back(*bos);
    plan.tokens.push_back(*tokenizer.AddedTokenId(fim->begin));
    plan.tokens.insert(plan.tokens.end(), ids->begin(), ids->end());
    plan.tokens.push_back(*tokenizer.AddedTokenId(fim->hole));
    plan.tokens.insert(plan.tokens.end(), suffix->begin(), suffix->end());
    plan.tokens.push_back(*tokenizer.AddedTokenId(fim->end));
    return plan;
  }
  if (tokenizer.vocab().add_bos && bos) plan.tokens.push_back(*bos);
  plan.tokens.insert(plan.tokens.end(), ids->begin(), ids->end());
  return plan;
}

// The legacy format: parallel arrays of token texts, log-probs (null for the first prompt token), top alternatives
// as {text: logprob} and each token's offset in the returned text.
class LegacyLogprobs {
 public:
  explicit LegacyLogprobs(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  void Add(int32_t token, std::optional<float> logprob, const std::vector<std::pair<int32_t, float>>& top) {
    const std::string text = TokenText(tokenizer_, token);
    json_["tokens"].push_back(text);
    json_["token_logprobs"].push_back(logprob ? ojson(*logprob) : ojson(nullptr));
    ojson alternatives = logprob ? ojson::object() : ojson(nullptr);
    for (const auto& [id, value] : top) alternatives[TokenText(tokenizer_, id)] = value;
    json_["top_logprobs"].push_back(std::move(alternatives));
    json_["text_offset"].push_back(offset_);
    if (!tokenizer_.IsSpecial(token)) offset_ += static_cast<int64_t>(text.size());  // BOS is not in the text
  }
  ojson Take() { return std::move(json_); }

 private:
  const Tokenizer& tokenizer_;
  ojson json_ = {{"tokens", ojson::array()}, {"token_logprobs", ojson::array()}, {"top_logprobs", ojson::array()},
                 {"text_offset", ojson::array()}};
  int64_t offset_ = 0;
};

struct CompletionPlan {
  std::vector<GenerationRequest> requests;
  std::vector<std::string> echo_texts;  // per choice
};

std::variant<CompletionPlan, ApiError> Plan(const ServerContext& context, const CompletionParams& params) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const CommonParams& common = params.common;
  const bool with_logprobs = params.logprobs.has_value();
  CompletionPlan plan;
  for (size_t p = 0; p < params.prompts.size(); ++p) {
    std::variant<PromptPlan, ApiError> prompt = EncodePrompt(context, params, p);
    if (auto* error = std::get_if<ApiError>(&prompt)) return *error;
    PromptPlan& encoded = std::get<PromptPlan>(prompt);
    if (static_cast<int64_t>(encoded.tokens.size()) >= context.scheduler.options().n_ctx || encoded.tokens.empty()) {
      const std::string param = params.prompts.size() > 1 ? "prompt[" + std::to_string(p) + "]" : "prompt";
      if (encoded.tokens.empty())
        return ApiError{.message = "the prompt is empty", .param = param, .code = "invalid_value"};
      return ApiError{.kind = ErrorKind::kContextLength,
                      .message = "the prompt takes " + std::to_string(encoded.tokens.size()) +
                                 " tokens; this model's context holds " +
                                 std::to_string(context.scheduler.options().n_ctx),
                      .param = param};
    }
    for (int i = 0; i < common.n; ++i) {
      GenerationRequest r;
      r.prompt = encoded.tokens;
      r.sampling = common.sampling;
      r.sampling.seed = common.seed_given ? common.sampling.seed + static_cast<uint64_t>(i) : rng();
      r.max_tokens = common.max_tokens < 0 ? 16 : common.max_tokens;  // OpenAI's default for completions
      r.ignore_eos = common.ignore_eos;
      r.stop = common.stop;
      r.output.parse_reasoning = false;  // a raw continuation: all of it is text
      r.output.parse_tool_calls = false;
      r.top_logprobs = with_logprobs ? *params.logprobs : -1;
      r.prompt_logprobs = with_logprobs && params.echo;
      plan.requests.push_back(std::move(r));
      plan.echo_texts.push_back(params.echo ? encoded.echo_text : "");
    }
  }
  return plan;
}

ojson ChoiceLogprobs(const Tokenizer& tokenizer, const GenerationRequest& request, const GenerationResult& result,
                     bool echo) {
  LegacyLogprobs out(tokenizer);
  if (echo) {
    out.Add(request.prompt.front(), std::nullopt, {});
    for (const TokenLogprob& lp : result.prompt_logprobs) out.Add(lp.token, lp.logprob, lp.top);
  }
  for (const TokenLogprob& lp : result.logprobs) out.Add(lp.token, lp.logprob, lp.top);
  return out.Take();
}

// Builds the response pieces; the coroutine below only sends them. (GCC 12 mishandles string literals and braced
// initializers inside co_await expressions, so none appear there.)
class CompletionWriter {
 public:
  CompletionWriter(const ServerContext& context, const CompletionParams& params,
                   std::vector<GenerationRequest> requests, std::vector<std::string> echo_texts)
      : context_(context),
        params_(params),
        requests_(std::move(requests)),
        texts_(std::move(echo_texts)),
        results_(requests_.size()),
        id_(NewId("cmpl-")),
        created_(UnixNow()) {}

  size_t choices() const { return requests_.size(); }
  bool stream() const { return params_.common.stream; }
  const std::string& echo_text(size_t i) const { return texts_[i]; }

  std::string TextChunk(size_t index, const std::string& text) const {
    return SseData(Chunk(index, text, nullptr, nullptr));
  }

  // Takes one event; returns the SSE payloads it produces when streaming.
  std::vector<std::string> Take(ChoiceEvent& event) {
    std::vector<std::string> out;
    const auto i = static_cast<size_t>(event.index);
    texts_[i] += event.delta.content;
    if (stream() && !event.delta.content.empty()) out.push_back(TextChunk(i, event.delta.content));
    if (!event.done) return out;
    results_[i] = std::move(event.done);
    if (!stream()) return out;
    const Result<GenerationResult>& r = *results_[i];
    if (!r.ok()) {
      out.push_back(SseErrorEvent(ErrorFromStatus(r.status(), "prompt")));
      return out;
    }
    usage_.Add(*r, FirstOfPrompt(i));
    ojson logprobs = params_.logprobs ? ChoiceLogprobs(context_.tokenizer(), requests_[i], *r, false) : ojson(nullptr);
    out.push_back(SseData(Chunk(i, "", std::move(logprobs), FinishReasonFor(*r))));
    return out;
  }

  std::string StreamEnd() const {
    std::string out;
    if (params_.common.include_usage) {
      ojson last = Chunk(0, "", nullptr, nullptr);
      last["choices"] = ojson::array();
      last["usage"] = UsageJson(usage_);
      out = SseData(last);
    }
    return out + "data: [DONE]\n\n";
  }

  // The whole response, or the first choice's error.
  std::variant<ojson, ApiError> Whole() {
    ojson choices = ojson::array();
    for (size_t i = 0; i < choices_count(); ++i) {
      const Result<GenerationResult>& r = *results_[i];
      if (!r.ok()) return ErrorFromStatus(r.status(), "prompt");
      usage_.Add(*r, FirstOfPrompt(i));
      ojson logprobs =
          params_.logprobs ? ChoiceLogprobs(context_.tokenizer(), requests_[i], *r, params_.echo) : ojson(nullptr);
      choices.push_back(Chunk(i, texts_[i], std::move(logprobs), FinishReasonFor(*r))["choices"][0]);
    }
    return ojson{{"id", id_}, {"object", "text_completion"}, {"created", created_},
                 {"model", context_.settings.model_id}, {"choices", std::move(choices)}, {"usage", UsageJson(usage_)}};
  }

 private:
  size_t choices_count() const { return requests_.size(); }
  bool FirstOfPrompt(size_t i) const { return i % static_cast<size_t>(params_.common.n) == 0; }  // prompt counts once

  ojson Chunk(size_t index, const std::string& text, ojson logprobs, ojson finish) const {
    ojson choice = {{"text", text}, {"index", index}, {"logprobs", std::move(logprobs)},
                    {"finish_reason", std::move(finish)}};
    return {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", context_.settings.model_id},
            {"choices", ojson::array({std::move(choice)})}};
  }

  const ServerContext& context_;
  const CompletionParams& params_;
  const std::vector<GenerationRequest> requests_;
  std::vector<std::string> texts_;
  std::vector<std::optional<Result<GenerationResult>>> results_;
  UsageCounts usage_;
  const std::string id_;
  const int64_t created_;
};

}  // namespace

net::awaitable<void> ServeCompletions(ServerContext& context, HttpExchange& exchange, const nlohmann::json& body) {
  CompletionParams params;
  if (auto error = ParseCompletionParams(body, context.settings.limits, &params)) {
    co_return co_await ReplyError(exchange, *error);
  }
  std::variant<CompletionPlan, ApiError> planned = Plan(context, params);
  if (auto* error = std::get_if<ApiError>(&planned)) co_return co_await ReplyError(exchange, *error);
  CompletionPlan& plan = std::get<CompletionPlan>(planned);
  CompletionWriter writer(context, params, plan.requests, std::move(plan.echo_texts));
  GenerationRelay relay(context, exchange, params.common.stream);
  const std::string_view count_param = params.common.n > 1 || params.prompts.size() == 1 ? "n" : "prompt";
  if (auto error = relay.Submit(std::move(plan.requests), count_param)) co_return co_await ReplyError(exchange, *error);
  if (writer.stream()) {
    if (!co_await exchange.BeginEvents()) co_return;
    for (size_t i = 0; i < writer.choices(); ++i) {
      if (writer.echo_text(i).empty()) continue;
      std::string echo = writer.TextChunk(i, writer.echo_text(i));
      co_await exchange.Send(std::move(echo));
    }
  }
  while (!relay.finished()) {
    for (ChoiceEvent& event : co_await relay.Next()) {
      for (std::string& payload : writer.Take(event)) co_await exchange.Send(std::move(payload));
    }
  }
  if (exchange.client_gone()) co_return;
  if (writer.stream()) {
    std::string end = writer.StreamEnd();
    co_await exchange.Send(std::move(end));
    co_return co_await exchange.EndEvents();
  }
  std::variant<ojson, ApiError> whole = writer.Whole();
  if (auto* error = std::get_if<ApiError>(&whole)) co_return co_await ReplyError(exchange, *error);
  co_await ReplyJson(exchange, 200, std::get<ojson>(whole));
}

}  // namespace baleen
