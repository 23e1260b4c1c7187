// The kernel table: for every tensor type with a fast path, one row naming its kernels (exact decode, integer dot
// product, fused decode-and-dot, packed layout and packed dot), one column per ISA level. Kernels layer. Each ISA
// file fills its column through one function listed in kernel_table.cc; a level's rows overlay the columns of every
// level up to it, so a level without a kernel of its own inherits the one below (AVX-512 without VNNI runs the AVX2
// integer kernels). Resolved once for KernelIsa(); MatMul asks the row which path to take.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/ggml_type.h"
#include "kernels/cpu_features.h"
#include "kernels/fast_decode.h"
#include "kernels/fused_dot.h"
#include "kernels/packed_rows.h"
#include "kernels/quant_dot.h"

namespace baleen {

// Rewrites one group of kPackRows rows (row i at src + i · row_bytes, `cols` elements each) into the packed layout.
using PackGroupFn = void (*)(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst);

// One type's kernels at one ISA level; a null function is "none" (a null decode means the reference decoder).
struct TypeKernels {
  GgmlType type = GgmlType::kF32;
  RowDecoder decode = nullptr;       // bit-exact with the reference decoder (fast_decode.h)
  QuantDotKernel dot{0, nullptr};    // integer dot products on 8-bit activations (quant_dot.h)
  FusedDotFn fused = nullptr;        // decode-and-dot for a few tokens (fused_dot.h)
  int packed_block_bytes = 0;        // the packed layout (packed_rows.h): bytes per weight block of a 16-row group
  PackGroupFn pack = nullptr;        // ... and its packer
  PackedDotKernel packed{0, nullptr};  // the dot product on that layout
};

// One ISA level's rows. Column fillers write the fields they provide and leave the others as the lower levels set
// them.
class KernelColumn {
 public:
  TypeKernels& Row(GgmlType type);  // added empty on first use
  const TypeKernels* Find(GgmlType type) const;
  std::span<const TypeKernels> rows() const { return rows_; }
  void Sort();

 private:
  std::vector<TypeKernels> rows_;
};

// type's row at KernelIsa() (resolved once), or nullptr when the type has no fast kernel.
const TypeKernels* KernelRow(GgmlType type);
// The same at an explicit level (the tests and benchmarks walk every level the CPU runs).
const TypeKernels* KernelRow(GgmlType type, IsaLevel level);
// Every row at a level, in type order.
std::span<const TypeKernels> KernelRows(IsaLevel level);
// The level whose column `level` overlays last: the one below, except kAvx512's, which is kAvx2 (kAvx2Vnni is a
// side branch), and kNeon's, which is kPortable (the ARM levels are a branch of their own). kPortable for kPortable.
IsaLevel LevelBelow(IsaLevel level);

// The column fillers, one per ISA file (and level), listed by level in kernel_table.cc.
namespace kernel_columns {
void AddPortableDecoders(KernelColumn& column);  // fast_decode.cc
void AddAvx2Decoders(KernelColumn& column);
void AddAvx512Decoders(KernelColumn& column);
void AddPortableDots(KernelColumn& column);        // quant_dot.cc
void AddPortableIQuantDots(KernelColumn& column);  // quant_dot_reference_iq.cc
void AddAvx2Dots(KernelColumn& column);            // quant_dot_avx2.cc
void AddAvx2IQuantDots(KernelColumn& column);      // quant_dot_avx2_iq.cc
void AddAvx2KQuantDots(KernelColumn& column);      // quant_dot_avx2_k.cc: Q2_K, Q3_K, IQ4_XS
void AddAvx512VnniDots(KernelColumn& column);      // quant_dot_avx512.cc
void AddAvx512VnniKQuantDots(KernelColumn& column);  // quant_dot_avx512_k.cc
void AddAvx512VnniKQuantDots2(KernelColumn& column);  // quant_dot_avx512_k2.cc: Q2_K, Q3_K, IQ4_XS
void AddAvx512VnniIQuantDots(KernelColumn& column);  // quant_dot_avx512_iq.cc
void AddAvx2Fused(KernelColumn& column);           // fused_dot.cc
void AddAvx512Fused(KernelColumn& column);
void AddPackedLayouts(KernelColumn& column);       // packed_rows.cc
void AddAvx2Packed(KernelColumn& column);          // packed_rows_avx2.cc
void AddAvx2VnniPacked(KernelColumn& column);
void AddAvx512VnniPacked(KernelColumn& column);    // packed_rows_avx512.cc
void AddNeonDots(KernelColumn& column);            // quant_dot_neon.cc (AArch64 only)
void AddNeonDotDots(KernelColumn& column);         // quant_dot_neon_dot.cc: the same with SDOT
}  // namespace kernel_columns

}  // namespace baleen
