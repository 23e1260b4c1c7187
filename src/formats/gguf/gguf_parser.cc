// GGUF v2/v3 parser: a bounds-checked cursor over the mapped bytes, then whole-file validation. Formats layer.
#include <algorithm>
#include <cstring>
#include <sstream>

#include "formats/gguf/gguf_file.h"

namespace baleen {
namespace {

// Limits that no real model comes near but that stop hostile files from exhausting memory or the stack.
constexpr uint64_t kMaxKeyBytes = 65535;
constexpr uint64_t kMaxTensorNameBytes = 4096;
constexpr int kMaxArrayDepth = 4;
constexpr uint64_t kMaxAlignment = 1u << 20;

bool IsRemovedTypeId(uint32_t id) { return id == 4 || id == 5 || (id >= 31 && id <= 33) || (id >= 36 && id <= 38); }

// Reads little-endian fields from a byte span; every read checks the remaining length.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return bytes_.size() - offset_; }

  Status Error(const std::string& field, const std::string& what) const {
    std::ostringstream out;
    out << name_ << ": " << field << ": " << what << " (at byte " << offset_ << " of " << bytes_.size() << ")";
    return DataLoss(out.str());
  }

  template <typename T>
  Result<T> Read(const std::string& field) {
    if (remaining() < sizeof(T)) return Error(field, "file ends inside this field (truncated file)");
    T v;
    std::memcpy(&v, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return v;
  }

  Result<const uint8_t*> Take(uint64_t n_bytes, const std::string& field) {
    if (n_bytes > remaining()) {
      return Error(field, "needs " + std::to_string(n_bytes) + " bytes but only " + std::to_string(remaining()) +
                              " remain (truncated or corrupt length)");
    }
    const uint8_t* p = bytes_.data() + offset_;
    offset_ += n_bytes;
    return p;
  }

  Result<std::string> ReadString(const std::string& field, uint64_t max_bytes) {
    ASSIGN_OR_RETURN(uint64_t length, Read<uint64_t>(field + " length"));
    if (length > max_bytes) {
      return Error(field, "string length " + std::to_string(length) + " exceeds the limit of " +
                              std::to_string(max_bytes));
    }
    ASSIGN_OR_RETURN(const uint8_t* p, Take(length, field));
    return std::string(reinterpret_cast<const char*>(p), length);
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  uint64_t offset_ = 0;
};

}  // namespace

class GgufParser {
 public:
  GgufParser(GgufFile& file) : file_(file), cursor_(file.bytes_, file.path_) {}

  Status Run() {
    RETURN_IF_ERROR(ParseHeader());
    RETURN_IF_ERROR(ParseMetadata());
    RETURN_IF_ERROR(ResolveAlignment());
    RETURN_IF_ERROR(ParseTensorInfos());
    return ValidateTensorData();
  }

 private:
  Status ParseHeader() {
    ASSIGN_OR_RETURN(uint32_t magic, cursor_.Read<uint32_t>("magic"));
    if (magic != kGgufMagic) return cursor_.Error("magic", "not a GGUF file (expected the bytes 'GGUF')");
    ASSIGN_OR_RETURN(uint32_t version, cursor_.Read<uint32_t>("version"));
    if (version == 0x02000000 || version == 0x03000000) {
      return Unimplemented(file_.path_ + ": version: big-endian GGUF files are not supported");
    }
    if (version == 1) {
      return Unimplemented(file_.path_ + ": version: GGUF v1 (32-bit counts) is obsolete; re-convert the model");
    }
    if (version != 2 && version != 3) {
      return cursor_.Error("version", "unsupported GGUF version " + std::to_string(version) + " (expected 2 or 3)");
    }
    file_.version_ = version;
    ASSIGN_OR_RETURN(n_tensors_, cursor_.Read<uint64_t>("tensor_count"));
    ASSIGN_OR_RETURN(n_kv_, cursor_.Read<uint64_t>("metadata_kv_count"));
    // Cheapest possible entries: a KV of an empty key and a u8 value is 13 bytes; a tensor info with an empty
    // name and one dimension is 32 bytes. Counts beyond that cannot fit in the file.
    if (n_kv_ > cursor_.remaining() / 13) {
      return cursor_.Error("metadata_kv_count", std::to_string(n_kv_) + " entries cannot fit in the file");
    }
    if (n_tensors_ > cursor_.remaining() / 32) {
      return cursor_.Error("tensor_count", std::to_string(n_tensors_) + " tensors cannot fit in the file");
    }
    return Status::Ok();
  }

