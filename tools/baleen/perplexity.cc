// `baleen perplexity`: teacher-forced scoring of a text — per-token log-probabilities and perplexity. Tools layer.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "engine/sampling/sampler.h"
#include "engine/generation/session.h"

namespace baleen::cli {
namespace {

constexpr const char* kPerplexityUsage =
    "usage: baleen perplexity MODEL (--file FILE | --jsonl FILE | TEXT) [--json] [options]\n"
    "  scores the text teacher-forced (BOS added where the model asks for it; special-token strings recognized)\n"
    "  TEXT           the text to score\n"
    "  --file FILE    read the text from FILE\n"
    "  --jsonl FILE   one JSON string per line; prints one {\"tokens\", \"logprobs\"} object per line\n"
    "  --json         print {\"tokens\": [...], \"logprobs\": [...]}, logprobs[i] = log P(tokens[i+1] | tokens[..i])\n"
    "  --window N     llama-perplexity's method for long texts: consecutive windows of N tokens, each from an\n"
    "                 empty cache (first token replaced by BOS where the model uses one), scoring the second half\n"
    "                 of each window's predictions; prints the perplexity over all scored tokens\n"
    "  (default: token count, mean negative log-likelihood in nats and perplexity = exp(mean NLL))\n";

struct PerplexityArgs {
  ModelArgs model;
  std::string text, file, jsonl;
  bool json = false, have_text = false;
  int64_t window = 0;  // 0: score the whole text at once
};

struct Scored {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;  // [n_tokens - 1]
};

int ParsePerplexityArgs(const std::vector<std::string>& args, PerplexityArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kPerplexityUsage, stdout);
      std::fputs(kModelArgsHelp, stdout);
      return 0;
    } else if (arg == "--json") {
      a.json = true;
    } else if (arg == "--file") {
      if (!TakeValue(args, i, a.file)) return Usage(kPerplexityUsage, "--file needs a path");
    } else if (arg == "--jsonl") {
      if (!TakeValue(args, i, a.jsonl)) return Usage(kPerplexityUsage, "--jsonl needs a path");
    } else if (arg == "--window") {
      std::string value;
      if (!TakeValue(args, i, value) || !ParseInt(value, a.window) || a.window < 4) {
        return Usage(kPerplexityUsage, "--window takes a number of tokens, at least 4");
      }
    } else if (ParseModelArg(args, i, a.model, error)) {
      if (!error.empty()) return Usage(kPerplexityUsage, error);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(kPerplexityUsage, "unknown option '" + arg + "'");
    } else if (a.model.path.empty()) {
      a.model.path = arg;
    } else if (!a.have_text) {
      a.text = arg;
      a.have_text = true;
    } else {
      return Usage(kPerplexityUsage, "unexpected argument '" + arg + "'");
    }
  }
  const int sources = a.have_text + !a.file.empty() + !a.jsonl.empty();
  if (a.model.path.empty() || sources != 1) {
    return Usage(kPerplexityUsage, "give MODEL and exactly one of TEXT, --file, --jsonl");
  }
  if (a.window > 0 && !a.jsonl.empty()) return Usage(kPerplexityUsage, "--window scores one text, not --jsonl");
  return -1;
}

// The texts to score: one, or one per line of the --jsonl file (the error names the line).
Result<std::vector<std::string>> ReadTexts(const PerplexityArgs& a) {
  if (a.have_text) return std::vector<std::string>{a.text};
  if (!a.file.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(a.file));
    return std::vector<std::string>{std::move(text)};
  }
  std::ifstream in(a.jsonl);
  if (!in) return IoError(a.jsonl + ": cannot open");
  std::vector<std::string> texts;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const nlohmann::json text = nlohmann::json::parse(line, nullptr, false);
    if (text.is_discarded() || !text.is_string()) {
      return InvalidArgument(a.jsonl + ": line " + std::to_string(line_no) + " is not a JSON string");
    }
    texts.push_back(text.get<std::string>());
  }
  return texts;
}

// Scores `tokens` from an empty session, n_batch positions at a time, so only one chunk's logits
// ([n_batch, vocab_size] floats) are held at once.
Result<Scored> Score(Session& session, std::vector<int32_t> tokens) {
  session.Truncate(0);
  const int64_t n = static_cast<int64_t>(tokens.size()), vocab = session.model().vocab_size();
  Scored scored{std::move(tokens), {}};
  std::vector<float> logits, log_probs(static_cast<size_t>(vocab));
  for (int64_t begin = 0; begin < n - 1; begin += session.n_batch()) {
    const int64_t count = std::min(session.n_batch(), n - 1 - begin);  // the last token predicts nothing
    RETURN_IF_ERROR(session.Append(std::span(scored.tokens).subspan(begin, count), LogitsFor::kAll, &logits));
    for (int64_t j = 0; j < count; ++j) {
      LogSoftmax(std::span(logits).subspan(j * vocab, vocab), log_probs);
      scored.logprobs.push_back(log_probs[scored.tokens[begin + j + 1]]);
    }
  }
  return scored;
}

// A float as the double whose shortest form is the float's shortest form, so JSON shows -5.5912 rather than
// -5.591199874877929.
double ShortestDouble(float x) {
  if (!std::isfinite(x)) return x;
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
  *end = '\0';
  return std::strtod(buffer, nullptr);
}

