// ReadHfConfig: config.json fields -> GGUF keys, following llama.cpp's convert_hf_to_gguf for each architecture.
#include "formats/hf/hf_config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/architectures.h"

namespace baleen {

using Json = nlohmann::json;

// Reads config.json fields with messages that name the file and the field. Outside an anonymous namespace, as is
// HfMetadata: the registry's mapper functions take them (architectures.h).
class HfConfigReader {
 public:
  HfConfigReader(const Json& json, std::string path) : json_(json), path_(std::move(path)) {}

  bool Has(const char* key) const { return json_.contains(key) && !json_.at(key).is_null(); }
  Result<int64_t> Int(const char* key) const {
    if (!Has(key)) return NotFound(path_ + ": missing field \"" + key + "\"");
    return IntOf(json_.at(key), key);
  }
  Result<int64_t> Int(const char* key, int64_t fallback) const { return Has(key) ? Int(key) : fallback; }
  Result<double> Float(const char* key, double fallback) const {
    if (!Has(key)) return fallback;
    const Json& v = json_.at(key);
    if (!v.is_number()) return Bad(key, "a number", v);
    return v.get<double>();
  }
  Result<bool> Bool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    const Json& v = json_.at(key);
    if (!v.is_boolean()) return Bad(key, "true or false", v);
    return v.get<bool>();
  }
  Result<std::string> String(const char* key, const std::string& fallback) const {
    if (!Has(key)) return fallback;
    const Json& v = json_.at(key);
    if (!v.is_string()) return Bad(key, "a string", v);
    return v.get<std::string>();
  }
  Result<int64_t> IntOf(const Json& v, const std::string& key) const {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > (int64_t{1} << 40)) {
      return Bad(key, "a non-negative integer", v);
    }
    return v.get<int64_t>();
  }
  Status Bad(const std::string& key, const char* expected, const Json& v) const {
    return InvalidArgument(path_ + ": field \"" + key + "\" must be " + expected + ", found " + v.dump().substr(0, 80));
  }
  Status Unsupported(const std::string& key, const Json& v, const std::string& why) const {
    return Unimplemented(path_ + ": field \"" + key + "\" = " + v.dump().substr(0, 80) + " is not supported: " + why);
  }
  const Json& json() const { return json_; }
  const std::string& path() const { return path_; }

 private:
  const Json& json_;
  std::string path_;
};

// Collects <arch>.* keys in the order the converter writes them.
class HfMetadata {
 public:
  explicit HfMetadata(std::string arch) : arch_(std::move(arch)) {}
  void General(const std::string& key, GgufValue v) { kvs_.push_back({key, std::move(v)}); }
  void U32(const std::string& key, int64_t v) { Add(key, GgufValue::U32(static_cast<uint32_t>(v))); }
  void F32(const std::string& key, double v) { Add(key, GgufValue::F32(static_cast<float>(v))); }
  void Bool(const std::string& key, bool v) { Add(key, GgufValue::Bool(v)); }
  void String(const std::string& key, std::string v) { Add(key, GgufValue::String(std::move(v))); }
  std::vector<GgufKeyValue> Take() { return std::move(kvs_); }

 private:
  void Add(const std::string& key, GgufValue v) { kvs_.push_back({arch_ + "." + key, std::move(v)}); }
  std::string arch_;
  std::vector<GgufKeyValue> kvs_;
};

namespace {

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open (a Hugging Face model folder needs config.json)");
  std::ostringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return DataLoss(path + ": not a JSON object");
  return json;
}

// llama.cpp's converter turns HF's llama3 rope rule into per-frequency divisors (rope_freqs.weight).
std::vector<float> Llama3RopeFactors(int64_t head_dim, double base, double factor, double low_freq_factor,
                                     double high_freq_factor, double original_max_position) {
  const double low_wavelen = original_max_position / low_freq_factor;
  const double high_wavelen = original_max_position / high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < head_dim; i += 2) {
    const double wavelen = 2 * M_PI / std::pow(base, -static_cast<double>(i) / static_cast<double>(head_dim));
    if (wavelen < high_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      factors.push_back(static_cast<float>(factor));
    } else {
      const double smooth = (original_max_position / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / factor + smooth)));
    }
  }
  return factors;
}

