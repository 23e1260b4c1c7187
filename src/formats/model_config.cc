// ResolveModelConfig: GGUF keys -> ModelConfig, per architecture, with defaults and consistency checks. Formats layer.
#include "formats/model_config.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "formats/architectures.h"

namespace baleen {
namespace {

// The double whose shortest decimal form equals the float's (1e-6f -> 1e-06, not 9.99999997e-07), so values read
// from FLOAT32 keys print as the converter wrote them.
double ShortestDouble(float f) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof(buf), f).ptr;
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

}  // namespace

// Reads "<arch>.<key>" values and records each resolution in ModelConfig::params. Outside the anonymous namespace:
// the registry's reader functions take it (architectures.h).
class ParamReader {
 public:
  ParamReader(const GgufModel& model, std::string arch, std::vector<ResolvedParam>& out)
      : model_(model), arch_(std::move(arch)), out_(out) {}

  Result<int64_t> Int(const std::string& key) { return IntImpl(key, std::nullopt); }
  Result<int64_t> Int(const std::string& key, int64_t fallback) { return IntImpl(key, fallback); }
  Result<double> Float(const std::string& key, double fallback) {
    const GgufValue* value = Find(key);
    if (value == nullptr) return Record(key, fallback, ParamSource::kDefault);
    const std::optional<double> v = value->AsDouble();
    if (!v || value->is_array() || !std::isfinite(*v)) return WrongType(key, "a finite number");
    return Record(key, value->type() == GgufValueType::kFloat32 ? ShortestDouble(static_cast<float>(*v)) : *v,
                  ParamSource::kFile);
  }
  Result<bool> Bool(const std::string& key, bool fallback) {
    const GgufValue* value = Find(key);
    if (value == nullptr) return Record(key, fallback, ParamSource::kDefault);
    const std::optional<bool> v = value->AsBool();
    if (!v) return WrongType(key, "a BOOL");
    return Record(key, *v, ParamSource::kFile);
  }
  Result<std::string> String(const std::string& key, const std::string& fallback) {
    const GgufValue* value = Find(key);
    if (value == nullptr) return Record(key, fallback, ParamSource::kDefault);
    const std::string* v = value->AsString();
    if (v == nullptr) return WrongType(key, "a STRING");
    return Record(key, *v, ParamSource::kFile);
  }
  bool Has(const std::string& key) const { return Find(key) != nullptr; }
  template <typename T>
  T Derived(const std::string& key, T value) { return Record(key, value, ParamSource::kDerived); }
  std::string FullKey(const std::string& key) const { return arch_ + "." + key; }

 private:
  const GgufValue* Find(const std::string& key) const { return model_.Find(FullKey(key)); }

  Result<int64_t> IntImpl(const std::string& key, std::optional<int64_t> fallback) {
    const GgufValue* value = Find(key);
    if (value == nullptr) {
      if (!fallback) return NotFound("missing required metadata key '" + FullKey(key) + "'");
      return Record(key, *fallback, ParamSource::kDefault);
    }
    const std::optional<int64_t> v = value->AsInt();
    if (!v || value->is_array() || value->type() == GgufValueType::kBool) return WrongType(key, "an integer");
    return Record(key, *v, ParamSource::kFile);
  }
  template <typename T>
  T Record(const std::string& key, T value, ParamSource source) {
    if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double> || std::is_same_v<T, bool> ||
                  std::is_same_v<T, std::string>) {
      out_.push_back({key, value, source});
    } else {
      out_.push_back({key, static_cast<int64_t>(value), source});
    }
    return value;
  }
  Status WrongType(const std::string& key, const char* expected) const {
    return DataLoss("metadata key '" + FullKey(key) + "' must be " + expected + ", found " +
                    Find(key)->ToDisplayString());
  }

  const GgufModel& model_;
  std::string arch_;
  std::vector<ResolvedParam>& out_;
};

