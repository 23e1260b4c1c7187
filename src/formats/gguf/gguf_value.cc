// GGUF metadata values: conversions and display. Formats layer.
#include "formats/gguf/gguf_value.h"

#include <cstring>
#include <limits>
#include <sstream>

#include "base/check.h"

namespace baleen {

const char* GgufValueTypeName(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: return "UINT8";
    case GgufValueType::kInt8: return "INT8";
    case GgufValueType::kUint16: return "UINT16";
    case GgufValueType::kInt16: return "INT16";
    case GgufValueType::kUint32: return "UINT32";
    case GgufValueType::kInt32: return "INT32";
    case GgufValueType::kFloat32: return "FLOAT32";
    case GgufValueType::kBool: return "BOOL";
    case GgufValueType::kString: return "STRING";
    case GgufValueType::kArray: return "ARRAY";
    case GgufValueType::kUint64: return "UINT64";
    case GgufValueType::kInt64: return "INT64";
    case GgufValueType::kFloat64: return "FLOAT64";
  }
  return "INVALID";
}

bool IsValidGgufValueType(uint32_t id) { return id <= static_cast<uint32_t>(GgufValueType::kFloat64); }

size_t GgufScalarSize(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray: return 0;
  }
  return 0;
}

namespace {
template <typename T>
T Load(const uint8_t* bytes) {
  T v;
  std::memcpy(&v, bytes, sizeof(T));
  return v;
}
}  // namespace

GgufValue GgufValue::Array(GgufArray array) {
  return GgufValue(GgufValueType::kArray, std::make_shared<const GgufArray>(std::move(array)));
}

GgufValue GgufValue::FromBytes(GgufValueType type, const uint8_t* bytes) {
  switch (type) {
    case GgufValueType::kUint8: return U8(bytes[0]);
    case GgufValueType::kInt8: return I8(Load<int8_t>(bytes));
    case GgufValueType::kUint16: return U16(Load<uint16_t>(bytes));
    case GgufValueType::kInt16: return I16(Load<int16_t>(bytes));
    case GgufValueType::kUint32: return U32(Load<uint32_t>(bytes));
    case GgufValueType::kInt32: return I32(Load<int32_t>(bytes));
    case GgufValueType::kFloat32: return F32(Load<float>(bytes));
    case GgufValueType::kBool: return Bool(bytes[0] != 0);
    case GgufValueType::kUint64: return U64(Load<uint64_t>(bytes));
    case GgufValueType::kInt64: return I64(Load<int64_t>(bytes));
    case GgufValueType::kFloat64: return F64(Load<double>(bytes));
    case GgufValueType::kString:
    case GgufValueType::kArray: break;
  }
  CHECK(false && "FromBytes needs a fixed-size type");
  return {};
}

std::optional<uint64_t> GgufValue::AsUint() const {
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&storage_)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
  }
  if (const auto* b = std::get_if<bool>(&storage_)) return *b ? 1 : 0;
  return std::nullopt;
}

std::optional<int64_t> GgufValue::AsInt() const {
  if (const auto* i = std::get_if<int64_t>(&storage_)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&storage_)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(*u);
  }
  if (const auto* b = std::get_if<bool>(&storage_)) return *b ? 1 : 0;
  return std::nullopt;
}

std::optional<double> GgufValue::AsDouble() const {
  if (const auto* d = std::get_if<double>(&storage_)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&storage_)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> GgufValue::AsBool() const {
  if (const auto* b = std::get_if<bool>(&storage_)) return *b;
  return std::nullopt;
}

const std::string* GgufValue::AsString() const { return std::get_if<std::string>(&storage_); }

const GgufArray* GgufValue::AsArray() const {
  const auto* array = std::get_if<std::shared_ptr<const GgufArray>>(&storage_);
  return array != nullptr ? array->get() : nullptr;
}

namespace {
std::string Quote(std::string_view s, size_t max_chars = 60) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\x";
      const char* hex = "0123456789abcdef";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max_chars) out += "...";
  return out + "\"";
}
}  // namespace

std::string GgufValue::ToDisplayString(size_t max_elems) const {
  std::ostringstream out;
  if (const auto* s = AsString()) return Quote(*s);
  if (const auto* b = std::get_if<bool>(&storage_)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&storage_)) {
    out << *d;
    return out.str();
  }
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return std::to_string(*u);
  if (const auto* i = std::get_if<int64_t>(&storage_)) return std::to_string(*i);
  const GgufArray* array = AsArray();
  if (array == nullptr) return "";
  out << "[";
  const size_t shown = std::min(array->size(), max_elems);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out << ", ";
    if (array->element_type() == GgufValueType::kString) {
      out << Quote(array->StringAt(i), 24);
    } else if (array->element_type() == GgufValueType::kArray) {
      out << array->ArrayAt(i).ToDisplayString(max_elems);
    } else {
      out << array->ScalarAt(i).ToDisplayString();
    }
  }
  if (array->size() > shown) out << ", ... (" << array->size() << " total)";
  out << "]";
  return out.str();
}

GgufArray GgufArray::Strings(const std::vector<std::string>& strings) {
  GgufArray array(GgufValueType::kString);
  for (const std::string& s : strings) array.AppendString(s);
  return array;
}

size_t GgufArray::size() const {
  switch (element_type_) {
    case GgufValueType::kString: return string_ends_.size();
    case GgufValueType::kArray: return nested_.size();
    default: return raw_.size() / GgufScalarSize(element_type_);
  }
}

std::string_view GgufArray::StringAt(size_t i) const {
  CHECK(element_type_ == GgufValueType::kString && i < string_ends_.size());
  const uint64_t begin = i == 0 ? 0 : string_ends_[i - 1];
  return std::string_view(string_data_).substr(begin, string_ends_[i] - begin);
}

GgufValue GgufArray::ScalarAt(size_t i) const {
  const size_t size = GgufScalarSize(element_type_);
  CHECK(size != 0 && (i + 1) * size <= raw_.size());
  return GgufValue::FromBytes(element_type_, raw_.data() + i * size);
}

const GgufValue& GgufArray::ArrayAt(size_t i) const {
  CHECK(element_type_ == GgufValueType::kArray && i < nested_.size());
  return nested_[i];
}

std::vector<std::string> GgufArray::ToStrings() const {
  std::vector<std::string> out;
  if (element_type_ != GgufValueType::kString) return out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) out.emplace_back(StringAt(i));
  return out;
}

void GgufArray::AppendString(std::string_view s) {
  string_data_.append(s);
  string_ends_.push_back(string_data_.size());
}

void GgufArray::Reserve(size_t n_elems, size_t n_bytes) {
  if (element_type_ == GgufValueType::kString) {
    string_ends_.reserve(n_elems);
    string_data_.reserve(n_bytes);
  } else if (element_type_ == GgufValueType::kArray) {
    nested_.reserve(n_elems);
  } else {
    raw_.reserve(n_bytes);
  }
}

}  // namespace baleen
