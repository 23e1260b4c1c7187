// Typed, shape-checked access to a model's tensors inside the mapped GGUF file. Models layer. Nothing is copied:
// a WeightMatrix points into the mapping, so resident memory follows the pages the forward pass touches.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"

namespace baleen {

class WeightLoader {
 public:
  // With `packs`, matrices are repacked into it where the kernels have a packed layout for them.
  explicit WeightLoader(const GgufModel& gguf, PackedWeights* packs = nullptr) : gguf_(gguf), packs_(packs) {}

  enum Packing { kPacking, kNoPacking };

  bool Has(const std::string& name) const { return gguf_.FindTensor(name) != nullptr; }
  // A 2-D matrix with dims {cols, rows}, or a 3-D stack {cols, rows, n} seen as n·rows rows (expert e is
  // Rows(e·rows, rows)). Errors name the tensor and the expected shape. kNoPacking: the matrix only serves row
  // lookups, so a packed copy would be wasted memory.
  Result<WeightMatrix> Matrix(const std::string& name, std::vector<int64_t> dims, Packing packing = kPacking) const;
  // m, built at load in memory the model owns, packed like a file's matrix (slices of rows_per_slice rows).
  WeightMatrix PackOwned(const WeightMatrix& m, int64_t rows_per_slice) const;
  // A 1-D tensor (norm weight, bias) of n elements in any type, converted to F32.
  Result<std::vector<float>> Vector(const std::string& name, int64_t n) const;

 private:
  Result<const GgufTensorInfo*> Find(const std::string& name, const std::vector<int64_t>& dims) const;

  const GgufModel& gguf_;
  PackedWeights* packs_;
};

// "blk.<layer>.<name>"
std::string BlockTensor(int64_t layer, const std::string& name);

}  // namespace baleen
