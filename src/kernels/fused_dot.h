// Dot products of one quantized weight row with F32 activations without materializing the row: each weight is
// decoded in registers (exactly the reference's d·q) and multiplied at once. Kernels layer. Used for decode,
// where a row meets one token and a decode-then-dot round trip through memory would double the work.
#pragma once

#include <cstdint>

#include "formats/ggml_type.h"

namespace baleen {

// Σ_i W[i]·x[i] over n elements (whole blocks) of a row in `type`, or nullptr when the type has no fused kernel
// on this CPU.
using FusedDotFn = float (*)(const uint8_t* row, const float* x, int64_t n);
FusedDotFn FusedDot(GgmlType type);

}  // namespace baleen
