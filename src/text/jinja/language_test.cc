// Unit tests of the Jinja language: every case of tests/data/templates/language_cases.json (one small template
// per construct, filter, test and printing rule, with jinja2's output) plus error positions and the API.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/jinja/template.h"

namespace baleen::jinja {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RenderOptions FixedClock() {
  RenderOptions options;
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 7;
  tm.tm_hour = 14;
  tm.tm_min = 5;
  tm.tm_sec = 9;
  tm.tm_wday = 5;
  tm.tm_yday = 65;
  options.now = tm;
  return options;
}

Result<std::string> Render(std::string_view source, const nlohmann::ordered_json& context = nlohmann::ordered_json::object()) {
  Result<Template> t = Template::Parse(source);
  if (!t.ok()) return t.status();
  return t->Render(context, FixedClock());
}

TEST(LanguageTest, EveryCaseMatchesJinja2) {
  const char* data = std::getenv("BALEEN_TEST_DATA");
  std::filesystem::path path = std::filesystem::path(data ? data : "tests/data") / "templates" / "language_cases.json";
  nlohmann::ordered_json cases = nlohmann::ordered_json::parse(ReadFile(path));
  int passed = 0, total = 0;
  for (const auto& c : cases["cases"]) {
    ++total;
    std::string source = c["template"].get<std::string>();
    Result<std::string> out = Render(source, cases["context"]);
    if (c.contains("expected")) {
      if (!out.ok()) {
        ADD_FAILURE() << source << "\n  failed: " << out.status().ToString();
        continue;
      }
      if (*out != c["expected"].get<std::string>()) {
        ADD_FAILURE() << source << "\n  expected: " << nlohmann::json(c["expected"]).dump()
                      << "\n  got:      " << nlohmann::json(*out).dump();
        continue;
      }
    } else if (out.ok()) {
      ADD_FAILURE() << source << "\n  expected error " << c["error"] << ", got " << nlohmann::json(*out).dump();
      continue;
    }
    ++passed;
  }
  EXPECT_EQ(passed, total);
  std::printf("language: %d/%d cases match jinja2\n", passed, total);
}

TEST(LanguageTest, SyntaxErrorCarriesLineAndColumn) {
  Result<std::string> out = Render("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("line 3, column 10"), std::string::npos) << out.status().message();
}

TEST(LanguageTest, UnknownFilterIsASyntaxErrorWithPosition) {
  Result<Template> t = Template::Parse("ab\ncd {{ x | nope }}");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 2, column 11"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("No filter named 'nope'"), std::string::npos);
}

TEST(LanguageTest, RuntimeErrorCarriesLineAndColumn) {
  Result<std::string> out = Render("{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}",
                                   {{"messages", {{{"content", "x"}}}}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("line 2, column 16"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("can only concatenate str"), std::string::npos);
}

TEST(LanguageTest, RaiseExceptionMessageIsKept) {
  Result<std::string> out = Render("x\n{{ raise_exception('Only user and assistant roles are supported!') }}");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("line 2, column 4: Only user and assistant roles are supported!"),
            std::string::npos)
      << out.status().message();
}

TEST(LanguageTest, UndefinedAttributeOfUndefinedFails) {
  EXPECT_EQ(*Render("[{{ a }}][{{ a is defined }}][{{ d.x }}]", {{"d", nlohmann::ordered_json::object()}}),
            "[][False][]");
  Result<std::string> out = Render("{{ a.b }}");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("'a' is undefined"), std::string::npos);
}

TEST(LanguageTest, ContextKeepsKeyOrderWithOrderedJson) {
  nlohmann::ordered_json tool = {{"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{}"}}}};
  EXPECT_EQ(*Render("{{ t|tojson }}", {{"t", tool}}),
            "{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}");
}

TEST(LanguageTest, PlainJsonContextAlsoRenders) {
  Result<Template> t = Template::Parse("{{ a }}-{{ b }}");
  ASSERT_TRUE(t.ok());
  nlohmann::json context = {{"a", 1}, {"b", "x"}};
  EXPECT_EQ(*t->Render(context), "1-x");
  EXPECT_FALSE(t->Render(nlohmann::json::array()).ok());
}

TEST(LanguageTest, TemplateIsReusable) {
  Result<Template> t = Template::Parse("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->Render(nlohmann::ordered_json{{"xs", {1, 2}}}), "3");
  EXPECT_EQ(*t->Render(nlohmann::ordered_json{{"xs", {5}}}), "5");
}

TEST(LanguageTest, StrftimeNowUsesInjectedClock) {
  EXPECT_EQ(*Render("{{ strftime_now('%d %b %Y') }}"), "07 Mar 2025");
}

}  // namespace
}  // namespace baleen::jinja
