// Integer dot products of quantized weight rows with activations rounded to 8 bits, the way llama.cpp computes
// them: activations are quantized once per matmul call, then each block's products are summed in integers and
// scaled once. Kernels layer. Used by MatMul unless exact F32 math is asked for (matmul.h, SetExactMatMul).
#pragma once

#include <cstdint>
#include <vector>

#include "formats/ggml_type.h"
#include "kernels/cpu_features.h"

namespace baleen {

// Activations quantized per token in scale blocks of `block` elements: 32 (Q8_0-style, for the 32-element weight
// formats) or 256 (Q8_K-style, for the K-quants). Per block d = amax / 127 and q = round-to-nearest-even(x · 127 /
// amax), so every code lies in [-127, 127]; an all-zero block has d = 0 and zero codes.
struct QuantizedActivations {
  int block = 32;
  int64_t cols = 0;
  int64_t n_tokens = 0;
  std::vector<int8_t> qs;     // [n_tokens, cols]
  std::vector<float> d;       // [n_tokens, cols / block]
  std::vector<int16_t> sums;  // [n_tokens, cols / 16]: Σ qs over each 16 elements (the K-quants' bsums)
};

// One token of QuantizedActivations, as the kernels read it.
struct Q8Row {
  const int8_t* qs;     // [n]
  const float* d;       // [n / block]
  const int16_t* sums;  // [n / 16]
};

// Quantizes x [n_tokens, cols] (cols a multiple of block) into out, reusing its storage; parallel over tokens when
// there are many. The result is bit-identical at every ISA level.
void QuantizeActivations(const float* x, int64_t n_tokens, int64_t cols, int block, QuantizedActivations& out);
Q8Row TokenRow(const QuantizedActivations& act, int64_t t);

// One token's n elements: the scalar definition QuantizeActivations must equal.
void QuantizeActivationRowReference(const float* x, int64_t n, int block, int8_t* qs, float* d, int16_t* sums);

// out[t * ldo + r] = W[r] · x[t] for r < n_rows, t < n_tokens, where row r starts at w + r · row_bytes and holds n
// elements (whole weight blocks). Every (row, token) pair gets the same float result whatever n_rows and n_tokens
// are, so a prompt evaluated in one pass and token by token agree bit for bit.
using QuantTileFn = void (*)(const uint8_t* w, uint64_t row_bytes, int64_t n_rows, const Q8Row* x,
                             int64_t n_tokens, int64_t n, float* out, int64_t ldo);

struct QuantDotKernel {
  int act_block;     // the activation blocks the kernel reads: 32 or 256
  QuantTileFn tile;
};

// The integer kernel for weights of `type` at the given ISA level (default: the CPU's), or nullptr when the type
// has none. The kernel table lists the types (kernel_table.h): the legacy formats, MXFP4, the K-quants and the
// i-quants.
const QuantDotKernel* QuantDot(GgmlType type, IsaLevel level);
const QuantDotKernel* QuantDot(GgmlType type);

// The scalar reference of the same math: exact integer block sums, each scaled in double. The kernels differ from
// it only in the float rounding of the scaled sums.
double QuantDotReference(GgmlType type, const uint8_t* row, const Q8Row& x, int64_t n);

}  // namespace baleen
