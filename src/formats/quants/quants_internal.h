// Per-family kernel tables behind quants.h. Formats layer, private to src/formats/quants/.
#pragma once

#include <cstdint>

#include "formats/ggml_type.h"

namespace baleen::quants {

// Row functions work on whole blocks: n_elems is a multiple of the type's block size (checked by the caller).
using DequantizeFn = void (*)(const void* src, float* dst, int64_t n_elems);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n_elems);

struct RowKernels {
  DequantizeFn dequantize = nullptr;
  QuantizeFn quantize = nullptr;  // nullptr: no quantizer for this type
};

// Each family returns its kernels for `type`, or nullptr when the type is not one of its own.
const RowKernels* FindFloatKernels(GgmlType type);   // F32, F16, BF16, F64, I8..I64      (quants_float.cc)
const RowKernels* FindLegacyKernels(GgmlType type);  // Q4_0..Q8_1, IQ4_NL, MXFP4        (quants_legacy.cc)
const RowKernels* FindKQuantKernels(GgmlType type);  // Q2_K..Q8_K                       (quants_k.cc)
const RowKernels* FindIQuantKernels(GgmlType type);  // IQ1_S..IQ3_S, IQ4_XS, TQ1_0/TQ2_0 (quants_iq.cc)

}  // namespace baleen::quants
