// Every real chat template in src/text/templates renders every fixture conversation byte-identically to
// Python jinja2 (fixtures written by tools/template_fixtures/generate.py, which mirrors apply_chat_template).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/jinja/template.h"

namespace baleen::jinja {
namespace {

std::filesystem::path TemplateDir() {
  const char* data = std::getenv("BALEEN_TEST_DATA");
  return std::filesystem::path(data != nullptr ? data : "tests/data") / "templates";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::tm ParseIsoTime(const std::string& iso) {  // "2025-03-07T14:05:09"
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  std::time_t t = timegm(&tm);  // normalises tm_wday / tm_yday for %a, %j
  gmtime_r(&t, &tm);
  return tm;
}

struct FixtureStats {
  int cases = 0;
  int passed = 0;
};

FixtureStats CheckFixtureFile(const std::filesystem::path& path) {
  FixtureStats stats;
  nlohmann::ordered_json fixture = nlohmann::ordered_json::parse(ReadFile(path));
  std::string name = fixture["template"].get<std::string>();
  // The templates themselves are product assets (built-in chat formats), kept in src/text/templates/.
  Result<Template> tmpl = Template::Parse(ReadFile(std::filesystem::path(BALEEN_TEMPLATES_DIR) / name));
  EXPECT_TRUE(tmpl.ok()) << name << ": " << tmpl.status().ToString();
  if (!tmpl.ok()) return stats;
  RenderOptions options;
  options.now = ParseIsoTime(fixture["now"].get<std::string>());
  for (const nlohmann::ordered_json& c : fixture["cases"]) {
    ++stats.cases;
    const nlohmann::ordered_json& conv = fixture["conversations"][c["conversation"].get<std::string>()];
    nlohmann::ordered_json context = {{"messages", conv["messages"]}, {"tools", conv["tools"]}, {"documents", nullptr}};
    for (const auto& [key, value] : c["kwargs"].items()) context[key] = value;
    std::string label = name + " / " + c["conversation"].get<std::string>() + " " + c["kwargs"].dump();
    Result<std::string> out = tmpl->Render(context, options);
    if (c.contains("expected")) {
      if (!out.ok()) {
        ADD_FAILURE() << label << ": render failed: " << out.status().ToString();
        continue;
      }
      if (*out != c["expected"].get<std::string>()) {
        ADD_FAILURE() << label << ":\n--- expected\n" << c["expected"].get<std::string>() << "\n--- got\n" << *out;
        continue;
      }
    } else {
      std::string error = c["error"].get<std::string>();
      if (out.ok()) {
        ADD_FAILURE() << label << ": expected error '" << error << "', got output:\n" << *out;
        continue;
      }
      // raise_exception messages must come through verbatim; other Python errors only need to fail.
      const std::string kRaised = "TemplateError: ";
      if (error.rfind(kRaised, 0) == 0 &&
          out.status().message().find(error.substr(kRaised.size())) == std::string::npos) {
        ADD_FAILURE() << label << ": expected message '" << error << "', got " << out.status().ToString();
        continue;
      }
    }
    ++stats.passed;
  }
  return stats;
}

TEST(TemplatesTest, EveryTemplateMatchesJinja2OnEveryFixture) {
  int files = 0, cases = 0, passed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TemplateDir())) {
    std::string filename = entry.path().filename().string();
    if (filename.size() < 14 || filename.substr(filename.size() - 14) != ".fixtures.json") continue;
    FixtureStats stats = CheckFixtureFile(entry.path());
    ++files;
    cases += stats.cases;
    passed += stats.passed;
  }
  EXPECT_GE(files, 14);
  EXPECT_GT(cases, 0);
  EXPECT_EQ(passed, cases);
  std::printf("templates: %d fixture files, %d/%d cases byte-identical to jinja2\n", files, passed, cases);
}

}  // namespace
}  // namespace baleen::jinja
