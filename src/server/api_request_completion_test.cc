// Request parsing for /v1/completions, /tokenize and /detokenize: every prompt form and field, and the 400 that names
// the offending one.
#include "server/api_request.h"
#include "server/api_request_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace baleen {
namespace {

using namespace api_test;  // NOLINT: the shared bodies and matchers

// --- completions ---

TEST(CompletionParamsTest, PromptForms) {
  CompletionParams out;
  ASSERT_TRUE(Parses(ParseCompletion(Completion({{"prompt", "Hello"}}), &out)));
  ASSERT_EQ(out.prompts.size(), 1u);
  EXPECT_EQ(out.prompts[0].text, "Hello");
  EXPECT_FALSE(out.prompts[0].is_ids);

  ASSERT_TRUE(Parses(ParseCompletion(Completion({{"prompt", Json::array({"a", ""})}}), &out)));
  ASSERT_EQ(out.prompts.size(), 2u);
  EXPECT_EQ(out.prompts[1].text, "");

  ASSERT_TRUE(Parses(ParseCompletion(Completion({{"prompt", Json::array({1, 2, 0})}}), &out)));
  ASSERT_EQ(out.prompts.size(), 1u);
  EXPECT_TRUE(out.prompts[0].is_ids);
  EXPECT_EQ(out.prompts[0].ids, (std::vector<int32_t>{1, 2, 0}));

  ASSERT_TRUE(Parses(ParseCompletion(Completion({{"prompt", Json::parse("[[1], [2, 3]]")}}), &out)));
  ASSERT_EQ(out.prompts.size(), 2u);
  EXPECT_TRUE(out.prompts[1].is_ids);
  EXPECT_EQ(out.prompts[1].ids, (std::vector<int32_t>{2, 3}));
}

TEST(CompletionParamsTest, EveryFieldGiven) {
  CompletionParams out;
  const Json body = Completion(Json::parse(R"({"suffix": "end", "echo": true, "logprobs": 5, "max_tokens": 0,
                                               "n": 2, "best_of": 2, "temperature": 0})"));
  ASSERT_TRUE(Parses(ParseCompletion(body, &out)));
  EXPECT_EQ(out.suffix, std::optional<std::string>("end"));
  EXPECT_TRUE(out.echo);
  EXPECT_EQ(out.logprobs, std::optional<int>(5));
  EXPECT_EQ(out.common.max_tokens, 0);
  EXPECT_EQ(out.common.n, 2);
  ASSERT_TRUE(
      Parses(ParseCompletion(Completion({{"suffix", nullptr}, {"logprobs", nullptr}, {"best_of", nullptr}}), &out)));
  EXPECT_FALSE(out.suffix.has_value());
  EXPECT_FALSE(out.logprobs.has_value());
  ASSERT_TRUE(Parses(ParseCompletion(Completion({{"logprobs", 0}}), &out)));
  EXPECT_EQ(out.logprobs, std::optional<int>(0));
}

TEST(CompletionParamsTest, PromptCountLimit) {
  Json many = Json::array();
  for (int i = 0; i < 64; ++i) many.push_back("p");
  EXPECT_TRUE(Parses(ParseCompletion(Completion({{"prompt", many}}))));
  many.push_back("p");
  EXPECT_TRUE(Fails(ParseCompletion(Completion({{"prompt", many}})), "prompt", "invalid_value"));
}

class CompletionBadFieldTest : public ::testing::TestWithParam<BadField> {};

TEST_P(CompletionBadFieldTest, IsA400NamingTheField) {
  Json body = Completion();
  body.update(Json::parse(GetParam().extra));
  EXPECT_TRUE(Fails(ParseCompletion(body), GetParam().param, GetParam().code)) << GetParam().extra;
}

INSTANTIATE_TEST_SUITE_P(All, CompletionBadFieldTest,
                         ::testing::Values(BadField{R"({"prompt": null})", "prompt", "missing_required_parameter"},
                                           BadField{R"({"prompt": 5})", "prompt", "invalid_type"},
                                           BadField{R"({"prompt": {"text": "a"}})", "prompt", "invalid_type"},
                                           BadField{R"({"prompt": []})", "prompt", "invalid_value"},
                                           BadField{R"({"prompt": [true]})", "prompt[0]", "invalid_type"},
                                           BadField{R"({"prompt": [null]})", "prompt[0]", "invalid_type"},
                                           BadField{R"({"prompt": ["a", 1]})", "prompt[1]", "invalid_type"},
                                           BadField{R"({"prompt": [1, "a"]})", "prompt[1]", "invalid_type"},
                                           BadField{R"({"prompt": [1, -1]})", "prompt[1]", "invalid_value"},
                                           BadField{R"({"prompt": [1.5]})", "prompt[0]", "invalid_type"},
                                           BadField{R"({"prompt": [2147483648]})", "prompt[0]", "invalid_value"},
                                           BadField{R"({"prompt": [[1], []]})", "prompt[1]", "invalid_value"},
                                           BadField{R"({"prompt": [[1], 2]})", "prompt[1]", "invalid_type"},
                                           BadField{R"({"prompt": [[1], [2, "x"]]})", "prompt[1][1]", "invalid_type"},
                                           BadField{R"({"prompt": [[1], [false]]})", "prompt[1][0]", "invalid_type"},
                                           BadField{R"({"max_tokens": -1})", "max_tokens", "invalid_value"},
                                           BadField{R"({"suffix": 5})", "suffix", "invalid_type"},
                                           BadField{R"({"echo": "yes"})", "echo", "invalid_type"},
                                           BadField{R"({"logprobs": 6})", "logprobs", "invalid_value"},
                                           BadField{R"({"logprobs": -1})", "logprobs", "invalid_value"},
                                           BadField{R"({"logprobs": true})", "logprobs", "invalid_type"},
                                           BadField{R"({"best_of": 3})", "best_of", "unsupported_value"},
                                           BadField{R"({"n": 2, "best_of": 1})", "best_of", "unsupported_value"},
                                           BadField{R"({"best_of": "1"})", "best_of", "invalid_type"},
                                           BadField{R"({"temperature": 2.5})", "temperature", "invalid_value"},
                                           BadField{R"({"stop": [""]})", "stop[0]", "invalid_value"}));

// --- tokenize and detokenize ---

TEST(TokenizeParamsTest, ContentOrPrompt) {
  TokenizeParams out;
  ASSERT_TRUE(Parses(ParseTokenizeParams(Json::parse(R"({"content": "hi", "add_special": true,
                                                          "with_pieces": true})"),
                                         &out)));
  EXPECT_EQ(out.content, "hi");
  EXPECT_TRUE(out.add_special);
  EXPECT_TRUE(out.with_pieces);
  ASSERT_TRUE(Parses(ParseTokenizeParams(Json::parse(R"({"prompt": "p"})"), &out)));
  EXPECT_EQ(out.content, "p");
  EXPECT_FALSE(out.add_special);
  EXPECT_FALSE(out.with_pieces);
  ASSERT_TRUE(Parses(ParseTokenizeParams(Json::parse(R"({"content": "c", "prompt": "p"})"), &out)));
  EXPECT_EQ(out.content, "c");
  ASSERT_TRUE(Parses(ParseTokenizeParams(Json::parse(R"({"content": null, "prompt": "p"})"), &out)));
  EXPECT_EQ(out.content, "p");
  ASSERT_TRUE(Parses(ParseTokenizeParams(Json::parse(R"({"content": ""})"), &out)));
  EXPECT_EQ(out.content, "");
}