// rope_scaling: null, yarn (all), llama3 (llama) or linear; anything else is refused rather than run wrongly.
Status ReadRopeScaling(const HfConfigReader& r, HfModelShape& s, double rope_theta, HfMetadata& m) {
  if (!r.Has("rope_scaling")) return Status::Ok();
  const Json& scaling = r.json().at("rope_scaling");
  if (!scaling.is_object()) return r.Bad("rope_scaling", "an object or null", scaling);
  const HfConfigReader sr(scaling, r.path() + ": rope_scaling");
  ASSIGN_OR_RETURN(std::string type, sr.String("type", ""));
  if (type.empty()) {
    ASSIGN_OR_RETURN(type, sr.String("rope_type", "default"));
  }
  if (type == "default") return Status::Ok();
  ASSIGN_OR_RETURN(double factor, sr.Float("factor", 1.0));
  if (!(factor > 0)) return r.Bad("rope_scaling.factor", "> 0", scaling.at("factor"));
  if (type == "linear") {
    m.String("rope.scaling.type", "linear");
    m.F32("rope.scaling.factor", factor);
    return Status::Ok();
  }
  if (type == "yarn") {
    m.String("rope.scaling.type", "yarn");
    m.F32("rope.scaling.factor", factor);
    ASSIGN_OR_RETURN(int64_t original, sr.Int("original_max_position_embeddings"));
    m.U32("rope.scaling.original_context_length", original);
    if (ArchitectureInfoFor(s.arch).mla) {
      // DeepSeek's attention temperature: the converter stores 0.1 * mscale_all_dim.
      ASSIGN_OR_RETURN(double mscale_all_dim, sr.Float("mscale_all_dim", 0.0));
      m.F32("rope.scaling.yarn_log_multiplier", 0.1 * mscale_all_dim);
    }
    ASSIGN_OR_RETURN(double beta_fast, sr.Float("beta_fast", 32.0));
    ASSIGN_OR_RETURN(double beta_slow, sr.Float("beta_slow", 1.0));
    if (beta_fast != 32.0) m.F32("rope.scaling.yarn_beta_fast", beta_fast);
    if (beta_slow != 1.0) m.F32("rope.scaling.yarn_beta_slow", beta_slow);
    return Status::Ok();
  }
  if (type == "llama3" && ArchitectureInfoFor(s.arch).hf_llama3_rope) {
    ASSIGN_OR_RETURN(double low, sr.Float("low_freq_factor", 1.0));
    ASSIGN_OR_RETURN(double high, sr.Float("high_freq_factor", 4.0));
    ASSIGN_OR_RETURN(int64_t original, sr.Int("original_max_position_embeddings", 8192));
    if (!(high > low) || original <= 0) return r.Bad("rope_scaling", "high_freq_factor > low_freq_factor", scaling);
    s.rope_freqs = Llama3RopeFactors(s.head_dim, rope_theta, factor, low, high, static_cast<double>(original));
    return Status::Ok();
  }
  return r.Unsupported("rope_scaling", scaling, "Baleen knows yarn, linear and (for llama) llama3 scaling");
}

// quantization_config: absent, or DeepSeek's FP8 (e4m3 weights, one weight_scale_inv per block).
Status ReadQuantization(const HfConfigReader& r, HfModelShape& s) {
  if (!r.Has("quantization_config")) return Status::Ok();
  const Json& q = r.json().at("quantization_config");
  if (!q.is_object()) return r.Bad("quantization_config", "an object", q);
  const HfConfigReader qr(q, r.path() + ": quantization_config");
  ASSIGN_OR_RETURN(std::string method, qr.String("quant_method", ""));
  if (method != "fp8") {
    return r.Unsupported("quantization_config.quant_method", q.value("quant_method", Json()),
                         "only DeepSeek's block-scaled fp8 is read; use the unquantized checkpoint or a GGUF");
  }
  ASSIGN_OR_RETURN(std::string fmt, qr.String("fmt", "e4m3"));
  if (fmt != "e4m3") return r.Unsupported("quantization_config.fmt", q.at("fmt"), "only e4m3 weights are read");
  s.fp8 = true;
  if (q.contains("weight_block_size")) {
    const Json& block = q.at("weight_block_size");
    if (!block.is_array() || block.size() != 2) return r.Bad("quantization_config.weight_block_size", "[rows, cols]", block);
    ASSIGN_OR_RETURN(s.fp8_block_rows, r.IntOf(block[0], "quantization_config.weight_block_size[0]"));
    ASSIGN_OR_RETURN(s.fp8_block_cols, r.IntOf(block[1], "quantization_config.weight_block_size[1]"));
    if (s.fp8_block_rows == 0 || s.fp8_block_cols == 0) {
      return r.Bad("quantization_config.weight_block_size", "positive", block);
    }
  }
  return Status::Ok();
}

