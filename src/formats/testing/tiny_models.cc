// Tiny random-weight models for every architecture in the registry, with the converter's key and tensor names.
// Formats layer (test support). Hyperparameters are small multiples of 256 where the real models have them, so
// K-quants apply.
#include "formats/testing/tiny_models.h"

#include <cstring>
#include <random>
#include <vector>

#include "formats/architectures.h"
#include "formats/quants/quants.h"
#include "formats/testing/tiny_tokenizer.h"

namespace baleen::testing {
namespace {

// Sizes shared by all variants.
constexpr int64_t kDim = 256;
constexpr int64_t kInterDim = 512;
constexpr int64_t kHeads = 4;
constexpr int64_t kContext = 4096;

class Builder {
 public:
  Builder(GgufWriter& writer, const TinyModelSpec& spec, std::string arch)
      : writer_(writer), spec_(spec), arch_(std::move(arch)), rng_(spec.seed) {}

  void Key(const std::string& key, GgufValue value) { writer_.Set(arch_ + "." + key, std::move(value)); }
  void U32(const std::string& key, uint32_t v) { Key(key, GgufValue::U32(v)); }
  void F32(const std::string& key, float v) { Key(key, GgufValue::F32(v)); }

  // A weight matrix in the spec's type, falling back (as llama-quantize does) when ne0 is not a whole number of
  // blocks: to Q8_0, then F16.
  Status Weight(const std::string& name, std::vector<int64_t> dims) {
    GgmlType type = spec_.weight_type;
    if (dims[0] % GetGgmlTypeInfo(type).block_elems != 0) type = dims[0] % 32 == 0 ? GgmlType::kQ8_0 : GgmlType::kF16;
    return Tensor(name, type, std::move(dims), 0.0f, 0.08f);
  }
  // Norm weights near 1, biases and routers near 0; always F32 like the converter keeps them.
  Status Norm(const std::string& name, int64_t n) { return Tensor(name, GgmlType::kF32, {n}, 1.0f, 0.05f); }
  Status Plain(const std::string& name, std::vector<int64_t> dims) {
    return Tensor(name, GgmlType::kF32, std::move(dims), 0.0f, 0.05f);
  }
  Status Int32(const std::string& name, std::vector<int64_t> dims, int32_t modulo) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<int32_t> values(static_cast<size_t>(n));
    for (auto& v : values) v = static_cast<int32_t>(rng_() % static_cast<uint64_t>(modulo));
    return writer_.AddTensor(name, GgmlType::kI32, std::move(dims),
                             std::span(reinterpret_cast<const uint8_t*>(values.data()), values.size() * 4));
  }

 private:
  Status Tensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, float mean, float stddev) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    std::normal_distribution<float> normal(mean, stddev);
    for (float& v : values) v = normal(rng_);
    ASSIGN_OR_RETURN(uint64_t size_bytes, TensorBytes(type, dims));
    std::vector<uint8_t> bytes(size_bytes);
    if (type == GgmlType::kF32) {
      std::memcpy(bytes.data(), values.data(), bytes.size());
    } else {
      const int64_t n_rows = n / dims[0];
      const uint64_t row_bytes = size_bytes / static_cast<uint64_t>(n_rows);
      for (int64_t r = 0; r < n_rows; ++r) {
        RETURN_IF_ERROR(QuantizeRow(type, values.data() + r * dims[0], bytes.data() + r * row_bytes, dims[0])
                            .WithContext("tensor '" + name + "'"));
      }
    }
    return writer_.AddTensor(name, type, std::move(dims), bytes);
  }

  GgufWriter& writer_;
  const TinyModelSpec& spec_;
  std::string arch_;
  std::mt19937_64 rng_;
};

std::string Blk(int64_t layer, const std::string& name) { return "blk." + std::to_string(layer) + "." + name; }

