// AArch64 integer dot-product kernels on baseline Advanced SIMD (every AArch64 CPU): each 16 byte products by two
// widening multiplies (SMULL, SMULL2) into 16-bit lanes, added pairwise into 32-bit ones (SADALP). The kernels
// themselves are quant_dot_neon_body.inc, shared with the SDOT level (quant_dot_neon_dot.cc).
#include <arm_neon.h>

#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "formats/quants/quants_k_blocks.h"  // UnpackQ3ScaleCode
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen::quant_internal {
namespace {

// A product of two signed bytes fits 16 bits (at most 128 · 128); the pairwise add widens before summing two.
inline int32x4_t DotI8(int32x4_t acc, int8x16_t a, int8x16_t b) {
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_high_s8(a, b));
}

#include "kernels/quant_dot_neon_body.inc"

}  // namespace
}  // namespace baleen::quant_internal

void baleen::kernel_columns::AddNeonDots(KernelColumn& column) { quant_internal::AddKernels(column); }