namespace {

Status Require(bool condition, const std::string& message) {
  return condition ? Status::Ok() : DataLoss(message);
}

Status ReadRope(ParamReader& r, ModelConfig& c, double default_theta) {
  ASSIGN_OR_RETURN(c.rope.rope_theta, r.Float("rope.freq_base", default_theta));
  ASSIGN_OR_RETURN(std::string type, r.String("rope.scaling.type", "none"));
  if (type == "none") {
    c.rope.scaling = RopeScalingType::kNone;
  } else if (type == "linear") {
    c.rope.scaling = RopeScalingType::kLinear;
  } else if (type == "yarn") {
    c.rope.scaling = RopeScalingType::kYarn;
  } else {
    return Unimplemented("metadata key '" + r.FullKey("rope.scaling.type") + "': unsupported value '" + type + "'");
  }
  if (c.rope.scaling != RopeScalingType::kNone) {
    ASSIGN_OR_RETURN(c.rope.factor, r.Float("rope.scaling.factor", 1.0));
    ASSIGN_OR_RETURN(c.rope.original_seq_len, r.Int("rope.scaling.original_context_length", c.context_length));
    RETURN_IF_ERROR(Require(c.rope.factor > 0, "metadata key '" + r.FullKey("rope.scaling.factor") + "' must be > 0"));
  }
  if (c.rope.scaling == RopeScalingType::kYarn) {
    ASSIGN_OR_RETURN(c.rope.yarn_log_multiplier, r.Float("rope.scaling.yarn_log_multiplier", 0.0));
    ASSIGN_OR_RETURN(c.rope.beta_fast, r.Float("rope.scaling.yarn_beta_fast", 32.0));
    ASSIGN_OR_RETURN(c.rope.beta_slow, r.Float("rope.scaling.yarn_beta_slow", 1.0));
  }
  return Status::Ok();
}

Status ReadCommon(ParamReader& r, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.context_length, r.Int("context_length"));
  ASSIGN_OR_RETURN(c.dim, r.Int("embedding_length"));
  ASSIGN_OR_RETURN(int64_t block_count, r.Int("block_count"));
  ASSIGN_OR_RETURN(c.n_mtp_layers, r.Int("nextn_predict_layers", 0));
  ASSIGN_OR_RETURN(c.n_heads, r.Int("attention.head_count"));
  ASSIGN_OR_RETURN(c.n_kv_heads, r.Int("attention.head_count_kv", c.n_heads));
  ASSIGN_OR_RETURN(c.rms_norm_eps, r.Float("attention.layer_norm_rms_epsilon", 1e-6));
  RETURN_IF_ERROR(Require(c.dim > 0 && c.n_heads > 0 && c.n_kv_heads > 0 && c.context_length > 0,
                          "embedding_length, context_length and head counts must be positive"));
  RETURN_IF_ERROR(Require(c.n_mtp_layers >= 0 && block_count > c.n_mtp_layers,
                          "block_count must exceed nextn_predict_layers"));
  RETURN_IF_ERROR(Require(c.rms_norm_eps > 0, "attention.layer_norm_rms_epsilon must be > 0"));
  c.n_layers = r.Derived<int64_t>("n_layers", block_count - c.n_mtp_layers);
  return Status::Ok();
}

