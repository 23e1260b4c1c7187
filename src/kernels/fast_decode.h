// Vectorizable row decoders for the formats real models use most (F16, BF16, Q8_0, Q4_K, Q6_K), compiled for
// AVX-512, AVX2 and baseline x86-64 (the kernel table's decode column at each level). Kernels layer. Each produces
// exactly the values of the scalar reference in formats/quants (same operations, same order, no contraction);
// kernels_test checks it.
#pragma once

#include <cstdint>

#include "formats/ggml_type.h"

namespace baleen {

// A decoder of n elements (whole blocks) from src to dst, or nullptr when the type has no fast decoder.
using RowDecoder = void (*)(const uint8_t* src, float* dst, int64_t n);
RowDecoder FastRowDecoder(GgmlType type);

}  // namespace baleen
