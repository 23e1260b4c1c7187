// Hugging Face semantics for Qwen2/Llama/Qwen3: pre-norm attention with grouped KV heads, then a SwiGLU FFN.
#include "models/dense.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/scratch.h"
#include "base/thread_pool.h"
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/rope.h"
#include "models/ffn.h"
#include "models/rope_freqs.h"
#include "models/weights.h"

namespace baleen {
namespace {

struct DenseLayer {
  std::vector<float> attn_norm, ffn_norm;
  WeightMatrix wq, wk, wv, wo;
  std::vector<float> bq, bk, bv;          // qwen2 only
  std::vector<float> q_norm, k_norm;      // qwen3 only
  FfnWeights ffn;
};

class DenseModel : public Model {
 public:
  DenseModel(ModelConfig config, ModelOptions options) : Model(std::move(config), options) {}

  Status Load(const WeightLoader& w);
  CacheGeometry CacheRowsPerPosition() const override {
    const int64_t width = config_.n_kv_heads * config_.head_dim;
    return {config_.n_layers, width, width};
  }

 protected:
  void Layer(int64_t layer, float* x, const BatchRows& batch) override;

 private:
  void Attention(const DenseLayer& l, int64_t layer, const float* xn, const BatchRows& batch, float* x);

  std::vector<DenseLayer> layers_;
  Rope rope_;
};

Status LoadOptionalVector(const WeightLoader& w, const std::string& name, int64_t n, std::vector<float>& out) {
  if (!w.Has(name)) return Status::Ok();
  ASSIGN_OR_RETURN(out, w.Vector(name, n));
  return Status::Ok();
}

Status DenseModel::Load(const WeightLoader& w) {
  RETURN_IF_ERROR(LoadCommon(w));
  const ModelConfig& c = config_;
  const int64_t q_width = c.n_heads * c.head_dim, kv_width = c.n_kv_heads * c.head_dim;
  std::vector<float> llama3_factors;
  RETURN_IF_ERROR(LoadOptionalVector(w, "rope_freqs.weight", c.rope.n_rot / 2, llama3_factors));
  rope_ = MakeRope(c, llama3_factors.empty() ? nullptr : &llama3_factors);
  // Grown layer by layer: a hostile block_count fails at the first missing tensor, not in a giant allocation.
  for (int64_t i = 0; i < c.n_layers; ++i) {
    DenseLayer& l = layers_.emplace_back();
    auto name = [i](const char* s) { return BlockTensor(i, s); };
    ASSIGN_OR_RETURN(l.attn_norm, w.Vector(name("attn_norm.weight"), c.dim));
    ASSIGN_OR_RETURN(l.wq, w.Matrix(name("attn_q.weight"), {c.dim, q_width}));
    ASSIGN_OR_RETURN(l.wk, w.Matrix(name("attn_k.weight"), {c.dim, kv_width}));
    ASSIGN_OR_RETURN(l.wv, w.Matrix(name("attn_v.weight"), {c.dim, kv_width}));
    ASSIGN_OR_RETURN(l.wo, w.Matrix(name("attn_output.weight"), {q_width, c.dim}));
    RETURN_IF_ERROR(LoadOptionalVector(w, name("attn_q.bias"), q_width, l.bq));
    RETURN_IF_ERROR(LoadOptionalVector(w, name("attn_k.bias"), kv_width, l.bk));
    RETURN_IF_ERROR(LoadOptionalVector(w, name("attn_v.bias"), kv_width, l.bv));
    RETURN_IF_ERROR(LoadOptionalVector(w, name("attn_q_norm.weight"), c.head_dim, l.q_norm));
    RETURN_IF_ERROR(LoadOptionalVector(w, name("attn_k_norm.weight"), c.head_dim, l.k_norm));
    ASSIGN_OR_RETURN(l.ffn_norm, w.Vector(name("ffn_norm.weight"), c.dim));
    ASSIGN_OR_RETURN(l.ffn.gate, w.Matrix(name("ffn_gate.weight"), {c.dim, c.inter_dim}));
    ASSIGN_OR_RETURN(l.ffn.up, w.Matrix(name("ffn_up.weight"), {c.dim, c.inter_dim}));
    ASSIGN_OR_RETURN(l.ffn.down, w.Matrix(name("ffn_down.weight"), {c.inter_dim, c.dim}));
  }
  return Status::Ok();
}

void AddBias(const std::vector<float>& bias, float* rows, int64_t n) {
  if (bias.empty()) return;
  const int64_t width = static_cast<int64_t>(bias.size());
  for (int64_t t = 0; t < n; ++t) AxpyF32(1.0f, bias.data(), rows + t * width, width);
}

// q/k RMSNorm per head (qwen3) then RoPE, for rows of n_heads heads at the given positions.
void NormAndRotate(const Rope& rope, const std::vector<float>& norm, float eps, int64_t head_dim, int64_t n_heads,
                   std::span<const int64_t> positions, float* rows) {
  std::vector<float> cos(static_cast<size_t>(rope.n_rot() / 2)), sin(cos.size());
  for (int64_t t = 0; t < static_cast<int64_t>(positions.size()); ++t) {
    rope.CosSin(positions[t], cos.data(), sin.data());
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = rows + (t * n_heads + h) * head_dim;
      if (!norm.empty()) RmsNorm(v, norm.data(), head_dim, eps, v);
      rope.Apply(v, cos.data(), sin.data());
    }
  }
}

void DenseModel::Attention(const DenseLayer& l, int64_t layer, const float* xn, const BatchRows& batch, float* x) {
  const ModelConfig& c = config_;
  const int64_t n = batch.n, hd = c.head_dim, q_width = c.n_heads * hd, kv_width = c.n_kv_heads * hd;
  const float eps = static_cast<float>(c.rms_norm_eps);
  ScratchVector<float> q(static_cast<size_t>(n * q_width)), k(static_cast<size_t>(n * kv_width)), v(k.size());
  const MatMulJob qkv[] = {{l.wq, xn, n, q.data(), 0}, {l.wk, xn, n, k.data(), 0}, {l.wv, xn, n, v.data(), 0}};
  MatMulAll(qkv);
  AddBias(l.bq, q.data(), n);
  AddBias(l.bk, k.data(), n);
  AddBias(l.bv, v.data(), n);
  NormAndRotate(rope_, l.q_norm, eps, hd, c.n_heads, batch.positions, q.data());
  NormAndRotate(rope_, l.k_norm, eps, hd, c.n_kv_heads, batch.positions, k.data());

  // One work item: a sequence's kv head and up to 16 of its tokens, whose query rows for the heads sharing that kv
  // head (GQA) meet every key and value vector together.
  struct Item {
    size_t chunk;
    int64_t t0, t1;  // rows of the batch
  };
  constexpr int64_t kTokenBlock = 16;
  std::vector<Item> blocks;
  std::vector<std::vector<const void*>> k_bases(batch.chunks.size()), v_bases(batch.chunks.size());
  std::vector<CacheRows> k_rows, v_rows;
  for (size_t ci = 0; ci < batch.chunks.size(); ++ci) {
    KvCache& cache = *batch.chunks[ci].cache;
    const int64_t first = batch.first_row[ci], end = first + batch.rows(ci);
    for (int64_t t = first; t < end; ++t) {
      cache.StoreK(layer, batch.positions[t], &k[t * kv_width]);
      cache.StoreV(layer, batch.positions[t], &v[t * kv_width]);
    }
    for (int64_t t0 = first; t0 < end; t0 += kTokenBlock) blocks.push_back({ci, t0, std::min(end, t0 + kTokenBlock)});
    k_rows.push_back(cache.KRows(layer, 0, k_bases[ci]));
    v_rows.push_back(cache.VRows(layer, 0, v_bases[ci]));
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t group = c.n_heads / c.n_kv_heads, n_blocks = static_cast<int64_t>(blocks.size());
  ScratchVector<float> out(static_cast<size_t>(n * q_width), 0.0f);
  ParallelFor(c.n_kv_heads * n_blocks, 1, [&](int64_t begin, int64_t end, int) {
    std::vector<const float*> q_rows;
    std::vector<float*> out_rows;
    std::vector<int64_t> n_keys;
    std::vector<float> scratch;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t kv_head = item / n_blocks;
      const Item& b = blocks[static_cast<size_t>(item % n_blocks)];
      q_rows.clear(), out_rows.clear(), n_keys.clear();
      for (int64_t t = b.t0; t < b.t1; ++t) {
        for (int64_t h = kv_head * group; h < (kv_head + 1) * group; ++h) {
          q_rows.push_back(&q[(t * c.n_heads + h) * hd]);
          out_rows.push_back(&out[(t * c.n_heads + h) * hd]);
          n_keys.push_back(batch.positions[t] + 1);  // causal: keys up to this position
        }
      }
      const AttentionRows rows{q_rows.data(), n_keys.data(), out_rows.data(), static_cast<int64_t>(q_rows.size())};
      CacheRows keys = k_rows[b.chunk], values = v_rows[b.chunk];
      keys.offset = values.offset = kv_head * hd;
      AttendRows(rows, keys, hd, values, hd, scale, scratch);
    }
  });
  ScratchVector<float> o(static_cast<size_t>(n * c.dim));
  MatMul(l.wo, out.data(), n, o.data());
  AxpyF32(1.0f, o.data(), x, n * c.dim);
}

void DenseModel::Layer(int64_t layer, float* x, const BatchRows& batch) {
  const DenseLayer& l = layers_[layer];
  const int64_t n = batch.n, dim = config_.dim;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  ScratchVector<float> xn(static_cast<size_t>(n * dim));
  RmsNormRows(x, l.attn_norm.data(), n, dim, eps, xn.data());
  Attention(l, layer, xn.data(), batch, x);
  RmsNormRows(x, l.ffn_norm.data(), n, dim, eps, xn.data());
  AddFfn(l.ffn, xn.data(), n, 1.0f, x);
}

}  // namespace

Result<std::unique_ptr<Model>> LoadDense(const GgufModel& gguf, const ModelConfig& config,
                                         const ModelOptions& options) {
  auto model = std::make_unique<DenseModel>(config, options);
  RETURN_IF_ERROR(model->Load(WeightLoader(gguf, model->packs_for_loading())));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace baleen
