// Dispatch from a GgmlType to its reference row kernels. Formats layer.
#include "formats/quants/quants.h"

#include "formats/quants/quants_internal.h"

namespace baleen {
namespace {

const quants::RowKernels* FindKernels(GgmlType type) {
  for (auto find : {quants::FindFloatKernels, quants::FindLegacyKernels, quants::FindKQuantKernels,
                    quants::FindIQuantKernels}) {
    if (const quants::RowKernels* kernels = find(type)) return kernels;
  }
  return nullptr;
}

Status CheckWholeBlocks(GgmlType type, int64_t n_elems) {
  const GgmlTypeInfo& info = GetGgmlTypeInfo(type);
  if (n_elems < 0 || n_elems % info.block_elems != 0) {
    return InvalidArgument(std::to_string(n_elems) + " elements is not a whole number of " + info.name +
                           " blocks of " + std::to_string(info.block_elems));
  }
  return Status::Ok();
}

}  // namespace

bool CanDequantize(GgmlType type) {
  const quants::RowKernels* kernels = FindKernels(type);
  return kernels != nullptr && kernels->dequantize != nullptr;
}

bool CanQuantize(GgmlType type) {
  const quants::RowKernels* kernels = FindKernels(type);
  return kernels != nullptr && kernels->quantize != nullptr;
}

Status DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n_elems) {
  if (!CanDequantize(type)) return Unimplemented(std::string("no dequantizer for type ") + GgmlTypeName(type));
  RETURN_IF_ERROR(CheckWholeBlocks(type, n_elems));
  FindKernels(type)->dequantize(src, dst, n_elems);
  return Status::Ok();
}

Status QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n_elems) {
  if (!CanQuantize(type)) return Unimplemented(std::string("no quantizer for type ") + GgmlTypeName(type));
  RETURN_IF_ERROR(CheckWholeBlocks(type, n_elems));
  FindKernels(type)->quantize(src, dst, n_elems);
  return Status::Ok();
}

}  // namespace baleen
