// SafetensorsFile: header parsing and validation. Every offset, shape and dtype is checked against the file before a
// view is made; a bad file yields a Status naming the file, the tensor and what was wrong.
#include "formats/safetensors/safetensors_file.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/float16.h"
#include "base/float8.h"

namespace baleen {
namespace {

struct DtypeInfo {
  SafetensorsDtype dtype;
  const char* name;
  size_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {SafetensorsDtype::kBool, "BOOL", 1},    {SafetensorsDtype::kU8, "U8", 1},
    {SafetensorsDtype::kI8, "I8", 1},        {SafetensorsDtype::kI16, "I16", 2},
    {SafetensorsDtype::kU16, "U16", 2},      {SafetensorsDtype::kI32, "I32", 4},
    {SafetensorsDtype::kU32, "U32", 4},      {SafetensorsDtype::kI64, "I64", 8},
    {SafetensorsDtype::kU64, "U64", 8},      {SafetensorsDtype::kF16, "F16", 2},
    {SafetensorsDtype::kBF16, "BF16", 2},    {SafetensorsDtype::kF32, "F32", 4},
    {SafetensorsDtype::kF64, "F64", 8},      {SafetensorsDtype::kF8E4M3, "F8_E4M3", 1},
    {SafetensorsDtype::kF8E5M2, "F8_E5M2", 1},
};

const DtypeInfo& Info(SafetensorsDtype dtype) {
  for (const DtypeInfo& info : kDtypes) {
    if (info.dtype == dtype) return info;
  }
  CHECK(false && "unknown safetensors dtype");
  return kDtypes[0];
}

// nlohmann's parser is iterative, but a header is never deeper than 3; refusing deeper input up front keeps hostile
// files cheap (and the value tree small) without trusting the library's limits.
bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      if (++depth > max_depth) return false;
    } else if (ch == '}' || ch == ']') {
      --depth;
    }
  }
  return true;
}

// Product of the dims, or an error when one is negative or the product overflows.
Result<int64_t> ElementCount(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("negative dimension");
    if (d != 0 && n > INT64_MAX / d) return InvalidArgument("element count overflows");
    n *= d;
  }
  return n;
}

}  // namespace

const char* SafetensorsDtypeName(SafetensorsDtype dtype) { return Info(dtype).name; }
size_t SafetensorsDtypeBytes(SafetensorsDtype dtype) { return Info(dtype).bytes; }

bool IsFloatDtype(SafetensorsDtype dtype) {
  switch (dtype) {
    case SafetensorsDtype::kF16:
    case SafetensorsDtype::kBF16:
    case SafetensorsDtype::kF32:
    case SafetensorsDtype::kF64:
    case SafetensorsDtype::kF8E4M3:
    case SafetensorsDtype::kF8E5M2: return true;
    default: return false;
  }
}

int64_t SafetensorsTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated at parse time: no overflow
  return n;
}

std::string SafetensorsTensor::ShapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

float SafetensorsTensor::FloatAt(int64_t i) const {
  const size_t bytes = SafetensorsDtypeBytes(dtype);
  CHECK(i >= 0 && static_cast<uint64_t>(i + 1) * bytes <= data.size());
  const uint8_t* p = data.data() + static_cast<size_t>(i) * bytes;
  switch (dtype) {
    case SafetensorsDtype::kF8E4M3: return Fp8E4m3ToFloat(p[0]);
    case SafetensorsDtype::kF8E5M2: return Fp8E5m2ToFloat(p[0]);
    case SafetensorsDtype::kF16:
    case SafetensorsDtype::kBF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return dtype == SafetensorsDtype::kF16 ? Fp16ToFloat(h) : Bf16ToFloat(h);
    }
    case SafetensorsDtype::kF32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case SafetensorsDtype::kF64: {
      double d;
      std::memcpy(&d, p, 8);
      return static_cast<float>(d);
    }
    default: CHECK(IsFloatDtype(dtype));
  }
  return 0;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapping, MappedFile::Open(path));
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->bytes_ = mapping->bytes();
  file->mapping_ = std::move(mapping);
  RETURN_IF_ERROR(file->ParseHeader());
  return file;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(std::span<const uint8_t> bytes,
                                                                const std::string& name) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = name;
  file->bytes_ = bytes;
  RETURN_IF_ERROR(file->ParseHeader());
  return file;
}

const SafetensorsTensor* SafetensorsFile::Find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

