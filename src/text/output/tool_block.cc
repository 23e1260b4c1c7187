// ParseToolBlock: the inside of a closed tool-call block, in R1/V3, V3.1 or DSML markup, into ToolCalls. Text layer.
#include <nlohmann/json.hpp>

#include "text/output/output_parser.h"

namespace baleen {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n";

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kWhitespace) - begin + 1);
}

// Returns the text between `open` and the following `close` starting at `from`, advancing `from` past `close`.
bool Between(std::string_view s, std::string_view open, std::string_view close, size_t& from, std::string_view& out) {
  const size_t begin = s.find(open, from);
  if (begin == std::string_view::npos) return false;
  const size_t end = s.find(close, begin + open.size());
  if (end == std::string_view::npos) return false;
  out = s.substr(begin + open.size(), end - begin - open.size());
  from = end + close.size();
  return true;
}

// An attribute value: name="VALUE" inside a tag's text.
std::string_view Attribute(std::string_view tag, std::string_view name) {
  const std::string key = std::string(name) + "=\"";
  const size_t begin = tag.find(key);
  if (begin == std::string_view::npos) return {};
  const size_t end = tag.find('"', begin + key.size());
  return end == std::string_view::npos ? std::string_view() : tag.substr(begin + key.size(), end - begin - key.size());
}

// <｜tool▁call▁begin｜>X<｜tool▁sep｜>Y<｜tool▁call▁end｜>: R1 writes X = "function" and Y = NAME\n```json\nARGS\n```,
// V3.1 writes X = NAME and Y = ARGS.
std::vector<ToolCall> ParseSeparatorCalls(std::string_view block) {
  std::vector<ToolCall> calls;
  size_t from = 0;
  std::string_view call;
  while (Between(block, "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", from, call)) {
    const std::string_view sep = "<｜tool▁sep｜>";
    const size_t at = call.find(sep);
    if (at == std::string_view::npos) continue;
    const std::string_view left = Trim(call.substr(0, at));
    const std::string_view right = call.substr(at + sep.size());
    const size_t fence = right.find("```");
    if (fence != std::string_view::npos) {
      std::string_view args = right.substr(fence + 3);
      if (args.substr(0, 4) == "json") args.remove_prefix(4);
      const size_t close = args.rfind("```");
      if (close != std::string_view::npos) args = args.substr(0, close);
      calls.push_back({std::string(Trim(right.substr(0, fence))), std::string(Trim(args))});
    } else {
      calls.push_back({std::string(left), std::string(Trim(right))});
    }
  }
  return calls;
}

// <｜DSML｜invoke name="N"><｜DSML｜parameter name="P" string="true|false">V</｜DSML｜parameter>…</｜DSML｜invoke>:
// string="true" values are raw text, the others JSON (kept as text when they do not parse).
std::vector<ToolCall> ParseDsmlCalls(std::string_view block) {
  std::vector<ToolCall> calls;
  size_t from = 0;
  std::string_view invoke;
  while (Between(block, "<｜DSML｜invoke", "</｜DSML｜invoke>", from, invoke)) {
    const size_t tag_end = invoke.find('>');
    if (tag_end == std::string_view::npos) continue;
    ToolCall call{std::string(Attribute(invoke.substr(0, tag_end), "name")), ""};
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
    size_t param_from = tag_end;
    std::string_view param;
    while (Between(invoke, "<｜DSML｜parameter", "</｜DSML｜parameter>", param_from, param)) {
      const size_t value_at = param.find('>');
      if (value_at == std::string_view::npos) continue;
      const std::string_view tag = param.substr(0, value_at);
      const std::string value(param.substr(value_at + 1));
      const std::string name(Attribute(tag, "name"));
      if (Attribute(tag, "string") == "true") {
        args[name] = value;
      } else {
        nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(value, nullptr, /*allow_exceptions=*/false);
        args[name] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
      }
    }
    call.arguments = args.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace

std::vector<ToolCall> ParseToolBlock(std::string_view block) {
  if (block.find("<｜DSML｜") != std::string_view::npos) return ParseDsmlCalls(block);
  return ParseSeparatorCalls(block);
}

}  // namespace baleen