void PrintJson(const Scored& s) {
  std::vector<double> logprobs;
  for (float lp : s.logprobs) logprobs.push_back(ShortestDouble(lp));
  std::printf("%s\n", nlohmann::json{{"tokens", s.tokens}, {"logprobs", logprobs}}.dump().c_str());
}

void PrintSummary(const Scored& s) {
  double nll = 0;
  for (float lp : s.logprobs) nll -= lp;
  nll /= static_cast<double>(s.logprobs.size());
  std::printf("%zu tokens, %zu predicted: mean NLL %.6f nats/token\n", s.tokens.size(), s.logprobs.size(), nll);
  std::printf("perplexity %.8g\n", std::exp(nll));
}

// llama-perplexity's estimate: windows of `window` tokens from empty caches; in each, the predictions of its
// second half count (they all see at least window/2 tokens of context).
int RunWindowed(const LoadedModel& loaded, const PerplexityArgs& a, const std::vector<int32_t>& tokens) {
  const int64_t window = a.window, n_windows = static_cast<int64_t>(tokens.size()) / window;
  if (n_windows == 0) {
    return Fail(InvalidArgument("the text is " + std::to_string(tokens.size()) +
                                " tokens, shorter than one --window of " + std::to_string(window)));
  }
  const BpeVocab& vocab = loaded.text.tokenizer->vocab();
  const int32_t bos = vocab.add_bos && vocab.bos_id ? *vocab.bos_id : -1;
  Session session(*loaded.model, window, a.model.n_batch);
  double nll = 0.0;
  int64_t scored = 0;
  for (int64_t w = 0; w < n_windows; ++w) {
    std::vector<int32_t> ids(tokens.begin() + w * window, tokens.begin() + (w + 1) * window);
    if (bos >= 0) ids[0] = bos;
    Result<Scored> s = Score(session, std::move(ids));
    if (!s.ok()) return Fail(s.status());
    for (size_t j = static_cast<size_t>(window / 2); j < s->logprobs.size(); ++j, ++scored) nll -= s->logprobs[j];
    if (!a.json) std::fprintf(stderr, "[%lld] %.4f\n", static_cast<long long>(w + 1), std::exp(nll / scored));
  }
  const double mean = nll / static_cast<double>(scored);
  if (a.json) {
    std::printf("%s\n", nlohmann::json{{"windows", n_windows}, {"window", window}, {"scored_tokens", scored},
                                       {"mean_nll", mean}, {"perplexity", std::exp(mean)}}.dump().c_str());
  } else {
    std::printf("%lld windows of %lld tokens, %lld scored: mean NLL %.6f nats/token\n",
                static_cast<long long>(n_windows), static_cast<long long>(window), static_cast<long long>(scored), mean);
    std::printf("perplexity %.8g\n", std::exp(mean));
  }
  return 0;
}

}  // namespace

int RunPerplexity(const std::vector<std::string>& args) {
  PerplexityArgs a;
  if (const int code = ParsePerplexityArgs(args, a); code >= 0) return code;
  Result<std::vector<std::string>> texts = ReadTexts(a);
  if (!texts.ok()) return Fail(texts.status());
  Result<std::unique_ptr<LoadedModel>> loaded = OpenForInference(a.model);
  if (!loaded.ok()) return Fail(loaded.status());
  const Tokenizer& tok = *(*loaded)->text.tokenizer;
  std::vector<std::vector<int32_t>> encoded;
  int64_t longest = 0;
  for (size_t i = 0; i < texts->size(); ++i) {
    const std::string where = a.jsonl.empty() ? "" : a.jsonl + ": line " + std::to_string(i + 1) + ": ";
    // The operator's own text: markers are recognized, as `baleen tokenize --bos` does.
    Result<std::vector<int32_t>> ids = tok.Encode(TrustedText((*texts)[i]), EncodeOptions{.add_special_tokens = true});
    if (!ids.ok()) return Fail(ids.status().WithContext(where + "tokenize"));
    if (ids->size() < 2) {
      return Fail(InvalidArgument(where + "the text is " + std::to_string(ids->size()) +
                                  " token(s); scoring needs at least 2"));
    }
    if (a.window > 0) return RunWindowed(**loaded, a, *ids);
    const int64_t n = static_cast<int64_t>(ids->size());
    // With --ctx the context is a limit; without it, it grows to the text up to the trained context.
    const int64_t trained = std::max((*loaded)->n_ctx, (*loaded)->config.context_length);
    const int64_t limit = a.model.n_ctx > 0 ? a.model.n_ctx : trained;
    if (n > limit) {
      return Fail(InvalidArgument(where + "the text is " + std::to_string(n) + " tokens, longer than the context of " +
                                  std::to_string(limit) + (a.model.n_ctx > 0 ? " (--ctx)" : " (trained)")));
    }
    longest = std::max(longest, n);
    encoded.push_back(std::move(*ids));
  }
  const int64_t n_ctx = a.model.n_ctx > 0 ? a.model.n_ctx : std::max((*loaded)->n_ctx, longest);
  Session session(*(*loaded)->model, n_ctx, a.model.n_batch);
  for (std::vector<int32_t>& ids : encoded) {
    Result<Scored> scored = Score(session, std::move(ids));
    if (!scored.ok()) return Fail(scored.status());
    if (a.json || !a.jsonl.empty()) {
      PrintJson(*scored);
    } else {
      PrintSummary(*scored);
    }
  }
  return 0;
}

}  // namespace baleen::cli
