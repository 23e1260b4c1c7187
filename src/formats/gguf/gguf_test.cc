// Tests for the GGUF reader and writer: round trips, split models, and precise errors on corrupt files.
// Formats layer.
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_model.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/gguf/gguf_writer.h"

namespace baleen {
namespace {

using testing::SmallFileBytes;
using testing::SmallWriter;
using testing::TempPath;

Result<std::unique_ptr<GgufFile>> ParseBytes(const std::vector<uint8_t>& bytes) {
  return GgufFile::Parse(bytes, "test.gguf");
}

std::string ErrorOf(const std::vector<uint8_t>& bytes) {
  auto file = ParseBytes(bytes);
  return file.ok() ? std::string("OK") : file.status().message();
}

template <typename T>
void Poke(std::vector<uint8_t>& bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

TEST(GgufRoundTrip, EveryValueTypeSurvives) {
  const std::vector<uint8_t> bytes = SmallFileBytes();
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const GgufFile& f = **file;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(*f.Find("t.u8")->AsUint(), 200u);
  EXPECT_EQ(*f.Find("t.i8")->AsInt(), -100);
  EXPECT_EQ(*f.Find("t.u16")->AsUint(), 60000u);
  EXPECT_EQ(*f.Find("t.i16")->AsInt(), -30000);
  EXPECT_EQ(*f.Find("t.u32")->AsUint(), 4000000000u);
  EXPECT_EQ(*f.Find("t.i32")->AsInt(), -2000000000);
  EXPECT_EQ(*f.Find("t.f32")->AsDouble(), 0.25);
  EXPECT_EQ(*f.Find("t.bool")->AsBool(), true);
  EXPECT_EQ(*f.Find("t.u64")->AsUint(), 1ull << 63);
  EXPECT_FALSE(f.Find("t.u64")->AsInt().has_value());  // does not fit in int64
  EXPECT_EQ(*f.Find("t.i64")->AsInt(), -(1ll << 62));
  EXPECT_EQ(*f.Find("t.f64")->AsDouble(), -3.5);
  EXPECT_EQ(*f.Find("t.str")->AsString(), "héllo");
  const GgufArray* strs = f.Find("t.strs")->AsArray();
  ASSERT_NE(strs, nullptr);
  EXPECT_EQ(strs->ToStrings(), (std::vector<std::string>{"a", "", "Ġthe"}));
  const GgufArray* ints = f.Find("t.ints")->AsArray();
  EXPECT_EQ(*ints->ScalarAt(1).AsInt(), -2);
  const GgufArray* nested = f.Find("t.nested")->AsArray();
  ASSERT_EQ(nested->size(), 2u);
  EXPECT_EQ(*nested->ArrayAt(0).AsArray()->ScalarAt(1).AsUint(), 8u);
  EXPECT_EQ(nested->ArrayAt(1).AsArray()->StringAt(0), "x");
}

TEST(GgufRoundTrip, TensorsAreAlignedAndZeroCopy) {
  const std::vector<uint8_t> bytes = SmallFileBytes();
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok());
  const GgufTensorInfo* a = (*file)->FindTensor("a.weight");
  const GgufTensorInfo* c = (*file)->FindTensor("c.weight");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(a->ShapeString(), "{8, 2}");
  EXPECT_EQ(a->size_bytes, 64u);
  EXPECT_EQ(a->data[5], 5);
  EXPECT_EQ(c->type, GgmlType::kQ8_0);
  EXPECT_EQ(c->size_bytes, 68u);
  EXPECT_EQ(c->data[3], 21);
  EXPECT_EQ(((*file)->data_offset() + c->offset) % 32, 0u);
  EXPECT_GE(a->data.data(), bytes.data());  // a view into the caller's bytes, not a copy
  EXPECT_LT(a->data.data(), bytes.data() + bytes.size());
}

TEST(GgufRoundTrip, CustomAlignmentIsHonoured) {
  GgufWriter w = SmallWriter();
  w.SetAlignment(128);
  const std::string path = TempPath("align128.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->alignment(), 128u);
  EXPECT_EQ((*file)->data_offset() % 128, 0u);
  for (const GgufTensorInfo& t : (*file)->tensors()) EXPECT_EQ(t.offset % 128, 0u);
  std::filesystem::remove(path);
}

TEST(GgufSplit, ShardsLoadAsOneModel) {
  const std::string prefix = TempPath("split");
  auto paths = SmallWriter().WriteSplit(prefix, 1);
  ASSERT_TRUE(paths.ok());
  ASSERT_EQ(paths->size(), 3u);
  EXPECT_EQ((*paths)[0], prefix + "-00001-of-00003.gguf");
  auto model = GgufModel::Open((*paths)[0]);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->shards().size(), 3u);
  EXPECT_EQ((*model)->tensors().size(), 3u);
  ASSERT_NE((*model)->FindTensor("c.weight"), nullptr);
  EXPECT_EQ((*model)->FindTensor("c.weight")->data[3], 21);
  EXPECT_EQ(*(*model)->Find("t.u8")->AsUint(), 200u);  // metadata from the first shard

  auto second = GgufModel::Open((*paths)[1]);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("open the first shard"), std::string::npos);

  std::filesystem::remove((*paths)[2]);
  auto missing = GgufModel::Open((*paths)[0]);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("-00003-of-00003.gguf"), std::string::npos);
  for (const auto& p : *paths) std::filesystem::remove(p);
}

