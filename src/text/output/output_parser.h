// OutputParser: splits streamed model output into reasoning, answer and tool calls (text layer).
//
// DeepSeek models think inside <think>…</think> and then answer; with tools they emit tool-call blocks in one of
// three markups, all recognized here without configuration:
//   R1 / V3:   <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//   V3.1:      <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>ARGS<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//   DSML:      <｜DSML｜function_calls> (V3.2) or <｜DSML｜tool_calls> (V4) holding
//              <｜DSML｜invoke name="NAME"><｜DSML｜parameter name="P" string="true|false">V</｜DSML｜parameter>…</｜DSML｜invoke>
// Text arrives in arbitrary pieces (a marker may be split across tokens), so Push() holds back any tail that could
// still become a marker, and whitespace at the edges of reasoning and answer (the "\n" after <think>, the "\n\n"
// after </think> and before a tool block), which is layout, not text. Everything else is passed through at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baleen {

struct ToolCall {
  std::string name;
  std::string arguments;  // a JSON object as text
};

struct OutputDelta {
  std::string reasoning;
  std::string content;
  std::vector<ToolCall> tool_calls;  // complete calls; a block is reported when it closes
  bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
};

struct OutputParserOptions {
  // The prompt already opened the reasoning (the template ended with "<think>" or "<think>\n"), so the output starts
  // inside it and carries only "</think>".
  bool starts_in_reasoning = false;
  // Recognize <think> at the start of the output (R1-0528 emits both tags). Off: everything is answer.
  bool parse_reasoning = true;
  // Recognize tool-call blocks (only when the request offered tools; otherwise they are answer text).
  bool parse_tool_calls = true;
};

class OutputParser {
 public:
  explicit OutputParser(const OutputParserOptions& options = {});

  // Adds generated text; returns what is now certain.
  OutputDelta Push(std::string_view text);
  // Ends the output: returns everything held back. An unterminated tool block is returned as answer text.
  OutputDelta Finish();

 private:
  enum class Mode { kStart, kReasoning, kContent, kToolBlock };

  void Step(OutputDelta& out);
  bool StepStart(OutputDelta& out);
  bool StepText(OutputDelta& out);
  bool StepToolBlock(OutputDelta& out);
  void EmitText(std::string_view text, OutputDelta& out);
  void EnterMode(Mode mode);

  OutputParserOptions options_;
  Mode mode_ = Mode::kStart;
  std::string buffer_;          // received but not yet emitted
  std::string pending_space_;   // whitespace held until text follows in the same mode
  bool mode_has_text_ = false;  // leading whitespace of a mode is dropped
  std::string block_end_;       // closing marker of the open tool block
};

// Parses one complete tool block (markers included) into calls; exposed for tests.
std::vector<ToolCall> ParseToolBlock(std::string_view block);

}  // namespace baleen