// One header entry -> a tensor (offsets not yet checked against the file).
Result<SafetensorsTensor> ParseEntry(const std::string& name, const nlohmann::json& entry) {
  SafetensorsTensor t;
  t.name = name;
  if (!entry.is_object()) return InvalidArgument("is not an object");
  const auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string()) return InvalidArgument("has no \"dtype\" string");
  const std::string& dtype_name = dtype->get_ref<const std::string&>();
  const auto known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                  [&](const DtypeInfo& d) { return dtype_name == d.name; });
  if (known == std::end(kDtypes)) return Unimplemented("has unsupported dtype \"" + dtype_name.substr(0, 32) + "\"");
  t.dtype = known->dtype;
  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array() || shape->size() > 8) {
    return InvalidArgument("has no \"shape\" array of at most 8 dimensions");
  }
  for (const nlohmann::json& d : *shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgument("has a shape entry that is not a non-negative integer");
    }
    t.shape.push_back(d.get<int64_t>());
  }
  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned()) {
    return InvalidArgument("has no \"data_offsets\" pair of non-negative integers");
  }
  t.begin = (*offsets)[0].get<uint64_t>();
  t.end = (*offsets)[1].get<uint64_t>();
  if (t.end < t.begin) return InvalidArgument("has data_offsets that end before they begin");
  Result<int64_t> n = ElementCount(t.shape);
  if (!n.ok()) return InvalidArgument("has shape " + t.ShapeString() + ": " + n.status().message());
  const uint64_t elem_bytes = SafetensorsDtypeBytes(t.dtype);
  if (static_cast<uint64_t>(*n) > UINT64_MAX / elem_bytes || static_cast<uint64_t>(*n) * elem_bytes != t.end - t.begin) {
    return InvalidArgument("has shape " + t.ShapeString() + " of " + dtype_name + " but data_offsets [" +
                           std::to_string(t.begin) + ", " + std::to_string(t.end) + ") span " +
                           std::to_string(t.end - t.begin) + " bytes");
  }
  return t;
}

}  // namespace

Status SafetensorsFile::ParseHeader() {
  if (bytes_.size() < 8) {
    return DataLoss(path_ + ": file is " + std::to_string(bytes_.size()) +
                    " bytes, too short for a safetensors header length");
  }
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | bytes_[static_cast<size_t>(i)];
  if (header_bytes > kSafetensorsMaxHeaderBytes) {
    return DataLoss(path_ + ": header length " + std::to_string(header_bytes) + " exceeds the format's limit of " +
                    std::to_string(kSafetensorsMaxHeaderBytes) + " bytes (not a safetensors file?)");
  }
  if (header_bytes > bytes_.size() - 8) {
    return DataLoss(path_ + ": header length " + std::to_string(header_bytes) + " runs past the end of the " +
                    std::to_string(bytes_.size()) + "-byte file (truncated?)");
  }
  data_offset_ = 8 + header_bytes;
  const std::string_view text(reinterpret_cast<const char*>(bytes_.data() + 8), header_bytes);
  if (text.empty() || text.front() != '{') return DataLoss(path_ + ": header is not a JSON object");
  if (!NestingWithin(text, 8)) return DataLoss(path_ + ": header JSON is nested too deeply");
  const nlohmann::json header = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return DataLoss(path_ + ": header is not valid JSON");

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) return DataLoss(path_ + ": header \"__metadata__\" is not an object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string()) return DataLoss(path_ + ": header \"__metadata__\"." + mkey + " is not a string");
        metadata_.emplace_back(mkey, mvalue.get<std::string>());
      }
      continue;
    }
    Result<SafetensorsTensor> tensor = ParseEntry(key, value);
    if (!tensor.ok()) {
      return Status(tensor.status().code() == StatusCode::kUnimplemented ? StatusCode::kUnimplemented
                                                                         : StatusCode::kDataLoss,
                    path_ + ": tensor '" + key + "' " + tensor.status().message());
    }
    tensors_.push_back(std::move(tensor).value());
  }

  // Bounds and overlaps, in data order (empty tensors occupy nothing and may sit anywhere).
  const uint64_t data_bytes = bytes_.size() - data_offset_;
  std::sort(tensors_.begin(), tensors_.end(), [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const SafetensorsTensor* previous = nullptr;
  for (SafetensorsTensor& t : tensors_) {
    if (t.end > data_bytes) {
      return DataLoss(path_ + ": tensor '" + t.name + "' data_offsets [" + std::to_string(t.begin) + ", " +
                      std::to_string(t.end) + ") run past the " + std::to_string(data_bytes) +
                      "-byte data section (file truncated?)");
    }
    if (t.begin == t.end) continue;
    if (previous != nullptr && t.begin < previous->end) {
      return DataLoss(path_ + ": tensors '" + previous->name + "' and '" + t.name + "' overlap (data_offsets [" +
                      std::to_string(previous->begin) + ", " + std::to_string(previous->end) + ") and [" +
                      std::to_string(t.begin) + ", " + std::to_string(t.end) + "))");
    }
    previous = &t;
    t.data = bytes_.subspan(data_offset_ + t.begin, t.end - t.begin);
  }
  for (size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
  return Status::Ok();
}

}  // namespace baleen
