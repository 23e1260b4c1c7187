// MLA from DeepSeek-V3's inference/model.py: both attention forms over one K-only cache row per token,
// [kv_norm(c_kv) ; RoPE(k_pe)]. The absorbed form folds W_UK into the query and W_UV after the weighted sum, so it
// never decompresses the cache; the naive form decompresses it for a block of heads at a time (all heads' products
// in one MatMulAll), which is cheaper for long prefill chunks.
#include "models/mla.h"

#include <algorithm>
#include <cmath>

#include "base/thread_pool.h"
#include "formats/quants/quants.h"
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "models/rope_freqs.h"

namespace baleen {
namespace {

// Dequantizes every row of a (small, per-head) matrix: rows × cols floats.
std::vector<float> DequantizeAll(const WeightMatrix& m) {
  std::vector<float> out(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) DequantizeWeightRow(m, r, &out[r * m.cols]);
  return out;
}

// a [rows, cols] -> [cols, rows].
std::vector<float> Transposed(const std::vector<float>& a, int64_t rows, int64_t cols) {
  std::vector<float> t(a.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = a[r * cols + c];
  }
  return t;
}

// An F32 matrix view of `data` [rows, cols].
WeightMatrix F32Matrix(const std::vector<float>& data, int64_t rows, int64_t cols) {
  return WeightMatrix{GgmlType::kF32, reinterpret_cast<const uint8_t*>(data.data()), cols, rows,
                      static_cast<uint64_t>(cols) * sizeof(float)};
}

// Legacy files carry W_UK and W_UV stacked per head in attn_kv_b; build W_UKᵀ per head as F32.
Status SplitKvB(const WeightLoader& w, int64_t layer, const ModelConfig& c, MlaWeights& m) {
  const MlaConfig& mla = c.mla;
  const int64_t per_head = mla.qk_nope_head_dim + mla.v_head_dim, kvr = mla.kv_lora_rank;
  const int64_t nope = mla.qk_nope_head_dim;
  ASSIGN_OR_RETURN(WeightMatrix kv_b, w.Matrix(BlockTensor(layer, "attn_kv_b.weight"), {kvr, c.n_heads * per_head}));
  m.owned_k_b.resize(static_cast<size_t>(c.n_heads * kvr * nope));
  std::vector<float> row(static_cast<size_t>(kvr));
  for (int64_t h = 0; h < c.n_heads; ++h) {
    for (int64_t d = 0; d < nope; ++d) {
      DequantizeWeightRow(kv_b, h * per_head + d, row.data());
      for (int64_t r = 0; r < kvr; ++r) m.owned_k_b[(h * kvr + r) * nope + d] = row[r];
    }
  }
  for (int64_t h = 0; h < c.n_heads; ++h) {
    m.k_b.push_back({GgmlType::kF32, reinterpret_cast<const uint8_t*>(&m.owned_k_b[h * kvr * nope]), nope, kvr,
                     static_cast<uint64_t>(nope) * sizeof(float)});
    m.v_b.push_back(kv_b.Rows(h * per_head + nope, mla.v_head_dim));
  }
  return Status::Ok();
}

// W_UK per head is k_b[h]ᵀ: k_b maps q_nope into the latent, so it cannot serve as the rows of k_nope = W_UK c_kv.
// Its transpose is built once, in Q8_0, so the naive form decompresses the cache on the integer kernels (it ran in
// F32 before: a tenth of a V3 prefill). Q8_0 keeps each weight within 1/254 of its 32-block's largest one, finer
// than the 8-bit activations it meets. Exact mode still dequantizes k_b itself.
Status BuildUk(const WeightLoader& w, const MlaConfig& mla, int64_t n_heads, MlaWeights& m) {
  const int64_t nope = mla.qk_nope_head_dim, kvr = mla.kv_lora_rank;
  // Weights in a float format meet float activations (MatMul's F32 path): an 8-bit copy would lose precision the
  // file has. Those, and widths Q8_0 cannot hold, keep decompressing through k_b in F32.
  const GgmlType type = m.k_b.front().type;
  const bool float_weights = type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16;
  if (float_weights || kvr % 32 != 0) return Status::Ok();
  ASSIGN_OR_RETURN(const uint64_t row_bytes, RowBytes(GgmlType::kQ8_0, kvr));
  m.owned_uk.resize(static_cast<size_t>(n_heads * nope) * row_bytes);
  std::vector<Status> failed(static_cast<size_t>(n_heads));
  ParallelFor(n_heads, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t h = begin; h < end; ++h) {
      const std::vector<float> w_uk = Transposed(DequantizeAll(m.k_b[h]), kvr, nope);
      for (int64_t d = 0; d < nope && failed[h].ok(); ++d) {
        failed[h] = QuantizeRow(GgmlType::kQ8_0, &w_uk[d * kvr], &m.owned_uk[(h * nope + d) * row_bytes], kvr);
      }
    }
  });
  for (const Status& s : failed) RETURN_IF_ERROR(s);
  m.uk = w.PackOwned({GgmlType::kQ8_0, m.owned_uk.data(), kvr, n_heads * nope, row_bytes}, nope);
  return Status::Ok();
}

}  // namespace

