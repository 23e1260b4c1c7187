// Hostile templates: deep nesting, huge loops, runaway recursion and exponential growth end in clean errors,
// not crashes, hangs or memory exhaustion.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/jinja/template.h"

namespace baleen::jinja {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Parses and renders; returns the status (OK when it rendered).
Status RunTemplate(const std::string& source, const nlohmann::ordered_json& context = nlohmann::ordered_json::object()) {
  auto start = std::chrono::steady_clock::now();
  Result<Template> t = Template::Parse(source);
  Status status = t.ok() ? Status::Ok() : t.status();
  if (t.ok()) {
    Result<std::string> out = t->Render(context);
    if (!out.ok()) status = out.status();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 10.0) << source.substr(0, 200);
  return status;
}

void ExpectFailure(const std::string& source, const std::string& needle) {
  Status s = RunTemplate(source);
  EXPECT_FALSE(s.ok()) << source.substr(0, 200);
  EXPECT_NE(s.message().find(needle), std::string::npos) << source.substr(0, 200) << " -> " << s.ToString();
}

TEST(HostileTest, DeeplyNestedParenthesesFailToParse) {
  ExpectFailure("{{ " + Repeat("(", 100000) + "1" + Repeat(")", 100000) + " }}", "nested too deeply");
  ExpectFailure("{{ " + Repeat("[", 5000) + Repeat("]", 5000) + " }}", "nested too deeply");
  ExpectFailure("{{ " + Repeat("not ", 100000) + "x }}", "nested too deeply");
  ExpectFailure("{{ " + Repeat("-", 100000) + "1 }}", "nested too deeply");
}

TEST(HostileTest, LongOperatorChainsFailToParse) {
  ExpectFailure("{{ 1" + Repeat(" + 1", 100000) + " }}", "nested too deeply");
  ExpectFailure("{{ x" + Repeat(".a", 100000) + " }}", "nested too deeply");
  ExpectFailure("{{ x" + Repeat("|trim", 100000) + " }}", "nested too deeply");
  ExpectFailure("{{ f" + Repeat("()", 100000) + " }}", "nested too deeply");
  ExpectFailure("{{ 'a' if x else" + Repeat(" 'a' if x else", 100000) + " 'b' }}", "nested too deeply");
}

TEST(HostileTest, DeeplyNestedBlocksFailToParse) {
  ExpectFailure(Repeat("{% if true %}", 10000) + "x" + Repeat("{% endif %}", 10000), "nested too deeply");
  ExpectFailure(Repeat("{% for x in y %}", 10000) + Repeat("{% endfor %}", 10000), "nested too deeply");
}

TEST(HostileTest, ModerateNestingStillWorks) {
  EXPECT_TRUE(RunTemplate(Repeat("{% if true %}", 40) + "x" + Repeat("{% endif %}", 40)).ok());
  EXPECT_TRUE(RunTemplate("{{ " + Repeat("(", 20) + "1" + Repeat(")", 20) + " }}").ok());
  EXPECT_TRUE(RunTemplate("{{ 1" + Repeat(" + 1", 200) + " }}").ok());
}

TEST(HostileTest, HugeLoopsHitTheIterationLimit) {
  ExpectFailure("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                "loop iterations");
  ExpectFailure("{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}"
                "{% endfor %}{% endfor %}{% endfor %}",
                "loop iterations");
  ExpectFailure("{{ range(10000000)|list }}", "Range too big");
}

TEST(HostileTest, RecursiveMacrosHitTheCallDepthLimit) {
  ExpectFailure("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested more than");
  ExpectFailure("{% macro a(n) %}{{ b(n) }}{% endmacro %}{% macro b(n) %}{{ a(n) }}{% endmacro %}{{ a(1) }}",
                "nested more than");
}

TEST(HostileTest, FanOutRecursionHitsTheIterationLimit) {
  // Each call fans out, so depth stays small but the work explodes (2^40 calls).
  Result<Template> t =
      Template::Parse("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}");
  ASSERT_TRUE(t.ok());
  RenderOptions options;
  options.limits.max_iterations = 100000;
  Result<std::string> out = t->Render(nlohmann::ordered_json::object(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("exceeded"), std::string::npos);
}

TEST(HostileTest, ExponentialGrowthHitsTheSizeLimit) {
  ExpectFailure("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                "exceeds");
  ExpectFailure("{% set ns = namespace(s='xx') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                "exceeds");
  ExpectFailure("{{ 'x' * 1000000000 }}", "exceeds");
  ExpectFailure("{{ [1] * 1000000000 }}", "exceeds");
  ExpectFailure("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "exceeds");
  ExpectFailure("{{ ('x' * 1000000)|replace('x', 'yyyyyyyyyyyyyyyyyyyyyyyy') }}", "exceeds");
  ExpectFailure("{{ ('a\\n' * 1000000)|indent(4000) }}", "exceeds");
}

TEST(HostileTest, SharedStructuresCannotBlowUpPrintingOrComparison) {
  // A list holding the same big list many times is cheap to build but huge to print or compare.
  ExpectFailure("{% set big = range(100000)|list %}{% set wide = [big] * 100000 %}{{ wide }}", "");
  ExpectFailure("{% set a = range(100000)|list %}{% set b = range(100000)|list %}"
                "{{ ([a] * 100000) == ([b] * 100000) }}",
                "work budget");
  ExpectFailure("{% set big = range(100000)|list %}{{ ([big] * 10000)|tojson(indent=100) }}", "");
}

TEST(HostileTest, DeepValueNestingIsRejected) {
  ExpectFailure("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}",
                "nested more than");
  ExpectFailure("{% set ns = namespace(d={}) %}{% for i in range(100000) %}{% set ns.d = {'k': ns.d} %}{% endfor %}",
                "nested more than");
  nlohmann::ordered_json deep = 1;
  for (int i = 0; i < 1000; ++i) deep = nlohmann::ordered_json::array({deep});
  Status s = RunTemplate("{{ x }}", {{"x", deep}});
  EXPECT_FALSE(s.ok());
}

TEST(HostileTest, SelfReferentialNamespacePrints) {
  Result<Template> t = Template::Parse("{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->Render(nlohmann::ordered_json::object());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "<Namespace {'a': 1, 'me': <Namespace {...}>}>");
}

TEST(HostileTest, IntegerOverflowIsAnError) {
  ExpectFailure("{{ 9223372036854775807 + 1 }}", "overflow");
  ExpectFailure("{{ 2 ** 64 }}", "overflow");
  ExpectFailure("{{ 99999999999999999999 }}", "too large");
  ExpectFailure("{{ -(-9223372036854775807 - 1) }}", "overflow");
}

// The work a render of t takes, counted by its budget: the smallest RenderLimits::max_iterations (64 budget units
// each) it renders under, or cap + 1. Renders that need more than cap stop at cap, so a runaway search is cut short.
int64_t IterationsToRender(const Template& t, const nlohmann::ordered_json& context, int64_t cap) {
  RenderOptions options;
  auto fits = [&](int64_t iterations) {
    options.limits.max_iterations = iterations;
    Result<std::string> out = t.Render(context, options);
    EXPECT_TRUE(out.ok() || out.status().code() == StatusCode::kResourceExhausted) << out.status().ToString();
    return out.ok();
  };
  if (!fits(cap)) return cap + 1;
  int64_t too_few = 0, enough = cap;
  while (enough - too_few > 1) {
    const int64_t mid = too_few + (enough - too_few) / 2;
    (fits(mid) ? enough : too_few) = mid;
  }
  return enough;
}

// `needle in haystack` where a naive search backs up at every byte: n × 'a' against (n/2) × 'a' + 'b', n²/4 byte
// comparisons. Measured in the work units the search charges for what it reads (pystr::FindBytes), not in time, which
// failed under load: the work at n, 2n and 4n must grow linearly (its step from 2n to 4n twice the step from n to 2n;
// a quadratic search makes it four times) and stay within a few units per byte.
TEST(HostileTest, PathologicalStringSearchIsLinear) {
  const Result<Template> t = Template::Parse("{{ needle in haystack }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  int64_t work[3];
  for (int i = 0; i < 3; ++i) {
    const int64_t n = int64_t{1} << (16 + i);
    const nlohmann::ordered_json context = {{"haystack", std::string(n, 'a')},
                                            {"needle", std::string(n / 2, 'a') + "b"}};
    const int64_t cap = n / 8;  // 8 units per byte of the haystack
    work[i] = IterationsToRender(*t, context, cap);
    EXPECT_LE(work[i], cap) << "more than 8 work units per byte at n = " << n;
  }
  EXPECT_GT(work[1], work[0]);  // the search is counted at all
  EXPECT_LE(work[2] - work[1], 2.5 * (work[1] - work[0])) << work[0] << ", " << work[1] << ", " << work[2];
}

TEST(HostileTest, CustomLimitsApply) {
  Result<Template> t = Template::Parse("{% for i in range(100) %}{{ i }}{% endfor %}");
  ASSERT_TRUE(t.ok());
  RenderOptions options;
  options.limits.max_iterations = 50;
  Result<std::string> out = t->Render(nlohmann::ordered_json::object(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  options.limits.max_iterations = 1000;
  options.limits.max_output_bytes = 20;
  out = t->Render(nlohmann::ordered_json::object(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace baleen::jinja
