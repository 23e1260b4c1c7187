// AArch64 integer dot-product kernels with ARMv8.2's dotprod extension: SDOT adds four byte products into each
// 32-bit lane in one instruction. The kernels are quant_dot_neon_body.inc (as at the baseline level), compiled here
// for ARMv8.2 with dotprod (arm_neon.h declares SDOT for that target; every CPU with dotprod is ARMv8.2 or later).
// The target pragma covers this file's kernels, not the headers above it, so nothing the baseline code shares with
// this file (inline functions of the headers) can come out with v8.2 instructions in it.
#include <arm_neon.h>

#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "formats/quants/quants_k_blocks.h"  // UnpackQ3ScaleCode
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod")

namespace baleen::quant_internal {
namespace {

inline int32x4_t DotI8(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

#include "kernels/quant_dot_neon_body.inc"

}  // namespace
}  // namespace baleen::quant_internal

#pragma GCC pop_options

void baleen::kernel_columns::AddNeonDotDots(KernelColumn& column) { quant_internal::AddKernels(column); }