// `default_gating`: the GGUF expert_gating_func id the architecture's converter leaves out.
Status ReadMoe(ParamReader& r, ModelConfig& c, int64_t default_gating) {
  MoeConfig& m = c.moe;
  ASSIGN_OR_RETURN(m.n_dense_layers, r.Int("leading_dense_block_count", 0));
  ASSIGN_OR_RETURN(m.moe_inter_dim, r.Int("expert_feed_forward_length"));
  ASSIGN_OR_RETURN(m.n_routed_experts, r.Int("expert_count"));
  ASSIGN_OR_RETURN(m.n_activated_experts, r.Int("expert_used_count"));
  ASSIGN_OR_RETURN(m.n_shared_experts, r.Int("expert_shared_count", 0));
  ASSIGN_OR_RETURN(m.n_expert_groups, r.Int("expert_group_count", 1));
  ASSIGN_OR_RETURN(m.n_limited_groups, r.Int("expert_group_used_count", m.n_expert_groups));
  ASSIGN_OR_RETURN(m.route_scale, r.Float("expert_weights_scale", 1.0));
  ASSIGN_OR_RETURN(m.norm_topk_prob, r.Bool("expert_weights_norm", false));
  ASSIGN_OR_RETURN(int64_t gating, r.Int("expert_gating_func", default_gating));
  if (gating != 1 && gating != 2 && gating != 4) {
    return DataLoss("metadata key '" + r.FullKey("expert_gating_func") + "' = " + std::to_string(gating) +
                    " is not 1 (softmax), 2 (sigmoid) or 4 (sqrtsoftplus)");
  }
  m.score_func = static_cast<ScoreFunc>(gating);
  c.has_moe = m.n_routed_experts > 0;
  RETURN_IF_ERROR(Require(m.n_activated_experts > 0 && m.n_activated_experts <= m.n_routed_experts,
                          "expert_used_count must be in 1..expert_count"));
  RETURN_IF_ERROR(Require(m.n_expert_groups >= 1 && m.n_routed_experts % m.n_expert_groups == 0,
                          "expert_count must be a multiple of expert_group_count"));
  RETURN_IF_ERROR(Require(m.n_limited_groups >= 1 && m.n_limited_groups <= m.n_expert_groups,
                          "expert_group_used_count must be in 1..expert_group_count"));
  RETURN_IF_ERROR(Require(m.n_dense_layers >= 0 && m.n_dense_layers <= c.n_layers,
                          "leading_dense_block_count exceeds the layer count"));
  return Status::Ok();
}

// deepseek2 / deepseek32: MLA + MoE. Tells V2-Lite (no q-LoRA) from V3 by keys and tensors, never by layer count.
// `dsa_indexer`: deepseek32's DeepSeek Sparse Attention indexer keys, read between MLA's and RoPE's.
Status ReadDeepseek(ParamReader& r, const GgufModel& model, ModelConfig& c, bool dsa_indexer) {
  ASSIGN_OR_RETURN(c.inter_dim, r.Int("feed_forward_length"));
  MlaConfig& mla = c.mla;
  c.has_mla = true;
  ASSIGN_OR_RETURN(mla.q_lora_rank, r.Int("attention.q_lora_rank", 0));
  ASSIGN_OR_RETURN(mla.kv_lora_rank, r.Int("attention.kv_lora_rank"));
  ASSIGN_OR_RETURN(mla.qk_rope_head_dim, r.Int("rope.dimension_count"));
  const bool mla_keys = r.Has("attention.key_length_mla") && r.Has("attention.value_length_mla");
  ASSIGN_OR_RETURN(int64_t key_length, r.Int(mla_keys ? "attention.key_length_mla" : "attention.key_length"));
  ASSIGN_OR_RETURN(mla.v_head_dim, r.Int(mla_keys ? "attention.value_length_mla" : "attention.value_length"));
  mla.qk_nope_head_dim = r.Derived<int64_t>("qk_nope_head_dim", key_length - mla.qk_rope_head_dim);
  mla.split_kv_b = r.Derived<bool>("mla.split_kv_b", model.FindTensor("blk.0.attn_k_b.weight") != nullptr);
  c.head_dim = key_length;
  c.rope.n_rot = mla.qk_rope_head_dim;
  RETURN_IF_ERROR(Require(mla.kv_lora_rank > 0 && mla.qk_rope_head_dim > 0 && mla.qk_nope_head_dim > 0 &&
                              mla.v_head_dim > 0 && mla.qk_rope_head_dim % 2 == 0,
                          "MLA dimensions must be positive (kv_lora_rank, rope and key/value lengths)"));
  const bool has_q_a = model.FindTensor("blk.0.attn_q_a.weight") != nullptr;
  const bool has_q = model.FindTensor("blk.0.attn_q.weight") != nullptr;
  if ((mla.q_lora_rank > 0 && has_q) || (mla.q_lora_rank == 0 && has_q_a)) {
    return DataLoss("attention.q_lora_rank = " + std::to_string(mla.q_lora_rank) +
                    " disagrees with the query tensors present (attn_q_a vs attn_q)");
  }
  if (dsa_indexer) {
    ASSIGN_OR_RETURN(c.dsa.index_n_heads, r.Int("attention.indexer.head_count"));
    ASSIGN_OR_RETURN(c.dsa.index_head_dim, r.Int("attention.indexer.key_length"));
    ASSIGN_OR_RETURN(c.dsa.index_topk, r.Int("attention.indexer.top_k"));
    RETURN_IF_ERROR(Require(c.dsa.index_n_heads > 0 && c.dsa.index_head_dim > 0 && c.dsa.index_topk > 0,
                            "attention.indexer.* values must be positive"));
  }
  RETURN_IF_ERROR(ReadRope(r, c, 10000.0));
  return ReadMoe(r, c, /*default_gating=*/1);
}

