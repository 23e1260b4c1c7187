// AVX2 and AVX-VNNI kernels for weights packed 16 rows to a group (the layouts of packed_rows.cc, shared with AVX-512
// VNNI), compiled from packed_rows_avx2_body.inc once per target, and their kernel-table columns. Kernels layer. A
// 256-bit vector is one half of a 64-byte layout vector: four consecutive codes of each of 8 rows, so lane i of every
// accumulator is row 8h + i of half h and nothing ends in a horizontal sum. Four activation codes broadcast to all
// lanes meet the codes through VPMADDUBSW (unsigned × signed into 16-bit pair sums), and VPMADDWD with the rows'
// sub-block scales, each repeated in both 16-bit halves of its row's lane, scales and widens them in one instruction
// (AVX-VNNI: one VPDPBUSD into 32 bits, then VPMULLD). The unpacked AVX2 kernels spend as many instructions again on
// extracting scalar scales, broadcasting them and summing lanes; here a block's scales of 8 rows are one load.
#include <cstring>

#include "kernels/kernel_table.h"
#include "kernels/packed_rows.h"
#include "kernels/quant_dot_internal.h"
#include "kernels/simd.h"

namespace baleen::quant_internal {
namespace {

// A function gets its target where it is defined, so the kernels' text is included once per target.
namespace avx2 {
constexpr bool kVnni = false;
#define BALEEN_PACKED __attribute__((target("avx2,fma,f16c")))
#include "kernels/packed_rows_avx2_body.inc"
#undef BALEEN_PACKED
}  // namespace avx2

namespace avx2_vnni {
constexpr bool kVnni = true;
#define BALEEN_PACKED __attribute__((target("avx2,fma,f16c,avxvnni")))
#include "kernels/packed_rows_avx2_body.inc"
#undef BALEEN_PACKED
}  // namespace avx2_vnni

}  // namespace
}  // namespace baleen::quant_internal

namespace baleen::kernel_columns {

void AddAvx2Packed(KernelColumn& column) { quant_internal::avx2::FillPacked(column); }
void AddAvx2VnniPacked(KernelColumn& column) { quant_internal::avx2_vnni::FillPacked(column); }

}  // namespace baleen::kernel_columns
