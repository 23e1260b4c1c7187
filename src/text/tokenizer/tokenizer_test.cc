// Fixture tests: Baleen's tokenizers against the reference tokenizers (transformers.js) on the committed fixture
// sets, through both loading paths: tokenizer.json, and a GGUF-style vocabulary (one token list with token types,
// merges, and the named pre-tokenizer of tokenizer.ggml.pre), as the GGUF loader fills it.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "formats/gguf/gguf_model.h"
#include "text/tokenizer/detokenizer.h"
#include "text/tokenizer/gguf_loader.h"
#include "text/tokenizer/tokenizer_test_util.h"

namespace baleen {
namespace {

using Json = nlohmann::json;
using testing::LoadTokenizer;
using testing::LoadVocab;

struct Model {
  const char* name;      // fixture / package name
  const char* gguf_pre;  // tokenizer.ggml.pre of the GGUF conversion
};
constexpr Model kModels[] = {{"deepseek_v3", "deepseek-v3"}, {"qwen3", "qwen2"}, {"llama3_1", "llama-bpe"}};
void PrintTo(const Model& model, std::ostream* os) { *os << model.name; }

Json LoadFixtures(const std::string& model) {
  const std::string path = testing::TokenizerFixturesDir() + "/" + model + ".fixtures.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return Json();
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Json::parse(buffer.str());
}

// The vocabulary through a real GGUF file: written as the ecosystem's converter writes it (token types control for
// special added tokens, user-defined for the others; tokenizer.ggml.pre naming the pre-tokenizer), read back with
// GgufModel, and loaded by LoadGgufVocab.
std::unique_ptr<Tokenizer> GgufStyleTokenizer(const BpeVocab& hf, const std::string& pre) {
  GgufWriter writer;
  writer.SetString("general.architecture", "llama");
  AddVocabToGguf(hf, pre, writer);
  const std::string path =
      ::testing::TempDir() + "/baleen_tokenizer_" + std::to_string(::getpid()) + "_" + pre + ".gguf";
  Status written = writer.Write(path);
  EXPECT_TRUE(written.ok()) << written.ToString();
  Result<std::unique_ptr<GgufModel>> model = GgufModel::Open(path);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (!model.ok()) return nullptr;
  Result<BpeVocab> gguf = LoadGgufVocab(**model);
  std::remove(path.c_str());
  EXPECT_TRUE(gguf.ok()) << gguf.status().ToString();
  if (!gguf.ok()) return nullptr;
  Result<std::unique_ptr<Tokenizer>> tok = Tokenizer::Create(std::move(gguf).value());
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

std::string Show(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(ids[i]);
  }
  s += ']';
  return s;
}

std::string StreamDecode(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip_special) {
  DecodeOptions options;
  options.skip_special_tokens = skip_special;
  StreamDecoder stream(tok, options);
  std::string text;
  for (const int32_t id : ids) text += stream.Push(id);
  return text + stream.Finish();
}

DecodeOptions Options(bool skip_special, bool clean_up) {
  DecodeOptions options;
  options.skip_special_tokens = skip_special;
  options.clean_up_tokenization_spaces = clean_up;
  return options;
}

// Runs every fixture case; returns the number of mismatching checks and reports the first few.
int CheckFixtures(const Tokenizer& tok, const Json& fixtures, const std::string& label, int* n_cases) {
  int mismatches = 0;
  const auto report = [&](const std::string& what, const std::string& text, const std::string& got,
                          const std::string& want) {
    if (++mismatches <= 8) {
      ADD_FAILURE() << label << " " << what << " mismatch for " << Json(text).dump() << "\n  got:  " << got
                    << "\n  want: " << want;
    }
  };
  for (const Json& c : fixtures["cases"]) {
    ++*n_cases;
    const std::string text = c["text"];
    const auto want = c["ids"].get<std::vector<int32_t>>();
    const auto want_untrusted = c.value("ids_untrusted", want);
    Result<std::vector<int32_t>> got = tok.Encode(TrustedText(text));
    if (!got.ok() || *got != want) report("ids", text, got.ok() ? Show(*got) : got.status().ToString(), Show(want));
    Result<std::vector<int32_t>> untrusted = tok.EncodeUntrusted(text);
    if (!untrusted.ok() || *untrusted != want_untrusted) {
      report("ids_untrusted", text, untrusted.ok() ? Show(*untrusted) : untrusted.status().ToString(),
             Show(want_untrusted));
    }
    if (!c.contains("decoded")) continue;
    const std::string decoded = c["decoded"];
    const std::string skip = c.value("decoded_skip_special", decoded);
    const std::string cleanup = c.value("decoded_cleanup", decoded);
    const DecodeOptions plain = Options(false, false);
    if (std::string d = tok.Decode(want, plain); d != decoded) {
      report("decode", text, Json(d).dump(), Json(decoded).dump());
    }
    const DecodeOptions skip_options = Options(true, false);
    if (std::string d = tok.Decode(want, skip_options); d != skip) report("decode(skip)", text, d, skip);
    const DecodeOptions cleanup_options = Options(false, true);
    if (std::string d = tok.Decode(want, cleanup_options); d != cleanup) report("decode(cleanup)", text, d, cleanup);
    if (std::string d = StreamDecode(tok, want, false); d != decoded) report("stream", text, d, decoded);
  }
  for (const Json& c : fixtures["decode_cases"]) {
    ++*n_cases;
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    const std::string decoded = c["decoded"];
    const std::string skip = c.value("decoded_skip_special", decoded);
    const DecodeOptions plain = Options(false, false);
    if (std::string d = tok.Decode(ids, plain); d != decoded) {
      report("decode", Show(ids), Json(d).dump(), Json(decoded).dump());
    }
    const DecodeOptions skip_options = Options(true, false);
    if (std::string d = tok.Decode(ids, skip_options); d != skip) report("decode(skip)", Show(ids), d, skip);
    if (std::string d = StreamDecode(tok, ids, false); d != decoded) report("stream", Show(ids), d, decoded);
    if (std::string d = StreamDecode(tok, ids, true); d != skip) report("stream(skip)", Show(ids), d, skip);
  }
  return mismatches;
}

class FixtureTest : public ::testing::TestWithParam<Model> {};

TEST_P(FixtureTest, TokenizerJsonPathMatchesReference) {
  const Tokenizer* tok = LoadTokenizer(GetParam().name);
  ASSERT_NE(tok, nullptr);
  const Json fixtures = LoadFixtures(GetParam().name);
  ASSERT_TRUE(fixtures.contains("cases"));
  int n_cases = 0;
  const int mismatches = CheckFixtures(*tok, fixtures, std::string(GetParam().name) + " (tokenizer.json)", &n_cases);
  EXPECT_EQ(mismatches, 0) << "over " << n_cases << " cases";
  EXPECT_GT(n_cases, 500);
}

TEST_P(FixtureTest, GgufPathMatchesReference) {
  const BpeVocab* vocab = LoadVocab(GetParam().name);
  ASSERT_NE(vocab, nullptr);
  std::unique_ptr<Tokenizer> tok = GgufStyleTokenizer(*vocab, GetParam().gguf_pre);
  ASSERT_NE(tok, nullptr);
  const Json fixtures = LoadFixtures(GetParam().name);
  ASSERT_TRUE(fixtures.contains("cases"));
  int n_cases = 0;
  const std::string label = std::string(GetParam().name) + " (GGUF pre " + GetParam().gguf_pre + ")";
  EXPECT_EQ(CheckFixtures(*tok, fixtures, label, &n_cases), 0) << "over " << n_cases << " cases";
}

INSTANTIATE_TEST_SUITE_P(Models, FixtureTest, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace baleen
