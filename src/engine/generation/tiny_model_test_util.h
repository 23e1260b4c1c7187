// Test-only: a fixture holding a tiny random-weight DeepSeek-V3-architecture model (weights, config, forward pass,
// tokenizer and template), written to a temporary file and opened like any GGUF. Engine layer tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"
#include "models/model.h"
#include "text/text_assets.h"

namespace baleen::testing {

class TinyDeepseekTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = TempPath("tiny_deepseek.gguf");
    ASSERT_TRUE(WriteTinyModel({.arch = Architecture::kDeepseek2}, path).ok());
    gguf_ = GgufModel::Open(path).value();
    std::filesystem::remove(path);  // the mapping stays valid
    config_ = ResolveModelConfig(*gguf_).value();
    model_ = LoadModel(*gguf_, config_).value();
    text_ = LoadTextAssets(*gguf_).value();
  }

  std::unique_ptr<GgufModel> gguf_;
  ModelConfig config_;
  std::unique_ptr<Model> model_;
  TextAssets text_;
};

}  // namespace baleen::testing
