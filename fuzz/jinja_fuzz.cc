// libFuzzer target for the Jinja interpreter: parses the input as a chat template and renders it against a
// small fixed conversation with tight limits. Any crash, sanitizer report, hang or leak is a bug; template
// errors are expected outcomes.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/jinja_fuzz.cc \
//     src/text/jinja/{budget,expressions,filters,interpreter,json,lexer,methods,operators,parser,pystr,template,tests,value}.cc \
//     src/base/status.cc -o jinja_fuzz && ./jinja_fuzz fuzz/corpus/jinja
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "text/jinja/template.h"

namespace {

const nlohmann::ordered_json& Context() {
  static const auto* context = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Weather in Paris? 日本 👋"},
      {"role": "assistant", "content": "<think>\nplan\n</think>\n\nLet me check.", "reasoning_content": "r",
       "tool_calls": [{"id": "c1", "type": "function",
                       "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                      {"id": "c2", "type": "function", "function": {"name": "f", "arguments": {"x": [1, 2.5, null]}}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "18C"},
      {"role": "assistant", "content": null}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
    "documents": null,
    "add_generation_prompt": true,
    "bos_token": "<｜begin▁of▁sentence｜>",
    "eos_token": "<｜end▁of▁sentence｜>",
    "thinking": true,
    "enable_thinking": false
  })"));
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view source(reinterpret_cast<const char*>(data), size);
  auto parsed = baleen::jinja::Template::Parse(source);
  if (!parsed.ok()) return 0;
  baleen::jinja::RenderOptions options;
  options.limits.max_iterations = 20000;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_call_depth = 32;
  std::tm now{};
  now.tm_year = 125;
  now.tm_mday = 1;
  options.now = now;
  auto rendered = parsed->Render(Context(), options);
  (void)rendered;
  return 0;
}
