// Unit tests of the Python-semantics helpers under the filters: float printing, str repr, json.dumps, and
// the str methods on non-ASCII text. (Filters themselves are checked against jinja2 in language_test.cc.)
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/jinja/pystr.h"
#include "text/jinja/value.h"

namespace baleen::jinja {
namespace {

TEST(PythonFloatTest, ReprMatchesCPython) {
  EXPECT_EQ(FormatFloat(1.0), "1.0");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatFloat(1e16), "1e+16");
  EXPECT_EQ(FormatFloat(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(FormatFloat(1e-5), "1e-05");
  EXPECT_EQ(FormatFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatFloat(-0.0), "-0.0");
  EXPECT_EQ(FormatFloat(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatFloat(5e-324), "5e-324");
  EXPECT_EQ(FormatFloat(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatFloat(std::nan("")), "nan");
}

TEST(PythonReprTest, StringsAndContainers) {
  EXPECT_EQ(Repr(Value::String("it's")), "\"it's\"");
  EXPECT_EQ(Repr(Value::String("a\"b'c")), "'a\"b\\'c'");
  EXPECT_EQ(Repr(Value::String("tab\there\n\\")), "'tab\\there\\n\\\\'");
  EXPECT_EQ(Repr(Value::String("\x01\x7f\xc2\xa0é日")), "'\\x01\\x7f\\xa0é日'");
  EXPECT_EQ(Repr(Value::Tuple({Value::Int(1)})), "(1,)");
  EXPECT_EQ(Repr(Value::List({Value::None(), Value::Bool(true), Value::Float(2.0)})), "[None, True, 2.0]");
  EXPECT_EQ(ToStr(Value::Undefined("x")), "");
}

TEST(PythonJsonTest, DumpsLikeJsonDumps) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(R"({"b": [1, 2.0, "é\n\u2028", null, true], "a": {}})");
  JsonOptions options;
  EXPECT_EQ(ToJson(FromJson(j), options), "{\"b\": [1, 2.0, \"é\\n\u2028\", null, true], \"a\": {}}");
  options.has_indent = true;
  options.indent_str = "  ";
  options.item_separator = ",";
  EXPECT_EQ(ToJson(FromJson(j), options),
            "{\n  \"b\": [\n    1,\n    2.0,\n    \"é\\n\u2028\",\n    null,\n    true\n  ],\n  \"a\": {}\n}");
  JsonOptions ascii;
  ascii.ensure_ascii = true;
  EXPECT_EQ(ToJson(Value::String("é😀\x7f"), ascii), "\"\\u00e9\\ud83d\\ude00\\u007f\"");
}

TEST(PythonStrTest, SplitStripAndCase) {
  std::string comma = ",";
  EXPECT_EQ(pystr::Split("a,b,,c", &comma, -1), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(pystr::Split(" a\u3000b \n", nullptr, -1), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pystr::RSplit("a,b,c", &comma, 1), (std::vector<std::string>{"a,b", "c"}));
  EXPECT_EQ(pystr::Strip("\u3000 x\t\n", nullptr, true, true), "x");
  EXPECT_EQ(pystr::Upper("straße"), "STRASSE");
  EXPECT_EQ(pystr::Title("hello wORLD-foo"), "Hello World-Foo");
  EXPECT_EQ(pystr::Length("日本語"), 3u);
  EXPECT_EQ(pystr::Find("日本語", "語", false), 2);
  EXPECT_EQ(pystr::SplitLines("a\r\nb\u2028c", false), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(PythonStrTest, InvalidUtf8RoundTrips) {
  std::string bad = "a\xff\xc3(b";
  EXPECT_EQ(pystr::Encode(pystr::Decode(bad)), bad);
  EXPECT_EQ(pystr::Length(bad), 5u);
}

}  // namespace
}  // namespace baleen::jinja