// Keys under the architecture prefix that resolution did not read still describe the model; record them as read
// from the file so `inspect` shows every one (arrays as their display form).
void RecordRemainingKeys(const GgufModel& model, const std::string& arch, std::vector<ResolvedParam>& params) {
  const std::string prefix = arch + ".";
  for (const GgufKeyValue& kv : model.first().metadata()) {
    if (kv.key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string key = kv.key.substr(prefix.size());
    bool seen = false;
    for (const ResolvedParam& p : params) seen = seen || (p.key == key && p.source != ParamSource::kDerived);
    if (seen) continue;
    const GgufValue& v = kv.value;
    if (v.AsString() != nullptr) {
      params.push_back({key, *v.AsString(), ParamSource::kFile});
    } else if (v.is_array()) {
      params.push_back({key, v.ToDisplayString(16), ParamSource::kFile});
    } else if (v.AsBool()) {
      params.push_back({key, *v.AsBool(), ParamSource::kFile});
    } else if (v.type() == GgufValueType::kFloat32) {
      params.push_back({key, ShortestDouble(static_cast<float>(*v.AsDouble())), ParamSource::kFile});
    } else if (v.type() == GgufValueType::kFloat64) {
      params.push_back({key, *v.AsDouble(), ParamSource::kFile});
    } else if (v.AsInt()) {
      params.push_back({key, *v.AsInt(), ParamSource::kFile});
    } else {
      params.push_back({key, v.ToDisplayString(), ParamSource::kFile});
    }
  }
}

Result<int64_t> ResolveVocabSize(ParamReader& r, const GgufModel& model) {
  if (r.Has("vocab_size")) return r.Int("vocab_size");
  if (const GgufValue* tokens = model.Find("tokenizer.ggml.tokens"); tokens != nullptr && tokens->AsArray()) {
    return r.Derived<int64_t>("vocab_size", static_cast<int64_t>(tokens->AsArray()->size()));
  }
  if (const GgufTensorInfo* embd = model.FindTensor("token_embd.weight"); embd && embd->dims.size() == 2) {
    return r.Derived<int64_t>("vocab_size", embd->dims[1]);
  }
  return NotFound("cannot determine the vocabulary size: no vocab_size key, tokenizer or token_embd.weight");
}

}  // namespace

Status ReadDeepseek2Metadata(ParamReader& r, const GgufModel& model, ModelConfig& c) {
  return ReadDeepseek(r, model, c, /*dsa_indexer=*/false);
}

Status ReadDeepseek32Metadata(ParamReader& r, const GgufModel& model, ModelConfig& c) {
  return ReadDeepseek(r, model, c, /*dsa_indexer=*/true);
}

