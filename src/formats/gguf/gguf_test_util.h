// Test helpers for the GGUF reader: a small valid file in memory and byte-level patching. Formats layer, tests only.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "formats/gguf/gguf_writer.h"

namespace baleen::testing {

// Unique per process: CTest runs the cases of one test binary as parallel processes.
inline std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("baleen_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A writer holding every metadata value type, a nested array and three small tensors.
inline GgufWriter SmallWriter() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.Set("t.u8", GgufValue::U8(200));
  w.Set("t.i8", GgufValue::I8(-100));
  w.Set("t.u16", GgufValue::U16(60000));
  w.Set("t.i16", GgufValue::I16(-30000));
  w.Set("t.u32", GgufValue::U32(4000000000u));
  w.Set("t.i32", GgufValue::I32(-2000000000));
  w.Set("t.f32", GgufValue::F32(0.25f));
  w.Set("t.bool", GgufValue::Bool(true));
  w.Set("t.u64", GgufValue::U64(1ull << 63));
  w.Set("t.i64", GgufValue::I64(-(1ll << 62)));
  w.Set("t.f64", GgufValue::F64(-3.5));
  w.SetString("t.str", "héllo");
  w.Set("t.strs", GgufValue::Array(GgufArray::Strings({"a", "", "Ġthe"})));
  w.Set("t.ints", GgufValue::Array(GgufArray::Numbers(GgufValueType::kInt32, std::vector<int32_t>{1, -2, 3})));
  GgufArray nested(GgufValueType::kArray);
  nested.AppendArray(GgufValue::Array(GgufArray::Numbers(GgufValueType::kUint16, std::vector<uint16_t>{7, 8})));
  nested.AppendArray(GgufValue::Array(GgufArray::Strings({"x"})));
  w.Set("t.nested", GgufValue::Array(std::move(nested)));
  std::vector<uint8_t> a(4 * 8 * 2), b(2 * 5), c(34 * 2);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(100 + i);
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(7 * i);
  (void)w.AddTensor("a.weight", GgmlType::kF32, {8, 2}, a);
  (void)w.AddTensor("b.weight", GgmlType::kF16, {5}, b);
  (void)w.AddTensor("c.weight", GgmlType::kQ8_0, {64}, c);
  return w;
}

inline std::vector<uint8_t> SmallFileBytes() {
  const std::string path = TempPath("small.gguf");
  (void)SmallWriter().Write(path);
  std::vector<uint8_t> bytes = ReadFileBytes(path);
  std::filesystem::remove(path);
  return bytes;
}

}  // namespace baleen::testing
