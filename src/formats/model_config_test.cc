// Tests for model configuration resolution on tiny models of every architecture, and its errors. Formats layer.
#include "formats/model_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "formats/architectures.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/hf/hf_config.h"
#include "formats/testing/tiny_models.h"
#include "formats/tokenizer_info.h"

namespace baleen {
namespace {

using testing::TinyModelSpec;

Result<ModelConfig> Resolve(GgufWriter& w) {
  const std::string path = testing::TempPath("config.gguf");
  RETURN_IF_ERROR(w.Write(path));
  ASSIGN_OR_RETURN(auto model, GgufModel::Open(path));
  std::filesystem::remove(path);
  return ResolveModelConfig(*model);
}

Result<ModelConfig> ResolveSpec(const TinyModelSpec& spec) {
  GgufWriter w;
  RETURN_IF_ERROR(testing::BuildTinyModel(spec, w));
  return Resolve(w);
}

const ResolvedParam* FindParam(const ModelConfig& c, const std::string& key) {
  for (const ResolvedParam& p : c.params) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

TEST(ModelConfig, DeepseekV3Style) {
  auto c = ResolveSpec({.arch = Architecture::kDeepseek2});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->arch, Architecture::kDeepseek2);
  EXPECT_TRUE(c->has_mla);
  EXPECT_EQ(c->mla.q_lora_rank, 256);
  EXPECT_EQ(c->mla.kv_lora_rank, 256);
  EXPECT_EQ(c->mla.qk_nope_head_dim, 32);
  EXPECT_EQ(c->mla.qk_rope_head_dim, 16);
  EXPECT_EQ(c->mla.v_head_dim, 32);
  EXPECT_TRUE(c->mla.split_kv_b);
  EXPECT_EQ(c->moe.score_func, ScoreFunc::kSigmoid);
  EXPECT_EQ(c->moe.n_expert_groups, 4);
  EXPECT_EQ(c->moe.n_limited_groups, 2);
  EXPECT_DOUBLE_EQ(c->moe.route_scale, 2.5);
  EXPECT_TRUE(c->moe.norm_topk_prob);
  EXPECT_EQ(c->rope.scaling, RopeScalingType::kYarn);
  EXPECT_DOUBLE_EQ(c->rope.yarn_log_multiplier, 0.1);  // FLOAT32 0.1 shown as written, not 0.10000000149
  EXPECT_EQ(c->n_layers, 3);
  EXPECT_EQ(c->vocab_size, 270);
  ASSERT_NE(FindParam(*c, "rope.scaling.yarn_beta_fast"), nullptr);
  EXPECT_EQ(FindParam(*c, "rope.scaling.yarn_beta_fast")->source, ParamSource::kDefault);
}

TEST(ModelConfig, V2LiteIsToldApartByKeysAndTensorsNotLayerCount) {
  auto c = ResolveSpec({.arch = Architecture::kDeepseek2, .q_lora = false});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mla.q_lora_rank, 0);
  EXPECT_EQ(c->moe.score_func, ScoreFunc::kSoftmax);  // absent key: the V2 default
  EXPECT_EQ(c->moe.n_expert_groups, 1);
  EXPECT_FALSE(c->moe.norm_topk_prob);
  EXPECT_EQ(c->moe.n_shared_experts, 2);
}

TEST(ModelConfig, MtpLayersAreNotMainLayers) {
  auto c = ResolveSpec({.arch = Architecture::kDeepseek2, .with_mtp = true});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->n_layers, 3);
  EXPECT_EQ(c->n_mtp_layers, 1);
}

// Every architecture with a tiny model resolves to itself, whatever its status.
TEST(ModelConfig, EveryRegisteredArchitectureResolves) {
  for (const ArchitectureInfo& row : Architectures()) {
    EXPECT_EQ(FindArchitecture(row.name), &row);
    EXPECT_EQ(&ArchitectureInfoFor(row.arch), &row);
    if (!testing::HasTinyBuilder(row.arch)) continue;
    auto c = ResolveSpec({.arch = row.arch});
    ASSERT_TRUE(c.ok()) << row.name << ": " << c.status().ToString();
    EXPECT_EQ(c->arch, row.arch);
    EXPECT_EQ(c->has_mla, row.mla) << row.name;
  }
}

TEST(ModelConfig, DenseArchitectures) {
  for (const ArchitectureInfo& row : Architectures()) {
    if (row.mla) continue;
    const Architecture arch = row.arch;
    auto c = ResolveSpec({.arch = arch});
    ASSERT_TRUE(c.ok()) << ArchitectureName(arch) << ": " << c.status().ToString();
    EXPECT_FALSE(c->has_mla);
    EXPECT_FALSE(c->has_moe);
    EXPECT_EQ(c->n_heads, 4);
    EXPECT_EQ(c->n_kv_heads, 2);
    EXPECT_EQ(c->head_dim, 64);
    EXPECT_EQ(c->rope.n_rot, 64);
  }
  auto qwen3 = ResolveSpec({.arch = Architecture::kQwen3});
  EXPECT_EQ(qwen3->rope.scaling, RopeScalingType::kYarn);
  EXPECT_DOUBLE_EQ(qwen3->rope.factor, 4.0);
  auto llama = ResolveSpec({.arch = Architecture::kLlama});
  EXPECT_DOUBLE_EQ(llama->rope.rope_theta, 500000.0);
  EXPECT_EQ(llama->rope.scaling, RopeScalingType::kNone);
}

