// TemplateCaps of every built-in template and native format, each row checked by reading the template: what its
// generation prompt writes, whether it drops "…</think>" from earlier turns, renders `tools`, the markup of its
// tool calls and the variable it reads for thinking. Plus the fallback to the source when every probe raises.
#include "text/template_caps.h"

#include <map>

#include <gtest/gtest.h>

#include "text/builtin_templates.h"

namespace baleen {
namespace {

constexpr PromptReasoning kNone = PromptReasoning::kNone;
constexpr PromptReasoning kOpen = PromptReasoning::kOpen;
constexpr PromptReasoning kClosed = PromptReasoning::kClosed;

TemplateCaps Caps(bool reasoning, PromptReasoning thinking, PromptReasoning not_thinking, bool renders_tools,
                  ToolCallSyntax syntax, std::string thinking_switch) {
  return {reasoning, thinking, not_thinking, renders_tools, syntax, std::move(thinking_switch)};
}

// `fallback_source`: what the probes may consult when every render raises; "" shows the caps come from rendering.
TemplateCaps ProbeSource(std::string_view source, std::string_view fallback_source) {
  Result<jinja::Template> parsed = jinja::Template::Parse(source);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return ProbeTemplateCaps(*parsed, fallback_source);
}
TemplateCaps ProbeSource(std::string_view source) { return ProbeSource(source, source); }

// reasoning, generation prompt (thinking on / off), renders tools, tool-call markup, thinking switch.
const std::map<std::string, TemplateCaps>& Expected() {
  using S = ToolCallSyntax;
  static const std::map<std::string, TemplateCaps> table = {
      // R1 family: drop "…</think>" from earlier answers; only the later ones open <think>\n themselves, always.
      {"deepseek-r1", Caps(true, kOpen, kOpen, false, S::kDeepseekR1, "")},
      {"deepseek-r1-2501", Caps(true, kNone, kNone, false, S::kDeepseekR1, "")},
      {"deepseek-r1-0528", Caps(true, kNone, kNone, false, S::kDeepseekR1, "")},  // "<｜Assistant｜>" after each user
      {"deepseek-r1-distill-qwen", Caps(true, kOpen, kOpen, false, S::kDeepseekR1, "")},
      {"deepseek-r1-distill-llama-2501", Caps(true, kNone, kNone, false, S::kDeepseekR1, "")},
      // Chat models before R1: no reasoning; V2.5/V3 write R1's call markup, V2 none.
      {"deepseek-v2", Caps(false, kNone, kNone, false, S::kNone, "")},
      {"deepseek-v2.5", Caps(false, kNone, kNone, false, S::kDeepseekR1, "")},
      {"deepseek-v3", Caps(false, kNone, kNone, false, S::kDeepseekR1, "")},
      // V3.1: `thinking` picks "<｜Assistant｜><think>" or "<｜Assistant｜></think>"; calls without type or fence.
      {"deepseek-v3.1", Caps(true, kOpen, kClosed, false, S::kDeepseekV31, "thinking")},
      // Qwen: render `tools` and <tool_call> JSON; Qwen3's enable_thinking=false writes "<think>\n\n</think>\n\n".
      {"qwen2.5", Caps(false, kNone, kNone, true, S::kHermes, "")},
      {"qwen3", Caps(true, kNone, kClosed, true, S::kHermes, "enable_thinking")},
      // Llama: 3.1/3.2 render `tools` and {"name", "parameters"} calls; Llama 3 knows no tools.
      {"llama3", Caps(false, kNone, kNone, false, S::kNone, "")},
      {"llama3.1", Caps(false, kNone, kNone, true, S::kLlama3Json, "")},
      {"llama3.2", Caps(false, kNone, kNone, true, S::kLlama3Json, "")},
  };
  return table;
}

TEST(TemplateCaps, EveryBuiltinTemplate) {
  ASSERT_EQ(BuiltinTemplates().size(), Expected().size());
  for (const BuiltinTemplate& builtin : BuiltinTemplates()) {
    const auto expected = Expected().find(std::string(builtin.name));
    ASSERT_NE(expected, Expected().end()) << "no expected caps for " << builtin.name;
    EXPECT_EQ(DescribeTemplateCaps(ProbeSource(builtin.source)), DescribeTemplateCaps(expected->second))
        << builtin.name;
    // Rendering alone tells: without the source to fall back on, the caps are the same.
    EXPECT_EQ(ProbeSource(builtin.source, ""), expected->second) << builtin.name;
  }
}

TEST(TemplateCaps, NativeFormats) {
  // DeepSeek's encoders: "<｜Assistant｜><think>" in thinking mode, "<｜Assistant｜></think>" in chat mode; tools and
  // calls in DSML.
  const TemplateCaps expected = Caps(true, kOpen, kClosed, true, ToolCallSyntax::kDsml, "thinking_mode");
  for (NativeChatFormat format : {NativeChatFormat::kDeepseekV32, NativeChatFormat::kDeepseekV4}) {
    EXPECT_EQ(DescribeTemplateCaps(ProbeNativeChatCaps(format)), DescribeTemplateCaps(expected))
        << NativeChatFormatName(format);
  }
}

TEST(TemplateCaps, ReadsWhatTheTemplateDoesNotHowItIsSpelled) {
  // Mentions tools, tool calls and </think> only in a comment and a dead branch: none of it is rendered.
  const TemplateCaps caps = ProbeSource(
      "{# renders tools? <｜tool▁sep｜> </think> #}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}"
      "{% endfor %}{% if false %}{{ tools }}</think>{% endif %}<|assistant|>");
  EXPECT_EQ(DescribeTemplateCaps(caps), DescribeTemplateCaps(TemplateCaps{}));
  // A template of its own (the test models'): opens <think>\n although it never writes "</think>".
  const TemplateCaps tiny = ProbeSource(
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<｜User｜>' + "
      "message['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}"
      "{% endif %}");
  EXPECT_EQ(DescribeTemplateCaps(tiny),
            DescribeTemplateCaps(Caps(true, kOpen, kOpen, false, ToolCallSyntax::kNone, "")));
}

TEST(TemplateCaps, FallsBackToTheSourceOnlyWhenEveryProbeRaises) {
  const TemplateCaps caps = ProbeSource(
      "{{ raise_exception('needs a document') }}{% if enable_thinking %}{{ tools }}<tool_call></think>{% endif %}");
  EXPECT_TRUE(caps.reasoning);
  EXPECT_EQ(caps.prompt_thinking, kNone);
  EXPECT_TRUE(caps.renders_tools);
  EXPECT_EQ(caps.tool_call_syntax, ToolCallSyntax::kHermes);
  EXPECT_EQ(caps.thinking_switch, "enable_thinking");
}

}  // namespace
}  // namespace baleen
