// OpenHfModel: the tensor plan materialized (views where possible, decoded buffers otherwise) into a GgufModel.
#include "formats/hf/hf_model.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/float16.h"
#include "formats/hf/hf_config.h"
#include "formats/hf/hf_tensor_plan.h"
#include "formats/safetensors/safetensors_checkpoint.h"

namespace baleen {
namespace {

struct AlignedFree {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, AlignedFree>;

// What the assembled file keeps alive: the shard mappings and every decoded tensor.
struct HfStorage {
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  std::vector<AlignedBuffer> buffers;
};

Result<AlignedBuffer> Allocate(uint64_t size_bytes, const std::string& name) {
  const uint64_t rounded = (std::max<uint64_t>(size_bytes, 1) + 63) / 64 * 64;  // GGUF's alignment, and then some
  AlignedBuffer buffer(static_cast<uint8_t*>(std::aligned_alloc(64, rounded)));
  if (!buffer) return ResourceExhausted(name + ": cannot allocate " + std::to_string(size_bytes) + " bytes");
  return buffer;
}

// Decodes a tensor into its native type, a bounded number of rows at a time.
Status Materialize(const HfTensorPlan& plan, const HfTensor& t, GgmlType type, uint8_t* out) {
  const int64_t cols = t.row_length(), rows = t.n_rows();
  if (t.op == HfTensorOp::kCopy && t.sources[0].scale_inv == nullptr && NativeType(t) != GgmlType::kF32 &&
      NativeType(t) != GgmlType::kBF16) {
    std::memcpy(out, t.sources[0].tensor->data.data(), t.sources[0].tensor->data.size());  // integers, F16
    return Status::Ok();
  }
  const int64_t chunk = std::max<int64_t>(1, (1 << 20) / std::max<int64_t>(cols, 1));
  std::vector<float> values(static_cast<size_t>(std::min(chunk, rows) * cols));
  for (int64_t r = 0; r < rows; r += chunk) {
    const int64_t n = std::min(chunk, rows - r);
    RETURN_IF_ERROR(ReadHfRows(plan, t, r, n, values.data()));
    const size_t count = static_cast<size_t>(n * cols), first = static_cast<size_t>(r * cols);
    if (type == GgmlType::kF32) {
      std::memcpy(out + first * 4, values.data(), count * 4);
    } else {
      for (size_t i = 0; i < count; ++i) {
        const uint16_t h = type == GgmlType::kBF16 ? FloatToBf16(values[i]) : FloatToFp16(values[i]);
        std::memcpy(out + (first + i) * 2, &h, 2);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsModelFolder(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

Result<std::unique_ptr<GgufModel>> OpenHfModel(const std::string& dir) {
  ASSIGN_OR_RETURN(HfConfig config, ReadHfConfig(dir, /*keep_mtp=*/false));
  auto storage = std::make_shared<HfStorage>();
  ASSIGN_OR_RETURN(storage->checkpoint, SafetensorsCheckpoint::Open(dir));
  ASSIGN_OR_RETURN(HfTensorPlan plan, PlanHfTensors(config.shape, *storage->checkpoint));
  std::vector<GgufTensorInfo> infos;
  for (const HfTensor& t : plan.tensors) {
    GgufTensorInfo info;
    info.name = t.name;
    info.type = NativeType(t);
    info.dims = t.dims;
    ASSIGN_OR_RETURN(info.size_bytes, RowBytes(info.type, t.row_length()));
    info.size_bytes *= static_cast<uint64_t>(t.n_rows());
    if (IsZeroCopy(t)) {
      info.data = t.sources[0].tensor->data;
    } else {
      ASSIGN_OR_RETURN(AlignedBuffer buffer, Allocate(info.size_bytes, t.name));
      RETURN_IF_ERROR(Materialize(plan, t, info.type, buffer.get()).WithContext(dir));
      info.data = std::span<const uint8_t>(buffer.get(), info.size_bytes);
      storage->buffers.push_back(std::move(buffer));
    }
    infos.push_back(std::move(info));
  }
  const uint64_t size_bytes = storage->checkpoint->total_file_bytes();
  ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file,
                   GgufFile::Assemble(dir, std::move(config.metadata), std::move(infos), storage, size_bytes));
  return GgufModel::FromFile(std::move(file));
}

Result<std::unique_ptr<GgufModel>> OpenModelPath(const std::string& path) {
  if (IsModelFolder(path)) return OpenHfModel(path);
  if (IsPickleCheckpointName(path)) return PickleRefusal(path);
  return GgufModel::Open(path);
}

}  // namespace baleen