// deepseek4 (metadata only): every key is read so inspect shows it; those only its future forward pass needs
// (sliding window, output groups, hyper-connections, hash layers) are recorded, not yet used.
Status ReadDeepseek4Metadata(ParamReader& r, const GgufModel&, ModelConfig& c) {
  c.has_mla = true;
  ASSIGN_OR_RETURN(c.mla.q_lora_rank, r.Int("attention.q_lora_rank"));
  ASSIGN_OR_RETURN(c.head_dim, r.Int("attention.key_length"));
  ASSIGN_OR_RETURN(c.mla.v_head_dim, r.Int("attention.value_length", c.head_dim));
  ASSIGN_OR_RETURN(c.mla.qk_rope_head_dim, r.Int("rope.dimension_count"));
  c.rope.n_rot = c.mla.qk_rope_head_dim;
  for (const char* key : {"attention.sliding_window", "attention.output_group_count", "attention.output_lora_rank",
                          "attention.indexer.head_count", "attention.indexer.key_length", "attention.indexer.top_k",
                          "hyper_connection.count", "hyper_connection.sinkhorn_iterations", "hash_layer_count"}) {
    ASSIGN_OR_RETURN(int64_t ignored, r.Int(key, 0));
    (void)ignored;
  }
  ASSIGN_OR_RETURN(double compress_theta, r.Float("attention.compress_rope_freq_base", 160000.0));
  (void)compress_theta;
  RETURN_IF_ERROR(ReadRope(r, c, 10000.0));
  return ReadMoe(r, c, /*default_gating=*/4);  // sqrtsoftplus
}

// qwen2 / llama / qwen3: dense GQA transformers (the R1-Distill models).
Status ReadDenseMetadata(ParamReader& r, const GgufModel&, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.inter_dim, r.Int("feed_forward_length"));
  RETURN_IF_ERROR(Require(c.dim % c.n_heads == 0 || r.Has("attention.key_length"),
                          "embedding_length is not a multiple of attention.head_count"));
  ASSIGN_OR_RETURN(c.head_dim, r.Int("attention.key_length", c.dim / c.n_heads));
  ASSIGN_OR_RETURN(int64_t value_length, r.Int("attention.value_length", c.head_dim));
  RETURN_IF_ERROR(Require(value_length == c.head_dim, "attention.value_length must equal attention.key_length"));
  RETURN_IF_ERROR(Require(c.n_heads % c.n_kv_heads == 0, "attention.head_count must be a multiple of head_count_kv"));
  ASSIGN_OR_RETURN(c.rope.n_rot, r.Int("rope.dimension_count", c.head_dim));
  RETURN_IF_ERROR(Require(c.rope.n_rot > 0 && c.rope.n_rot <= c.head_dim && c.rope.n_rot % 2 == 0,
                          "rope.dimension_count must be even and at most the head size"));
  RETURN_IF_ERROR(ReadRope(r, c, 10000.0));
  return Status::Ok();
}

const char* ParamSourceName(ParamSource source) {
  switch (source) {
    case ParamSource::kFile: return "file";
    case ParamSource::kDefault: return "default";
    case ParamSource::kDerived: return "derived";
  }
  return "unknown";
}

Result<ModelConfig> ResolveModelConfig(const GgufModel& model) {
  const GgufValue* arch_value = model.Find("general.architecture");
  if (arch_value == nullptr || arch_value->AsString() == nullptr) {
    return NotFound(model.first().path() + ": metadata key 'general.architecture' is missing or not a string");
  }
  const std::string& arch_name = *arch_value->AsString();
  const ArchitectureInfo* row = FindArchitecture(arch_name);
  if (row == nullptr) {
    return Unimplemented(model.first().path() + ": architecture '" + arch_name + "' is not supported (Baleen runs " +
                         ArchitectureNames(ArchitectureStatus::kRunnable) + " and reads the metadata of " +
                         ArchitectureNames(ArchitectureStatus::kMetadataOnly) + ")");
  }
  ModelConfig c;
  c.arch = row->arch;
  ParamReader r(model, arch_name, c.params);
  Status status = ReadCommon(r, c);
  if (status.ok()) status = row->read_gguf(r, model, c);
  if (status.ok()) {
    Result<int64_t> vocab = ResolveVocabSize(r, model);
    status = vocab.ok() ? Status::Ok() : vocab.status();
    if (vocab.ok()) c.vocab_size = *vocab;
  }
  if (!status.ok()) return status.WithContext(model.first().path());
  RecordRemainingKeys(model, arch_name, c.params);
  return c;
}

}  // namespace baleen
