// Template capabilities by probing: each one is read off renders of small conversations carrying sentinel strings (a
// question, a tool name, reasoning before "</think>"), so it follows what the template does, not how its source is
// spelled (the substring tests this replaces disagreed with each other: "tool" vs "tools"). A capability falls back
// to the source only when every render that could show it raised, e.g. a template that insists on inputs the
// probes do not give.
#include "text/template_caps.h"

#include <ctime>
#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace baleen {
namespace {

using ojson = nlohmann::ordered_json;

// Renders one probe: messages, tools (null or an array) and the extra variables (the thinking switches).
using ProbeRender = std::function<Result<std::string>(const ojson& messages, const ojson& tools, const ojson& kwargs)>;

constexpr std::string_view kQuestion = "baleen-probe-question";
constexpr std::string_view kReasoning = "baleen-probe-reasoning";
constexpr std::string_view kAnswer = "baleen-probe-answer";
constexpr std::string_view kToolName = "baleen_probe_tool";

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

ojson Message(std::string_view role, const ojson& content) { return {{"role", role}, {"content", content}}; }

ojson Question() { return ojson::array({Message("user", kQuestion)}); }

// An earlier exchange whose answer carries its reasoning in the content, as clients send R1's output back.
ojson History() {
  return ojson::array({Message("user", "baleen-probe-earlier"),
                       Message("assistant", std::string(kReasoning) + "</think>" + std::string(kAnswer)),
                       Message("user", kQuestion)});
}

// One tool call and its result. `content` is null or "": templates disagree on which an assistant turn with calls
// must have (V3's tool branch wants null, R1-0528 and Qwen3 test "</think>" in it and fail on null).
ojson ToolCallExchange(const ojson& content) {
  ojson assistant = Message("assistant", content);
  assistant["tool_calls"] = ojson::array({{{"id", "call_baleen_probe"},
                                           {"type", "function"},
                                           {"function", {{"name", kToolName}, {"arguments", "{\"probe\": 1}"}}}}});
  return ojson::array({Message("user", kQuestion), assistant,
                       {{"role", "tool"}, {"tool_call_id", "call_baleen_probe"}, {"content", "baleen-probe-result"}}});
}

ojson ProbeTools() {
  return ojson::array({{{"type", "function"},
                        {"function", {{"name", kToolName},
                                      {"description", "probe"},
                                      {"parameters", {{"type", "object"}, {"properties", ojson::object()}}}}}}});
}

ojson Switches(const std::vector<std::string>& names, bool on) {
  ojson kwargs = ojson::object();
  for (const std::string& name : names) kwargs[name] = on;
  return kwargs;
}

// The generation prompt: what follows the question. nullopt when the render raised.
std::optional<std::string> GenerationPrompt(const ProbeRender& render, const ojson& kwargs) {
  Result<std::string> text = render(Question(), nullptr, kwargs);
  if (!text.ok()) return std::nullopt;
  const size_t at = text->rfind(kQuestion);
  if (at == std::string::npos) return std::nullopt;
  return text->substr(at + kQuestion.size());
}

PromptReasoning ClassifyPrompt(std::string_view prompt) {
  const size_t last = prompt.find_last_not_of(" \t\r\n");
  prompt = last == std::string_view::npos ? std::string_view() : prompt.substr(0, last + 1);
  if (prompt.ends_with("</think>")) return PromptReasoning::kClosed;
  if (prompt.ends_with("<think>")) return PromptReasoning::kOpen;
  return PromptReasoning::kNone;
}

// Whether an earlier turn's "REASONING</think>ANSWER" keeps its answer and loses its reasoning (R1, V3.1, Qwen3).
std::optional<bool> DropsReasoning(const ProbeRender& render, const ojson& kwargs) {
  Result<std::string> text = render(History(), nullptr, kwargs);
  if (!text.ok()) return std::nullopt;
  return Contains(*text, kAnswer) && !Contains(*text, kReasoning);
}

std::optional<bool> RendersTools(const ProbeRender& render) {
  Result<std::string> text = render(Question(), ProbeTools(), ojson::object());
  if (!text.ok()) return std::nullopt;
  return Contains(*text, kToolName);
}

// The markup around the probe tool's name in a rendered tool call, most specific first.
std::optional<ToolCallSyntax> ClassifyToolCall(std::string_view text) {
  const std::string name(kToolName);
  const std::pair<std::string, ToolCallSyntax> markups[] = {
      {"<｜DSML｜invoke name=\"" + name + "\"", ToolCallSyntax::kDsml},
      {"<｜tool▁call▁begin｜>" + name + "<｜tool▁sep｜>", ToolCallSyntax::kDeepseekV31},
      {"<｜tool▁sep｜>" + name + "\n```json", ToolCallSyntax::kDeepseekR1},
      {"<tool_call>\n{\"name\": \"" + name + "\"", ToolCallSyntax::kHermes},
      {"{\"name\": \"" + name + "\", \"parameters\": ", ToolCallSyntax::kLlama3Json},
  };
  for (const auto& [markup, syntax] : markups) {
    if (Contains(text, markup)) return syntax;
  }
  return std::nullopt;
}

std::optional<ToolCallSyntax> ToolCalls(const ProbeRender& render) {
  bool rendered = false;
  for (const ojson& content : {ojson(nullptr), ojson("")}) {
    Result<std::string> text = render(ToolCallExchange(content), nullptr, ojson::object());
    if (!text.ok()) continue;
    rendered = true;
    if (std::optional<ToolCallSyntax> syntax = ClassifyToolCall(*text)) return syntax;
  }
  if (rendered) return ToolCallSyntax::kNone;
  return std::nullopt;
}

ToolCallSyntax SourceToolCallSyntax(std::string_view source) {
  if (Contains(source, "<｜DSML｜")) return ToolCallSyntax::kDsml;
  if (Contains(source, "<｜tool▁sep｜>")) return ToolCallSyntax::kDeepseekR1;
  if (Contains(source, "<tool_call>")) return ToolCallSyntax::kHermes;
  return ToolCallSyntax::kNone;
}

// The first candidate whose value changes a render (of the question alone, or after an exchange with reasoning).
std::optional<std::string> ThinkingSwitch(const ProbeRender& render, const std::vector<std::string>& candidates) {
  bool rendered = false;
  for (const std::string& name : candidates) {
    for (const ojson& messages : {Question(), History()}) {
      Result<std::string> on = render(messages, nullptr, {{name, true}});
      Result<std::string> off = render(messages, nullptr, {{name, false}});
      if (!on.ok() || !off.ok()) continue;
      rendered = true;
      if (*on != *off) return name;
    }
  }
  if (rendered) return std::string();
  return std::nullopt;
}

// The longest candidate the source mentions ("enable_thinking" rather than the "thinking" inside it).
std::string SourceThinkingSwitch(std::string_view source, const std::vector<std::string>& candidates) {
  std::string found;
  for (const std::string& name : candidates) {
    if (Contains(source, name) && name.size() > found.size()) found = name;
  }
  return found;
}

TemplateCaps Probe(const ProbeRender& render, const std::vector<std::string>& switches, std::string_view source) {
  TemplateCaps caps;
  const std::optional<std::string> thinking = GenerationPrompt(render, Switches(switches, true));
  const std::optional<std::string> not_thinking = GenerationPrompt(render, Switches(switches, false));
  const std::optional<bool> drops = DropsReasoning(render, Switches(switches, true));
  if (thinking) caps.prompt_thinking = ClassifyPrompt(*thinking);
  if (not_thinking) caps.prompt_not_thinking = ClassifyPrompt(*not_thinking);
  if (thinking || not_thinking || drops) {
    caps.reasoning = drops.value_or(false) || Contains(thinking.value_or(""), "think>") ||
                     Contains(not_thinking.value_or(""), "think>");
  } else {
    caps.reasoning = Contains(source, "</think>");
  }
  caps.renders_tools = RendersTools(render).value_or(Contains(source, "tools"));
  caps.tool_call_syntax = ToolCalls(render).value_or(SourceToolCallSyntax(source));
  caps.thinking_switch = ThinkingSwitch(render, switches).value_or(SourceThinkingSwitch(source, switches));
  return caps;
}

}  // namespace

