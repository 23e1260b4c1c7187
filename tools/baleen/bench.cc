// `baleen bench`: prompt-processing and generation throughput, measured as llama-bench's pp512/tg128. Tools layer.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "base/format_bytes.h"
#include "base/thread_pool.h"
#include "engine/sampler.h"
#include "engine/session.h"

namespace baleen::cli {
namespace {

constexpr const char* kBenchUsage =
    "usage: baleen bench [MODEL] [-p 512] [-n 128] [-r 5] [--json] [options]\n"
    "  -p N      prompt-processing test: N random tokens in one evaluation, fresh cache (0: skip)\n"
    "  -n N      generation test: N single-token evaluations after one token, fresh cache (0: skip)\n"
    "  -r N      timed repetitions, after one untimed warm-up (default 5); prints mean ± sample sd of tokens/s\n"
    "  --json    print the results as one JSON object\n"
    "  (--batch defaults to -p here, so the prompt is one forward pass; the context to what the tests need)\n";

struct BenchArgs {
  ModelArgs model;
  int64_t n_prompt = 512, n_gen = 128, reps = 5;
  bool json = false;
};

int ParseBenchArgs(const std::vector<std::string>& args, BenchArgs& a) {
  a.model.n_batch = 0;  // 0: not given, becomes -p
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string value, error;
    auto count = [&](int64_t& out, int64_t min) {
      return TakeValue(args, i, value) && ParseInt(value, out) && out >= min && out <= (1 << 20);
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kBenchUsage, stdout);
      std::fputs(kModelArgsHelp, stdout);
      return 0;
    } else if (arg == "--json") {
      a.json = true;
    } else if (arg == "-p" || arg == "--n-prompt") {
      if (!count(a.n_prompt, 0)) return Usage(kBenchUsage, "-p takes a token count (0 skips the test)");
    } else if (arg == "-n" || arg == "--n-gen") {
      if (!count(a.n_gen, 0)) return Usage(kBenchUsage, "-n takes a token count (0 skips the test)");
    } else if (arg == "-r" || arg == "--repetitions") {
      if (!count(a.reps, 1)) return Usage(kBenchUsage, "-r takes a positive count");
    } else if (ParseModelArg(args, i, a.model, error)) {
      if (!error.empty()) return Usage(kBenchUsage, error);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(kBenchUsage, "unknown option '" + arg + "'");
    } else if (a.model.path.empty()) {
      a.model.path = arg;
    } else {
      return Usage(kBenchUsage, "unexpected argument '" + arg + "'");
    }
  }
  if (const int code = UseDefaultModelIfNone(a.model.path); code >= 0) return code;
  if (a.n_prompt == 0 && a.n_gen == 0) return Usage(kBenchUsage, "-p 0 and -n 0 leave nothing to measure");
  if (a.model.n_batch == 0) a.model.n_batch = std::max<int64_t>(a.n_prompt, 1);
  return -1;
}

struct Sample {
  double mean = 0, sd = 0;
  std::vector<double> tokens_per_s;
};

// One run of a test on a fresh cache: the tokens per second of its timed part.
Result<double> RunOnce(Model& model, int64_t n_ctx, int64_t n_batch, const std::vector<int32_t>& tokens,
                       bool generation) {
  Session session(model, n_ctx, n_batch);
  std::vector<float> logits;
  std::span<const int32_t> timed(tokens);
  if (generation) {  // llama-bench's tg: the first token is context, not timed
    RETURN_IF_ERROR(session.Append(timed.first(1), LogitsFor::kLast, &logits));
    timed = timed.subspan(1);
  }
  const auto start = std::chrono::steady_clock::now();
  if (generation) {
    for (size_t i = 0; i < timed.size(); ++i) {
      RETURN_IF_ERROR(session.Append(timed.subspan(i, 1), LogitsFor::kLast, &logits));
    }
  } else {
    RETURN_IF_ERROR(session.Append(timed, LogitsFor::kLast, &logits));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(timed.size()) / std::max(seconds, 1e-9);
}

// A warm-up run, then `reps` timed ones; mean and sample standard deviation of tokens/s.
Result<Sample> Measure(Model& model, int64_t n_ctx, int64_t n_batch, const std::vector<int32_t>& tokens,
                       bool generation, int64_t reps) {
  Sample s;
  Result<double> warm_up = RunOnce(model, n_ctx, n_batch, tokens, generation);
  if (!warm_up.ok()) return warm_up.status();
  for (int64_t r = 0; r < reps; ++r) {
    ASSIGN_OR_RETURN(double rate, RunOnce(model, n_ctx, n_batch, tokens, generation));
    s.tokens_per_s.push_back(rate);
    s.mean += rate / static_cast<double>(reps);
  }
  for (double rate : s.tokens_per_s) s.sd += (rate - s.mean) * (rate - s.mean);
  s.sd = reps > 1 ? std::sqrt(s.sd / static_cast<double>(reps - 1)) : 0.0;
  return s;
}

// Fixed-seed token ids, valid in both the tokenizer and the embedding table.
std::vector<int32_t> RandomTokens(int64_t n, int64_t vocab_size) {
  Xoshiro256 rng(1234);
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng.Next() % static_cast<uint64_t>(vocab_size));
  return tokens;
}

