// Forward-pass invariants on the project's tiny models: cache correctness (prefill = decode step by step =
// chunked), the two MLA forms agree, routing by hand-computed cases, clear errors. Numerical agreement with the
// independent PyTorch reference is tested in tests/reference_golden_test.cc. MatMul runs in exact mode except where
// a test says otherwise: with 8-bit activations the two MLA forms round different vectors, and on these random
// models such differences grow through the layers and the expert choices to whole logits.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "formats/architectures.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "models/mla.h"
#include "models/model.h"
#include "models/moe.h"
#include "models/rope_freqs.h"

namespace baleen {
namespace {

using testing::TinyModelSpec;

class ExactMatMulEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { SetExactMatMul(true); }
};

::testing::Environment* const kExactMatMul = ::testing::AddGlobalTestEnvironment(new ExactMatMulEnvironment);

struct Loaded {
  std::unique_ptr<GgufModel> gguf;
  ModelConfig config;
  std::unique_ptr<Model> model;
};

Loaded Load(const TinyModelSpec& spec, const ModelOptions& options = {}) {
  const std::string path = testing::TempPath(testing::TinyModelName(spec) + ".gguf");
  EXPECT_TRUE(testing::WriteTinyModel(spec, path).ok());
  Loaded l;
  l.gguf = GgufModel::Open(path).value();
  std::filesystem::remove(path);  // the mapping stays valid
  l.config = ResolveModelConfig(*l.gguf).value();
  auto model = LoadModel(*l.gguf, l.config, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  l.model = std::move(model).value();
  return l;
}

std::vector<int32_t> Prompt(int64_t n, int64_t vocab) {
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) tokens[i] = static_cast<int32_t>((i * 37 + 11) % vocab);
  return tokens;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0.0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

std::vector<float> AllLogits(Model& m, const std::vector<int32_t>& tokens, int64_t chunk) {
  auto cache = m.NewCache(64);
  std::vector<float> all, part;
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    const size_t count = std::min<size_t>(chunk, tokens.size() - begin);
    EXPECT_TRUE(m.Forward(std::span(tokens).subspan(begin, count), static_cast<int64_t>(begin), *cache,
                          LogitsFor::kAll, part)
                    .ok());
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

// Every tiny variant of every runnable architecture in the registry, and one K-quant file for the quantized
// weight paths of MLA and MoE.
std::vector<TinyModelSpec> RunnableSpecs() {
  std::vector<TinyModelSpec> specs;
  for (const TinyModelSpec& spec : testing::TinyModelVariants()) {
    if (ArchitectureInfoFor(spec.arch).runnable()) specs.push_back(spec);
  }
  specs.push_back({.arch = Architecture::kDeepseek2, .q_lora = true, .weight_type = GgmlType::kQ4_K});
  return specs;
}
const std::vector<TinyModelSpec> kSpecs = RunnableSpecs();

class EveryArchitecture : public ::testing::TestWithParam<TinyModelSpec> {};

TEST_P(EveryArchitecture, PrefillEqualsTokenByTokenAndChunkedDecoding) {
  Loaded l = Load(GetParam());
  const std::vector<int32_t> tokens = Prompt(13, l.config.vocab_size);
  const std::vector<float> whole = AllLogits(*l.model, tokens, 13);
  EXPECT_LT(MaxAbsDiff(whole, AllLogits(*l.model, tokens, 1)), 2e-4);
  EXPECT_LT(MaxAbsDiff(whole, AllLogits(*l.model, tokens, 5)), 2e-4);
  for (float v : whole) ASSERT_TRUE(std::isfinite(v));
}

TEST_P(EveryArchitecture, LastLogitsAreTheLastRowOfAll) {
  Loaded l = Load(GetParam());
  const std::vector<int32_t> tokens = Prompt(6, l.config.vocab_size);
  auto cache = l.model->NewCache(16);
  std::vector<float> last;
  ASSERT_TRUE(l.model->Forward(tokens, 0, *cache, LogitsFor::kLast, last).ok());
  const std::vector<float> all = AllLogits(*l.model, tokens, 6);
  const std::vector<float> tail(all.end() - l.config.vocab_size, all.end());
  // Not bit-identical: one row of logits takes the fused decode kernel, six rows the tiled one.
  EXPECT_LT(MaxAbsDiff(last, tail), 1e-4);
}

// Continuous batching: several sequences in one ForwardBatch, their caches paged in one pool with scrambled block
// tables, give each sequence the bits a Forward of its own gives. A prefill chunk, decode steps and a chunk after a
// cached prefix share the call (for MLA in auto mode that mixes the naive and the absorbed form). With the fast
// integer kernels (what serving runs) this holds for every format; exact mode decodes quantized weights differently
// for 1-3 rows (fused) than for more (tiled), so there only float weights qualify.
void ExpectBatchedEqualsSeparate(Loaded& l) {
  const int64_t vocab = l.config.vocab_size;
  const std::vector<int32_t> a = Prompt(21, vocab), b = Prompt(9, vocab - 3), c = Prompt(30, vocab - 7);
  // Alone: a as one chunk; b as 8 then 1; c as 17 then 13.
  std::vector<float> a_alone, b_alone, c_alone, scratch;
  {
    auto ca = l.model->NewCache(64), cb = l.model->NewCache(64), cc = l.model->NewCache(64);
    ASSERT_TRUE(l.model->Forward(a, 0, *ca, LogitsFor::kAll, a_alone).ok());
    ASSERT_TRUE(l.model->Forward(std::span(b).first(8), 0, *cb, LogitsFor::kNone, scratch).ok());
    ASSERT_TRUE(l.model->Forward(std::span(b).last(1), 8, *cb, LogitsFor::kLast, b_alone).ok());
    ASSERT_TRUE(l.model->Forward(std::span(c).first(17), 0, *cc, LogitsFor::kNone, scratch).ok());
    ASSERT_TRUE(l.model->Forward(std::span(c).last(13), 17, *cc, LogitsFor::kAll, c_alone).ok());
  }
  KvBlockPool pool(l.model->cache_geometry(), 12);
  KvCache ca(pool, 64), cb(pool, 64), cc(pool, 64);
  ca.set_blocks({7, 2});
  cb.set_blocks({0});
  cc.set_blocks({11, 5});
  // First call: b's and c's prefixes; second: a whole, b's decode step and c's continuation together.
  const SequenceChunk first[] = {{std::span(b).first(8), 0, &cb, LogitsFor::kNone},
                                 {std::span(c).first(17), 0, &cc, LogitsFor::kNone}};
  std::vector<float> logits;
  ASSERT_TRUE(l.model->ForwardBatch(first, logits).ok());
  EXPECT_TRUE(logits.empty());
  const SequenceChunk second[] = {{std::span(b).last(1), 8, &cb, LogitsFor::kLast},
                                  {a, 0, &ca, LogitsFor::kAll},
                                  {std::span(c).last(13), 17, &cc, LogitsFor::kAll}};
  ASSERT_TRUE(l.model->ForwardBatch(second, logits).ok());
  std::vector<float> expected = b_alone;
  expected.insert(expected.end(), a_alone.begin(), a_alone.end());
  expected.insert(expected.end(), c_alone.begin(), c_alone.end());
  ASSERT_EQ(logits.size(), expected.size());
  EXPECT_EQ(std::memcmp(logits.data(), expected.data(), logits.size() * sizeof(float)), 0)
      << "max |diff| " << MaxAbsDiff(logits, expected);
}

TEST_P(EveryArchitecture, BatchedSequencesEqualSeparateOnes) {
  Loaded l = Load(GetParam());
  Loaded f16 = Load(GetParam(), {.cache_type = KvCacheType::kF16});
  SetExactMatMul(false);
  ExpectBatchedEqualsSeparate(l);
  ExpectBatchedEqualsSeparate(f16);
  SetExactMatMul(true);
  if (GetParam().weight_type == GgmlType::kF32 || GetParam().weight_type == GgmlType::kF16) {
    ExpectBatchedEqualsSeparate(l);
  }
}

// An F16 cache rounds keys and values (11 significant bits): the logits move a little, not more, and the cache
// invariants (prefill = token by token) still hold.
TEST_P(EveryArchitecture, AnF16CacheStaysCloseToF32) {
  Loaded f32 = Load(GetParam());
  Loaded f16 = Load(GetParam(), {.cache_type = KvCacheType::kF16});
  EXPECT_EQ(f16.model->cache_geometry().BytesPerToken() * 2, f32.model->cache_geometry().BytesPerToken());
  const std::vector<int32_t> tokens = Prompt(13, f32.config.vocab_size);
  const std::vector<float> exact = AllLogits(*f32.model, tokens, 13), rounded = AllLogits(*f16.model, tokens, 13);
  const double diff = MaxAbsDiff(exact, rounded);
  EXPECT_GT(diff, 0.0);  // it does round
  EXPECT_LT(diff, 2e-2);
  // (Looser than F32's 2e-4: the two MLA forms, which prefill and decode take, round differently on top.)
  EXPECT_LT(MaxAbsDiff(rounded, AllLogits(*f16.model, tokens, 1)), 2e-3);
}

TEST_P(EveryArchitecture, ACacheWithoutBlocksForItsPositionsIsRefused) {
  Loaded l = Load(GetParam());
  KvBlockPool pool(l.model->cache_geometry(), 2);
  KvCache cache(pool, 64);
  cache.set_blocks({1});
  const std::vector<int32_t> tokens = Prompt(kKvBlockTokens + 1, l.config.vocab_size);
  std::vector<float> logits;
  const Status s = l.model->Forward(tokens, 0, cache, LogitsFor::kLast, logits);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("blocks for 16 positions"), std::string::npos) << s.ToString();
}

INSTANTIATE_TEST_SUITE_P(TinyModels, EveryArchitecture, ::testing::ValuesIn(kSpecs),
                         [](const auto& info) {
                           std::string name = testing::TinyModelName(info.param);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// With the fast integer matmuls the results depend only on each token (activations are quantized per token), so
// with one MLA form fixed the cache invariants still hold as tightly as in exact mode.
TEST(FastMatMul, PrefillEqualsTokenByTokenWithOneMlaForm) {
  SetExactMatMul(false);
  Loaded l = Load({.arch = Architecture::kDeepseek2, .q_lora = true, .weight_type = GgmlType::kQ4_K});
  const std::vector<int32_t> tokens = Prompt(13, l.config.vocab_size);
  for (MlaMode mode : {MlaMode::kNaive, MlaMode::kAbsorbed}) {
    l.model->set_mla_mode(mode);
    const std::vector<float> whole = AllLogits(*l.model, tokens, 13);
    EXPECT_LT(MaxAbsDiff(whole, AllLogits(*l.model, tokens, 1)), 2e-4) << "mode " << static_cast<int>(mode);
    EXPECT_LT(MaxAbsDiff(whole, AllLogits(*l.model, tokens, 5)), 2e-4);
  }
  SetExactMatMul(true);
}

// One MLA layer's contribution for the inputs xn [n_tokens, dim], prefilled into a fresh cache in two chunks (the
// second attends over the first's cached latents), in the given form.
std::vector<float> MlaLayerOutput(const Loaded& l, const MlaWeights& weights, int64_t layer,
                                  const std::vector<float>& xn, MlaMode mode) {
  const int64_t dim = l.config.dim, n_tokens = static_cast<int64_t>(xn.size()) / dim, half = n_tokens / 2;
  const MlaAttention mla(l.config, MakeRope(l.config, nullptr));
  KvCache cache(l.model->cache_geometry(), n_tokens);
  const std::vector<int32_t> ids(static_cast<size_t>(half), 0);  // MLA reads only their count
  std::vector<float> out(xn.size(), 0.0f);                      // Forward adds to it
  for (int64_t begin = 0; begin < n_tokens; begin += half) {
    const SequenceChunk chunk{ids, begin, &cache};
    mla.Forward(weights, layer, &xn[begin * dim], BatchRows({&chunk, 1}), mode, &out[begin * dim]);
  }
  return out;
}

// ‖fast − exact‖ / ‖exact‖ over all elements.
double RelativeRms(const std::vector<float>& exact, const std::vector<float>& fast) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) {
    diff += (double(fast[i]) - exact[i]) * (double(fast[i]) - exact[i]);
    norm += double(exact[i]) * exact[i];
  }
  return std::sqrt(diff / norm);
}

// In fast mode the naive form decompresses the cache with the 8-bit W_UK copy built at load and the file's W_UV on
// the integer kernels: its distance from exact arithmetic must be that of the absorbed form, which multiplies by the
// same weights on the same kernels, not larger. Measured per MLA layer on the same inputs for both forms, not on
// the logits: through the model, either form's 8-bit rounding flips some near-tied expert choice of these random
// routers, and then one token's logits move by whole units in one form or the other depending only on the float
// summation order of the kernels (at AVX-512 VNNI the absorbed form flipped one, below it the naive form another).
TEST(FastMatMul, NaiveFormIsAsCloseToExactAsTheAbsorbedOne) {
  Loaded l = Load({.arch = Architecture::kDeepseek2, .q_lora = true, .weight_type = GgmlType::kQ4_K});
  PackedWeights packs;  // as the model packs them, at this ISA level
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);  // the scale of attn_norm's output
  std::vector<float> xn(static_cast<size_t>(24 * l.config.dim));
  for (int64_t layer = 0; layer < l.config.n_layers; ++layer) {
    const MlaWeights weights = LoadMla(WeightLoader(*l.gguf, &packs), layer, l.config).value();
    for (float& v : xn) v = normal(rng);
    auto output = [&](bool exact, MlaMode mode) {
      SetExactMatMul(exact);
      return MlaLayerOutput(l, weights, layer, xn, mode);
    };
    const std::vector<float> exact = output(true, MlaMode::kNaive);
    const double naive = RelativeRms(exact, output(false, MlaMode::kNaive));
    const double absorbed = RelativeRms(exact, output(false, MlaMode::kAbsorbed));
    SetExactMatMul(true);
    // 8-bit activations put both forms about 2% from exact (naive/absorbed 0.95-1.13 over 8 seeds × 3 layers); a
    // W_UK copy in Q4_0 instead of Q8_0 puts the naive form at 10%.
    EXPECT_GT(absorbed, 0.0) << "layer " << layer;
    EXPECT_LT(naive, 1.25 * absorbed) << "layer " << layer << ", absorbed " << absorbed;
  }
}

TEST(Mla, NaiveAndAbsorbedFormsAgree) {
  for (bool q_lora : {true, false}) {
    Loaded l = Load({.arch = Architecture::kDeepseek2, .q_lora = q_lora});
    const std::vector<int32_t> tokens = Prompt(20, l.config.vocab_size);
    l.model->set_mla_mode(MlaMode::kNaive);
    const std::vector<float> naive = AllLogits(*l.model, tokens, 7);
    l.model->set_mla_mode(MlaMode::kAbsorbed);
    const std::vector<float> absorbed = AllLogits(*l.model, tokens, 7);
    EXPECT_LT(MaxAbsDiff(naive, absorbed), 1e-4) << "q_lora " << q_lora;
  }
}

TEST(Forward, ContextFullAndBadTokensAreClearErrors) {
  Loaded l = Load({.arch = Architecture::kQwen2});
  auto cache = l.model->NewCache(4);
  std::vector<float> logits;
  const std::vector<int32_t> five = Prompt(5, l.config.vocab_size);
  Status full = l.model->Forward(five, 0, *cache, LogitsFor::kLast, logits);
  EXPECT_EQ(full.code(), StatusCode::kOutOfRange);
  EXPECT_NE(full.message().find("context is full"), std::string::npos) << full.message();
  const std::vector<int32_t> bad = {1, static_cast<int32_t>(l.config.vocab_size)};
  Status oov = l.model->Forward(bad, 0, *cache, LogitsFor::kLast, logits);
  EXPECT_EQ(oov.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(oov.message().find("outside the vocabulary"), std::string::npos) << oov.message();
}

TEST(Forward, MissingTensorIsNamed) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kLlama}, w).ok());
  w.RemoveTensor("blk.1.ffn_up.weight");
  const std::string path = testing::TempPath("missing.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  auto gguf = GgufModel::Open(path).value();
  std::filesystem::remove(path);
  auto model = LoadModel(*gguf, ResolveModelConfig(*gguf).value());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("blk.1.ffn_up.weight"), std::string::npos) << model.status().message();
}