const char* ToolCallSyntaxName(ToolCallSyntax syntax) {
  switch (syntax) {
    case ToolCallSyntax::kNone: return "none";
    case ToolCallSyntax::kDeepseekR1: return "deepseek-r1";
    case ToolCallSyntax::kDeepseekV31: return "deepseek-v3.1";
    case ToolCallSyntax::kDsml: return "dsml";
    case ToolCallSyntax::kHermes: return "hermes";
    case ToolCallSyntax::kLlama3Json: return "llama3-json";
  }
  return "?";
}

const char* PromptReasoningName(PromptReasoning reasoning) {
  switch (reasoning) {
    case PromptReasoning::kNone: return "none";
    case PromptReasoning::kOpen: return "open";
    case PromptReasoning::kClosed: return "closed";
  }
  return "?";
}

TemplateCaps ProbeTemplateCaps(const jinja::Template& chat_template, std::string_view source) {
  jinja::RenderOptions options;
  std::tm now{};  // strftime_now pinned to 2025-01-01, so two renders differ only by their inputs
  now.tm_mday = 1;
  now.tm_year = 125;
  options.now = now;
  const ProbeRender render = [&](const ojson& messages, const ojson& tools, const ojson& kwargs) {
    ojson context = {{"messages", messages}, {"tools", tools}, {"add_generation_prompt", true},
                     {"bos_token", ""},      {"eos_token", ""}};
    for (const auto& [key, value] : kwargs.items()) context[key] = value;
    return chat_template.Render(context, options);
  };
  return Probe(render, {"thinking", "enable_thinking"}, source);
}

TemplateCaps ProbeNativeChatCaps(NativeChatFormat format) {
  const ProbeRender render = [format](const ojson& messages, const ojson& tools, const ojson& kwargs) {
    NativeChatOptions options;
    options.thinking = kwargs.value("thinking_mode", false);
    return RenderNativeChat(format, messages, tools, options);
  };
  return Probe(render, {"thinking_mode"}, "");
}

std::string DescribeTemplateCaps(const TemplateCaps& caps) {
  return std::string("reasoning=") + (caps.reasoning ? "yes" : "no") + " prompt=" +
         PromptReasoningName(caps.prompt_thinking) + "/" + PromptReasoningName(caps.prompt_not_thinking) +
         " tools=" + (caps.renders_tools ? "rendered" : "described") +
         " calls=" + ToolCallSyntaxName(caps.tool_call_syntax) +
         " switch=" + (caps.thinking_switch.empty() ? "none" : caps.thinking_switch);
}

}  // namespace baleen