// MLA + MoE shapes (deepseek2 / deepseek32): V3-like with q-LoRA and sigmoid routing, or V2-Lite-like.
struct DeepseekDims {
  int64_t q_lora_rank = 256, kv_lora_rank = 256, qk_nope = 32, qk_rope = 16, v_head = 32;
  int64_t n_layers = 3, n_dense = 1, moe_inter = 256, n_experts = 8, n_used = 2, n_shared = 1;
};

Status AddFfnDense(Builder& b, int64_t layer) {
  RETURN_IF_ERROR(b.Norm(Blk(layer, "ffn_norm.weight"), kDim));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_gate.weight"), {kDim, kInterDim}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_up.weight"), {kDim, kInterDim}));
  return b.Weight(Blk(layer, "ffn_down.weight"), {kInterDim, kDim});
}

Status AddFfnMoe(Builder& b, int64_t layer, const DeepseekDims& d, bool score_bias) {
  RETURN_IF_ERROR(b.Norm(Blk(layer, "ffn_norm.weight"), kDim));
  RETURN_IF_ERROR(b.Plain(Blk(layer, "ffn_gate_inp.weight"), {kDim, d.n_experts}));
  if (score_bias) RETURN_IF_ERROR(b.Plain(Blk(layer, "exp_probs_b.bias"), {d.n_experts}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_gate_exps.weight"), {kDim, d.moe_inter, d.n_experts}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_up_exps.weight"), {kDim, d.moe_inter, d.n_experts}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_down_exps.weight"), {d.moe_inter, kDim, d.n_experts}));
  const int64_t shared = d.moe_inter * d.n_shared;
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_gate_shexp.weight"), {kDim, shared}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_up_shexp.weight"), {kDim, shared}));
  return b.Weight(Blk(layer, "ffn_down_shexp.weight"), {shared, kDim});
}

Status AddMla(Builder& b, int64_t layer, const DeepseekDims& d, bool q_lora) {
  const int64_t qk_head = d.qk_nope + d.qk_rope;
  RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_norm.weight"), kDim));
  if (q_lora) {
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q_a.weight"), {kDim, d.q_lora_rank}));
    RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_q_a_norm.weight"), d.q_lora_rank));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q_b.weight"), {d.q_lora_rank, kHeads * qk_head}));
  } else {
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q.weight"), {kDim, kHeads * qk_head}));
  }
  RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_kv_a_mqa.weight"), {kDim, d.kv_lora_rank + d.qk_rope}));
  RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_kv_a_norm.weight"), d.kv_lora_rank));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_k_b.weight"), {d.qk_nope, d.kv_lora_rank, kHeads}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_v_b.weight"), {d.kv_lora_rank, d.v_head, kHeads}));
  return b.Weight(Blk(layer, "attn_output.weight"), {kHeads * d.v_head, kDim});
}

Status AddIndexer(Builder& b, int64_t layer, const DeepseekDims& d) {
  constexpr int64_t kIndexHeads = 4, kIndexHeadDim = 64;
  RETURN_IF_ERROR(b.Norm(Blk(layer, "indexer.k_norm.weight"), kIndexHeadDim));
  RETURN_IF_ERROR(b.Plain(Blk(layer, "indexer.k_norm.bias"), {kIndexHeadDim}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "indexer.proj.weight"), {kDim, kIndexHeads}));
  RETURN_IF_ERROR(b.Weight(Blk(layer, "indexer.attn_k.weight"), {kDim, kIndexHeadDim}));
  return b.Weight(Blk(layer, "indexer.attn_q_b.weight"), {d.q_lora_rank, kIndexHeads * kIndexHeadDim});
}