TEST(TokenizeParamsTest, BadFields) {
  TokenizeParams out;
  EXPECT_TRUE(Fails(ParseTokenizeParams(Json::object(), &out), "content", "missing_required_parameter"));
  EXPECT_TRUE(Fails(ParseTokenizeParams(Json::parse(R"({"content": 5})"), &out), "content", "invalid_type"));
  EXPECT_TRUE(Fails(ParseTokenizeParams(Json::parse(R"({"prompt": [1]})"), &out), "prompt", "invalid_type"));
  EXPECT_TRUE(Fails(ParseTokenizeParams(Json::parse(R"({"content": "x", "add_special": 1})"), &out), "add_special",
                    "invalid_type"));
  EXPECT_TRUE(Fails(ParseTokenizeParams(Json::parse(R"({"content": "x", "with_pieces": "no"})"), &out), "with_pieces",
                    "invalid_type"));
}

TEST(DetokenizeParamsTest, Tokens) {
  DetokenizeParams out;
  ASSERT_TRUE(Parses(ParseDetokenizeParams(Json::parse(R"({"tokens": [0, 5, 2147483647]})"), &out)));
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{0, 5, 2147483647}));
  ASSERT_TRUE(Parses(ParseDetokenizeParams(Json::parse(R"({"tokens": []})"), &out)));
  EXPECT_TRUE(out.tokens.empty());
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::object(), &out), "tokens", "missing_required_parameter"));
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::parse(R"({"tokens": "1 2"})"), &out), "tokens", "invalid_type"));
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::parse(R"({"tokens": [1, -2]})"), &out), "tokens[1]", "invalid_value"));
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::parse(R"({"tokens": [1.5]})"), &out), "tokens[0]", "invalid_type"));
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::parse(R"({"tokens": [true]})"), &out), "tokens[0]", "invalid_type"));
  EXPECT_TRUE(Fails(ParseDetokenizeParams(Json::parse(R"({"tokens": [[1]]})"), &out), "tokens[0]", "invalid_type"));
}

}  // namespace
}  // namespace baleen