// Pre-MLA conversions store W_UK and W_UV stacked per head in attn_kv_b, with per-head key/value widths and no
// _mla keys. The same weights in that layout must give the same logits.
TEST(Mla, LegacyKvBLayoutMatchesSplitLayout) {
  const TinyModelSpec spec{.arch = Architecture::kDeepseek2, .q_lora = true};
  Loaded split = Load(spec);
  const int64_t heads = split.config.n_heads, kvr = split.config.mla.kv_lora_rank;
  const int64_t nope = split.config.mla.qk_nope_head_dim, v_head = split.config.mla.v_head_dim;
  const int64_t rope = split.config.mla.qk_rope_head_dim;

  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel(spec, w).ok());
  for (int64_t layer = 0; layer < split.config.n_layers; ++layer) {
    const std::string prefix = "blk." + std::to_string(layer) + ".";
    auto k_b = reinterpret_cast<const float*>(split.gguf->FindTensor(prefix + "attn_k_b.weight")->data.data());
    auto v_b = reinterpret_cast<const float*>(split.gguf->FindTensor(prefix + "attn_v_b.weight")->data.data());
    std::vector<float> kv_b(static_cast<size_t>(heads * (nope + v_head) * kvr));
    for (int64_t h = 0; h < heads; ++h) {
      float* head = &kv_b[h * (nope + v_head) * kvr];
      for (int64_t d = 0; d < nope; ++d) {
        for (int64_t c = 0; c < kvr; ++c) head[d * kvr + c] = k_b[(h * kvr + c) * nope + d];  // W_UK = k_bᵀ
      }
      std::copy_n(&v_b[h * v_head * kvr], v_head * kvr, head + nope * kvr);  // W_UV as is
    }
    ASSERT_TRUE(w.RemoveTensor(prefix + "attn_k_b.weight"));
    ASSERT_TRUE(w.RemoveTensor(prefix + "attn_v_b.weight"));
    ASSERT_TRUE(w.AddTensor(prefix + "attn_kv_b.weight", GgmlType::kF32, {kvr, heads * (nope + v_head)},
                            std::span(reinterpret_cast<const uint8_t*>(kv_b.data()), kv_b.size() * 4))
                    .ok());
  }
  w.Remove("deepseek2.attention.key_length_mla");
  w.Remove("deepseek2.attention.value_length_mla");
  w.SetU32("deepseek2.attention.key_length", static_cast<uint32_t>(nope + rope));
  w.SetU32("deepseek2.attention.value_length", static_cast<uint32_t>(v_head));
  w.SetU32("deepseek2.attention.head_count_kv", static_cast<uint32_t>(heads));
  const std::string path = testing::TempPath("legacy.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  auto gguf = GgufModel::Open(path).value();
  std::filesystem::remove(path);
  const ModelConfig config = ResolveModelConfig(*gguf).value();
  ASSERT_FALSE(config.mla.split_kv_b);
  auto legacy = LoadModel(*gguf, config);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();

  const std::vector<int32_t> tokens = Prompt(9, split.config.vocab_size);
  for (MlaMode mode : {MlaMode::kNaive, MlaMode::kAbsorbed}) {
    split.model->set_mla_mode(mode);
    (*legacy)->set_mla_mode(mode);
    EXPECT_LT(MaxAbsDiff(AllLogits(*split.model, tokens, 4), AllLogits(**legacy, tokens, 4)), 1e-4);
  }
}

