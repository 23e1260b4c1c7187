// Hostile hyperparameters: every numeric key of each tiny model set to edge values (0, 1, 3, 2³²−1). Loading
// must either fail with an error or give a model that evaluates a prompt without crashing (this runs under
// ASan/UBSan in CI too).
#include <filesystem>

#include <gtest/gtest.h>

#include "engine/generation/loaded_model.h"
#include "engine/generation/session.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"

namespace baleen {
namespace {

using testing::TinyModelSpec;

// The numeric metadata keys of the architecture (the hyperparameters), by name.
std::vector<std::string> NumericKeys(const GgufModel& gguf, const std::string& arch) {
  std::vector<std::string> keys;
  for (const GgufKeyValue& kv : gguf.first().metadata()) {
    const bool numeric = kv.value.type() == GgufValueType::kUint32 || kv.value.type() == GgufValueType::kFloat32;
    if (numeric && kv.key.starts_with(arch + ".")) keys.push_back(kv.key);
  }
  return keys;
}

class HostileModel : public ::testing::TestWithParam<TinyModelSpec> {};

TEST_P(HostileModel, EdgeValuesLoadWithAnErrorOrRunCleanly) {
  const TinyModelSpec spec = GetParam();
  const std::string path = testing::TempPath("hostile.gguf");
  GgufWriter original;  // built once: quantizing the weights is the slow part; copies share the tensor data
  ASSERT_TRUE(testing::BuildTinyModel(spec, original).ok());
  ASSERT_TRUE(original.Write(path).ok());
  auto seed = GgufModel::Open(path).value();
  const std::string arch = ArchitectureName(spec.arch);
  int loaded = 0, rejected = 0;
  for (const std::string& key : NumericKeys(*seed, arch)) {
    for (uint32_t value : {0u, 1u, 3u, 0xFFFFFFFFu}) {
      GgufWriter w = original;
      const bool is_float = seed->Find(key)->type() == GgufValueType::kFloat32;
      w.Set(key, is_float ? GgufValue::F32(value == 0xFFFFFFFFu ? -1.0f : static_cast<float>(value))
                          : GgufValue::U32(value));
      ASSERT_TRUE(w.Write(path).ok());
      SCOPED_TRACE(key + " = " + std::to_string(value));
      LoadOptions options;
      options.n_ctx = 16;
      auto model = OpenModel(path, options);
      if (!model.ok()) {
        EXPECT_FALSE(model.status().message().empty());
        ++rejected;
        continue;
      }
      ++loaded;
      Session session(*(*model)->model, 16, 4);
      std::vector<float> logits;
      const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
      (void)session.Append(prompt, LogitsFor::kAll, &logits);  // may fail cleanly; must not crash
    }
  }
  std::filesystem::remove(path);
  std::printf("%s: %d mutants loaded and ran, %d rejected with an error\n", testing::TinyModelName(spec).c_str(),
              loaded, rejected);
  EXPECT_GT(rejected, 0);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, HostileModel,
                         ::testing::Values(TinyModelSpec{.arch = Architecture::kDeepseek2, .q_lora = true,
                                                         .weight_type = GgmlType::kQ4_K},
                                           TinyModelSpec{.arch = Architecture::kDeepseek2, .q_lora = false,
                                                         .weight_type = GgmlType::kQ4_K},
                                           TinyModelSpec{.arch = Architecture::kLlama, .weight_type = GgmlType::kQ4_K},
                                           TinyModelSpec{.arch = Architecture::kQwen3, .weight_type = GgmlType::kQ4_K}),
                         [](const auto& info) {
                           std::string name = testing::TinyModelName(info.param);
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace baleen
