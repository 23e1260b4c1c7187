// Quantization recipes. The _M variants follow llama.cpp's idea (more bits where errors hurt most: attention,
// ffn_down, the output head) and, for MoE models, keep attention and shared experts above the routed experts,
// which hold most of the parameters but are each used by few tokens.
#include "formats/quants/quant_recipe.h"

#include <algorithm>
#include <cstring>

#include "formats/quants/quants.h"

namespace baleen {
namespace {

struct RecipeEntry {
  const char* name;
  GgmlType base, attention, ffn_down, experts_down, output;
  uint32_t file_type;
};

using T = GgmlType;
constexpr RecipeEntry kRecipes[] = {
    {"f32", T::kF32, T::kF32, T::kF32, T::kF32, T::kF32, 0},
    {"f16", T::kF16, T::kF16, T::kF16, T::kF16, T::kF16, 1},
    {"bf16", T::kBF16, T::kBF16, T::kBF16, T::kBF16, T::kBF16, 32},
    {"q8_0", T::kQ8_0, T::kQ8_0, T::kQ8_0, T::kQ8_0, T::kQ8_0, 7},
    {"q4_0", T::kQ4_0, T::kQ4_0, T::kQ4_0, T::kQ4_0, T::kQ6_K, 2},
    {"q4_1", T::kQ4_1, T::kQ4_1, T::kQ4_1, T::kQ4_1, T::kQ6_K, 3},
    {"q5_0", T::kQ5_0, T::kQ5_0, T::kQ5_0, T::kQ5_0, T::kQ6_K, 8},
    {"q5_1", T::kQ5_1, T::kQ5_1, T::kQ5_1, T::kQ5_1, T::kQ6_K, 9},
    {"q2_k", T::kQ2_K, T::kQ3_K, T::kQ3_K, T::kQ3_K, T::kQ6_K, 10},
    {"q3_k_s", T::kQ3_K, T::kQ3_K, T::kQ3_K, T::kQ3_K, T::kQ6_K, 11},
    {"q3_k_m", T::kQ3_K, T::kQ4_K, T::kQ4_K, T::kQ4_K, T::kQ6_K, 12},
    {"q4_k_s", T::kQ4_K, T::kQ4_K, T::kQ5_K, T::kQ4_K, T::kQ6_K, 14},
    {"q4_k_m", T::kQ4_K, T::kQ6_K, T::kQ6_K, T::kQ5_K, T::kQ6_K, 15},
    {"q5_k_s", T::kQ5_K, T::kQ5_K, T::kQ5_K, T::kQ5_K, T::kQ6_K, 16},
    {"q5_k_m", T::kQ5_K, T::kQ6_K, T::kQ6_K, T::kQ6_K, T::kQ6_K, 17},
    {"q6_k", T::kQ6_K, T::kQ6_K, T::kQ6_K, T::kQ6_K, T::kQ6_K, 18},
    {"iq4_nl", T::kIQ4_NL, T::kIQ4_NL, T::kIQ4_NL, T::kIQ4_NL, T::kQ6_K, 25},
    {"iq4_xs", T::kIQ4_XS, T::kIQ4_XS, T::kIQ4_XS, T::kIQ4_XS, T::kQ6_K, 30},
};

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Rows of `type` need row_length to be a whole number of blocks; otherwise Q8_0 (32), else F16.
GgmlType Fitting(GgmlType type, int64_t row_length) {
  for (GgmlType t : {type, GgmlType::kQ8_0, GgmlType::kF16}) {
    if (row_length % GetGgmlTypeInfo(t).block_elems == 0) return t;
  }
  return GgmlType::kF16;
}

}  // namespace

const char* QuantRecipeNames() {
  return "auto, f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m, q4_k_s, q4_k_m, q5_k_s, q5_k_m, "
         "q6_k, iq4_nl, iq4_xs";
}

Result<QuantRecipe> ParseQuantRecipe(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "auto") return QuantRecipe{.name = "auto", .keep_native = true};
  if (lower == "q4_k") lower = "q4_k_m";  // the conventional meaning of a bare K-quant name
  if (lower == "q5_k") lower = "q5_k_m";
  if (lower == "q3_k") lower = "q3_k_m";
  for (const RecipeEntry& e : kRecipes) {
    if (lower != e.name) continue;
    return QuantRecipe{.name = e.name, .keep_native = false, .base = e.base, .attention = e.attention,
                       .ffn_down = e.ffn_down, .experts_down = e.experts_down, .output = e.output,
                       .file_type = e.file_type};
  }
  return InvalidArgument("unknown type '" + std::string(name) + "' (known: " + QuantRecipeNames() + ")");
}

GgmlType ChooseTensorType(const QuantRecipe& recipe, const std::string& name, std::span<const int64_t> dims,
                          GgmlType native) {
  const bool is_float = native == GgmlType::kF32 || native == GgmlType::kF16 || native == GgmlType::kBF16 ||
                        native == GgmlType::kF64 || CanDequantize(native);
  const bool integer = native == GgmlType::kI8 || native == GgmlType::kI16 || native == GgmlType::kI32 ||
                       native == GgmlType::kI64;
  if (integer || !is_float) return native;
  // Vectors (norms, biases), the router and the rope factors are tiny and precision-critical.
  if (dims.size() < 2 || Contains(name, "ffn_gate_inp") || Contains(name, "exp_probs_b") ||
      Contains(name, "rope_freqs")) {
    return GgmlType::kF32;
  }
  if (recipe.keep_native) return native == GgmlType::kF64 || !CanQuantize(native) ? GgmlType::kF32 : native;
  GgmlType type = recipe.base;
  if (name == "output.weight" || Contains(name, "shared_head_head")) {
    type = recipe.output;
  } else if (Contains(name, ".attn_") || Contains(name, "nextn.eh_proj")) {
    type = recipe.attention;
  } else if (Contains(name, "ffn_down_exps")) {
    type = recipe.experts_down;
  } else if (Contains(name, "ffn_down")) {
    type = recipe.ffn_down;
  } else if (Contains(name, "_shexp")) {
    type = recipe.attention;  // shared experts run for every token, like attention
  }
  return Fitting(type, dims[0]);
}

Status EncodeTensor(GgmlType type, int64_t row_length, int64_t n_rows, const FloatRowSource& source,
                    std::span<uint8_t> out) {
  ASSIGN_OR_RETURN(uint64_t row_bytes, RowBytes(type, row_length));
  if (row_bytes * static_cast<uint64_t>(n_rows) != out.size()) return Internal("EncodeTensor: size mismatch");
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(row_length, 1));
  std::vector<float> rows(static_cast<size_t>(std::min(chunk, std::max<int64_t>(n_rows, 1)) * row_length));
  for (int64_t r = 0; r < n_rows; r += chunk) {
    const int64_t n = std::min(chunk, n_rows - r);
    RETURN_IF_ERROR(source(r, n, rows.data()));
    for (int64_t i = 0; i < n; ++i) {
      uint8_t* dst = out.data() + static_cast<size_t>(r + i) * row_bytes;
      const float* src = rows.data() + i * row_length;
      if (type == GgmlType::kF32) {
        std::memcpy(dst, src, static_cast<size_t>(row_length) * 4);
      } else {
        RETURN_IF_ERROR(QuantizeRow(type, src, dst, row_length));
      }
    }
  }
  return Status::Ok();
}

}  // namespace baleen
