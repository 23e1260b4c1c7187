// Tests of the safetensors reader: valid files, FP8 decoding, and every class of damaged header refused by name.
#include "formats/safetensors/safetensors_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/float8.h"
#include "formats/safetensors/safetensors_checkpoint.h"

namespace baleen {
namespace {

// u64 header length + header + data, as the format lays it out.
std::vector<uint8_t> Build(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> bytes(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  bytes.insert(bytes.end(), header.begin(), header.end());
  if (!data.empty()) bytes.insert(bytes.end(), data.begin(), data.end());  // (GCC 12 warns on empty inserts)
  return bytes;
}

std::vector<uint8_t> Floats(std::initializer_list<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

std::string ParseError(const std::vector<uint8_t>& bytes) {
  auto file = SafetensorsFile::Parse(bytes, "bad.safetensors");
  return file.ok() ? "" : file.status().message();
}

TEST(SafetensorsFile, ParsesTensorsAndMetadata) {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})";
  const std::vector<uint8_t> bytes = Build(header, Floats({1, 2, 3, 4}));
  auto file = SafetensorsFile::Parse(bytes, "ok.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ((*file)->tensors().size(), 2u);
  const SafetensorsTensor* a = (*file)->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a->FloatAt(1), 2.0f);
  EXPECT_EQ((*file)->Find("b")->FloatAt(0), 3.0f);
  ASSERT_EQ((*file)->metadata().size(), 1u);
  EXPECT_EQ((*file)->metadata()[0].second, "pt");
  EXPECT_EQ((*file)->Find("c"), nullptr);
}

TEST(SafetensorsFile, Fp8E4m3Values) {
  EXPECT_EQ(Fp8E4m3ToFloat(0x38), 1.0f);
  EXPECT_EQ(Fp8E4m3ToFloat(0xb8), -1.0f);
  EXPECT_EQ(Fp8E4m3ToFloat(0x7e), 448.0f);  // the largest finite value
  EXPECT_EQ(Fp8E4m3ToFloat(0x01), std::ldexp(1.0f, -9));  // the smallest subnormal
  EXPECT_EQ(Fp8E4m3ToFloat(0x3c), 1.5f);
  EXPECT_TRUE(std::isnan(Fp8E4m3ToFloat(0x7f)));
  EXPECT_TRUE(std::isnan(Fp8E4m3ToFloat(0xff)));
  EXPECT_EQ(Fp8E5m2ToFloat(0x3c), 1.0f);
  EXPECT_TRUE(std::isinf(Fp8E5m2ToFloat(0x7c)));
}

TEST(SafetensorsFile, RefusesDamagedFiles) {
  const std::vector<uint8_t> data = Floats({1, 2, 3, 4});

  EXPECT_NE(ParseError({1, 2, 3}).find("too short"), std::string::npos);
  std::vector<uint8_t> huge = Build("{}", {});
  huge[7] = 0x7f;
  EXPECT_NE(ParseError(huge).find("exceeds"), std::string::npos);
  std::vector<uint8_t> past = Build("{}", {});
  past[0] = 200;
  EXPECT_NE(ParseError(past).find("runs past the end"), std::string::npos);
  EXPECT_NE(ParseError(Build("{\"a\":", data)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError(Build("[1]", data)).find("not a JSON object"), std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":[[[[[[[[[[1]]]]]]]]]]})", data)).find("nested too deeply"), std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             data))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", data))
                .find("run past"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data)).find("span"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", data))
                .find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data))
                .find("shape entry"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],)"
                             R"("data_offsets":[0,8]}})",
                             data))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(ParseError(Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data))
                .find("end before"),
            std::string::npos);
  // Every message names the file and the tensor.
  EXPECT_NE(ParseError(Build(R"({"weird":{"dtype":"F32","shape":[2]}})", data)).find("bad.safetensors: tensor 'weird'"),
            std::string::npos);
}

TEST(SafetensorsCheckpoint, RefusesPickleFolders) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "baleen_pickle_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pytorch_model.bin") << "\x80\x02}q\x00.";
  auto ckpt = SafetensorsCheckpoint::Open(dir.string());
  ASSERT_FALSE(ckpt.ok());
  EXPECT_NE(ckpt.status().message().find("arbitrary code"), std::string::npos) << ckpt.status().message();
  EXPECT_TRUE(IsPickleCheckpointName("model.pt"));
  EXPECT_FALSE(IsPickleCheckpointName("model.safetensors"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace baleen