TEST(ModelConfig, Deepseek32And4Resolve) {
  auto v32 = ResolveSpec({.arch = Architecture::kDeepseek32});
  ASSERT_TRUE(v32.ok()) << v32.status().ToString();
  EXPECT_TRUE(v32->has_mla);
  auto v4 = ResolveSpec({.arch = Architecture::kDeepseek4});
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(v4->moe.score_func, ScoreFunc::kSqrtSoftplus);
  EXPECT_EQ(v4->head_dim, 64);
}

TEST(ModelConfig, MissingRequiredKeyIsNamed) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kDeepseek2}, w).ok());
  // A key of the wrong type is named with what was expected.
  w.Set("deepseek2.attention.kv_lora_rank", GgufValue::String("512"));
  auto c = Resolve(w);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'deepseek2.attention.kv_lora_rank' must be an integer"), std::string::npos)
      << c.status().message();
}

TEST(ModelConfig, InconsistentQueryPathIsRejected) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kDeepseek2, .q_lora = false}, w).ok());
  w.SetU32("deepseek2.attention.q_lora_rank", 256);  // claims q-LoRA but the file has attn_q
  auto c = Resolve(w);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("q_lora_rank"), std::string::npos);
}

TEST(ModelConfig, UnsupportedArchitectureIsNamed) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kLlama}, w).ok());
  w.SetString("general.architecture", "mamba");
  auto c = Resolve(w);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("architecture 'mamba' is not supported"), std::string::npos);
  // Runnable and metadata-only architectures are told apart, not listed together as "supported".
  EXPECT_NE(c.status().message().find("runs deepseek2, qwen2, llama, qwen3 and reads the metadata of deepseek32, "
                                      "deepseek4"),
            std::string::npos)
      << c.status().message();
}

Result<HfConfig> ReadHfArchitecture(const std::string& hf_name) {
  const std::string dir = testing::TempPath("hf-" + hf_name);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << R"({"architectures": [")" << hf_name << R"("], "num_hidden_layers": 2,
      "hidden_size": 256, "vocab_size": 270, "num_attention_heads": 4, "max_position_embeddings": 1024,
      "intermediate_size": 512})";
  Result<HfConfig> config = ReadHfConfig(dir, /*keep_mtp=*/false);
  std::filesystem::remove_all(dir);
  return config;
}

// The Hugging Face names come from the registry; a metadata-only one gets NotRunnable's message from convert.
TEST(ModelConfig, HfArchitecturesComeFromTheRegistry) {
  EXPECT_STREQ(SupportedHfArchitectures(),
               "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, Qwen2ForCausalLM, LlamaForCausalLM, Qwen3ForCausalLM");
  for (const ArchitectureInfo& row : Architectures()) {
    EXPECT_EQ(row.runnable(), row.map_hf != nullptr) << row.name;
    EXPECT_EQ(row.runnable(), NotRunnable(row.arch).ok()) << row.name;
    for (const char* hf_name : row.hf_names) {
      EXPECT_EQ(FindHfArchitecture(hf_name), &row);
      if (row.runnable()) continue;
      Result<HfConfig> config = ReadHfArchitecture(hf_name);
      ASSERT_FALSE(config.ok()) << hf_name;
      EXPECT_EQ(config.status().code(), StatusCode::kUnimplemented);
      EXPECT_NE(config.status().message().find(NotRunnable(row.arch).message()), std::string::npos)
          << config.status().message();
    }
  }
  Result<HfConfig> qwen2 = ReadHfArchitecture("Qwen2ForCausalLM");
  ASSERT_TRUE(qwen2.ok()) << qwen2.status().ToString();
  EXPECT_EQ(qwen2->shape.arch, Architecture::kQwen2);
  Result<HfConfig> mixtral = ReadHfArchitecture("MixtralForCausalLM");
  ASSERT_FALSE(mixtral.ok());
  EXPECT_NE(mixtral.status().message().find(SupportedHfArchitectures()), std::string::npos);
}

TEST(ModelConfig, ExpertCountsAreChecked) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kDeepseek2}, w).ok());
  w.SetU32("deepseek2.expert_used_count", 9);
  auto c = Resolve(w);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("expert_used_count"), std::string::npos);
}

TEST(TokenizerInfo, SummarizesTinyTokenizer) {
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kDeepseek2}, w).ok());
  const std::string path = testing::TempPath("tok.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  auto model = GgufModel::Open(path);
  ASSERT_TRUE(model.ok());
  auto info = ReadTokenizerInfo(**model);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->model, "gpt2");
  EXPECT_EQ(info->pre, "deepseek-v3");
  EXPECT_EQ(info->vocab_size, 270);
  EXPECT_EQ(info->bos->text, "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(info->eos->id, 1);
  EXPECT_TRUE(*info->add_bos);
  EXPECT_TRUE(info->has_chat_template);
  std::filesystem::remove(path);

  w.SetU32("tokenizer.ggml.eos_token_id", 100000);
  ASSERT_TRUE(w.Write(path).ok());
  auto bad = GgufModel::Open(path);
  ASSERT_TRUE(bad.ok());
  auto bad_info = ReadTokenizerInfo(**bad);
  ASSERT_FALSE(bad_info.ok());
  EXPECT_NE(bad_info.status().message().find("outside the vocabulary"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace baleen
