// x86 SIMD intrinsics for the kernels, and the small helpers their AVX-512 and AVX2 variants share. Kernels layer.
// Empty on other architectures, where the files that include it compile only their portable paths.
#pragma once

#if defined(__x86_64__)

// GCC 12 warns inside its own AVX-512 headers (the undefined-vector idiom of some conversion intrinsics).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

namespace baleen::simd {

// init + the lanes of v, added in lane order (a fixed order, so results do not depend on the shuffle sequence).
__attribute__((target("avx512f"))) inline float HorizontalSum(__m512 v, float init = 0.0f) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  for (float lane : lanes) init += lane;
  return init;
}

__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v, float init = 0.0f) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  for (float lane : lanes) init += lane;
  return init;
}

}  // namespace baleen::simd

#endif  // defined(__x86_64__)
