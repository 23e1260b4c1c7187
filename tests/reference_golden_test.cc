// The engine against the independent PyTorch reference (tools/reference/): every architecture and variant, in F32,
// Q8_0 and Q4_K, must reproduce the golden log-probabilities within 1e-3, through both MLA forms for deepseek2
// and with prompts evaluated in one pass and in small chunks. The model files are recreated by
// tools/reference/make_models.py (the ctest fixture `reference_models`) into $BALEEN_REFERENCE_MODELS. MatMul runs
// in exact mode (F32 on the exactly dequantized weights, as the reference computes): the default integer kernels
// round activations to 8 bits, which moves these tiny random models' log-probs by 0.2-0.3 (dense), 0.5-0.7
// (V2-Lite-style) and up to 5 (V3-style, where rounding flips expert choices) on the quantized files.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/sampling/sampler.h"
#include "engine/generation/session.h"
#include "formats/gguf/gguf_model.h"
#include "kernels/matmul.h"
#include "models/model.h"

namespace baleen {
namespace {

// Per log-probability; the bound for F32, and what exact dequantization gives quantized files too.
constexpr double kTolerance = 1e-3;

const nlohmann::json& Goldens() {
  static const nlohmann::json goldens = [] {
    // A compile-time path: test discovery lists the cases before any environment is set.
    std::ifstream in(BALEEN_GOLDENS_JSON);
    return nlohmann::json::parse(in);
  }();
  return goldens;
}

struct Case {
  size_t model_index;
  MlaMode mode;
  int64_t batch;
};

std::string CaseName(const Case& c);

// Names the case in test listings instead of gtest's byte dump.
void PrintTo(const Case& c, std::ostream* os) { *os << CaseName(c); }

std::string CaseName(const Case& c) {
  std::string name = Goldens()["models"][c.model_index]["file"].get<std::string>();
  name = name.substr(0, name.size() - 5);  // drop ".gguf"
  for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  if (c.mode == MlaMode::kNaive) name += "_naive";
  if (c.mode == MlaMode::kAbsorbed) name += "_absorbed";
  return name + "_batch" + std::to_string(c.batch);
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const auto& models = Goldens()["models"];
  for (size_t i = 0; i < models.size(); ++i) {
    const bool mla = models[i]["variant"].get<std::string>().starts_with("deepseek2");
    for (int64_t batch : {512, 5}) {
      if (mla) {
        cases.push_back({i, MlaMode::kNaive, batch});
        cases.push_back({i, MlaMode::kAbsorbed, batch});
      } else {
        cases.push_back({i, MlaMode::kAuto, batch});
      }
    }
  }
  return cases;
}

class ReferenceGolden : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceGolden, LogProbsMatchTheReference) {
  SetExactMatMul(true);
  const char* dir = std::getenv("BALEEN_REFERENCE_MODELS");
  ASSERT_NE(dir, nullptr) << "run through ctest (fixture reference_models) or set BALEEN_REFERENCE_MODELS";
  const nlohmann::json& golden = Goldens()["models"][GetParam().model_index];
  const std::string path = std::string(dir) + "/" + golden["file"].get<std::string>();
  auto gguf = GgufModel::Open(path);
  ASSERT_TRUE(gguf.ok()) << gguf.status().ToString();
  auto config = ResolveModelConfig(**gguf);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto model = LoadModel(**gguf, *config, ModelOptions{.mla_mode = GetParam().mode});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const int64_t vocab = config->vocab_size;

  double worst = 0.0;
  for (const auto& result : golden["results"]) {
    const std::vector<int32_t> prompt = Goldens()["prompts"][result["prompt"].get<size_t>()];
    Session session(**model, 64, GetParam().batch);
    std::vector<float> logits;
    ASSERT_TRUE(session.Append(prompt, LogitsFor::kAll, &logits).ok());
    std::vector<float> logprobs(logits.size());
    for (size_t p = 0; p < prompt.size(); ++p) {
      LogSoftmax(std::span(&logits[p * vocab], static_cast<size_t>(vocab)), std::span(&logprobs[p * vocab], vocab));
    }
    auto check = [&](size_t position, int32_t id, double expected, const char* what) {
      const double got = logprobs[position * vocab + id];
      worst = std::max(worst, std::fabs(got - expected));
      ASSERT_NEAR(got, expected, kTolerance) << what << " at position " << position << ", token " << id;
    };
    for (size_t p = 0; p < prompt.size(); ++p) {
      for (size_t k = 0; k < result["top_ids"][p].size(); ++k) {
        check(p, result["top_ids"][p][k], result["top_logprobs"][p][k], "top-10 log-prob");
      }
    }
    for (size_t p = 0; p + 1 < prompt.size(); ++p) check(p, prompt[p + 1], result["next_logprobs"][p], "next-token");
    for (int32_t id = 0; id < vocab; ++id) check(prompt.size() - 1, id, result["last_logprobs"][id], "last position");
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
}

INSTANTIATE_TEST_SUITE_P(Reference, ReferenceGolden, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return CaseName(info.param); });

}  // namespace
}  // namespace baleen
