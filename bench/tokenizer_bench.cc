// Encode throughput (MB/s, one thread) of the real DeepSeek-V3, Qwen3 and Llama 3.1 tokenizers on generated
// English prose, Chinese text and code. Needs tools/tokenizer_fixtures/fetch.sh to have run.
//
//   ninja -C build/release tokenizer_bench && build/release/bench/tokenizer_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer/detokenizer.h"
#include "text/tokenizer/hf_loader.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {
namespace {

constexpr size_t kInputBytes = 1 << 20;

uint64_t NextRandom(uint64_t& state) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return state >> 33;
}

template <typename T>
const T& Pick(const std::vector<T>& items, uint64_t& state) {
  return items[NextRandom(state) % items.size()];
}

// Sentences from a few hundred common words, Zipf-like (earlier words more often), with punctuation.
std::string EnglishProse() {
  const std::vector<std::string> words = {
      "the", "of", "and", "to", "a", "in", "is", "it", "that", "was", "for", "on", "are", "with", "as", "I", "his",
      "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "word", "but", "what", "some", "we",
      "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said", "an", "each",
      "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then", "them", "write",
      "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look", "more",
      "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people", "my", "over", "know",
      "water", "than", "call", "first", "who", "may", "down", "side", "been", "now", "find", "language",
      "model", "inference", "engine", "attention", "tokenizer", "throughput", "experiment", "surprisingly",
      "government", "responsibility", "international", "Wednesday", "don't", "it's", "London", "1969", "42%"};
  uint64_t state = 1;
  std::string text;
  while (text.size() < kInputBytes) {
    const int n_words = 5 + static_cast<int>(NextRandom(state) % 20);
    for (int i = 0; i < n_words; ++i) {
      const size_t rank = std::min(NextRandom(state) % words.size(), NextRandom(state) % words.size());
      std::string word = words[rank];
      if (i == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      text += word;
      text += (i + 1 < n_words) ? (NextRandom(state) % 12 == 0 ? ", " : " ") : ". ";
    }
    if (NextRandom(state) % 8 == 0) text += "\n\n";
  }
  return text;
}

std::string ChineseText() {
  const std::string chars =
      "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方"
      "后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开"
      "它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此"
      "模型推理引擎注意力分词器吞吐量实验深度求索语言";
  std::vector<std::string> glyphs;
  for (size_t i = 0; i < chars.size(); i += 3) glyphs.push_back(chars.substr(i, 3));
  const std::vector<std::string> punctuation = {"，", "。", "、", "；", "：", "“", "”", "！", "？"};
  uint64_t state = 2;
  std::string text;
  while (text.size() < kInputBytes) {
    const int n = 4 + static_cast<int>(NextRandom(state) % 16);
    for (int i = 0; i < n; ++i) text += Pick(glyphs, state);
    text += Pick(punctuation, state);
    if (NextRandom(state) % 10 == 0) text += "\n";
  }
  return text;
}

std::string Code() {
  const std::vector<std::string> snippets = {
      "def {n}(self, x, y=None):\n    \"\"\"Compute {n}.\"\"\"\n    if y is None:\n        y = x * 2\n"
      "    return [i ** 2 for i in range(x) if i % 3 == 0]\n\n",
      "static int {n}(const std::vector<float>& v, size_t n_tokens) {\n  int total = 0;\n"
      "  for (size_t i = 0; i < n_tokens; ++i) {\n    total += static_cast<int>(v[i] * 16.0f);\n  }\n"
      "  return total;\n}\n\n",
      "export function {n}(items) {\n  return items.filter((x) => x.ok).map((x) => ({ id: x.id, "
      "name: `${x.name}` }));\n}\n\n",
      "fn {n}(input: &str) -> Result<Vec<u32>, Error> {\n    input.split(',').map(|s| s.trim().parse::<u32>()"
      ".map_err(Error::from)).collect()\n}\n\n",
      "SELECT u.id, u.name, COUNT(o.id) AS {n} FROM users u LEFT JOIN orders o ON o.user_id = u.id "
      "GROUP BY u.id HAVING COUNT(o.id) > 10;\n\n",
      "<div class=\"{n}\">\n  <span id=\"x-{n}\">{{ value | escape }}</span>\n</div>\n\n",
  };
  const std::vector<std::string> names = {"compute_loss", "parseHeader", "tokenize", "kv_cache_size", "Render",
                                          "apply_rope", "fetchUser", "merge_sorted", "sum_tokens", "handle"};
  uint64_t state = 3;
  std::string text;
  while (text.size() < kInputBytes) {
    std::string snippet = Pick(snippets, state);
    const std::string& name = Pick(names, state);
    for (size_t at; (at = snippet.find("{n}")) != std::string::npos;) snippet.replace(at, 3, name);
    text += snippet;
  }
  return text;
}

const Tokenizer* GetTokenizer(const std::string& model) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[model];
  if (!slot) {
    const char* dir = std::getenv("BALEEN_TOKENIZER_PACKAGES");
    const std::string base = dir ? dir : BALEEN_TOKENIZER_PACKAGES_DIR;
    Result<BpeVocab> vocab = LoadHfTokenizerDir(base + "/tokenizer-" + model + "/models");
    if (!vocab.ok()) return nullptr;
    Result<std::unique_ptr<Tokenizer>> tok = Tokenizer::Create(std::move(vocab).value());
    if (!tok.ok()) return nullptr;
    slot = std::move(tok).value();
  }
  return slot.get();
}

void BM_Encode(benchmark::State& state, const std::string& model, std::string (*make_text)()) {
  const Tokenizer* tok = GetTokenizer(model);
  if (tok == nullptr) {
    state.SkipWithError("tokenizer not found: run tools/tokenizer_fixtures/fetch.sh");
    return;
  }
  const std::string text = make_text();
  size_t n_tokens = 0;
  for (auto _ : state) {
    Result<std::vector<int32_t>> ids = tok->EncodeUntrusted(text);
    n_tokens = ids.ok() ? ids->size() : 0;
    benchmark::DoNotOptimize(n_tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes_per_token"] = static_cast<double>(text.size()) / static_cast<double>(n_tokens);
}

void BM_StreamDecode(benchmark::State& state, const std::string& model) {
  const Tokenizer* tok = GetTokenizer(model);
  if (tok == nullptr) {
    state.SkipWithError("tokenizer not found: run tools/tokenizer_fixtures/fetch.sh");
    return;
  }
  const std::string text = ChineseText();
  const std::vector<int32_t> ids = *tok->EncodeUntrusted(text);
  for (auto _ : state) {
    StreamDecoder stream(*tok);
    size_t size = 0;
    for (const int32_t id : ids) size += stream.Push(id).size();
    benchmark::DoNotOptimize(size);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK_CAPTURE(BM_Encode, deepseek_v3_english, "deepseek_v3", EnglishProse)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, deepseek_v3_chinese, "deepseek_v3", ChineseText)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, deepseek_v3_code, "deepseek_v3", Code)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen3_english, "qwen3", EnglishProse)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen3_chinese, "qwen3", ChineseText)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen3_code, "qwen3", Code)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3_1_english, "llama3_1", EnglishProse)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3_1_chinese, "llama3_1", ChineseText)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3_1_code, "llama3_1", Code)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StreamDecode, deepseek_v3_chinese, "deepseek_v3")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace baleen

BENCHMARK_MAIN();
