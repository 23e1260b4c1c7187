// ConvertHfToGguf and RequantizeGguf: a GgufWriter whose tensors are filled, one at a time, from the tensor plan
// (or the input GGUF) through EncodeTensor.
#include "formats/hf/hf_convert.h"

#include <memory>

#include "formats/gguf/gguf_writer.h"
#include "formats/hf/hf_config.h"
#include "formats/hf/hf_tensor_plan.h"
#include "formats/quants/quants.h"
#include "formats/safetensors/safetensors_checkpoint.h"

namespace baleen {
namespace {

// Reports progress as the writer asks each tensor for its bytes.
class ProgressCounter {
 public:
  ProgressCounter(const ConvertProgress& progress, size_t n_tensors, uint64_t total_bytes)
      : progress_(progress), n_tensors_(n_tensors), total_bytes_(total_bytes) {}
  void Next(const std::string& name, uint64_t size_bytes) {
    if (progress_) progress_(done_, n_tensors_, bytes_, total_bytes_, name);
    ++done_;
    bytes_ += size_bytes;
  }
  void Finish() {
    if (progress_) progress_(n_tensors_, n_tensors_, total_bytes_, total_bytes_, "");
  }

 private:
  const ConvertProgress& progress_;
  size_t n_tensors_, done_ = 0;
  uint64_t total_bytes_, bytes_ = 0;
};

void SetGeneral(GgufWriter& writer, const QuantRecipe& recipe, uint32_t native_file_type) {
  writer.SetU32("general.file_type", recipe.keep_native ? native_file_type : recipe.file_type);
  writer.SetU32("general.quantization_version", 2);
}

}  // namespace

Status ConvertHfToGguf(const std::string& dir, const std::string& out_path, const HfConvertOptions& options) {
  ASSIGN_OR_RETURN(HfConfig config, ReadHfConfig(dir, options.keep_mtp));
  ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsCheckpoint> checkpoint, SafetensorsCheckpoint::Open(dir));
  ASSIGN_OR_RETURN(HfTensorPlan plan, PlanHfTensors(config.shape, *checkpoint));
  GgufWriter writer;
  for (GgufKeyValue& kv : config.metadata) writer.Set(kv.key, std::move(kv.value));
  uint32_t native_file_type = 0;  // ALL_F32 unless a matrix is stored in 16 bits
  uint64_t total_bytes = 0;
  std::vector<std::pair<GgmlType, uint64_t>> types;
  for (const HfTensor& t : plan.tensors) {
    const GgmlType type = ChooseTensorType(options.recipe, t.name, t.dims, NativeType(t));
    if (type == GgmlType::kBF16) native_file_type = 32;
    if (type == GgmlType::kF16 && native_file_type == 0) native_file_type = 1;
    ASSIGN_OR_RETURN(uint64_t size, TensorBytes(type, t.dims));
    types.emplace_back(type, size);
    total_bytes += size;
  }
  SetGeneral(writer, options.recipe, native_file_type);
  for (const GgufKeyValue& kv : options.extra_metadata) writer.Set(kv.key, kv.value);

  ProgressCounter counter(options.progress, plan.tensors.size(), total_bytes);
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const HfTensor& t = plan.tensors[i];
    const GgmlType type = types[i].first;
    const uint64_t size = types[i].second;
    GgufWriter::FillFn fill = [&plan, &t, type, size, &counter](std::span<uint8_t> out) -> Status {
      counter.Next(t.name, size);
      const bool raw = type == NativeType(t) && t.op == HfTensorOp::kCopy && t.sources[0].scale_inv == nullptr &&
                       t.sources[0].tensor->data.size() == out.size();
      if (raw) {  // stored as it will be written (BF16 -> BF16, integers): copy the bytes exactly
        std::copy(t.sources[0].tensor->data.begin(), t.sources[0].tensor->data.end(), out.begin());
        return Status::Ok();
      }
      auto rows = [&plan, &t](int64_t begin, int64_t n, float* dst) { return ReadHfRows(plan, t, begin, n, dst); };
      return EncodeTensor(type, t.row_length(), t.n_rows(), rows, out).WithContext("tensor '" + t.name + "'");
    };
    RETURN_IF_ERROR(writer.AddTensor(t.name, type, t.dims, std::move(fill)));
  }
  RETURN_IF_ERROR(writer.Write(out_path));
  counter.Finish();
  return Status::Ok();
}

Status RequantizeGguf(const GgufModel& in, const std::string& out_path, const QuantRecipe& recipe,
                      const ConvertProgress& progress) {
  GgufWriter writer;
  for (const GgufKeyValue& kv : in.first().metadata()) {
    if (kv.key.rfind("split.", 0) == 0 || kv.key == "general.file_type" || kv.key == "general.alignment") continue;
    writer.Set(kv.key, kv.value);
  }
  uint64_t total_bytes = 0;
  std::vector<std::pair<GgmlType, uint64_t>> types;
  for (const GgufTensorInfo* t : in.tensors()) {
    const GgmlType type = ChooseTensorType(recipe, t->name, t->dims, t->type);
    ASSIGN_OR_RETURN(uint64_t size, TensorBytes(type, t->dims));
    types.emplace_back(type, size);
    total_bytes += size;
  }
  SetGeneral(writer, recipe, 0);
  ProgressCounter counter(progress, in.tensors().size(), total_bytes);
  for (size_t i = 0; i < in.tensors().size(); ++i) {
    const GgufTensorInfo& t = *in.tensors()[i];
    const GgmlType type = types[i].first;
    const uint64_t size = types[i].second;
    GgufWriter::FillFn fill = [&t, type, size, &counter](std::span<uint8_t> out) -> Status {
      counter.Next(t.name, size);
      if (type == t.type) {
        std::copy(t.data.begin(), t.data.end(), out.begin());
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(uint64_t in_row_bytes, RowBytes(t.type, t.dims[0]));
      auto rows = [&t, in_row_bytes](int64_t begin, int64_t n, float* dst) -> Status {
        for (int64_t r = 0; r < n; ++r) {
          RETURN_IF_ERROR(DequantizeRow(t.type, t.data.data() + static_cast<uint64_t>(begin + r) * in_row_bytes,
                                        dst + r * t.dims[0], t.dims[0]));
        }
        return Status::Ok();
      };
      int64_t n_rows = 1;
      for (size_t d = 1; d < t.dims.size(); ++d) n_rows *= t.dims[d];
      return EncodeTensor(type, t.dims[0], n_rows, rows, out).WithContext("tensor '" + t.name + "'");
    };
    RETURN_IF_ERROR(writer.AddTensor(t.name, type, t.dims, std::move(fill)));
  }
  RETURN_IF_ERROR(writer.Write(out_path));
  counter.Finish();
  return Status::Ok();
}

}  // namespace baleen