Result<MlaWeights> LoadMla(const WeightLoader& w, int64_t layer, const ModelConfig& c) {
  const MlaConfig& mla = c.mla;
  const int64_t qk = mla.qk_nope_head_dim + mla.qk_rope_head_dim, kvr = mla.kv_lora_rank;
  auto name = [layer](const char* s) { return BlockTensor(layer, s); };
  MlaWeights m;
  ASSIGN_OR_RETURN(m.attn_norm, w.Vector(name("attn_norm.weight"), c.dim));
  m.q_lora = mla.q_lora_rank > 0;
  if (m.q_lora) {
    ASSIGN_OR_RETURN(m.wq_a, w.Matrix(name("attn_q_a.weight"), {c.dim, mla.q_lora_rank}));
    ASSIGN_OR_RETURN(m.q_norm, w.Vector(name("attn_q_a_norm.weight"), mla.q_lora_rank));
    ASSIGN_OR_RETURN(m.wq_b, w.Matrix(name("attn_q_b.weight"), {mla.q_lora_rank, c.n_heads * qk}));
  } else {
    ASSIGN_OR_RETURN(m.wq, w.Matrix(name("attn_q.weight"), {c.dim, c.n_heads * qk}));
  }
  ASSIGN_OR_RETURN(m.wkv_a, w.Matrix(name("attn_kv_a_mqa.weight"), {c.dim, kvr + mla.qk_rope_head_dim}));
  ASSIGN_OR_RETURN(m.kv_norm, w.Vector(name("attn_kv_a_norm.weight"), kvr));
  if (mla.split_kv_b) {
    ASSIGN_OR_RETURN(WeightMatrix k_b, w.Matrix(name("attn_k_b.weight"), {mla.qk_nope_head_dim, kvr, c.n_heads}));
    ASSIGN_OR_RETURN(WeightMatrix v_b, w.Matrix(name("attn_v_b.weight"), {kvr, mla.v_head_dim, c.n_heads}));
    for (int64_t h = 0; h < c.n_heads; ++h) {
      m.k_b.push_back(k_b.Rows(h * kvr, kvr));
      m.v_b.push_back(v_b.Rows(h * mla.v_head_dim, mla.v_head_dim));
    }
  } else {
    RETURN_IF_ERROR(SplitKvB(w, layer, c, m));
  }
  RETURN_IF_ERROR(BuildUk(w, mla, c.n_heads, m));
  ASSIGN_OR_RETURN(m.wo, w.Matrix(name("attn_output.weight"), {c.n_heads * mla.v_head_dim, c.dim}));
  return m;
}

MlaAttention::MlaAttention(const ModelConfig& config, Rope rope)
    : config_(config), rope_(std::move(rope)), n_heads_(config.n_heads), nope_(config.mla.qk_nope_head_dim),
      rope_dim_(config.mla.qk_rope_head_dim), qk_(nope_ + rope_dim_), kv_lora_(config.mla.kv_lora_rank),
      v_head_(config.mla.v_head_dim) {
  // YaRN's temperature enters the softmax scale squared (it scales both q and k in the published formula).
  const double mscale = YarnMscale(config);
  softmax_scale_ = static_cast<float>(mscale * mscale / std::sqrt(static_cast<double>(qk_)));
}

