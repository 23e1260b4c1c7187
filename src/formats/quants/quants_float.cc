// Reference conversions between float and the plain GGUF element types: F32, F16, BF16, F64 and I8..I64.
// Formats layer. Only the float types have encoders; integer tensors (token ids, expert maps) are never quantized.
#include <cstdint>

#include "base/float16.h"
#include "formats/quants/quants_internal.h"
#include "formats/quants/quants_scalar.h"

namespace baleen::quants {
namespace {

// F32, F64 and the integer types convert by value: static_cast rounds to nearest even, as numpy and ggml do, and
// turns out-of-range doubles into +-inf.
template <typename T>
void DequantizeByCast(const void* src, float* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) dst[i] = static_cast<float>(LoadAt<T>(src, i));
}

void DequantizeF16(const void* src, float* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) dst[i] = Fp16ToFloat(LoadAt<uint16_t>(src, i));
}

void DequantizeBF16(const void* src, float* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) dst[i] = Bf16ToFloat(LoadAt<uint16_t>(src, i));
}

void QuantizeF32(const float* src, void* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) StoreAt(src[i], dst, i);
}

// Both 16-bit encoders round to nearest even and keep inf and NaN (see base/float16.h).
void QuantizeF16(const float* src, void* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) StoreAt(FloatToFp16(src[i]), dst, i);
}

void QuantizeBF16(const float* src, void* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems; ++i) StoreAt(FloatToBf16(src[i]), dst, i);
}

constexpr TypeKernels kFloatKernels[] = {
    {GgmlType::kF32, {DequantizeByCast<float>, QuantizeF32}},
    {GgmlType::kF16, {DequantizeF16, QuantizeF16}},
    {GgmlType::kBF16, {DequantizeBF16, QuantizeBF16}},
    {GgmlType::kF64, {DequantizeByCast<double>, nullptr}},
    {GgmlType::kI8, {DequantizeByCast<int8_t>, nullptr}},
    {GgmlType::kI16, {DequantizeByCast<int16_t>, nullptr}},
    {GgmlType::kI32, {DequantizeByCast<int32_t>, nullptr}},
    {GgmlType::kI64, {DequantizeByCast<int64_t>, nullptr}},
};

}  // namespace

const RowKernels* FindFloatKernels(GgmlType type) { return FindInTable(kFloatKernels, type); }

}  // namespace baleen::quants
