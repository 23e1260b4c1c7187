// Block loops written so the compiler vectorizes them (fixed trip counts, no cross-iteration dependence). The
// layouts are the ecosystem's (formats/quants/quants_k_blocks.h documents the bit positions).
#include "formats/quants/strict_fp.h"  // first: no FMA contraction, so values equal the reference decoders'

#include "kernels/fast_decode.h"

#include <cstring>

#include "base/float16.h"
#include "formats/quants/quants_k_blocks.h"
#include "kernels/kernel_table.h"

namespace baleen {
namespace {

// The loops are written once, always inlined into one wrapper per ISA level below (each with that level's target), so
// each level's column gets a build vectorized for it, chosen by KernelIsa() like every kernel. (target_clones would
// pick by CPU model, ignore BALEEN_ISA, and on AMD CPUs fall back to the baseline build.)
#define BALEEN_DECODER [[gnu::always_inline]] inline

uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

BALEEN_DECODER void DecodeF16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFloat(Load16(src + 2 * i));
}

BALEEN_DECODER void DecodeBF16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFloat(Load16(src + 2 * i));
}

// Q8_0: f16 d, int8 qs[32]; x = d · q.
BALEEN_DECODER void DecodeQ8_0(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, src += 34, dst += 32) {
    const float d = Fp16ToFloat(Load16(src));
    const int8_t* qs = reinterpret_cast<const int8_t*>(src + 2);
    for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(qs[j]) * d;
  }
}

// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) pairs, 128 bytes of nibbles; per 64-element chunk the low
// nibbles of 32 bytes hold the first 32 elements and the high nibbles the next 32; x = (d·sc)·q − (dmin·m).
BALEEN_DECODER void DecodeQ4_K(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 144, dst += 256) {
    const float d = Fp16ToFloat(Load16(src)), dmin = Fp16ToFloat(Load16(src + 2));
    const uint8_t* scales = src + 4;
    const uint8_t* qs = src + 16;
    for (int chunk = 0; chunk < 4; ++chunk) {
      const quants::ScaleMin lo = quants::UnpackScaleMin(scales, 2 * chunk);
      const quants::ScaleMin hi = quants::UnpackScaleMin(scales, 2 * chunk + 1);
      const float scale0 = d * static_cast<float>(lo.scale), min0 = dmin * static_cast<float>(lo.min);
      const float scale1 = d * static_cast<float>(hi.scale), min1 = dmin * static_cast<float>(hi.min);
      const uint8_t* q = qs + 32 * chunk;
      float* out = dst + 64 * chunk;
      for (int l = 0; l < 32; ++l) out[l] = scale0 * static_cast<float>(q[l] & 0xF) - min0;
      for (int l = 0; l < 32; ++l) out[32 + l] = scale1 * static_cast<float>(q[l] >> 4) - min1;
    }
  }
}

// Q6_K: 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 int8 scales, f16 d; codes carry a bias of 32;
// x = (d·scale)·(q − 32). Each 128-element half: quarter k of element l takes its low nibble from byte
// 32·(k mod 2) + l (low half for k < 2, high for k ≥ 2) and its high pair from bits 2k of qh[l].
BALEEN_DECODER void DecodeQ6_K(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 210, dst += 256) {
    const float d = Fp16ToFloat(Load16(src + 208));
    const int8_t* scales = reinterpret_cast<const int8_t*>(src + 192);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = src + 64 * half;
      const uint8_t* qh = src + 128 + 32 * half;
      float* out = dst + 128 * half;
      for (int quarter = 0; quarter < 4; ++quarter) {
        const uint8_t* low = ql + 32 * (quarter % 2);
        const int shift = 4 * (quarter / 2);
        for (int part = 0; part < 2; ++part) {  // 16 elements per scale
          const float scale = d * static_cast<float>(scales[8 * half + 2 * quarter + part]);
          for (int l = 16 * part; l < 16 * part + 16; ++l) {
            const int q = ((low[l] >> shift) & 0xF) | (((qh[l] >> (2 * quarter)) & 3) << 4);
            out[32 * quarter + l] = scale * static_cast<float>(q - 32);
          }
        }
      }
    }
  }
}

// One wrapper per level; kDecode is inlined into it and vectorized for its target.
struct Portable {
  template <RowDecoder kDecode>
  static void Decode(const uint8_t* src, float* dst, int64_t n) { kDecode(src, dst, n); }
};

#if defined(__x86_64__)
struct Avx2 {
  template <RowDecoder kDecode>
  __attribute__((target("avx2,fma"))) static void Decode(const uint8_t* src, float* dst, int64_t n) {
    kDecode(src, dst, n);
  }
};

struct Avx512 {
  template <RowDecoder kDecode>
  __attribute__((target("avx512f"))) static void Decode(const uint8_t* src, float* dst, int64_t n) {
    kDecode(src, dst, n);
  }
};
#endif  // defined(__x86_64__)

template <typename Level>
void AddDecoders(KernelColumn& column) {
  column.Row(GgmlType::kF16).decode = Level::template Decode<DecodeF16>;
  column.Row(GgmlType::kBF16).decode = Level::template Decode<DecodeBF16>;
  column.Row(GgmlType::kQ8_0).decode = Level::template Decode<DecodeQ8_0>;
  column.Row(GgmlType::kQ4_K).decode = Level::template Decode<DecodeQ4_K>;
  column.Row(GgmlType::kQ6_K).decode = Level::template Decode<DecodeQ6_K>;
}

}  // namespace

void kernel_columns::AddPortableDecoders(KernelColumn& column) { AddDecoders<Portable>(column); }
#if defined(__x86_64__)
void kernel_columns::AddAvx2Decoders(KernelColumn& column) { AddDecoders<Avx2>(column); }
void kernel_columns::AddAvx512Decoders(KernelColumn& column) { AddDecoders<Avx512>(column); }
#endif

RowDecoder FastRowDecoder(GgmlType type) {
  const TypeKernels* row = KernelRow(type);
  return row != nullptr ? row->decode : nullptr;
}

}  // namespace baleen