TEST(GgufErrors, EveryTruncationIsAnErrorNotACrash) {
  const std::vector<uint8_t> bytes = SmallFileBytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    auto file = ParseBytes(prefix);
    // Cutting only the padding after the last tensor leaves a file that is still complete.
    if (file.ok()) {
      EXPECT_GE(n, bytes.size() - 32) << "prefix of " << n << " bytes parsed";
      continue;
    }
    EXPECT_NE(file.status().message().find("test.gguf"), std::string::npos);
  }
}

TEST(GgufErrors, HeaderProblemsAreNamed) {
  std::vector<uint8_t> bytes = SmallFileBytes();
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(ErrorOf(bad).find("not a GGUF file"), std::string::npos);
  bad = bytes;
  Poke<uint32_t>(bad, 4, 7);
  EXPECT_NE(ErrorOf(bad).find("unsupported GGUF version 7"), std::string::npos);
  bad = bytes;
  Poke<uint32_t>(bad, 4, 0x03000000);
  EXPECT_NE(ErrorOf(bad).find("big-endian"), std::string::npos);
  bad = bytes;
  Poke<uint64_t>(bad, 8, 1ull << 60);
  EXPECT_NE(ErrorOf(bad).find("tensor_count"), std::string::npos);
  bad = bytes;
  Poke<uint64_t>(bad, 16, 1ull << 60);
  EXPECT_NE(ErrorOf(bad).find("metadata_kv_count"), std::string::npos);
}

TEST(GgufErrors, MetadataProblemsAreNamed) {
  const std::vector<uint8_t> bytes = SmallFileBytes();
  // First key starts at byte 24: u64 length then "general.architecture".
  auto bad = bytes;
  Poke<uint64_t>(bad, 24, 1ull << 40);
  EXPECT_NE(ErrorOf(bad).find("exceeds the limit"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint32_t>(bad, 24 + 8 + 20, 99);  // value type of the first key
  EXPECT_NE(ErrorOf(bad).find("invalid value type 99"), std::string::npos) << ErrorOf(bad);
  // Make the second key a copy of the first: duplicate key.
  GgufWriter w;
  w.SetString("a.key", "x");
  w.SetString("b.key", "y");
  const std::string path = TempPath("dup.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  bad = testing::ReadFileBytes(path);
  std::filesystem::remove(path);
  const size_t second_key = 24 + 8 + 5 + 4 + 8 + 1;
  bad[second_key + 8] = 'a';
  EXPECT_NE(ErrorOf(bad).find("duplicate key"), std::string::npos) << ErrorOf(bad);
}

// Finds the tensor info of `name` in a serialized file and returns the offset just after its name.
size_t TensorInfoOffset(const std::vector<uint8_t>& bytes, const std::string& name) {
  for (size_t i = 8; i + name.size() <= bytes.size(); ++i) {
    uint64_t len = 0;
    std::memcpy(&len, bytes.data() + i - 8, 8);
    if (len == name.size() && std::memcmp(bytes.data() + i, name.data(), name.size()) == 0) return i + name.size();
  }
  return 0;
}

TEST(GgufErrors, TensorProblemsAreNamed) {
  const std::vector<uint8_t> bytes = SmallFileBytes();
  const size_t c = TensorInfoOffset(bytes, "c.weight");  // n_dims u32, dims u64, type u32, offset u64
  ASSERT_GT(c, 0u);
  auto bad = bytes;
  Poke<uint32_t>(bad, c, 5);
  EXPECT_NE(ErrorOf(bad).find("5 dimensions"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint64_t>(bad, c + 4, 33);
  EXPECT_NE(ErrorOf(bad).find("not a multiple of Q8_0's block size 32"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint32_t>(bad, c + 12, 140);
  EXPECT_NE(ErrorOf(bad).find("tensor 'c.weight': tensor type id 140 is unknown"), std::string::npos)
      << ErrorOf(bad);
  bad = bytes;
  Poke<uint32_t>(bad, c + 12, 4);
  EXPECT_NE(ErrorOf(bad).find("was removed"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint64_t>(bad, c + 16, 8);
  EXPECT_NE(ErrorOf(bad).find("not a multiple of the 32-byte alignment"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint64_t>(bad, c + 16, 1ull << 40);
  EXPECT_NE(ErrorOf(bad).find("extends past the end"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint64_t>(bad, c + 16, 0);  // same offset as a.weight
  EXPECT_NE(ErrorOf(bad).find("overlaps"), std::string::npos) << ErrorOf(bad);
  bad = bytes;
  Poke<uint64_t>(bad, c + 4, 1ull << 62);
  EXPECT_NE(ErrorOf(bad).find("c.weight"), std::string::npos) << ErrorOf(bad);
}

TEST(GgufErrors, OpenNamesTheFile) {
  auto missing = GgufFile::Open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
  const std::string empty = TempPath("empty.gguf");
  { std::ofstream out(empty); }
  auto file = GgufFile::Open(empty);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("truncated"), std::string::npos);
  std::filesystem::remove(empty);
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  std::vector<uint8_t> data(34);
  EXPECT_FALSE(w.AddTensor("x", GgmlType::kQ8_0, {33}, data).ok());
  EXPECT_TRUE(w.AddTensor("x", GgmlType::kQ8_0, {32}, data).ok());
  EXPECT_FALSE(w.AddTensor("x", GgmlType::kQ8_0, {32}, data).ok());  // duplicate name
  EXPECT_FALSE(w.AddTensor("y", GgmlType::kF32, {1, 1, 1, 1, 1}, data).ok());
  EXPECT_FALSE(w.AddTensor("z", GgmlType::kF32, {4}, data).ok() && w.Write(TempPath("bad.gguf")).ok());
}

}  // namespace
}  // namespace baleen