Status BuildDeepseek(const TinyModelSpec& spec, Builder& b, int64_t vocab) {
  const DeepseekDims d;
  const bool v3 = spec.q_lora;
  const bool dsa = spec.arch == Architecture::kDeepseek32;
  const int64_t n_mtp = spec.with_mtp ? 1 : 0;
  b.U32("context_length", kContext);
  b.U32("embedding_length", kDim);
  b.U32("block_count", static_cast<uint32_t>(d.n_layers + n_mtp));
  b.U32("feed_forward_length", kInterDim);
  b.U32("attention.head_count", kHeads);
  b.U32("attention.head_count_kv", 1);  // MLA converts into MQA
  b.U32("attention.key_length", static_cast<uint32_t>(d.kv_lora_rank + d.qk_rope));
  b.U32("attention.value_length", static_cast<uint32_t>(d.kv_lora_rank));
  b.U32("attention.key_length_mla", static_cast<uint32_t>(d.qk_nope + d.qk_rope));
  b.U32("attention.value_length_mla", static_cast<uint32_t>(d.v_head));
  b.F32("attention.layer_norm_rms_epsilon", 1e-6f);
  if (v3) b.U32("attention.q_lora_rank", static_cast<uint32_t>(d.q_lora_rank));
  b.U32("attention.kv_lora_rank", static_cast<uint32_t>(d.kv_lora_rank));
  b.U32("rope.dimension_count", static_cast<uint32_t>(d.qk_rope));
  b.F32("rope.freq_base", 10000.0f);
  b.Key("rope.scaling.type", GgufValue::String("yarn"));
  b.F32("rope.scaling.factor", 40.0f);
  b.U32("rope.scaling.original_context_length", 128);
  b.F32("rope.scaling.yarn_log_multiplier", v3 ? 0.1f : 0.0707f);
  b.U32("leading_dense_block_count", static_cast<uint32_t>(d.n_dense));
  b.U32("expert_feed_forward_length", static_cast<uint32_t>(d.moe_inter));
  b.U32("expert_count", static_cast<uint32_t>(d.n_experts));
  b.U32("expert_used_count", static_cast<uint32_t>(d.n_used));
  b.U32("expert_shared_count", static_cast<uint32_t>(v3 ? d.n_shared : 2 * d.n_shared));
  if (v3) {
    b.U32("expert_group_count", 4);
    b.U32("expert_group_used_count", 2);
    b.F32("expert_weights_scale", 2.5f);
    b.Key("expert_weights_norm", GgufValue::Bool(true));
    b.U32("expert_gating_func", 2);
  } else {
    b.F32("expert_weights_scale", 1.0f);
  }
  if (n_mtp > 0) b.U32("nextn_predict_layers", 1);
  b.U32("vocab_size", static_cast<uint32_t>(vocab));
  if (dsa) {
    b.U32("attention.indexer.head_count", 4);
    b.U32("attention.indexer.key_length", 64);
    b.U32("attention.indexer.top_k", 16);
  }
  RETURN_IF_ERROR(b.Weight("token_embd.weight", {kDim, vocab}));
  RETURN_IF_ERROR(b.Norm("output_norm.weight", kDim));
  RETURN_IF_ERROR(b.Weight("output.weight", {kDim, vocab}));
  DeepseekDims layer_dims = d;
  if (!v3) layer_dims.n_shared = 2;
  for (int64_t layer = 0; layer < d.n_layers + n_mtp; ++layer) {
    RETURN_IF_ERROR(AddMla(b, layer, layer_dims, v3));
    if (dsa) RETURN_IF_ERROR(AddIndexer(b, layer, layer_dims));
    if (layer < d.n_dense) {
      RETURN_IF_ERROR(AddFfnDense(b, layer));
    } else {
      RETURN_IF_ERROR(AddFfnMoe(b, layer, layer_dims, v3));
    }
  }
  if (n_mtp > 0) {
    const int64_t mtp = d.n_layers;
    RETURN_IF_ERROR(b.Weight(Blk(mtp, "nextn.eh_proj.weight"), {2 * kDim, kDim}));
    RETURN_IF_ERROR(b.Norm(Blk(mtp, "nextn.enorm.weight"), kDim));
    RETURN_IF_ERROR(b.Norm(Blk(mtp, "nextn.hnorm.weight"), kDim));
    RETURN_IF_ERROR(b.Norm(Blk(mtp, "nextn.shared_head_norm.weight"), kDim));
  }
  return Status::Ok();
}

