// Public API of the Jinja interpreter: turns internal JinjaError unwinds into Status values. Text layer.
#include "text/jinja/template.h"

#include <nlohmann/json.hpp>

#include "text/jinja/ast.h"
#include "text/jinja/budget.h"
#include "text/jinja/parser.h"

namespace baleen::jinja {
namespace {

Status ToStatus(const JinjaError& error) {
  std::string where = "line " + std::to_string(error.line) + ", column " + std::to_string(error.column) + ": ";
  bool limit = error.message.find("exceeded") != std::string::npos ||
               error.message.find("exceeds") != std::string::npos ||
               error.message.find("nested") != std::string::npos ||
               error.message.find("too large") != std::string::npos ||
               error.message.find("too deeply") != std::string::npos;
  return {limit ? StatusCode::kResourceExhausted : StatusCode::kInvalidArgument, "template " + where + error.message};
}

}  // namespace

Result<Template> Template::Parse(std::string_view source) {
  try {
    return Template(std::make_shared<const Program>(ParseProgram(source)));
  } catch (const JinjaError& error) {
    return ToStatus(error);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("template: out of memory while parsing");
  }
}

Result<std::string> Template::Render(const nlohmann::ordered_json& context, const RenderOptions& options) const {
  if (!context.is_object()) return InvalidArgument("template context must be a JSON object");
  return RenderValue([&] { return FromJson(context); }, options);
}

Result<std::string> Template::Render(const nlohmann::json& context, const RenderOptions& options) const {
  if (!context.is_object()) return InvalidArgument("template context must be a JSON object");
  return RenderValue([&] { return FromJson(context); }, options);
}

Result<std::string> Template::RenderValue(const std::function<Value()>& make_context,
                                          const RenderOptions& options) const {
  std::tm now{};
  if (options.now.has_value()) {
    now = *options.now;
  } else {
    std::time_t t = std::time(nullptr);
    localtime_r(&t, &now);
  }
  try {
    WorkBudgetScope budget(options.limits.max_iterations * 64);
    Interpreter interpreter(options.limits, now);
    return interpreter.Render(*program_, make_context());
  } catch (const JinjaError& error) {
    return ToStatus(error);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("template: out of memory while rendering");
  } catch (const std::exception& e) {  // third-party (nlohmann) throws stop at this edge
    return Internal(std::string("template: ") + e.what());
  }
}

}  // namespace baleen::jinja