  Status ParseMetadata() {
    file_.metadata_.reserve(n_kv_);
    for (uint64_t i = 0; i < n_kv_; ++i) {
      const std::string field = "metadata key #" + std::to_string(i);
      ASSIGN_OR_RETURN(std::string key, cursor_.ReadString(field, kMaxKeyBytes));
      if (key.empty()) return cursor_.Error(field, "empty key");
      const std::string value_field = "metadata '" + key + "'";
      ASSIGN_OR_RETURN(uint32_t type_id, cursor_.Read<uint32_t>(value_field + " type"));
      if (!IsValidGgufValueType(type_id)) {
        return cursor_.Error(value_field, "invalid value type " + std::to_string(type_id));
      }
      ASSIGN_OR_RETURN(GgufValue value, ParseValue(static_cast<GgufValueType>(type_id), value_field, 0));
      if (file_.key_index_.count(key) != 0) return cursor_.Error(value_field, "duplicate key");
      file_.key_index_.emplace(key, file_.metadata_.size());
      file_.metadata_.push_back({std::move(key), std::move(value)});
    }
    return Status::Ok();
  }

  Result<GgufValue> ParseValue(GgufValueType type, const std::string& field, int depth) {
    if (type == GgufValueType::kString) {
      ASSIGN_OR_RETURN(std::string s, cursor_.ReadString(field, cursor_.remaining()));
      return GgufValue::String(std::move(s));
    }
    if (type == GgufValueType::kArray) return ParseArray(field, depth);
    const size_t size = GgufScalarSize(type);
    ASSIGN_OR_RETURN(const uint8_t* p, cursor_.Take(size, field));
    if (type == GgufValueType::kBool && *p > 1) {
      return cursor_.Error(field, "BOOL value " + std::to_string(*p) + " is neither 0 nor 1");
    }
    return GgufValue::FromBytes(type, p);
  }

  Result<GgufValue> ParseArray(const std::string& field, int depth) {
    if (depth >= kMaxArrayDepth) return cursor_.Error(field, "arrays nested deeper than " +
                                                                 std::to_string(kMaxArrayDepth) + " levels");
    ASSIGN_OR_RETURN(uint32_t elem_type_id, cursor_.Read<uint32_t>(field + " element type"));
    if (!IsValidGgufValueType(elem_type_id)) {
      return cursor_.Error(field, "invalid array element type " + std::to_string(elem_type_id));
    }
    const auto elem_type = static_cast<GgufValueType>(elem_type_id);
    ASSIGN_OR_RETURN(uint64_t count, cursor_.Read<uint64_t>(field + " element count"));
    const uint64_t min_elem_bytes = elem_type == GgufValueType::kString  ? 8
                                    : elem_type == GgufValueType::kArray ? 12
                                                                         : GgufScalarSize(elem_type);
    if (count > cursor_.remaining() / min_elem_bytes) {
      return cursor_.Error(field, "array of " + std::to_string(count) + " " + GgufValueTypeName(elem_type) +
                                      " elements cannot fit in the file");
    }
    GgufArray array(elem_type);
    if (elem_type != GgufValueType::kString && elem_type != GgufValueType::kArray) {
      ASSIGN_OR_RETURN(const uint8_t* p, cursor_.Take(count * min_elem_bytes, field));
      if (elem_type == GgufValueType::kBool) {
        for (uint64_t i = 0; i < count; ++i) {
          if (p[i] > 1) return cursor_.Error(field + "[" + std::to_string(i) + "]", "BOOL value is neither 0 nor 1");
        }
      }
      array.AppendScalarBytes(p, count * min_elem_bytes);
      return GgufValue::Array(std::move(array));
    }
    array.Reserve(count, 0);
    for (uint64_t i = 0; i < count; ++i) {
      const std::string elem_field = field + "[" + std::to_string(i) + "]";
      if (elem_type == GgufValueType::kString) {
        ASSIGN_OR_RETURN(std::string s, cursor_.ReadString(elem_field, cursor_.remaining()));
        array.AppendString(s);
      } else {
        ASSIGN_OR_RETURN(GgufValue nested, ParseArray(elem_field, depth + 1));
        array.AppendArray(std::move(nested));
      }
    }
    return GgufValue::Array(std::move(array));
  }

  Status ResolveAlignment() {
    const GgufValue* value = file_.Find("general.alignment");
    if (value == nullptr) return Status::Ok();
    const std::string where = file_.path_ + ": metadata 'general.alignment'";
    if (value->type() != GgufValueType::kUint32) {
      return DataLoss(where + ": must be UINT32, found " + GgufValueTypeName(value->type()));
    }
    const uint64_t alignment = *value->AsUint();
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kMaxAlignment) {
      return DataLoss(where + ": " + std::to_string(alignment) + " is not a power of two up to " +
                      std::to_string(kMaxAlignment));
    }
    file_.alignment_ = static_cast<uint32_t>(alignment);
    return Status::Ok();
  }

  Status ParseTensorInfos() {
    file_.tensors_.reserve(n_tensors_);
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      ASSIGN_OR_RETURN(GgufTensorInfo info, ParseTensorInfo(i));
      if (file_.tensor_index_.count(info.name) != 0) {
        return cursor_.Error("tensor '" + info.name + "'", "duplicate tensor name");
      }
      file_.tensor_index_.emplace(info.name, file_.tensors_.size());
      file_.tensors_.push_back(std::move(info));
    }
    const uint64_t end_of_infos = cursor_.offset();
    file_.data_offset_ = (end_of_infos + file_.alignment_ - 1) / file_.alignment_ * file_.alignment_;
    return Status::Ok();
  }