// Shared by the dense architectures: `llama_keys` are the keys (and the refusal) llama.cpp's LlamaModel converter
// adds; `explicit_head_dim`: Qwen3's converter always writes the head size, which differs from hidden / heads.
Status MapDense(const HfConfigReader& r, HfModelShape& s, HfMetadata& m, bool llama_keys, bool explicit_head_dim) {
  ASSIGN_OR_RETURN(s.head_dim, r.Int("head_dim", s.n_heads > 0 ? s.dim / s.n_heads : 0));
  if (s.head_dim <= 0 || s.head_dim % 2 != 0) return r.Bad("head_dim", "a positive even number", r.json().value("head_dim", Json()));
  ASSIGN_OR_RETURN(bool sliding, r.Bool("use_sliding_window", false));
  if (sliding) return r.Unsupported("use_sliding_window", true, "sliding-window attention is not implemented");
  if (llama_keys) {
    m.U32("vocab_size", s.vocab_size);
    m.U32("rope.dimension_count", s.head_dim);
    ASSIGN_OR_RETURN(bool bias, r.Bool("attention_bias", false));
    if (bias) return r.Unsupported("attention_bias", true, "llama attention biases are not implemented");
  }
  if (explicit_head_dim || s.head_dim * s.n_heads != s.dim) {
    m.U32("attention.key_length", s.head_dim);
    m.U32("attention.value_length", s.head_dim);
  }
  return Status::Ok();
}

}  // namespace

Status MapDeepseekHfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m) {
  ASSIGN_OR_RETURN(s.q_lora_rank, r.Int("q_lora_rank", 0));
  ASSIGN_OR_RETURN(s.kv_lora_rank, r.Int("kv_lora_rank"));
  ASSIGN_OR_RETURN(s.qk_nope_head_dim, r.Int("qk_nope_head_dim"));
  ASSIGN_OR_RETURN(s.qk_rope_head_dim, r.Int("qk_rope_head_dim"));
  ASSIGN_OR_RETURN(s.v_head_dim, r.Int("v_head_dim"));
  ASSIGN_OR_RETURN(s.n_routed_experts, r.Int("n_routed_experts", 0));
  ASSIGN_OR_RETURN(s.n_dense_layers, r.Int("first_k_dense_replace", 0));
  ASSIGN_OR_RETURN(int64_t moe_freq, r.Int("moe_layer_freq", 1));
  if (moe_freq != 1) return r.Unsupported("moe_layer_freq", r.json().at("moe_layer_freq"), "every layer after "
                                          "first_k_dense_replace must be MoE, as in every DeepSeek release");
  s.head_dim = s.qk_nope_head_dim + s.qk_rope_head_dim;
  m.U32("vocab_size", s.vocab_size);
  m.U32("leading_dense_block_count", s.n_dense_layers);
  if (s.q_lora_rank > 0) m.U32("attention.q_lora_rank", s.q_lora_rank);
  m.U32("attention.kv_lora_rank", s.kv_lora_rank);
  // MLA stored as attn_k_b/attn_v_b: one latent "KV head" of kv_lora_rank + rope dims (llama.cpp's layout).
  m.U32("attention.key_length", s.kv_lora_rank + s.qk_rope_head_dim);
  m.U32("attention.value_length", s.kv_lora_rank);
  m.U32("attention.key_length_mla", s.head_dim);
  m.U32("attention.value_length_mla", s.v_head_dim);
  m.U32("rope.dimension_count", s.qk_rope_head_dim);
  if (s.n_routed_experts == 0) return Status::Ok();
  ASSIGN_OR_RETURN(int64_t moe_ff, r.Int("moe_intermediate_size"));
  ASSIGN_OR_RETURN(int64_t n_used, r.Int("num_experts_per_tok"));
  ASSIGN_OR_RETURN(int64_t n_shared, r.Int("n_shared_experts", 0));
  ASSIGN_OR_RETURN(double route_scale, r.Float("routed_scaling_factor", 1.0));
  ASSIGN_OR_RETURN(bool norm_topk, r.Bool("norm_topk_prob", false));
  ASSIGN_OR_RETURN(std::string scoring, r.String("scoring_func", "softmax"));
  ASSIGN_OR_RETURN(std::string topk_method, r.String("topk_method", "greedy"));
  ASSIGN_OR_RETURN(int64_t n_group, r.Int("n_group", 0));
  ASSIGN_OR_RETURN(int64_t topk_group, r.Int("topk_group", 0));
  if (scoring != "softmax" && scoring != "sigmoid") {
    return r.Unsupported("scoring_func", r.json().at("scoring_func"), "expected softmax or sigmoid");
  }
  if (topk_method != "greedy" && topk_method != "group_limited_greedy" && topk_method != "noaux_tc") {
    return r.Unsupported("topk_method", r.json().at("topk_method"), "expected greedy, group_limited_greedy or noaux_tc");
  }
  m.U32("expert_feed_forward_length", moe_ff);
  m.U32("expert_count", s.n_routed_experts);
  m.U32("expert_used_count", n_used);
  m.U32("expert_shared_count", n_shared);
  if (topk_method != "greedy" && n_group > 1) {
    m.U32("expert_group_count", n_group);
    m.U32("expert_group_used_count", topk_group);
  }
  m.F32("expert_weights_scale", route_scale);
  m.Bool("expert_weights_norm", norm_topk);
  m.U32("expert_gating_func", scoring == "sigmoid" ? 2 : 1);
  return Status::Ok();
}

