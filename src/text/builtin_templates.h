// Built-in chat templates: the verbatim templates of the DeepSeek family and its bases (src/text/templates/*.jinja,
// provenance in SOURCES.md), embedded in the binary. Text layer. They let a user run a model whose file carries no
// template, or a stale one (the January 2025 R1 template without "<think>\n"), by naming the format.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace baleen {

struct BuiltinTemplate {
  std::string_view name;    // file stem: "deepseek-r1", "deepseek-v3.1", "qwen3", ...
  std::string_view source;  // Jinja source
};

std::span<const BuiltinTemplate> BuiltinTemplates();
const BuiltinTemplate* FindBuiltinTemplate(std::string_view name);
// "deepseek-r1, deepseek-v3, ..." for error messages and --help.
std::string BuiltinTemplateNames();

}  // namespace baleen