  Result<GgufTensorInfo> ParseTensorInfo(uint64_t index) {
    GgufTensorInfo info;
    const std::string field = "tensor #" + std::to_string(index);
    ASSIGN_OR_RETURN(info.name, cursor_.ReadString(field + " name", kMaxTensorNameBytes));
    if (info.name.empty()) return cursor_.Error(field, "empty tensor name");
    const std::string where = "tensor '" + info.name + "'";
    ASSIGN_OR_RETURN(uint32_t n_dims, cursor_.Read<uint32_t>(where + " n_dims"));
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return cursor_.Error(where + " n_dims", std::to_string(n_dims) + " dimensions (expected 1 to 4)");
    }
    for (uint32_t d = 0; d < n_dims; ++d) {
      ASSIGN_OR_RETURN(uint64_t dim, cursor_.Read<uint64_t>(where + " dims[" + std::to_string(d) + "]"));
      if (dim > static_cast<uint64_t>(INT64_MAX)) {
        return cursor_.Error(where + " dims[" + std::to_string(d) + "]", "dimension " + std::to_string(dim) +
                                                                             " is out of range");
      }
      info.dims.push_back(static_cast<int64_t>(dim));
    }
    ASSIGN_OR_RETURN(uint32_t type_id, cursor_.Read<uint32_t>(where + " type"));
    RETURN_IF_ERROR(ResolveTensorType(type_id, where, info));
    ASSIGN_OR_RETURN(info.offset, cursor_.Read<uint64_t>(where + " offset"));
    if (info.offset % file_.alignment_ != 0) {
      return cursor_.Error(where + " offset", "offset " + std::to_string(info.offset) + " is not a multiple of the " +
                                                  std::to_string(file_.alignment_) + "-byte alignment");
    }
    return info;
  }

  Status ResolveTensorType(uint32_t type_id, const std::string& where, GgufTensorInfo& info) {
    const GgmlTypeInfo* type = FindGgmlType(type_id);
    if (type == nullptr) {
      const std::string why = IsRemovedTypeId(type_id)
                                  ? " was removed from the format (Q4_2/Q4_3/Q4_0_4_4-style types); re-quantize"
                                  : " is unknown (fork-only types such as ik_llama.cpp's *_R4 or IQ*_K are not "
                                    "supported)";
      return Unimplemented(file_.path_ + ": " + where + ": tensor type id " + std::to_string(type_id) + why);
    }
    info.type = type->type;
    Result<uint64_t> size = TensorBytes(info.type, info.dims);
    if (!size.ok()) return cursor_.Error(where + " shape " + info.ShapeString(), size.status().message());
    info.size_bytes = *size;
    return Status::Ok();
  }

  // Every tensor lies inside the data section, and no two tensors overlap.
  Status ValidateTensorData() {
    const uint64_t file_size = file_.bytes_.size();
    if (!file_.tensors_.empty() && file_.data_offset_ > file_size) {
      return DataLoss(file_.path_ + ": tensor data section starts at byte " + std::to_string(file_.data_offset_) +
                      " beyond the end of the file (" + std::to_string(file_size) + " bytes; truncated file)");
    }
    const uint64_t data_size = file_size > file_.data_offset_ ? file_size - file_.data_offset_ : 0;
    for (GgufTensorInfo& info : file_.tensors_) {
      if (info.offset > data_size || info.size_bytes > data_size - info.offset) {
        return DataLoss(file_.path_ + ": tensor '" + info.name + "' data [" + std::to_string(info.offset) + ", +" +
                        std::to_string(info.size_bytes) + ") extends past the end of the data section (" +
                        std::to_string(data_size) + " bytes; truncated file?)");
      }
      info.data = file_.bytes_.subspan(file_.data_offset_ + info.offset, info.size_bytes);
    }
    std::vector<const GgufTensorInfo*> by_offset;
    for (const GgufTensorInfo& info : file_.tensors_) by_offset.push_back(&info);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const GgufTensorInfo& prev = *by_offset[i - 1];
      if (prev.size_bytes > 0 && by_offset[i]->offset < prev.offset + prev.size_bytes) {
        return DataLoss(file_.path_ + ": tensor '" + by_offset[i]->name + "' overlaps tensor '" + prev.name + "'");
      }
    }
    return Status::Ok();
  }

  GgufFile& file_;
  Cursor cursor_;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
};

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(std::span<const uint8_t> bytes, const std::string& name) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = name;
  file->bytes_ = bytes;
  GgufParser parser(*file);
  RETURN_IF_ERROR(parser.Run());
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapping, MappedFile::Open(path));
  const std::span<const uint8_t> bytes = mapping->bytes();
  ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, Parse(bytes, path));
  file->mapping_ = std::move(mapping);
  return file;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  const auto it = key_index_.find(std::string(key));
  return it == key_index_.end() ? nullptr : &metadata_[it->second].value;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  const auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string GgufTensorInfo::ShapeString() const {
  std::string out = "{";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + "}";
}

}  // namespace baleen
