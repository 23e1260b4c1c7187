// Tensor lookup with shape and type checks, so the forward pass can trust every view it is given.
#include "models/weights.h"

#include "formats/quants/quants.h"

namespace baleen {
namespace {

std::string Shape(const std::vector<int64_t>& dims) {
  std::string s = "{";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "}";
}

}  // namespace

std::string BlockTensor(int64_t layer, const std::string& name) {
  return "blk." + std::to_string(layer) + "." + name;
}

Result<const GgufTensorInfo*> WeightLoader::Find(const std::string& name, const std::vector<int64_t>& dims) const {
  const GgufTensorInfo* info = gguf_.FindTensor(name);
  if (info == nullptr) return NotFound("model file has no tensor '" + name + "' (expected " + Shape(dims) + ")");
  if (info->dims != dims) {
    return InvalidArgument("tensor '" + name + "' has shape " + info->ShapeString() + ", expected " + Shape(dims));
  }
  if (!CanDequantize(info->type)) {
    return Unimplemented("tensor '" + name + "' has type " + GgmlTypeName(info->type) +
                         ", which Baleen cannot compute with");
  }
  return info;
}

Result<WeightMatrix> WeightLoader::Matrix(const std::string& name, std::vector<int64_t> dims, Packing packing) const {
  ASSIGN_OR_RETURN(const GgufTensorInfo* info, Find(name, dims));
  ASSIGN_OR_RETURN(uint64_t row_bytes, RowBytes(info->type, dims[0]));
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  const WeightMatrix w{info->type, info->data.data(), dims[0], rows, row_bytes};
  // A stack is used one slice of dims[1] rows at a time (an expert, a head), which must start on a group boundary.
  return packs_ != nullptr && packing == kPacking ? packs_->Pack(w, dims[1]) : w;
}

WeightMatrix WeightLoader::PackOwned(const WeightMatrix& m, int64_t rows_per_slice) const {
  return packs_ != nullptr ? packs_->Pack(m, rows_per_slice, PackedWeights::kOwned) : m;
}

Result<std::vector<float>> WeightLoader::Vector(const std::string& name, int64_t n) const {
  ASSIGN_OR_RETURN(const GgufTensorInfo* info, Find(name, {n}));
  std::vector<float> values(static_cast<size_t>(n));
  RETURN_IF_ERROR(DequantizeRow(info->type, info->data.data(), values.data(), n).WithContext("tensor '" + name + "'"));
  return values;
}

}  // namespace baleen
