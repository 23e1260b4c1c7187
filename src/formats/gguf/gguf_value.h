// Typed GGUF metadata values: scalars, strings and (nested) arrays. Formats layer.
// Arrays store numbers as raw little-endian bytes and strings in one buffer, so memory stays proportional to the
// file even for hostile element counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace baleen {

enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// Name as in the GGUF spec ("UINT32", "STRING", ...); "INVALID" for unknown ids.
const char* GgufValueTypeName(GgufValueType type);
bool IsValidGgufValueType(uint32_t id);
// Bytes of one element of a fixed-size type; 0 for STRING and ARRAY.
size_t GgufScalarSize(GgufValueType type);

class GgufArray;

class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue U8(uint8_t v) { return GgufValue(GgufValueType::kUint8, uint64_t{v}); }
  static GgufValue I8(int8_t v) { return GgufValue(GgufValueType::kInt8, int64_t{v}); }
  static GgufValue U16(uint16_t v) { return GgufValue(GgufValueType::kUint16, uint64_t{v}); }
  static GgufValue I16(int16_t v) { return GgufValue(GgufValueType::kInt16, int64_t{v}); }
  static GgufValue U32(uint32_t v) { return GgufValue(GgufValueType::kUint32, uint64_t{v}); }
  static GgufValue I32(int32_t v) { return GgufValue(GgufValueType::kInt32, int64_t{v}); }
  static GgufValue U64(uint64_t v) { return GgufValue(GgufValueType::kUint64, v); }
  static GgufValue I64(int64_t v) { return GgufValue(GgufValueType::kInt64, v); }
  static GgufValue F32(float v) { return GgufValue(GgufValueType::kFloat32, double{v}); }
  static GgufValue F64(double v) { return GgufValue(GgufValueType::kFloat64, v); }
  static GgufValue Bool(bool v) { return GgufValue(GgufValueType::kBool, v); }
  static GgufValue String(std::string v) { return GgufValue(GgufValueType::kString, std::move(v)); }
  static GgufValue Array(GgufArray array);
  // Scalar of any fixed-size type from its little-endian bytes (as read from a file).
  static GgufValue FromBytes(GgufValueType type, const uint8_t* bytes);

  GgufValueType type() const { return type_; }
  bool is_array() const { return type_ == GgufValueType::kArray; }

  // Integer value of any integer type (or bool), if it fits in the requested signedness.
  std::optional<uint64_t> AsUint() const;
  std::optional<int64_t> AsInt() const;
  // Value of a float type, or of an integer type converted.
  std::optional<double> AsDouble() const;
  std::optional<bool> AsBool() const;
  const std::string* AsString() const;
  const GgufArray* AsArray() const;

  // Human-readable rendering; arrays show at most max_elems elements then "... (N total)".
  std::string ToDisplayString(size_t max_elems = 8) const;

 private:
  using Storage = std::variant<std::monostate, uint64_t, int64_t, double, bool, std::string,
                               std::shared_ptr<const GgufArray>>;
  GgufValue(GgufValueType type, Storage storage) : type_(type), storage_(std::move(storage)) {}

  GgufValueType type_ = GgufValueType::kUint8;
  Storage storage_;
};

// A homogeneous array. Exactly one of the three stores is used, by element type.
class GgufArray {
 public:
  explicit GgufArray(GgufValueType element_type) : element_type_(element_type) {}
  static GgufArray Strings(const std::vector<std::string>& strings);
  template <typename T>
  static GgufArray Numbers(GgufValueType element_type, const std::vector<T>& values);

  GgufValueType element_type() const { return element_type_; }
  size_t size() const;

  std::string_view StringAt(size_t i) const;   // element_type == kString
  GgufValue ScalarAt(size_t i) const;          // fixed-size element types
  const GgufValue& ArrayAt(size_t i) const;    // element_type == kArray
  std::vector<std::string> ToStrings() const;  // empty unless element_type == kString

  // Builders used by the reader and writer.
  void AppendString(std::string_view s);
  void AppendScalarBytes(const uint8_t* bytes, size_t n_bytes) { raw_.insert(raw_.end(), bytes, bytes + n_bytes); }
  void AppendArray(GgufValue array) { nested_.push_back(std::move(array)); }
  void Reserve(size_t n_elems, size_t n_bytes);

 private:
  GgufValueType element_type_;
  std::vector<uint8_t> raw_;          // fixed-size elements, little-endian
  std::string string_data_;           // concatenated strings
  std::vector<uint64_t> string_ends_; // end offset of each string in string_data_
  std::vector<GgufValue> nested_;     // arrays of arrays
};

template <typename T>
GgufArray GgufArray::Numbers(GgufValueType element_type, const std::vector<T>& values) {
  static_assert(std::is_arithmetic_v<T>);
  GgufArray array(element_type);
  if (!values.empty()) {
    array.AppendScalarBytes(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T));
  }
  return array;
}

}  // namespace baleen