// deepseek4: compressed attention, hyper-connections, hash-routed first layer, sqrtsoftplus gating.
Status BuildDeepseek4(const TinyModelSpec&, Builder& b, int64_t vocab) {
  constexpr int64_t kLayers = 2, kHeadDim = 64, kQLora = 256, kGroups = 2, kOLora = 64, kHc = 4;
  constexpr int64_t kExperts = 8, kMoeInter = 256;
  const std::vector<uint32_t> compress_ratios = {0, 128};
  b.U32("context_length", kContext);
  b.U32("embedding_length", kDim);
  b.U32("embedding_length_out", kHc * kDim);
  b.U32("block_count", kLayers);
  b.U32("attention.head_count", kHeads);
  b.U32("attention.head_count_kv", 1);
  b.U32("attention.key_length", kHeadDim);
  b.U32("attention.value_length", kHeadDim);
  b.F32("attention.layer_norm_rms_epsilon", 1e-6f);
  b.U32("attention.q_lora_rank", kQLora);
  b.U32("attention.sliding_window", 16);
  b.U32("attention.output_group_count", kGroups);
  b.U32("attention.output_lora_rank", kOLora);
  b.Key("attention.compress_ratios", GgufValue::Array(GgufArray::Numbers(GgufValueType::kUint32, compress_ratios)));
  b.F32("attention.compress_rope_freq_base", 160000.0f);
  b.U32("rope.dimension_count", 16);
  b.F32("rope.freq_base", 10000.0f);
  b.Key("rope.scaling.type", GgufValue::String("yarn"));
  b.F32("rope.scaling.factor", 16.0f);
  b.U32("rope.scaling.original_context_length", 256);
  b.U32("expert_count", kExperts);
  b.U32("expert_used_count", 2);
  b.U32("expert_feed_forward_length", kMoeInter);
  b.U32("expert_shared_count", 1);
  b.F32("expert_weights_scale", 1.5f);
  b.Key("expert_weights_norm", GgufValue::Bool(true));
  b.U32("expert_gating_func", 4);
  b.U32("hyper_connection.count", kHc);
  b.U32("hyper_connection.sinkhorn_iterations", 20);
  b.F32("hyper_connection.epsilon", 1e-6f);
  b.U32("hash_layer_count", 1);
  RETURN_IF_ERROR(b.Weight("token_embd.weight", {kDim, vocab}));
  RETURN_IF_ERROR(b.Norm("output_norm.weight", kDim));
  RETURN_IF_ERROR(b.Weight("output.weight", {kDim, vocab}));
  RETURN_IF_ERROR(b.Plain("output_hc_fn.weight", {kHc * kDim, kHc}));
  RETURN_IF_ERROR(b.Plain("output_hc_base.weight", {kHc}));
  RETURN_IF_ERROR(b.Plain("output_hc_scale.weight", {1}));
  for (int64_t layer = 0; layer < kLayers; ++layer) {
    RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_norm.weight"), kDim));
    RETURN_IF_ERROR(b.Plain(Blk(layer, "attn_sinks.weight"), {kHeads}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q_a.weight"), {kDim, kQLora}));
    RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_q_a_norm.weight"), kQLora));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q_b.weight"), {kQLora, kHeads * kHeadDim}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_kv.weight"), {kDim, kHeadDim}));
    RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_kv_a_norm.weight"), kHeadDim));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_output_a.weight"), {kHeads * kHeadDim / kGroups, kOLora * kGroups}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_output_b.weight"), {kGroups * kOLora, kDim}));
    for (const char* part : {"attn", "ffn"}) {
      const std::string prefix = std::string("hc_") + part;
      RETURN_IF_ERROR(b.Plain(Blk(layer, prefix + "_fn.weight"), {kHc * kDim, 24}));
      RETURN_IF_ERROR(b.Plain(Blk(layer, prefix + "_base.weight"), {24}));
      RETURN_IF_ERROR(b.Plain(Blk(layer, prefix + "_scale.weight"), {3}));
    }
    if (compress_ratios[static_cast<size_t>(layer)] != 0) {
      const int64_t ratio = compress_ratios[static_cast<size_t>(layer)];
      RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_compressor_kv.weight"), {kDim, kHeadDim}));
      RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_compressor_gate.weight"), {kDim, kHeadDim}));
      RETURN_IF_ERROR(b.Plain(Blk(layer, "attn_compressor_ape.weight"), {kHeadDim, ratio}));
      RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_compressor_norm.weight"), kHeadDim));
    }
    RETURN_IF_ERROR(b.Plain(Blk(layer, "ffn_gate_inp.weight"), {kDim, kExperts}));
    if (layer == 0) {
      RETURN_IF_ERROR(b.Int32(Blk(layer, "ffn_gate_tid2eid.weight"), {2, vocab}, kExperts));
    } else {
      RETURN_IF_ERROR(b.Plain(Blk(layer, "exp_probs_b.bias"), {kExperts}));
    }
    RETURN_IF_ERROR(b.Norm(Blk(layer, "ffn_norm.weight"), kDim));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_gate_exps.weight"), {kDim, kMoeInter, kExperts}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_up_exps.weight"), {kDim, kMoeInter, kExperts}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_down_exps.weight"), {kMoeInter, kDim, kExperts}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_gate_shexp.weight"), {kDim, kMoeInter}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_up_shexp.weight"), {kDim, kMoeInter}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "ffn_down_shexp.weight"), {kMoeInter, kDim}));
  }
  return Status::Ok();
}