ScratchVector<float> MlaAttention::Queries(const MlaWeights& l, const float* xn, const BatchRows& batch) const {
  const int64_t n = batch.n;
  ScratchVector<float> q(static_cast<size_t>(n * n_heads_ * qk_));
  if (l.q_lora) {
    const int64_t rank = l.wq_a.rows;
    ScratchVector<float> c_q(static_cast<size_t>(n * rank));
    MatMul(l.wq_a, xn, n, c_q.data());
    RmsNormRows(c_q.data(), l.q_norm.data(), n, rank, static_cast<float>(config_.rms_norm_eps), c_q.data());
    MatMul(l.wq_b, c_q.data(), n, q.data());
  } else {
    MatMul(l.wq, xn, n, q.data());
  }
  std::vector<float> cos(static_cast<size_t>(rope_dim_ / 2)), sin(cos.size());
  for (int64_t t = 0; t < n; ++t) {
    rope_.CosSin(batch.positions[t], cos.data(), sin.data());
    for (int64_t h = 0; h < n_heads_; ++h) rope_.Apply(&q[(t * n_heads_ + h) * qk_ + nope_], cos.data(), sin.data());
  }
  return q;
}

void MlaAttention::CacheLatents(const MlaWeights& l, int64_t layer, const float* xn, const BatchRows& batch) const {
  const int64_t width = kv_lora_ + rope_dim_;
  ScratchVector<float> kv(static_cast<size_t>(batch.n * width));
  MatMul(l.wkv_a, xn, batch.n, kv.data());
  std::vector<float> cos(static_cast<size_t>(rope_dim_ / 2)), sin(cos.size());
  for (size_t ci = 0; ci < batch.chunks.size(); ++ci) {
    for (int64_t t = batch.first_row[ci]; t < batch.first_row[ci] + batch.rows(ci); ++t) {
      float* row = &kv[t * width];
      RmsNorm(row, l.kv_norm.data(), kv_lora_, static_cast<float>(config_.rms_norm_eps), row);
      rope_.CosSin(batch.positions[t], cos.data(), sin.data());
      rope_.Apply(row + kv_lora_, cos.data(), sin.data());
      batch.chunks[ci].cache->StoreK(layer, batch.positions[t], row);
    }
  }
}

void MlaAttention::Absorbed(const MlaWeights& l, int64_t layer, const ScratchVector<float>& q, const BatchRows& batch,
                            const std::vector<size_t>& chunks, ScratchVector<float>& out) const {
  const int64_t width = kv_lora_ + rope_dim_;
  std::vector<int64_t> rows;  // of the batch, in the order they are computed here
  std::vector<size_t> row_chunk;
  for (size_t ci : chunks) {
    for (int64_t t = batch.first_row[ci]; t < batch.first_row[ci] + batch.rows(ci); ++t) {
      rows.push_back(t);
      row_chunk.push_back(ci);
    }
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  // Absorbed queries [W_UKᵀ q_nope ; q_pe] per token and head, laid out like a cache row. The heads' products are
  // one batch (MatMulAll): per head, its tokens' q_nope gathered in, its absorbed queries out.
  ScratchVector<float> qa(static_cast<size_t>(n * n_heads_ * width));
  const int64_t per_head = n * std::max(nope_, kv_lora_), per_head_out = n * std::max(kv_lora_, v_head_);
  ScratchVector<float> gathered(static_cast<size_t>(n_heads_ * per_head));
  ScratchVector<float> projected(static_cast<size_t>(n_heads_ * per_head_out));
  std::vector<MatMulJob> jobs;
  for (int64_t h = 0; h < n_heads_; ++h) {
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(&q[(rows[i] * n_heads_ + h) * qk_], nope_, &gathered[h * per_head + i * nope_]);
    }
    jobs.push_back({l.k_b[h], &gathered[h * per_head], n, &projected[h * per_head_out], 0});
  }
  MatMulAll(jobs);
  for (int64_t h = 0; h < n_heads_; ++h) {
    for (int64_t i = 0; i < n; ++i) {
      float* dst = &qa[(i * n_heads_ + h) * width];
      std::copy_n(&projected[h * per_head_out + i * kv_lora_], kv_lora_, dst);
      std::copy_n(&q[(rows[i] * n_heads_ + h) * qk_ + nope_], rope_dim_, dst + kv_lora_);
    }
  }
  // Every head attends over the same cache rows (keys: the whole row; values: its first kv_lora entries). One work
  // item: one token's heads, eight at a time, so each key and value row loaded serves several heads.
  std::vector<std::vector<const void*>> bases(batch.chunks.size());
  std::vector<CacheRows> cache_rows(batch.chunks.size());
  for (size_t ci : chunks) cache_rows[ci] = batch.chunks[ci].cache->KRows(layer, 0, bases[ci]);
  ScratchVector<float> latent_out(static_cast<size_t>(n * n_heads_ * kv_lora_), 0.0f);
  constexpr int64_t kHeadBlock = 8;
  const int64_t head_blocks = (n_heads_ + kHeadBlock - 1) / kHeadBlock;
  ParallelFor(n * head_blocks, 1, [&](int64_t begin, int64_t end, int) {
    const float* q_rows[kHeadBlock];
    float* out_rows[kHeadBlock];
    int64_t n_keys[kHeadBlock];
    std::vector<float> scratch;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / head_blocks, h0 = item % head_blocks * kHeadBlock;
      const int64_t count = std::min(kHeadBlock, n_heads_ - h0);
      for (int64_t j = 0; j < count; ++j) {
        q_rows[j] = &qa[(i * n_heads_ + h0 + j) * width];
        out_rows[j] = &latent_out[(i * n_heads_ + h0 + j) * kv_lora_];
        n_keys[j] = batch.positions[rows[i]] + 1;
      }
      const CacheRows& latents = cache_rows[row_chunk[i]];
      AttendRows({q_rows, n_keys, out_rows, count}, latents, width, latents, kv_lora_, softmax_scale_, scratch);
    }
  });
  // Each head's latent outputs through its W_UV, again as one batch; then into the rows' places in `out`.
  ScratchVector<float> absorbed_out(static_cast<size_t>(n * n_heads_ * v_head_));
  jobs.clear();
  for (int64_t h = 0; h < n_heads_; ++h) {
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(&latent_out[(i * n_heads_ + h) * kv_lora_], kv_lora_, &gathered[h * per_head + i * kv_lora_]);
    }
    jobs.push_back({l.v_b[h], &gathered[h * per_head], n, &absorbed_out[h * v_head_], n_heads_ * v_head_});
  }
  MatMulAll(jobs);
  const int64_t row_width = n_heads_ * v_head_;
  for (int64_t i = 0; i < n; ++i) std::copy_n(&absorbed_out[i * row_width], row_width, &out[rows[i] * row_width]);
}

