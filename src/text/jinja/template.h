// Public API of the Jinja interpreter: parse a Hugging Face chat template once, render it many times with
// output byte-identical to transformers' apply_chat_template (Python jinja2, trim_blocks and lstrip_blocks,
// HF's tojson, raise_exception and strftime_now). Text layer.
//
//   ASSIGN_OR_RETURN(Template t, Template::Parse(source));
//   ASSIGN_OR_RETURN(std::string prompt, t.Render({{"messages", messages}, {"add_generation_prompt", true},
//                                                  {"bos_token", "<｜begin▁of▁sentence｜>"}}));
//
// Errors (syntax and runtime, including raise_exception) are InvalidArgument with "line L, column C: ...".
// Hostile templates hit RenderLimits (ResourceExhausted) instead of crashing, hanging or exhausting memory.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "text/jinja/interpreter.h"

namespace baleen::jinja {

struct Program;

struct RenderOptions {
  RenderLimits limits;
  std::optional<std::tm> now;  // what strftime_now() sees; unset means the local wall clock
};

class Template {
 public:
  static Result<Template> Parse(std::string_view source);

  // `context` must be a JSON object: messages, tools, add_generation_prompt, bos_token, eos_token and any extra
  // template kwargs (thinking, enable_thinking, ...). As in transformers, pass "tools": null when there are none.
  // Pass ordered_json so that dict keys (tool schemas!) keep the order the client sent; nlohmann::json sorts
  // keys and then tojson output differs from Python's.
  Result<std::string> Render(const nlohmann::ordered_json& context, const RenderOptions& options = {}) const;
  Result<std::string> Render(const nlohmann::json& context, const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const Program> program) : program_(std::move(program)) {}
  Result<std::string> RenderValue(const std::function<Value()>& make_context, const RenderOptions& options) const;
  std::shared_ptr<const Program> program_;  // immutable: one Template may render on many threads
};

}  // namespace baleen::jinja
