// PlanHfTensors and ReadHfRows: the Hugging Face -> GGUF tensor table and the row arithmetic of each operation.
#include "formats/hf/hf_tensor_plan.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>

#include "base/float16.h"
#include "base/float8.h"
#include "formats/architectures.h"

namespace baleen {
namespace {

// Layer-local names: Hugging Face suffix after "model.layers.N." -> GGUF suffix after "blk.N.".
struct NameEntry {
  const char* hf;
  const char* gguf;
};
constexpr NameEntry kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"self_attn.q_a_proj.weight", "attn_q_a.weight"},
    {"self_attn.q_a_layernorm.weight", "attn_q_a_norm.weight"},
    {"self_attn.q_b_proj.weight", "attn_q_b.weight"},
    {"self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_mqa.weight"},
    {"self_attn.kv_a_layernorm.weight", "attn_kv_a_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"mlp.gate.weight", "ffn_gate_inp.weight"},
    {"mlp.gate.e_score_correction_bias", "exp_probs_b.bias"},
    {"mlp.shared_experts.gate_proj.weight", "ffn_gate_shexp.weight"},
    {"mlp.shared_experts.up_proj.weight", "ffn_up_shexp.weight"},
    {"mlp.shared_experts.down_proj.weight", "ffn_down_shexp.weight"},
    // DeepSeek-V3's MTP block (the layer after the main ones).
    {"embed_tokens.weight", "nextn.embed_tokens.weight"},
    {"enorm.weight", "nextn.enorm.weight"},
    {"hnorm.weight", "nextn.hnorm.weight"},
    {"eh_proj.weight", "nextn.eh_proj.weight"},
    {"shared_head.norm.weight", "nextn.shared_head_norm.weight"},
    {"shared_head.head.weight", "nextn.shared_head_head.weight"},
};
constexpr NameEntry kExpertNames[] = {
    {"gate_proj.weight", "ffn_gate_exps.weight"},
    {"up_proj.weight", "ffn_up_exps.weight"},
    {"down_proj.weight", "ffn_down_exps.weight"},
};

std::vector<int64_t> Reversed(const std::vector<int64_t>& shape) {
  std::vector<int64_t> dims(shape.rbegin(), shape.rend());
  if (dims.empty()) dims.push_back(1);
  return dims;
}

std::optional<int64_t> ParseIndex(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

HfTensor MakeTensor(std::string name, std::vector<int64_t> dims, HfTensorOp op, std::vector<HfSource> sources,
                    int64_t group = 0) {
  HfTensor t;
  t.name = std::move(name);
  t.dims = std::move(dims);
  t.op = op;
  t.sources = std::move(sources);
  t.group = group;
  return t;
}

class Planner {
 public:
  Planner(const HfModelShape& shape, const SafetensorsCheckpoint& ck)
      : s_(shape), arch_(ArchitectureInfoFor(shape.arch)), ck_(ck) {}

  Result<HfTensorPlan> Run() {
    plan_.fp8_block_rows = s_.fp8_block_rows;
    plan_.fp8_block_cols = s_.fp8_block_cols;
    if (!s_.rope_freqs.empty()) {
      HfTensor t = MakeTensor("rope_freqs.weight", {static_cast<int64_t>(s_.rope_freqs.size())},
                              HfTensorOp::kConstant, {});
      t.constant = s_.rope_freqs;
      plan_.tensors.push_back(std::move(t));
    }
    for (const SafetensorsTensor* t : ck_.tensors()) RETURN_IF_ERROR(Map(*t));
    RETURN_IF_ERROR(StackExperts());
    std::stable_sort(plan_.tensors.begin(), plan_.tensors.end(),
                     [](const HfTensor& a, const HfTensor& b) { return Rank(a.name) < Rank(b.name); });
    return std::move(plan_);
  }

 private:
  // GGUF order: token_embd and rope_freqs, then blocks in index order, then output_norm and output.
  static int64_t Rank(const std::string& name) {
    if (name.rfind("blk.", 0) == 0) return 1 + ParseIndex(name.substr(4, name.find('.', 4) - 4)).value_or(0);
    if (name.rfind("output", 0) == 0) return INT64_MAX;
    return 0;
  }

  Status Error(const SafetensorsTensor& t, const std::string& what) const {
    return DataLoss(ck_.FileOf(t) + ": tensor '" + t.name + "' " + what);
  }

  Result<HfSource> Source(const SafetensorsTensor& t) const {
    HfSource source{.tensor = &t};
    if (t.dtype == SafetensorsDtype::kF8E4M3 || t.dtype == SafetensorsDtype::kF8E5M2) {
      const SafetensorsTensor* scale = ck_.Find(t.name + "_scale_inv");
      if (scale == nullptr) return Error(t, "is FP8 but the checkpoint has no '" + t.name + "_scale_inv'");
      if (t.shape.size() != 2) return Error(t, "is FP8 with shape " + t.ShapeString() + "; block scales need 2-D");
      const std::vector<int64_t> expected = {CeilDiv(t.shape[0], s_.fp8_block_rows),
                                             CeilDiv(t.shape[1], s_.fp8_block_cols)};
      if (scale->shape != expected || !IsFloatDtype(scale->dtype)) {
        return Error(*scale, "has shape " + scale->ShapeString() + " " + SafetensorsDtypeName(scale->dtype) +
                                 "; the FP8 blocks of '" + t.name + "' need float scales of shape [" +
                                 std::to_string(expected[0]) + ", " + std::to_string(expected[1]) + "]");
      }
      source.scale_inv = scale;
    }
    switch (t.dtype) {
      case SafetensorsDtype::kBool:
      case SafetensorsDtype::kU8:
      case SafetensorsDtype::kU16:
      case SafetensorsDtype::kU32:
      case SafetensorsDtype::kU64:
        return Error(t, std::string("has dtype ") + SafetensorsDtypeName(t.dtype) + ", which GGUF cannot hold");
      default: return source;
    }
  }

  Status Add(const SafetensorsTensor& t, std::string name, HfTensorOp op, int64_t group = 0) {
    ASSIGN_OR_RETURN(HfSource source, Source(t));
    const bool decoded = op != HfTensorOp::kCopy;
    if (decoded && !IsFloatDtype(t.dtype)) return Error(t, "must be a float tensor to be reordered");
    HfTensor out = MakeTensor(std::move(name), Reversed(t.shape), op, {source}, group);
    if (op == HfTensorOp::kPermuteRows) {
      const int64_t rows = t.shape.empty() ? 1 : t.shape[0];
      if (t.shape.size() != 2 || group <= 0 || rows % group != 0 || (rows / group) % 2 != 0) {
        return Error(t, "has shape " + t.ShapeString() + ", which does not split into " + std::to_string(group) +
                            " heads of even size");
      }
    }
    plan_.tensors.push_back(std::move(out));
    return Status::Ok();
  }

  // kv_b_proj [H * (nope + v), kv_lora] -> attn_k_b {nope, kv_lora, H} and attn_v_b {kv_lora, v, H}.
  Status AddKvB(const SafetensorsTensor& t, const std::string& blk) {
    const int64_t H = s_.n_heads, nope = s_.qk_nope_head_dim, v = s_.v_head_dim, kvr = s_.kv_lora_rank;
    if (t.shape != std::vector<int64_t>{H * (nope + v), kvr}) {
      return Error(t, "has shape " + t.ShapeString() + ", expected [" + std::to_string(H * (nope + v)) + ", " +
                          std::to_string(kvr) + "] (num_attention_heads * (qk_nope_head_dim + v_head_dim), "
                          "kv_lora_rank)");
    }
    if (!IsFloatDtype(t.dtype)) return Error(t, "must be a float tensor");
    ASSIGN_OR_RETURN(HfSource source, Source(t));
    plan_.tensors.push_back(MakeTensor(blk + "attn_k_b.weight", {nope, kvr, H}, HfTensorOp::kSplitKB, {source}, H));
    plan_.tensors.push_back(MakeTensor(blk + "attn_v_b.weight", {kvr, v, H}, HfTensorOp::kSplitVB, {source}, H));
    return Status::Ok();
  }

  Status Map(const SafetensorsTensor& t) {
    const std::string& n = t.name;
    if (n.ends_with("_scale_inv") || n.ends_with("rotary_emb.inv_freq")) return Status::Ok();
    if (n == "model.embed_tokens.weight") return Add(t, "token_embd.weight", HfTensorOp::kCopy);
    if (n == "model.norm.weight") return Add(t, "output_norm.weight", HfTensorOp::kCopy);
    if (n == "lm_head.weight") {
      return s_.tie_word_embeddings ? Status::Ok() : Add(t, "output.weight", HfTensorOp::kCopy);
    }
    const std::string_view prefix = "model.layers.";
    if (!n.starts_with(prefix) || n.find('.', prefix.size()) == std::string::npos) {
      return Error(t, "has no GGUF counterpart (not a " + s_.hf_architecture + " tensor name)");
    }
    const size_t dot = n.find('.', prefix.size());
    const std::optional<int64_t> layer = ParseIndex(std::string_view(n).substr(prefix.size(), dot - prefix.size()));
    if (!layer) return Error(t, "has a malformed layer index");
    const std::string rest = n.substr(dot + 1), blk = "blk." + std::to_string(*layer) + ".";
    if (*layer >= s_.n_layers + s_.n_mtp_layers) {
      // The MTP block of V3/R1 (num_nextn_predict_layers) when it is not kept.
      if (arch_.mtp && *layer >= s_.n_layers) return Status::Ok();
      return Error(t, "is in layer " + std::to_string(*layer) + " but config.json has num_hidden_layers = " +
                          std::to_string(s_.n_layers));
    }
    if (rest == "self_attn.kv_b_proj.weight") return AddKvB(t, blk);
    const std::string_view experts = "mlp.experts.";
    if (rest.starts_with(experts)) return AddExpert(t, *layer, rest.substr(experts.size()));
    for (const NameEntry& e : kLayerNames) {
      if (rest != e.hf) continue;
      const bool permute = arch_.hf_permute_qk &&
                           (rest == "self_attn.q_proj.weight" || rest == "self_attn.k_proj.weight");
      if (permute) {
        return Add(t, blk + e.gguf, HfTensorOp::kPermuteRows,
                   rest == "self_attn.q_proj.weight" ? s_.n_heads : s_.n_kv_heads);
      }
      return Add(t, blk + e.gguf, HfTensorOp::kCopy);
    }
    return Error(t, "has no GGUF counterpart (not a " + s_.hf_architecture + " tensor name)");
  }

  Status AddExpert(const SafetensorsTensor& t, int64_t layer, const std::string& rest) {
    const size_t dot = rest.find('.');
    const std::optional<int64_t> expert =
        dot == std::string::npos ? std::nullopt : ParseIndex(std::string_view(rest).substr(0, dot));
    if (!expert || *expert >= s_.n_routed_experts) {
      return Error(t, "is not expert 0.." + std::to_string(s_.n_routed_experts - 1) + " of n_routed_experts");
    }
    for (const NameEntry& e : kExpertNames) {
      if (rest.substr(dot + 1) != e.hf) continue;
      if (!IsFloatDtype(t.dtype) || t.shape.size() != 2) return Error(t, "must be a 2-D float tensor");
      ASSIGN_OR_RETURN(HfSource source, Source(t));
      std::vector<HfSource>& slots = experts_["blk." + std::to_string(layer) + "." + e.gguf];
      slots.resize(static_cast<size_t>(s_.n_routed_experts));
      slots[static_cast<size_t>(*expert)] = source;
      return Status::Ok();
    }
    return Error(t, "has no GGUF counterpart");
  }

  Status StackExperts() {
    for (auto& [name, slots] : experts_) {
      for (size_t e = 0; e < slots.size(); ++e) {
        if (slots[e].tensor == nullptr) {
          return DataLoss(ck_.dir() + ": expert " + std::to_string(e) + " of '" + name + "' is missing");
        }
        if (slots[e].tensor->shape != slots[0].tensor->shape) {
          return Error(*slots[e].tensor, "has shape " + slots[e].tensor->ShapeString() + " but expert 0 has " +
                                             slots[0].tensor->ShapeString());
        }
      }
      std::vector<int64_t> dims = Reversed(slots[0].tensor->shape);
      dims.push_back(static_cast<int64_t>(slots.size()));
      plan_.tensors.push_back(MakeTensor(name, dims, HfTensorOp::kStackExperts, slots));
    }
    return Status::Ok();
  }

  const HfModelShape& s_;
  const ArchitectureInfo& arch_;  // the registry row: which of the converter's per-architecture rules apply
  const SafetensorsCheckpoint& ck_;
  HfTensorPlan plan_;
  std::map<std::string, std::vector<HfSource>> experts_;
};

// One source row decoded to float, FP8 blocks multiplied by their weight_scale_inv entry.
void ReadSourceRow(const HfTensorPlan& plan, const HfSource& s, int64_t row, int64_t cols, float* out) {
  const SafetensorsTensor& t = *s.tensor;
  const int64_t base = row * cols;
  if (t.dtype == SafetensorsDtype::kBF16) {
    const uint8_t* p = t.data.data() + base * 2;
    for (int64_t c = 0; c < cols; ++c) {
      uint16_t h;
      std::memcpy(&h, p + 2 * c, 2);
      out[c] = Bf16ToFloat(h);
    }
  } else if (t.dtype == SafetensorsDtype::kF32) {
    std::memcpy(out, t.data.data() + base * 4, static_cast<size_t>(cols) * 4);
  } else {
    for (int64_t c = 0; c < cols; ++c) out[c] = t.FloatAt(base + c);
  }
  if (s.scale_inv == nullptr) return;
  const int64_t scale_row = row / plan.fp8_block_rows, scale_cols = s.scale_inv->shape[1];
  for (int64_t c = 0; c < cols; ++c) out[c] *= s.scale_inv->FloatAt(scale_row * scale_cols + c / plan.fp8_block_cols);
}

// attn_k_b rows of one head: out[c][d] = kv_b[h * per_head + d][c], for c in [c_begin, c_end).
void ReadKbHead(const HfTensorPlan& plan, const HfTensor& t, int64_t h, int64_t c_begin, int64_t c_end, float* out) {
  const int64_t nope = t.dims[0], kvr = t.dims[1], per_head = t.sources[0].tensor->shape[0] / t.group;
  std::vector<float> row(static_cast<size_t>(kvr));
  for (int64_t d = 0; d < nope; ++d) {
    ReadSourceRow(plan, t.sources[0], h * per_head + d, kvr, row.data());
    for (int64_t c = c_begin; c < c_end; ++c) out[(c - c_begin) * nope + d] = row[static_cast<size_t>(c)];
  }
}

}  // namespace

int64_t HfTensor::n_rows() const {
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  return rows;
}

Result<HfTensorPlan> PlanHfTensors(const HfModelShape& shape, const SafetensorsCheckpoint& checkpoint) {
  return Planner(shape, checkpoint).Run();
}

GgmlType NativeType(const HfTensor& tensor) {
  if (tensor.op == HfTensorOp::kConstant) return GgmlType::kF32;
  switch (tensor.sources[0].tensor->dtype) {
    case SafetensorsDtype::kF16: return GgmlType::kF16;
    case SafetensorsDtype::kBF16:
    case SafetensorsDtype::kF8E4M3:
    case SafetensorsDtype::kF8E5M2: return GgmlType::kBF16;  // what DeepSeek's own fp8_cast_bf16.py produces
    case SafetensorsDtype::kI8: return GgmlType::kI8;
    case SafetensorsDtype::kI16: return GgmlType::kI16;
    case SafetensorsDtype::kI32: return GgmlType::kI32;
    case SafetensorsDtype::kI64: return GgmlType::kI64;
    default: return GgmlType::kF32;  // F32, F64
  }
}

bool IsZeroCopy(const HfTensor& tensor) {
  if (tensor.op != HfTensorOp::kCopy) return false;
  const SafetensorsTensor& t = *tensor.sources[0].tensor;
  if (t.dtype == SafetensorsDtype::kF64 || tensor.sources[0].scale_inv != nullptr ||
      t.dtype == SafetensorsDtype::kF8E4M3 || t.dtype == SafetensorsDtype::kF8E5M2) {
    return false;
  }
  // Elements must be naturally aligned to be read in place (GGUF itself aligns to 32 bytes; safetensors does not).
  return reinterpret_cast<uintptr_t>(t.data.data()) % SafetensorsDtypeBytes(t.dtype) == 0;
}

Status ReadHfRows(const HfTensorPlan& plan, const HfTensor& t, int64_t row_begin, int64_t n_rows, float* out) {
  const int64_t cols = t.row_length();
  if (row_begin < 0 || n_rows < 0 || row_begin + n_rows > t.n_rows()) {
    return InvalidArgument(t.name + ": rows out of range");
  }
  for (const HfSource& s : t.sources) {
    if (!IsFloatDtype(s.tensor->dtype)) return Unimplemented(t.name + ": integer tensors cannot be converted");
  }
  if (t.op == HfTensorOp::kConstant) {
    std::copy(t.constant.begin() + row_begin * cols, t.constant.begin() + (row_begin + n_rows) * cols, out);
    return Status::Ok();
  }
  if (t.op == HfTensorOp::kSplitKB) {
    const int64_t kvr = t.dims[1];
    for (int64_t r = row_begin; r < row_begin + n_rows;) {
      const int64_t h = r / kvr, c_end = std::min((h + 1) * kvr, row_begin + n_rows) - h * kvr;
      ReadKbHead(plan, t, h, r - h * kvr, c_end, out + (r - row_begin) * cols);
      r = h * kvr + c_end;
    }
    return Status::Ok();
  }
  for (int64_t r = row_begin; r < row_begin + n_rows; ++r) {
    float* dst = out + (r - row_begin) * cols;
    switch (t.op) {
      case HfTensorOp::kCopy: ReadSourceRow(plan, t.sources[0], r, cols, dst); break;
      case HfTensorOp::kStackExperts: {
        const int64_t per_expert = t.dims[1];
        ReadSourceRow(plan, t.sources[static_cast<size_t>(r / per_expert)], r % per_expert, cols, dst);
        break;
      }
      case HfTensorOp::kPermuteRows: {
        const int64_t head_dim = t.n_rows() / t.group, h = r / head_dim, k = r % head_dim;
        ReadSourceRow(plan, t.sources[0], h * head_dim + (k % 2) * (head_dim / 2) + k / 2, cols, dst);
        break;
      }
      case HfTensorOp::kSplitVB: {
        const int64_t v = t.dims[1], per_head = t.sources[0].tensor->shape[0] / t.group;
        ReadSourceRow(plan, t.sources[0], (r / v) * per_head + (per_head - v) + r % v, cols, dst);
        break;
      }
      default: return Internal(t.name + ": unhandled operation");
    }
  }
  return Status::Ok();
}

}  // namespace baleen
