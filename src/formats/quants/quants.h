// Scalar reference (de)quantizers for every supported GGUF tensor type. Formats layer.
// These define the numerics: fast kernels in kernels/ are tested against them. Byte layouts are the ecosystem's.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "formats/ggml_type.h"

namespace baleen {

// True when DequantizeRow supports the type.
bool CanDequantize(GgmlType type);
// True when QuantizeRow supports the type.
bool CanQuantize(GgmlType type);

// Converts n_elems elements (a whole number of blocks) stored at src in `type`'s layout to floats at dst.
Status DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n_elems);

// Encodes n_elems floats (a whole number of blocks) into `type`'s layout at dst (RowBytes(type, n_elems) bytes).
Status QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n_elems);

}  // namespace baleen
