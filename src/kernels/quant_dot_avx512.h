// Helpers shared by the AVX-512 VNNI integer kernels (quant_dot_avx512.cc: 32-element blocks and the quantizer;
// quant_dot_avx512_k.cc: K-quants). Kernels layer, private to those files.
#pragma once

#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"
#include "kernels/simd.h"  // the intrinsics

// AVX-512 BW for the byte and word operations, VL for their 256-bit forms, F16C for the block scales, FMA for the
// 128-bit multiply-adds.
#define BALEEN_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))

namespace baleen::quant_internal::avx512 {

BALEEN_VNNI inline float HalfAt(const uint8_t* p) { return _cvtsh_ss(Load16(p)); }

// [lo, hi] as one 512-bit vector.
BALEEN_VNNI inline __m512i Join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// 4 rows × 4 tokens: each weight vector unpacked feeds four tokens and each activation vector four rows.
constexpr int kRows = 4, kTokens = 4;

template <typename Kernel>
constexpr QuantDotKernel Make(int act_block) {
  return {act_block, RunTiles<Kernel, kRows, kTokens>};
}

}  // namespace baleen::quant_internal::avx512