std::string ModelName(const LoadedModel& m, const std::string& path) {
  const GgufValue* v = m.gguf->Find("general.name");
  if (v != nullptr && v->AsString() != nullptr) return *v->AsString();
  return path.substr(path.find_last_of('/') + 1);
}

std::string FormatParams(const LoadedModel& m) {
  double n = 0;
  for (const GgufTensorInfo* t : m.gguf->tensors()) n += static_cast<double>(t->n_elements());
  char text[32];
  if (n >= 1e9) std::snprintf(text, sizeof text, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(text, sizeof text, "%.2f M", n / 1e6);
  else std::snprintf(text, sizeof text, "%.2f K", n / 1e3);
  return text;
}

void PrintTable(const LoadedModel& m, const BenchArgs& a, int threads, const Sample* pp, const Sample* tg) {
  const std::string name = ModelName(m, a.model.path) + " (" + ArchitectureName(m.config.arch) + ")";
  const int width = static_cast<int>(name.size());
  std::printf("| %-*s | %10s | %10s | %7s | %8s | %20s |\n", width, "model", "size", "params", "threads", "test",
              "t/s");
  std::printf("| %s | ---------: | ---------: | ------: | -------- | -------------------: |\n",
              std::string(name.size(), '-').c_str());
  for (const auto& [test, s] : {std::pair{"pp" + std::to_string(a.n_prompt), pp},
                                std::pair{"tg" + std::to_string(a.n_gen), tg}}) {
    if (s == nullptr) continue;
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.2f ± %.2f", s->mean, s->sd);  // '±' is two bytes: one more of width
    std::printf("| %s | %10s | %10s | %7d | %8s | %21s |\n", name.c_str(),
                FormatBytes(m.gguf->total_file_bytes()).c_str(), FormatParams(m).c_str(), threads, test.c_str(), rate);
  }
}

void PrintJson(const BenchArgs& a, int threads, const Sample* pp, const Sample* tg) {
  nlohmann::ordered_json j = {{"model", a.model.path}, {"threads", threads}, {"pp_tokens", a.n_prompt},
                              {"tg_tokens", a.n_gen}, {"reps", a.reps}};
  for (const auto& [key, s] : {std::pair{"pp", pp}, std::pair{"tg", tg}}) {
    const std::string k = key;
    j[k + "_tokens_per_s"] = s ? nlohmann::ordered_json(s->mean) : nullptr;
    j[k + "_tokens_per_s_sd"] = s ? nlohmann::ordered_json(s->sd) : nullptr;
    j[k + "_samples"] = s ? nlohmann::ordered_json(s->tokens_per_s) : nlohmann::ordered_json::array();
  }
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  BenchArgs a;
  if (const int code = ParseBenchArgs(args, a); code >= 0) return code;
  // The context is what the tests need, as llama-bench sizes it: a bigger cache would only cost memory.
  const int64_t needed = std::max(a.n_prompt, a.n_gen + 1);
  if (a.model.n_ctx == 0) a.model.n_ctx = needed;
  if (a.model.n_ctx < needed) {
    return Fail(InvalidArgument("the tests need a context of " + std::to_string(needed) + " positions; --ctx is " +
                                std::to_string(a.model.n_ctx)));
  }
  Result<std::unique_ptr<LoadedModel>> loaded = OpenForInference(a.model);
  if (!loaded.ok()) return Fail(loaded.status());
  Model& model = *(*loaded)->model;
  const int64_t vocab = std::min<int64_t>(model.vocab_size(), (*loaded)->text.tokenizer->vocab_size());
  std::optional<Sample> pp, tg;
  if (a.n_prompt > 0) {
    Result<Sample> s = Measure(model, a.model.n_ctx, a.model.n_batch, RandomTokens(a.n_prompt, vocab), false, a.reps);
    if (!s.ok()) return Fail(s.status().WithContext("pp" + std::to_string(a.n_prompt)));
    pp = std::move(*s);
  }
  if (a.n_gen > 0) {
    Result<Sample> s = Measure(model, a.model.n_ctx, a.model.n_batch, RandomTokens(a.n_gen + 1, vocab), true, a.reps);
    if (!s.ok()) return Fail(s.status().WithContext("tg" + std::to_string(a.n_gen)));
    tg = std::move(*s);
  }
  const int threads = ThreadPool::Global().n_threads();
  const Sample* pp_sample = pp ? &*pp : nullptr;
  const Sample* tg_sample = tg ? &*tg : nullptr;
  if (a.json) {
    PrintJson(a, threads, pp_sample, tg_sample);
  } else {
    PrintTable(**loaded, a, threads, pp_sample, tg_sample);
  }
  return 0;
}

}  // namespace baleen::cli
