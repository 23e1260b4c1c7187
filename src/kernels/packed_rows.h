// Weights repacked at load into groups of 16 interleaved rows, for the packed integer kernels (AVX-512 VNNI, AVX-VNNI,
// AVX2). Kernels layer.
// In GGUF order one vector of weights holds 64 codes of one row, so every row·token product ends in a horizontal
// sum and every block's scale is applied to a scalar. Interleaved, a vector holds four consecutive codes of each of
// 16 rows: one VPDPBUSD against four activation codes broadcast to all lanes advances 16 rows at once, lane i is row
// i from the first block to the output, and a block's 16 scales are one contiguous load. Decoding reads the same
// bytes as before (Q8_0) or 2-3% more (Q4_K, Q5_K); prompts get several times the multiply-adds per instruction.
#pragma once

#include <cstdint>

#include "formats/ggml_type.h"
#include "kernels/quant_dot.h"

namespace baleen {

inline constexpr int64_t kPackRows = 16;

// Whether PackRows handles `type` with rows of `cols` elements on this CPU (the kernel table's row has a packed
// kernel at KernelIsa()), for a matrix of `rows` rows (a multiple of kPackRows).
bool CanPackRows(GgmlType type, int64_t rows, int64_t cols);

// Bytes of one packed group of kPackRows rows.
uint64_t PackedGroupBytes(GgmlType type, int64_t cols);

// Rewrites rows [0, rows) of src (GGUF row order, row r at src + r · row_bytes) into dst, which holds
// rows / kPackRows · PackedGroupBytes bytes. Lossless: every code, scale and min is kept.
void PackRows(GgmlType type, const uint8_t* src, uint64_t row_bytes, int64_t rows, int64_t cols, uint8_t* dst);

// out[t · ldo + 16g + i] = row i of group g · token t, for the n_groups consecutive groups at `groups` (group g at
// groups + g · group_bytes), i < kPackRows and t < n_tokens; n = cols. The same integer block sums as
// QuantDotReference, scaled and summed in float in block order: every (row, token) pair gets the same result
// whatever n_groups and n_tokens are.
using PackedTileFn = void (*)(const uint8_t* groups, uint64_t group_bytes, int64_t n_groups, const Q8Row* x,
                              int64_t n_tokens, int64_t n, float* out, int64_t ldo);

struct PackedDotKernel {
  int act_block;  // the activation blocks the kernel reads: 32 or 256
  PackedTileFn tile;
};

// The kernel for packed weights of `type`, or nullptr (CanPackRows is false for every such type).
const PackedDotKernel* PackedDot(GgmlType type);

}  // namespace baleen
