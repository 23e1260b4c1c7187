// Tests for OutputParser: reasoning/answer splitting and the three tool-call markups, under every way of
// splitting the text into streamed pieces. Text layer.
#include "text/output/output_parser.h"

#include <gtest/gtest.h>

#include <random>

namespace baleen {
namespace {

struct Parsed {
  std::string reasoning, content;
  std::vector<ToolCall> calls;
};

void Append(Parsed& p, OutputDelta d) {
  p.reasoning += d.reasoning;
  p.content += d.content;
  for (auto& c : d.tool_calls) p.calls.push_back(std::move(c));
}

Parsed ParseInPieces(std::string_view text, const std::vector<size_t>& cuts, const OutputParserOptions& options) {
  OutputParser parser(options);
  Parsed p;
  size_t at = 0;
  for (size_t cut : cuts) {
    Append(p, parser.Push(text.substr(at, cut - at)));
    at = cut;
  }
  Append(p, parser.Push(text.substr(at)));
  Append(p, parser.Finish());
  return p;
}

// Parses in one piece, byte by byte, and in random pieces; all must agree.
Parsed Parse(std::string_view text, const OutputParserOptions& options = {}) {
  const Parsed whole = ParseInPieces(text, {}, options);
  std::vector<size_t> every;
  for (size_t i = 1; i < text.size(); ++i) every.push_back(i);
  std::mt19937 rng(42);
  std::vector<std::vector<size_t>> splits = {every};
  for (int trial = 0; trial < 20 && text.size() > 1; ++trial) {
    std::vector<size_t> cuts;
    for (size_t i = 1; i < text.size(); ++i) {
      if (rng() % 5 == 0) cuts.push_back(i);
    }
    splits.push_back(cuts);
  }
  for (const auto& cuts : splits) {
    const Parsed p = ParseInPieces(text, cuts, options);
    EXPECT_EQ(p.reasoning, whole.reasoning);
    EXPECT_EQ(p.content, whole.content);
    EXPECT_EQ(p.calls.size(), whole.calls.size());
    for (size_t i = 0; i < std::min(p.calls.size(), whole.calls.size()); ++i) {
      EXPECT_EQ(p.calls[i].name, whole.calls[i].name);
      EXPECT_EQ(p.calls[i].arguments, whole.calls[i].arguments);
    }
  }
  return whole;
}

TEST(OutputParser, PromptOpenedReasoning) {
  const Parsed p = Parse("Add 2 and 2.\nThat is 4.\n</think>\n\nThe answer is 4.", {.starts_in_reasoning = true});
  EXPECT_EQ(p.reasoning, "Add 2 and 2.\nThat is 4.");
  EXPECT_EQ(p.content, "The answer is 4.");
  EXPECT_TRUE(p.calls.empty());
}

TEST(OutputParser, ModelOpensReasoningItself) {
  const Parsed p = Parse("<think>\nstep one\n\nstep two\n</think>\n\nDone.");
  EXPECT_EQ(p.reasoning, "step one\n\nstep two");
  EXPECT_EQ(p.content, "Done.");
}

TEST(OutputParser, NoReasoning) {
  EXPECT_EQ(Parse("Hello <b>there</b>").content, "Hello <b>there</b>");
  EXPECT_EQ(Parse("<thinking> is not a tag").content, "<thinking> is not a tag");
  const Parsed off = Parse("<think>x</think>y", {.parse_reasoning = false});
  EXPECT_EQ(off.content, "<think>x</think>y");
}

TEST(OutputParser, MarkerLookalikesStayText) {
  const Parsed p = Parse("a </thx b", {.starts_in_reasoning = true});
  EXPECT_EQ(p.reasoning, "a </thx b");
  EXPECT_EQ(Parse("x <｜tool▁calls▁beg").content, "x <｜tool▁calls▁beg");
}

TEST(OutputParser, R1ToolCalls) {
  const Parsed p = Parse(
      "Let me check.</think>\n\nChecking the weather."
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```"
      "<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{}\n```<｜tool▁call▁end｜>"
      "<｜tool▁calls▁end｜>",
      {.starts_in_reasoning = true});
  EXPECT_EQ(p.reasoning, "Let me check.");
  EXPECT_EQ(p.content, "Checking the weather.");
  ASSERT_EQ(p.calls.size(), 2u);
  EXPECT_EQ(p.calls[0].name, "get_weather");
  EXPECT_EQ(p.calls[0].arguments, "{\"city\": \"Paris\"}");
  EXPECT_EQ(p.calls[1].name, "get_time");
  EXPECT_EQ(p.calls[1].arguments, "{}");
}

TEST(OutputParser, V31ToolCalls) {
  const Parsed p = Parse(
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"tz\": \"UTC\"}<｜tool▁call▁end｜>"
      "<｜tool▁calls▁end｜>");
  EXPECT_EQ(p.content, "");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "get_time");
  EXPECT_EQ(p.calls[0].arguments, "{\"tz\": \"UTC\"}");
}

TEST(OutputParser, DsmlToolCalls) {
  const std::string v32 =
      "I will look.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
      "<｜DSML｜parameter name=\"city\" string=\"true\">Tokyo \"centre\"</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"days\" string=\"false\">3</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"units\" string=\"false\">{\"t\": \"C\"}</｜DSML｜parameter>\n"
      "</｜DSML｜invoke>\n</｜DSML｜function_calls>";
  const Parsed p = Parse(v32);
  EXPECT_EQ(p.content, "I will look.");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "get_weather");
  EXPECT_EQ(p.calls[0].arguments, "{\"city\":\"Tokyo \\\"centre\\\"\",\"days\":3,\"units\":{\"t\":\"C\"}}");

  const Parsed v4 = Parse(
      "<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"a\">\n</｜DSML｜invoke>\n<｜DSML｜invoke name=\"b\">\n"
      "<｜DSML｜parameter name=\"x\" string=\"false\">not json</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
      "</｜DSML｜tool_calls>");
  ASSERT_EQ(v4.calls.size(), 2u);
  EXPECT_EQ(v4.calls[0].arguments, "{}");
  EXPECT_EQ(v4.calls[1].arguments, "{\"x\":\"not json\"}");
}

TEST(OutputParser, DsmlCallFromInsideReasoning) {
  const Parsed p = Parse(
      "need data<｜DSML｜function_calls><｜DSML｜invoke name=\"f\"></｜DSML｜invoke></｜DSML｜function_calls>",
      {.starts_in_reasoning = true});
  EXPECT_EQ(p.reasoning, "need data");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "f");
}

TEST(OutputParser, UnterminatedBlockIsKeptAsText) {
  const Parsed p = Parse("ok <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\"");
  EXPECT_TRUE(p.calls.empty());
  EXPECT_EQ(p.content, "ok<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\"");
}

TEST(OutputParser, ToolsNotOfferedMeansText) {
  const std::string text = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  const Parsed p = Parse(text, {.parse_tool_calls = false});
  EXPECT_TRUE(p.calls.empty());
  EXPECT_EQ(p.content, text);
}

TEST(OutputParser, InnerWhitespaceIsKept) {
  const Parsed p = Parse("a\n\n  b </think>  c  \n d \n", {.starts_in_reasoning = true});
  EXPECT_EQ(p.reasoning, "a\n\n  b");
  EXPECT_EQ(p.content, "c  \n d");
}

}  // namespace
}  // namespace baleen
