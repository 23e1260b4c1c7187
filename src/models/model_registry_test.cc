// The architecture registry's two halves (formats/architectures.h, models/model_registry.h) agree with each other,
// with the tiny models and with the independent reference's goldens.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "formats/architectures.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"
#include "models/model_registry.h"

namespace baleen {
namespace {

// The file the PyTorch reference wrote (tools/reference/goldens.py) names each model's variant: "deepseek2-v3".
bool HasGoldens(const std::string& arch) {
  std::ifstream in(BALEEN_GOLDENS_JSON);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty()) << BALEEN_GOLDENS_JSON;
  for (const char* end : {"\"", "-"}) {
    if (text.find("\"variant\":\"" + arch + end) != std::string::npos) return true;
  }
  return false;
}

// The registry's two halves agree: a runnable architecture has a loader, a tiny model and goldens from the
// independent reference; a metadata-only one has no loader and no goldens, and LoadModel gives NotRunnable's
// message.
TEST(ArchitectureRegistry, FormatsAndModelsHalvesAgree) {
  for (const ArchitectureInfo& row : Architectures()) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(ModelLoaderFor(row.arch) != nullptr, row.runnable());
    EXPECT_EQ(HasGoldens(row.name), row.runnable());
    if (row.runnable()) {
      EXPECT_TRUE(testing::HasTinyBuilder(row.arch));
      continue;
    }
    if (!testing::HasTinyBuilder(row.arch)) continue;
    GgufWriter w;
    ASSERT_TRUE(testing::BuildTinyModel({.arch = row.arch}, w).ok());
    const std::string path = testing::TempPath(std::string(row.name) + ".gguf");
    ASSERT_TRUE(w.Write(path).ok());
    auto gguf = GgufModel::Open(path).value();
    std::filesystem::remove(path);
    auto model = LoadModel(*gguf, ResolveModelConfig(*gguf).value());
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), StatusCode::kUnimplemented);
    EXPECT_EQ(model.status().message(), NotRunnable(row.arch).message());
  }
}

}  // namespace
}  // namespace baleen