Status MapQwen2HfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m) {
  return MapDense(r, s, m, /*llama_keys=*/false, /*explicit_head_dim=*/false);
}

Status MapLlamaHfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m) {
  return MapDense(r, s, m, /*llama_keys=*/true, /*explicit_head_dim=*/false);
}

Status MapQwen3HfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m) {
  return MapDense(r, s, m, /*llama_keys=*/false, /*explicit_head_dim=*/true);
}

const char* SupportedHfArchitectures() {
  static const std::string names = [] {
    std::string out;
    for (const ArchitectureInfo& row : Architectures()) {
      if (!row.runnable()) continue;
      for (const char* name : row.hf_names) out += (out.empty() ? "" : ", ") + std::string(name);
    }
    return out;
  }();
  return names.c_str();
}

Result<HfConfig> ReadHfConfig(const std::string& dir, bool keep_mtp) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  ASSIGN_OR_RETURN(Json json, ReadJsonFile(path));
  const HfConfigReader r(json, path);
  HfConfig out;
  HfModelShape& s = out.shape;
  const auto names = json.find("architectures");
  if (names == json.end() || !names->is_array() || names->size() != 1 || !(*names)[0].is_string()) {
    return InvalidArgument(path + ": field \"architectures\" must list exactly one model class");
  }
  s.hf_architecture = (*names)[0].get<std::string>();
  const ArchitectureInfo* row = FindHfArchitecture(s.hf_architecture);
  if (row == nullptr) {
    return Unimplemented(path + ": architecture \"" + s.hf_architecture.substr(0, 80) +
                         "\" is not supported (Baleen runs " + SupportedHfArchitectures() + ")");
  }
  if (!row->runnable()) return NotRunnable(row->arch).WithContext(path);
  s.arch = row->arch;
  ASSIGN_OR_RETURN(std::string act, r.String("hidden_act", "silu"));
  if (act != "silu") return r.Unsupported("hidden_act", json.at("hidden_act"), "the FFN is SwiGLU (silu)");
  ASSIGN_OR_RETURN(s.n_layers, r.Int("num_hidden_layers"));
  ASSIGN_OR_RETURN(s.dim, r.Int("hidden_size"));
  ASSIGN_OR_RETURN(s.vocab_size, r.Int("vocab_size"));
  ASSIGN_OR_RETURN(s.n_heads, r.Int("num_attention_heads"));
  ASSIGN_OR_RETURN(s.n_kv_heads, r.Int("num_key_value_heads", s.n_heads));
  ASSIGN_OR_RETURN(s.tie_word_embeddings, r.Bool("tie_word_embeddings", false));
  ASSIGN_OR_RETURN(int64_t n_mtp, r.Int("num_nextn_predict_layers", 0));
  s.n_mtp_layers = keep_mtp && row->mtp ? n_mtp : 0;
  if (s.n_layers == 0 || s.dim == 0 || s.n_heads == 0 || s.vocab_size == 0 || s.n_kv_heads == 0) {
    return InvalidArgument(path + ": num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads and "
                                  "vocab_size must be positive");
  }
  ASSIGN_OR_RETURN(int64_t context, r.Int("max_position_embeddings"));
  ASSIGN_OR_RETURN(int64_t ff, r.Int("intermediate_size"));
  ASSIGN_OR_RETURN(double rope_theta, r.Float("rope_theta", 10000.0));
  ASSIGN_OR_RETURN(double eps, r.Float("rms_norm_eps", 1e-6));
  RETURN_IF_ERROR(ReadQuantization(r, s));

  const std::string arch_name = ArchitectureName(s.arch);
  HfMetadata m(arch_name);
  m.General("general.architecture", GgufValue::String(arch_name));
  m.General("general.name", GgufValue::String(std::filesystem::path(dir).lexically_normal().filename().string()));
  m.U32("context_length", context);
  m.U32("embedding_length", s.dim);
  m.U32("block_count", s.n_layers + s.n_mtp_layers);
  m.U32("feed_forward_length", ff);
  m.U32("attention.head_count", s.n_heads);
  m.U32("attention.head_count_kv", row->mla ? 1 : s.n_kv_heads);  // MLA: one latent KV head
  m.F32("rope.freq_base", rope_theta);
  m.F32("attention.layer_norm_rms_epsilon", eps);
  RETURN_IF_ERROR(row->map_hf(r, s, m));
  if (s.n_mtp_layers > 0) m.U32("nextn_predict_layers", s.n_mtp_layers);
  RETURN_IF_ERROR(ReadRopeScaling(r, s, rope_theta, m));
  out.metadata = m.Take();
  return out;
}

}  // namespace baleen