// qwen2 (QKV bias), llama (rope_freqs for llama3 scaling), qwen3 (q/k norms, YaRN).
Status BuildDense(const TinyModelSpec& spec, Builder& b, int64_t vocab) {
  constexpr int64_t kLayers = 2, kKvHeads = 2, kHeadDim = 64;
  b.U32("context_length", kContext);
  b.U32("embedding_length", kDim);
  b.U32("block_count", kLayers);
  b.U32("feed_forward_length", kInterDim);
  b.U32("attention.head_count", kHeads);
  b.U32("attention.head_count_kv", kKvHeads);
  b.F32("attention.layer_norm_rms_epsilon", 1e-6f);
  b.F32("rope.freq_base", spec.arch == Architecture::kLlama ? 500000.0f : 1000000.0f);
  if (spec.arch == Architecture::kLlama) {
    b.U32("rope.dimension_count", kHeadDim);
    b.U32("vocab_size", static_cast<uint32_t>(vocab));
  }
  if (spec.arch == Architecture::kQwen3) {
    b.U32("attention.key_length", kHeadDim);
    b.U32("attention.value_length", kHeadDim);
    b.Key("rope.scaling.type", GgufValue::String("yarn"));
    b.F32("rope.scaling.factor", 4.0f);
    b.U32("rope.scaling.original_context_length", 1024);
  }
  RETURN_IF_ERROR(b.Weight("token_embd.weight", {kDim, vocab}));
  RETURN_IF_ERROR(b.Norm("output_norm.weight", kDim));
  RETURN_IF_ERROR(b.Weight("output.weight", {kDim, vocab}));
  if (spec.arch == Architecture::kLlama) RETURN_IF_ERROR(b.Norm("rope_freqs.weight", kHeadDim / 2));
  for (int64_t layer = 0; layer < kLayers; ++layer) {
    RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_norm.weight"), kDim));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_q.weight"), {kDim, kHeads * kHeadDim}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_k.weight"), {kDim, kKvHeads * kHeadDim}));
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_v.weight"), {kDim, kKvHeads * kHeadDim}));
    if (spec.arch == Architecture::kQwen2) {
      RETURN_IF_ERROR(b.Plain(Blk(layer, "attn_q.bias"), {kHeads * kHeadDim}));
      RETURN_IF_ERROR(b.Plain(Blk(layer, "attn_k.bias"), {kKvHeads * kHeadDim}));
      RETURN_IF_ERROR(b.Plain(Blk(layer, "attn_v.bias"), {kKvHeads * kHeadDim}));
    }
    if (spec.arch == Architecture::kQwen3) {
      RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_q_norm.weight"), kHeadDim));
      RETURN_IF_ERROR(b.Norm(Blk(layer, "attn_k_norm.weight"), kHeadDim));
    }
    RETURN_IF_ERROR(b.Weight(Blk(layer, "attn_output.weight"), {kHeads * kHeadDim, kDim}));
    RETURN_IF_ERROR(AddFfnDense(b, layer));
  }
  return Status::Ok();
}

