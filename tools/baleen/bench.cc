// `baleen bench`: prompt-processing and generation throughput, measured as llama-bench's pp512/tg128, and the
// generation speed the machine's memory bandwidth allows. Tools layer.

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
#include "bench/generation_bound.h"
#include "bench/memory_bandwidth.h"
#include "engine/sampling/sampler.h"
#include "kernels/cpu_features.h"
#include "engine/generation/session.h"

namespace baleen::cli {
namespace {

constexpr const char* kBenchUsage =
    "usage: baleen bench [MODEL] [-p 512] [-n 128] [-r 5] [--json] [options]\n"
    "  -p N      prompt-processing test: N random tokens in one evaluation, empty cache (0: skip)\n"
    "  -n N      generation test: N single-token evaluations after one token, empty cache (0: skip)\n"
    "  -r N      timed repetitions, after one untimed warm-up (default 5); prints mean ± sample sd of tokens/s\n"
    "  -d, --ctx-depth N  run both tests with N random tokens already cached (llama-bench's -d), filled once\n"
    "  -s, --sequences N  generation test with N sequences decoding together, one batched forward pass per step\n"
    "                     (as the server's continuous batching runs them); t/s is all sequences' tokens\n"
    "  --no-bandwidth     skip measuring memory read bandwidth and the generation bound it sets\n"
    "  --json    print the results as one JSON object\n"
    "  (--batch defaults to -p here, so the prompt is one forward pass; the context to what the tests need)\n";

struct BenchArgs {
  ModelArgs model;
  int64_t n_prompt = 512, n_gen = 128, reps = 5;
  int64_t depth = 0;  // cached tokens before each test
  int64_t sequences = 1;  // decoding together in the generation test
  bool bandwidth = true;
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
    } else if (arg == "-d" || arg == "--ctx-depth") {
      if (!count(a.depth, 0)) return Usage(kBenchUsage, "--ctx-depth takes a token count");
    } else if (arg == "-s" || arg == "--sequences") {
      if (!count(a.sequences, 1) || a.sequences > 256) return Usage(kBenchUsage, "--sequences takes 1 to 256");
    } else if (arg == "--no-bandwidth") {
      a.bandwidth = false;
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
  // The prompt in one forward pass; a depth-only run fills its context in passes of 512 as a prompt would be.
  if (a.model.n_batch == 0) a.model.n_batch = std::max({a.n_prompt, std::min<int64_t>(a.depth, 512), int64_t{1}});
  return -1;
}

struct Sample {
  double mean = 0, sd = 0;
  std::vector<double> tokens_per_s;
};

// One run of a test on a cache holding `depth` tokens (Truncate forgets what earlier runs added, as llama-bench
// restores its saved depth state): the tokens per second of its timed part.
Result<double> RunOnce(Session& session, int64_t depth, std::span<const int32_t> tokens, bool generation) {
  session.Truncate(depth);
  std::vector<float> logits;
  std::span<const int32_t> timed = tokens;
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

// The generation test with several sequences: every step evaluates one token of each in one ForwardBatch, as the
// server's scheduler does; tokens per second counts all of them.
Result<double> RunBatchedOnce(std::vector<std::unique_ptr<Session>>& sessions, int64_t depth,
                              std::span<const int32_t> tokens) {
  ModelRunner& model = sessions.front()->model();
  std::vector<float> logits;
  for (auto& session : sessions) {
    session->Truncate(depth);
    RETURN_IF_ERROR(session->Append(tokens.first(1), LogitsFor::kLast, &logits));
  }
  const std::span<const int32_t> timed = tokens.subspan(1);
  std::vector<SequenceChunk> chunks;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < timed.size(); ++i) {
    chunks.clear();
    for (auto& session : sessions) chunks.push_back(session->Chunk(timed.subspan(i, 1), LogitsFor::kLast));
    RETURN_IF_ERROR(model.ForwardBatch(chunks, logits));
    for (auto& session : sessions) session->Commit(timed.subspan(i, 1));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(timed.size() * sessions.size()) / std::max(seconds, 1e-9);
}

// Fills the context to `depth` once, then a warm-up run and `reps` timed ones; mean and sample standard deviation
// of tokens/s.
Result<Sample> Measure(Model& model, const BenchArgs& a, const std::vector<int32_t>& depth_tokens,
                       const std::vector<int32_t>& tokens, bool generation) {
  const int64_t n_sessions = generation ? a.sequences : 1;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int64_t i = 0; i < n_sessions; ++i) {
    sessions.push_back(std::make_unique<Session>(model, a.model.n_ctx, a.model.n_batch));
    RETURN_IF_ERROR(sessions.back()->Append(depth_tokens, LogitsFor::kNone, nullptr));
  }
  const auto run = [&]() -> Result<double> {
    if (n_sessions > 1) return RunBatchedOnce(sessions, a.depth, tokens);
    return RunOnce(*sessions.front(), a.depth, tokens, generation);
  };
  Sample s;
  Result<double> warm_up = run();
  if (!warm_up.ok()) return warm_up.status();
  for (int64_t r = 0; r < a.reps; ++r) {
    ASSIGN_OR_RETURN(double rate, run());
    s.tokens_per_s.push_back(rate);
    s.mean += rate / static_cast<double>(a.reps);
  }
  for (double rate : s.tokens_per_s) s.sd += (rate - s.mean) * (rate - s.mean);
  s.sd = a.reps > 1 ? std::sqrt(s.sd / static_cast<double>(a.reps - 1)) : 0.0;
  return s;
}

// Fixed-seed token ids, valid in both the tokenizer and the embedding table.
std::vector<int32_t> RandomTokens(int64_t n, int64_t vocab_size, uint64_t seed = 1234) {
  Xoshiro256 rng(seed);
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

// What memory bandwidth allows generation: the weights one token reads plus the cache it attends to.
struct GenerationBound {
  ReadBandwidth bandwidth;
  double weight_bytes = 0;  // per token
  double cache_bytes = 0;   // per token, at the mean position of the timed tokens
  double tokens_per_s = 0;
};

GenerationBound BoundFor(const LoadedModel& m, const BenchArgs& a, ReadBandwidth bandwidth) {
  GenerationBound b{std::move(bandwidth)};
  b.weight_bytes = static_cast<double>(WeightBytesPerToken(*m.gguf, m.config));
  // Timed token i (1..n) sits at position depth + i and reads the cache rows of positions 0..depth + i.
  const double mean_rows = static_cast<double>(a.depth) + 1.0 + static_cast<double>(a.n_gen + 1) / 2.0;
  b.cache_bytes = static_cast<double>(m.model->cache_geometry().BytesPerToken()) * mean_rows;
  b.tokens_per_s = BandwidthBoundTokensPerSecond(b.bandwidth.best_bytes_per_s, b.weight_bytes + b.cache_bytes);
  return b;
}

// "pp512", "tg128 @ d4096" (llama-bench's test names).
std::string TestName(const char* kind, int64_t n, int64_t depth, int64_t sequences = 1) {
  std::string name = kind + std::to_string(n);
  if (sequences > 1) name += " x" + std::to_string(sequences);
  if (depth > 0) name += " @ d" + std::to_string(depth);
  return name;
}

void PrintBound(const GenerationBound& b, const BenchArgs& a, const Sample* tg) {
  const ReadBandwidth& bw = b.bandwidth;
  std::printf("\nmemory read bandwidth: %.1f GB/s (best of %zu passes over %s, %d threads, %s)\n",
              bw.best_bytes_per_s / 1e9, bw.pass_bytes_per_s.size(), FormatBytes(bw.buffer_bytes).c_str(),
              bw.threads, IsaLevelName(bw.isa));
  std::printf("read per generated token: %.3f GB of weights + %.3f GB of KV cache -> bound %.2f t/s",
              b.weight_bytes / 1e9, b.cache_bytes / 1e9, b.tokens_per_s);
  if (tg != nullptr && b.tokens_per_s > 0 && a.sequences == 1) {  // (several sequences share every weight read)
    std::printf("; %s at %.0f%% of it", TestName("tg", a.n_gen, a.depth).c_str(), 100.0 * tg->mean / b.tokens_per_s);
  }
  std::printf("\n");
}

void PrintTable(const LoadedModel& m, const BenchArgs& a, int threads, const Sample* pp, const Sample* tg) {
  const std::string name = ModelName(m, a.model.path) + " (" + ArchitectureName(m.config.arch) + ")";
  const int width = static_cast<int>(name.size());
  std::printf("| %-*s | %10s | %10s | %7s | %16s | %20s |\n", width, "model", "size", "params", "threads", "test",
              "t/s");
  std::printf("| %s | ---------: | ---------: | ------: | ---------------- | -------------------: |\n",
              std::string(name.size(), '-').c_str());
  for (const auto& [test, s] : {std::pair{TestName("pp", a.n_prompt, a.depth), pp},
                                std::pair{TestName("tg", a.n_gen, a.depth, a.sequences), tg}}) {
    if (s == nullptr) continue;
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.2f ± %.2f", s->mean, s->sd);  // '±' is two bytes: one more of width
    std::printf("| %s | %10s | %10s | %7d | %16s | %21s |\n", name.c_str(),
                FormatBytes(m.gguf->total_file_bytes()).c_str(), FormatParams(m).c_str(), threads, test.c_str(), rate);
  }
}

void PrintJson(const BenchArgs& a, int threads, const Sample* pp, const Sample* tg, const GenerationBound* bound) {
  using Json = nlohmann::ordered_json;
  // The kernels' instruction-set level: a speed holds only for the ISA it was measured on.
  Json j = {{"model", a.model.path}, {"threads", threads}, {"isa", IsaLevelName(KernelIsa())},
            {"pp_tokens", a.n_prompt}, {"tg_tokens", a.n_gen},
            {"ctx_depth", a.depth}, {"sequences", a.sequences}, {"reps", a.reps}};
  for (const auto& [key, s] : {std::pair{"pp", pp}, std::pair{"tg", tg}}) {
    const std::string k = key;
    j[k + "_tokens_per_s"] = s ? Json(s->mean) : nullptr;
    j[k + "_tokens_per_s_sd"] = s ? Json(s->sd) : nullptr;
    j[k + "_samples"] = s ? Json(s->tokens_per_s) : Json::array();
  }
  j["read_bandwidth_gb_per_s"] = bound ? Json(bound->bandwidth.best_bytes_per_s / 1e9) : nullptr;
  j["weight_bytes_per_token"] = bound ? Json(bound->weight_bytes) : nullptr;
  j["cache_bytes_per_token"] = bound ? Json(bound->cache_bytes) : nullptr;
  j["tg_bound_tokens_per_s"] = bound ? Json(bound->tokens_per_s) : nullptr;
  j["tg_fraction_of_bound"] = bound && tg && bound->tokens_per_s > 0 && a.sequences == 1
                                  ? Json(tg->mean / bound->tokens_per_s)
                                  : nullptr;
  std::printf("%s\n", j.dump().c_str());
}

// Runs the tests the arguments ask for; an error names the test.
Status RunTests(Model& model, int64_t vocab, const BenchArgs& a, std::optional<Sample>& pp, std::optional<Sample>& tg) {
  const std::vector<int32_t> depth_tokens = RandomTokens(a.depth, vocab, 99);
  if (a.n_prompt > 0) {
    Result<Sample> s = Measure(model, a, depth_tokens, RandomTokens(a.n_prompt, vocab), false);
    if (!s.ok()) return s.status().WithContext(TestName("pp", a.n_prompt, a.depth));
    pp = std::move(*s);
  }
  if (a.n_gen > 0) {
    Result<Sample> s = Measure(model, a, depth_tokens, RandomTokens(a.n_gen + 1, vocab), true);
    if (!s.ok()) return s.status().WithContext(TestName("tg", a.n_gen, a.depth, a.sequences));
    tg = std::move(*s);
  }
  return Status::Ok();
}

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  BenchArgs a;
  if (const int code = ParseBenchArgs(args, a); code >= 0) return code;
  // The context is what the tests need, as llama-bench sizes it: a bigger cache would only cost memory.
  const int64_t needed = a.depth + std::max(a.n_prompt, a.n_gen + 1);
  if (a.model.n_ctx == 0) a.model.n_ctx = needed;
  if (a.model.n_ctx < needed) {
    return Fail(InvalidArgument("the tests need a context of " + std::to_string(needed) + " positions; --ctx is " +
                                std::to_string(a.model.n_ctx)));
  }
  // Bandwidth first, on the threads the tests will use, so its buffer never competes with the weights for memory.
  std::optional<ReadBandwidth> bandwidth;
  if (a.bandwidth) {
    if (a.model.threads > 0) ThreadPool::SetGlobalThreads(a.model.threads);
    Result<ReadBandwidth> measured = MeasureReadBandwidth();
    if (!measured.ok()) return Fail(measured.status());
    bandwidth = std::move(*measured);
  }
  Result<std::unique_ptr<LoadedModel>> loaded = OpenForInference(a.model);
  if (!loaded.ok()) return Fail(loaded.status());
  Model& model = *(*loaded)->model;
  const int64_t vocab = std::min<int64_t>(model.vocab_size(), (*loaded)->text.tokenizer->vocab_size());
  std::optional<Sample> pp, tg;
  if (Status status = RunTests(model, vocab, a, pp, tg); !status.ok()) return Fail(status);
  std::optional<GenerationBound> bound;
  if (bandwidth) bound = BoundFor(**loaded, a, std::move(*bandwidth));
  const int threads = ThreadPool::Global().n_threads();
  const Sample* pp_sample = pp ? &*pp : nullptr;
  const Sample* tg_sample = tg ? &*tg : nullptr;
  if (a.json) {
    PrintJson(a, threads, pp_sample, tg_sample, bound ? &*bound : nullptr);
  } else {
    PrintTable(**loaded, a, threads, pp_sample, tg_sample);
    if (bound) PrintBound(*bound, a, tg_sample);
  }
  return 0;
}

}  // namespace baleen::cli
