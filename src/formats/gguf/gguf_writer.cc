// GgufWriter: header, metadata, tensor infos, alignment padding, then tensor data, all little-endian. Formats layer.
#include "formats/gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/check.h"
#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_model.h"

namespace baleen {
namespace {

uint64_t AlignUp(uint64_t offset, uint64_t alignment) { return (offset + alignment - 1) / alignment * alignment; }

// Serializes into a byte buffer; the header of even a large model is a few megabytes.
class ByteSink {
 public:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void PutValue(const GgufValue& value) {
    if (const std::string* s = value.AsString()) return PutString(*s);
    if (const GgufArray* array = value.AsArray()) return PutArray(*array);
    PutScalar(value);
  }
  void PadTo(uint64_t alignment) { bytes_.resize(AlignUp(bytes_.size(), alignment), 0); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void PutScalar(const GgufValue& value) {
    switch (value.type()) {
      case GgufValueType::kUint8: return Put<uint8_t>(static_cast<uint8_t>(*value.AsUint()));
      case GgufValueType::kInt8: return Put<int8_t>(static_cast<int8_t>(*value.AsInt()));
      case GgufValueType::kUint16: return Put<uint16_t>(static_cast<uint16_t>(*value.AsUint()));
      case GgufValueType::kInt16: return Put<int16_t>(static_cast<int16_t>(*value.AsInt()));
      case GgufValueType::kUint32: return Put<uint32_t>(static_cast<uint32_t>(*value.AsUint()));
      case GgufValueType::kInt32: return Put<int32_t>(static_cast<int32_t>(*value.AsInt()));
      case GgufValueType::kFloat32: return Put<float>(static_cast<float>(*value.AsDouble()));
      case GgufValueType::kBool: return Put<uint8_t>(*value.AsBool() ? 1 : 0);
      case GgufValueType::kUint64: return Put<uint64_t>(*value.AsUint());
      case GgufValueType::kInt64: return Put<int64_t>(*value.AsInt());
      case GgufValueType::kFloat64: return Put<double>(*value.AsDouble());
      case GgufValueType::kString:
      case GgufValueType::kArray: break;
    }
    CHECK(false && "not a scalar");
  }
  void PutArray(const GgufArray& array) {
    Put<uint32_t>(static_cast<uint32_t>(array.element_type()));
    Put<uint64_t>(array.size());
    for (size_t i = 0; i < array.size(); ++i) {
      switch (array.element_type()) {
        case GgufValueType::kString: PutString(array.StringAt(i)); break;
        case GgufValueType::kArray: PutValue(array.ArrayAt(i)); break;
        default: PutScalar(array.ScalarAt(i)); break;
      }
    }
  }

  std::vector<uint8_t> bytes_;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

Status WriteAll(FILE* f, const uint8_t* data, size_t n, const std::string& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n) return IoError(path + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

void GgufWriter::Set(const std::string& key, GgufValue value) {
  for (KeyValue& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({key, std::move(value)});
}

bool GgufWriter::Remove(const std::string& key) {
  return std::erase_if(metadata_, [&](const KeyValue& kv) { return kv.key == key; }) > 0;
}

void GgufWriter::SetAlignment(uint32_t alignment) {
  CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0);
  alignment_ = alignment;
  if (alignment != kGgufDefaultAlignment) SetU32("general.alignment", alignment);
}

Status GgufWriter::AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims,
                             std::span<const uint8_t> data) {
  auto copy = std::make_shared<std::vector<uint8_t>>(data.begin(), data.end());
  return AddTensor(name, type, std::move(dims), [copy, name](std::span<uint8_t> out) -> Status {
    if (out.size() != copy->size()) {
      return InvalidArgument("tensor '" + name + "': data has " + std::to_string(copy->size()) + " bytes, shape needs " +
                             std::to_string(out.size()));
    }
    std::memcpy(out.data(), copy->data(), out.size());
    return Status::Ok();
  });
}

bool GgufWriter::RemoveTensor(const std::string& name) {
  return std::erase_if(tensors_, [&](const PendingTensor& t) { return t.name == name; }) > 0;
}

Status GgufWriter::AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, FillFn fill) {
  if (dims.empty() || dims.size() > kGgufMaxDims) {
    return InvalidArgument("tensor '" + name + "': needs 1 to 4 dimensions");
  }
  for (const PendingTensor& t : tensors_) {
    if (t.name == name) return InvalidArgument("tensor '" + name + "' added twice");
  }
  Result<uint64_t> size = TensorBytes(type, dims);
  if (!size.ok()) return size.status().WithContext("tensor '" + name + "'");
  tensors_.push_back({name, type, std::move(dims), *size, std::move(fill)});
  return Status::Ok();
}

Status GgufWriter::Write(const std::string& path) const { return WriteShard(path, metadata_, 0, tensors_.size()); }

Result<std::vector<std::string>> GgufWriter::WriteSplit(const std::string& prefix,
                                                        size_t max_tensors_per_shard) const {
  CHECK(max_tensors_per_shard > 0);
  const size_t n_shards = std::max<size_t>(1, (tensors_.size() + max_tensors_per_shard - 1) / max_tensors_per_shard);
  std::vector<std::string> paths;
  for (size_t i = 0; i < n_shards; ++i) {
    std::vector<KeyValue> metadata = i == 0 ? metadata_ : std::vector<KeyValue>{};
    if (i != 0 && alignment_ != kGgufDefaultAlignment) {
      metadata.push_back({"general.alignment", GgufValue::U32(alignment_)});
    }
    metadata.push_back({"split.no", GgufValue::U16(static_cast<uint16_t>(i))});
    metadata.push_back({"split.count", GgufValue::U16(static_cast<uint16_t>(n_shards))});
    metadata.push_back({"split.tensors.count", GgufValue::I32(static_cast<int32_t>(tensors_.size()))});
    const size_t first = i * max_tensors_per_shard;
    const size_t count = std::min(max_tensors_per_shard, tensors_.size() - std::min(first, tensors_.size()));
    paths.push_back(GgufShardPath(prefix, static_cast<int>(i + 1), static_cast<int>(n_shards)));
    RETURN_IF_ERROR(WriteShard(paths.back(), metadata, first, count));
  }
  return paths;
}

Status GgufWriter::WriteShard(const std::string& path, const std::vector<KeyValue>& metadata, size_t first_tensor,
                              size_t n_tensors) const {
  ByteSink header;
  header.Put<uint32_t>(kGgufMagic);
  header.Put<uint32_t>(3);
  header.Put<uint64_t>(n_tensors);
  header.Put<uint64_t>(metadata.size());
  for (const KeyValue& kv : metadata) {
    header.PutString(kv.key);
    header.Put<uint32_t>(static_cast<uint32_t>(kv.value.type()));
    header.PutValue(kv.value);
  }
  uint64_t offset = 0;
  for (size_t i = first_tensor; i < first_tensor + n_tensors; ++i) {
    const PendingTensor& t = tensors_[i];
    header.PutString(t.name);
    header.Put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) header.Put<int64_t>(d);
    header.Put<uint32_t>(static_cast<uint32_t>(t.type));
    header.Put<uint64_t>(offset);
    offset += AlignUp(t.size_bytes, alignment_);
  }
  header.PadTo(alignment_);

  // Written under a temporary name and renamed at the end, so a failed write never leaves a plausible-looking file.
  const std::string tmp_path = path + ".tmp";
  std::unique_ptr<FILE, FileCloser> f(std::fopen(tmp_path.c_str(), "wb"));
  if (!f) return IoError(tmp_path + ": cannot create: " + std::strerror(errno));
  RETURN_IF_ERROR(WriteAll(f.get(), header.bytes().data(), header.bytes().size(), path));
  std::vector<uint8_t> buffer;
  for (size_t i = first_tensor; i < first_tensor + n_tensors; ++i) {
    const PendingTensor& t = tensors_[i];
    buffer.assign(AlignUp(t.size_bytes, alignment_), 0);
    RETURN_IF_ERROR(t.fill(std::span<uint8_t>(buffer.data(), t.size_bytes)).WithContext(path));
    RETURN_IF_ERROR(WriteAll(f.get(), buffer.data(), buffer.size(), path));
  }
  if (std::fclose(f.release()) != 0) return IoError(tmp_path + ": write failed: " + std::strerror(errno));
  if (std::rename(tmp_path.c_str(), path.c_str()) != 0) {
    return IoError(path + ": cannot rename from " + tmp_path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace baleen