MoeConfig V3Router() {
  MoeConfig m;
  m.n_routed_experts = 8;
  m.n_activated_experts = 2;
  m.n_expert_groups = 4;
  m.n_limited_groups = 2;
  m.score_func = ScoreFunc::kSigmoid;
  m.norm_topk_prob = true;
  m.route_scale = 2.5;
  return m;
}

TEST(Router, SigmoidWithGroupsAndSelectionOnlyBias) {
  // Groups of two: {0,1} {2,3} {4,5} {6,7}. The bias makes group {6,7} and expert 6 win the selection, but the
  // mixing weights use the unbiased sigmoid scores.
  const std::vector<float> logits = {2.0f, 1.9f, 0.0f, 0.0f, 1.0f, 1.0f, -1.0f, -1.0f};
  const std::vector<float> bias = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 3.0f, 0.5f};
  const auto routed = RouteToken(logits, bias, V3Router());
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_EQ(routed[0].expert, 6);  // 0.269 + 3.0
  EXPECT_EQ(routed[1].expert, 0);  // best of group {0,1}; group {4,5} (1.46) loses to {0,1} (1.75)
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const double sum = sig(-1.0) + sig(2.0);
  EXPECT_NEAR(routed[0].weight, 2.5 * sig(-1.0) / sum, 1e-6);
  EXPECT_NEAR(routed[1].weight, 2.5 * sig(2.0) / sum, 1e-6);
}

TEST(Router, SoftmaxWithoutRenormalization) {
  MoeConfig m;
  m.n_routed_experts = 4;
  m.n_activated_experts = 2;
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f};
  const auto routed = RouteToken(logits, {}, m);
  const double z = std::exp(0.0) + std::exp(2.0) + std::exp(1.0) + std::exp(-1.0);
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_EQ(routed[0].expert, 1);
  EXPECT_EQ(routed[1].expert, 2);
  EXPECT_NEAR(routed[0].weight, std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(routed[1].weight, std::exp(1.0) / z, 1e-6);
}

}  // namespace
}  // namespace baleen
