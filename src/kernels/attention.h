// Causal softmax attention of many query rows against one key/value head, as two blocked F32 products. Kernels
// layer. Each query row would otherwise take one dot product per key and one axpy per value row: here 4 query rows
// share every key and value vector loaded, up to 64 rows share each chunk of the cache while it is in L2 (all heads
// of an MLA layer, a GQA group's heads over a block of prompt tokens), and whole score rows are softmaxed at once.
#pragma once

#include <cstdint>
#include <vector>

namespace baleen {

struct AttentionRows {
  const float* const* q;  // [n_rows] query rows of d floats
  const int64_t* n_keys;  // [n_rows] keys row i attends to: the first n_keys[i] (causal), at least 1
  float* const* out;      // [n_rows] output rows of dv floats, overwritten
  int64_t n_rows = 0;
};

// Rows of a cache kept in blocks of 2^block_shift positions (a paged KV cache): row s starts `offset` elements into
// row (s mod 2^block_shift) of blocks[s >> block_shift], rows `ld` elements apart. Elements are F32, or F16 when
// `f16` is set. Rows inside one block are contiguous.
struct CacheRows {
  const void* const* blocks = nullptr;
  int block_shift = 0;
  int64_t ld = 0, offset = 0;
  bool f16 = false;

  template <typename E>
  const E* Row(int64_t s) const {
    return static_cast<const E*>(blocks[s >> block_shift]) + (s & ((int64_t{1} << block_shift) - 1)) * ld + offset;
  }
  // One past the last row of the block holding row s.
  int64_t BlockEnd(int64_t s) const { return ((s >> block_shift) + 1) << block_shift; }
};

// out_i = Σ_s softmax_s(scale · q_i · k_s) v_s over s < n_keys[i]; keys have d floats, values dv. `scratch` is reused
// across calls (scores of the rows). The arithmetic does not depend on how the rows are split into blocks. F16 rows are
// widened to F32 as they are loaded; keys and values must have the same element type.
void AttendRows(const AttentionRows& rows, const CacheRows& k, int64_t d, const CacheRows& v, int64_t dv, float scale,
                std::vector<float>& scratch);

// The same over contiguous rows: key s at k + s · ldk, value s at v + s · ldv.
void AttendRows(const AttentionRows& rows, const float* k, int64_t ldk, int64_t d, const float* v, int64_t ldv,
                int64_t dv, float scale, std::vector<float>& scratch);

}  // namespace baleen
