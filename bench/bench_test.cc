// The bench library: every read variant reads every byte; the probe reports sane rates; weight traffic per token
// follows its definition on tiny dense, MoE and MTP models.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/generation_bound.h"
#include "bench/memory_bandwidth.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"

namespace baleen {
namespace {

TEST(XorWords, EveryVariantEqualsAPlainLoop) {
  std::mt19937_64 rng(7);
  for (size_t n_words : {kXorBlockWords, 5 * kXorBlockWords, 4096 * kXorBlockWords}) {
    struct alignas(64) Line { uint64_t w[8]; };
    std::vector<Line> lines(n_words / 8);
    std::span<uint64_t> words(lines.front().w, n_words);
    uint64_t expected = 0;
    for (uint64_t& w : words) expected ^= (w = rng());
    for (IsaLevel isa : {IsaLevel::kPortable, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
      if (!CpuRuns(isa)) continue;  // not on this CPU (or capped by BALEEN_ISA)
      EXPECT_EQ(XorWords(words, isa), expected) << IsaLevelName(isa) << ", " << n_words << " words";
    }
  }
}

TEST(MeasureReadBandwidth, ReportsEveryPassOfTheBufferItWasGiven) {
  Result<ReadBandwidth> r = MeasureReadBandwidth({.buffer_bytes = 8ull << 20, .passes = 3});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->buffer_bytes, 8ull << 20);
  ASSERT_EQ(r->pass_bytes_per_s.size(), 3u);
  for (double rate : r->pass_bytes_per_s) {
    EXPECT_GT(rate, 0);
    EXPECT_LE(rate, r->best_bytes_per_s);
  }
  EXPECT_EQ(r->isa, IsArmLevel(KernelIsa()) ? IsaLevel::kPortable : std::min(KernelIsa(), IsaLevel::kAvx512));
}

TEST(MeasureReadBandwidth, DefaultBufferOutgrowsTheCaches) {
  EXPECT_GE(DefaultBandwidthBufferBytes(), 1ull << 20);
  EXPECT_EQ(DefaultBandwidthBufferBytes() % (1ull << 20), 0u);
}

struct OpenedTiny {
  std::unique_ptr<GgufModel> gguf;
  ModelConfig config;
};

OpenedTiny OpenTiny(const testing::TinyModelSpec& spec) {
  const std::string path = testing::TempPath("bench_" + testing::TinyModelName(spec) + ".gguf");
  EXPECT_TRUE(testing::WriteTinyModel(spec, path).ok());
  OpenedTiny m{GgufModel::Open(path).value(), {}};
  std::filesystem::remove(path);  // the mapping stays valid
  m.config = ResolveModelConfig(*m.gguf).value();
  return m;
}

uint64_t TensorBytes(const GgufModel& gguf, const std::string& name) {
  const GgufTensorInfo* t = gguf.FindTensor(name);
  return t != nullptr ? t->size_bytes : 0;
}

uint64_t AllTensorBytes(const GgufModel& gguf) {
  uint64_t total = 0;
  for (const GgufTensorInfo* t : gguf.tensors()) total += t->size_bytes;
  return total;
}

TEST(WeightBytesPerToken, DenseModelReadsEverythingButTheEmbedding) {
  const OpenedTiny m = OpenTiny({.arch = Architecture::kQwen2});
  ASSERT_NE(m.gguf->FindTensor("output.weight"), nullptr);
  EXPECT_EQ(WeightBytesPerToken(*m.gguf, m.config),
            AllTensorBytes(*m.gguf) - TensorBytes(*m.gguf, "token_embd.weight"));
}

TEST(WeightBytesPerToken, MoeReadsTheActivatedShareOfTheExpertsAndNoMtpBlock) {
  const OpenedTiny with_mtp = OpenTiny({.arch = Architecture::kDeepseek2, .with_mtp = true});
  const OpenedTiny plain = OpenTiny({.arch = Architecture::kDeepseek2});
  const ModelConfig& c = plain.config;
  ASSERT_TRUE(c.has_moe);
  ASSERT_LT(c.moe.n_activated_experts, c.moe.n_routed_experts);
  uint64_t experts = 0;
  for (int64_t layer = 0; layer < c.n_layers; ++layer) {
    for (const char* w : {"gate", "up", "down"}) {
      experts += TensorBytes(*plain.gguf, "blk." + std::to_string(layer) + ".ffn_" + w + "_exps.weight");
    }
  }
  ASSERT_GT(experts, 0u);
  const double expected = static_cast<double>(AllTensorBytes(*plain.gguf) -
                                              TensorBytes(*plain.gguf, "token_embd.weight") - experts) +
                          static_cast<double>(experts) * c.moe.n_activated_experts / c.moe.n_routed_experts;
  EXPECT_NEAR(static_cast<double>(WeightBytesPerToken(*plain.gguf, c)), expected, 1.0);
  EXPECT_EQ(WeightBytesPerToken(*with_mtp.gguf, with_mtp.config), WeightBytesPerToken(*plain.gguf, c));
}

TEST(BandwidthBound, IsBandwidthOverTraffic) {
  EXPECT_DOUBLE_EQ(BandwidthBoundTokensPerSecond(40e9, 2e9), 20.0);
  EXPECT_EQ(BandwidthBoundTokensPerSecond(40e9, 0), 0.0);
}

}  // namespace
}  // namespace baleen