// The testing half of the architecture registry (formats/architectures.h), kept out of the main library: each
// architecture's tiny-model builder, and whether it has DeepSeek-V2-Lite-style (no q-LoRA) and MTP variants.
struct TinyRow {
  Architecture arch;
  Status (*build)(const TinyModelSpec& spec, Builder& b, int64_t vocab);
  bool mla_variants;
};
constexpr TinyRow kTinyRows[] = {
    {Architecture::kDeepseek2, BuildDeepseek, true}, {Architecture::kDeepseek32, BuildDeepseek, false},
    {Architecture::kDeepseek4, BuildDeepseek4, false}, {Architecture::kQwen2, BuildDense, false},
    {Architecture::kLlama, BuildDense, false},           {Architecture::kQwen3, BuildDense, false},
};

const TinyRow* FindTinyRow(Architecture arch) {
  for (const TinyRow& row : kTinyRows) {
    if (row.arch == arch) return &row;
  }
  return nullptr;
}

}  // namespace

bool HasTinyBuilder(Architecture arch) { return FindTinyRow(arch) != nullptr; }

std::vector<TinyModelSpec> TinyModelVariants(GgmlType weight_type, uint64_t seed) {
  std::vector<TinyModelSpec> specs, extra;
  for (const ArchitectureInfo& row : Architectures()) {
    const TinyRow* tiny = FindTinyRow(row.arch);
    if (tiny == nullptr) continue;
    specs.push_back({.arch = row.arch, .weight_type = weight_type, .seed = seed});
    if (!tiny->mla_variants) continue;
    extra.push_back({.arch = row.arch, .q_lora = false, .weight_type = weight_type, .seed = seed});
    extra.push_back({.arch = row.arch, .with_mtp = true, .weight_type = weight_type, .seed = seed});
  }
  specs.insert(specs.end(), extra.begin(), extra.end());
  return specs;
}

std::string TinyModelName(const TinyModelSpec& spec) {
  std::string name = ArchitectureName(spec.arch);
  if (spec.arch == Architecture::kDeepseek2) name += spec.q_lora ? "-v3" : "-v2lite";
  if (spec.with_mtp) name += "-mtp";
  if (spec.weight_type != GgmlType::kF32) name += std::string("-") + GgmlTypeName(spec.weight_type);
  return name;
}

void PrintTo(const TinyModelSpec& spec, std::ostream* os) { *os << TinyModelName(spec); }

Status BuildTinyModel(const TinyModelSpec& spec, GgufWriter& writer) {
  const std::string arch = ArchitectureName(spec.arch);
  writer.SetString("general.architecture", arch);
  writer.SetString("general.name", "baleen-tiny-" + TinyModelName(spec));
  writer.SetU32("general.quantization_version", 2);
  writer.SetU32("general.file_type", spec.weight_type == GgmlType::kF32 ? 0 : 1);
  const TinyRow* tiny = FindTinyRow(spec.arch);
  if (tiny == nullptr) return Unimplemented("no tiny model builder for architecture '" + arch + "'");
  const int64_t vocab = AddTinyTokenizer(writer, ArchitectureInfoFor(spec.arch).pre_tokenizer);
  Builder b(writer, spec, arch);
  return tiny->build(spec, b, vocab);
}

Status WriteTinyModel(const TinyModelSpec& spec, const std::string& path) {
  GgufWriter writer;
  RETURN_IF_ERROR(BuildTinyModel(spec, writer));
  return writer.Write(path);
}

}  // namespace baleen::testing