void MlaAttention::Decompress(const MlaWeights& l, int64_t h0, int64_t count, const ScratchVector<float>& latents,
                              int64_t n_keys, float* keys, float* values) const {
  // All k_nope products first, then all v ones: jobs on the same input in a row share its quantization.
  std::vector<MatMulJob> jobs;
  std::vector<std::vector<float>> exact;  // the F32 matrices of exact mode, alive until the products ran
  const bool exact_mode = ExactMatMul();
  for (int64_t j = 0; j < count; ++j) {
    WeightMatrix w_uk;
    if (!exact_mode && l.uk.data != nullptr) {
      w_uk = l.uk.Rows((h0 + j) * nope_, nope_);
    } else {
      exact.push_back(Transposed(DequantizeAll(l.k_b[h0 + j]), kv_lora_, nope_));
      w_uk = F32Matrix(exact.back(), nope_, kv_lora_);
    }
    jobs.push_back({w_uk, latents.data(), n_keys, keys + j * qk_, count * qk_});
  }
  for (int64_t j = 0; j < count; ++j) {
    WeightMatrix w_uv = l.v_b[h0 + j];
    if (exact_mode) {
      exact.push_back(DequantizeAll(w_uv));
      w_uv = F32Matrix(exact.back(), v_head_, kv_lora_);
    }
    jobs.push_back({w_uv, latents.data(), n_keys, values + j * v_head_, count * v_head_});
  }
  MatMulAll(jobs);
}

