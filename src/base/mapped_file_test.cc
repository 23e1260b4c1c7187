// Tests for MappedFile: contents, empty files and clear errors. Base layer.
#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace baleen {
namespace {

TEST(MappedFile, MapsContents) {
  const auto path = std::filesystem::temp_directory_path() / "baleen_mapped_file_test.bin";
  { std::ofstream(path, std::ios::binary) << "hello"; }
  auto file = MappedFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ((*file)->size_bytes(), 5u);
  EXPECT_EQ((*file)->bytes()[4], 'o');
  std::filesystem::remove(path);
}

TEST(MappedFile, EmptyFileIsEmptySpan) {
  const auto path = std::filesystem::temp_directory_path() / "baleen_mapped_file_empty.bin";
  { std::ofstream out(path, std::ios::binary); }
  auto file = MappedFile::Open(path.string());
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE((*file)->bytes().empty());
  std::filesystem::remove(path);
}

TEST(MappedFile, MissingFileNamesPath) {
  auto file = MappedFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("/nonexistent/model.gguf"), std::string::npos);
}

TEST(MappedFile, DirectoryIsRejected) {
  auto file = MappedFile::Open("/tmp");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace baleen