void MlaAttention::Naive(const MlaWeights& l, int64_t layer, const ScratchVector<float>& q, const BatchRows& batch,
                         size_t chunk, ScratchVector<float>& out) const {
  KvCache& cache = *batch.chunks[chunk].cache;
  const int64_t first = batch.first_row[chunk], n = batch.rows(chunk), pos = batch.chunks[chunk].pos;
  const int64_t n_keys_total = pos + n;
  // The cached latents c_kv, contiguous: the input rows of the decompression products; and each position's k_pe.
  ScratchVector<float> latents(static_cast<size_t>(n_keys_total * kv_lora_));
  ScratchVector<float> k_pe(static_cast<size_t>(n_keys_total * rope_dim_));
  for (int64_t s = 0; s < n_keys_total; ++s) {
    cache.LoadK(layer, s, 0, kv_lora_, &latents[s * kv_lora_]);
    cache.LoadK(layer, s, kv_lora_, rope_dim_, &k_pe[s * rope_dim_]);
  }
  // Heads are decompressed a block at a time, so keys and values stay within about 64 MiB at any context.
  const int64_t per_head_bytes = n_keys_total * (qk_ + v_head_) * static_cast<int64_t>(sizeof(float));
  const int64_t block = std::clamp<int64_t>((int64_t{64} << 20) / per_head_bytes, 1, n_heads_);
  for (int64_t h0 = 0; h0 < n_heads_; h0 += block) {
    const int64_t count = std::min(block, n_heads_ - h0);
    ScratchVector<float> keys(static_cast<size_t>(n_keys_total * count * qk_));  // [k_nope | k_pe] per head, as q
    ScratchVector<float> values(static_cast<size_t>(n_keys_total * count * v_head_));
    Decompress(l, h0, count, latents, n_keys_total, keys.data(), values.data());
    for (int64_t s = 0; s < n_keys_total; ++s) {
      for (int64_t j = 0; j < count; ++j) {
        std::copy_n(&k_pe[s * rope_dim_], rope_dim_, &keys[(s * count + j) * qk_ + nope_]);
      }
    }
    ParallelFor(count, 1, [&](int64_t begin, int64_t end, int) {
      std::vector<const float*> q_rows(static_cast<size_t>(n));
      std::vector<float*> out_rows(static_cast<size_t>(n));
      std::vector<int64_t> n_keys(static_cast<size_t>(n));
      std::vector<float> scratch;
      for (int64_t j = begin; j < end; ++j) {
        const int64_t h = h0 + j;
        for (int64_t t = 0; t < n; ++t) {
          q_rows[t] = &q[((first + t) * n_heads_ + h) * qk_];
          out_rows[t] = &out[((first + t) * n_heads_ + h) * v_head_];
          n_keys[t] = pos + t + 1;
        }
        AttendRows({q_rows.data(), n_keys.data(), out_rows.data(), n}, &keys[j * qk_], count * qk_, qk_,
                   &values[j * v_head_], count * v_head_, v_head_, softmax_scale_, scratch);
      }
    });
  }
}

bool MlaAttention::PreferNaive(int64_t n, int64_t pos) const {
  // Multiply-adds per head: decompression of every key versus absorbing every query, plus the attention itself
  // (naive: nope+rope+v per key; absorbed: two passes over the kv_lora-wide latent).
  const double keys = static_cast<double>(pos + n), avg_keys = static_cast<double>(pos) + n / 2.0;
  const double project = static_cast<double>(kv_lora_ * (nope_ + v_head_));
  const double naive = keys * project + n * avg_keys * static_cast<double>(qk_ + v_head_);
  const double absorbed = n * project + n * avg_keys * static_cast<double>(2 * kv_lora_ + rope_dim_);
  return naive < absorbed;
}

void MlaAttention::Forward(const MlaWeights& l, int64_t layer, const float* xn, const BatchRows& batch, MlaMode mode,
                           float* x) const {
  const int64_t n = batch.n;
  const ScratchVector<float> q = Queries(l, xn, batch);
  CacheLatents(l, layer, xn, batch);
  ScratchVector<float> o(static_cast<size_t>(n * n_heads_ * v_head_));
  std::vector<size_t> absorbed;
  for (size_t ci = 0; ci < batch.chunks.size(); ++ci) {
    const bool naive =
        mode == MlaMode::kNaive || (mode == MlaMode::kAuto && PreferNaive(batch.rows(ci), batch.chunks[ci].pos));
    if (naive) {
      Naive(l, layer, q, batch, ci, o);
    } else {
      absorbed.push_back(ci);
    }
  }
  if (!absorbed.empty()) Absorbed(l, layer, q, batch, absorbed, o);
  ScratchVector<float> y(static_cast<size_t>(n * config_.dim));
  MatMul(l.wo, o.data(), n, y.data());
  AxpyF32(1.0f, y.data(), x, n * config_.dim);
}

}  // namespace baleen
