// OutputParser: a small state machine over the generated text (start → reasoning → answer ⇄ tool block).
// Text layer.
#include "text/output/output_parser.h"

#include <algorithm>
#include <array>

namespace baleen {
namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kWhitespace = " \t\r\n";

struct BlockMarkers {
  std::string_view begin, end;
};
// R1/V3/V3.1 share one wrapper; V3.2 and V4 use DSML with different block names.
constexpr std::array<BlockMarkers, 3> kToolBlocks = {{
    {"<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"},
    {"<｜DSML｜function_calls>", "</｜DSML｜function_calls>"},
    {"<｜DSML｜tool_calls>", "</｜DSML｜tool_calls>"},
}};

// Length of the longest suffix of `text` that is a proper prefix of `marker`.
size_t PartialMarkerSuffix(std::string_view text, std::string_view marker) {
  const size_t longest = std::min(text.size(), marker.size() - 1);
  for (size_t n = longest; n > 0; --n) {
    if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

OutputParser::OutputParser(const OutputParserOptions& options) : options_(options) {
  if (options_.starts_in_reasoning) {
    mode_ = Mode::kReasoning;
  } else if (!options_.parse_reasoning) {
    mode_ = Mode::kContent;
  }
}

OutputDelta OutputParser::Push(std::string_view text) {
  buffer_.append(text);
  OutputDelta out;
  Step(out);
  return out;
}

OutputDelta OutputParser::Finish() {
  OutputDelta out;
  Step(out);
  if (mode_ == Mode::kToolBlock || mode_ == Mode::kStart) {
    // An unterminated tool block (the output was cut off) is shown as text rather than lost.
    mode_ = Mode::kContent;
    mode_has_text_ = false;
  }
  EmitText(buffer_, out);
  buffer_.clear();
  pending_space_.clear();  // trailing whitespace of the output is layout
  return out;
}

void OutputParser::Step(OutputDelta& out) {
  bool progress = true;
  while (progress) {
    switch (mode_) {
      case Mode::kStart: progress = StepStart(out); break;
      case Mode::kReasoning:
      case Mode::kContent: progress = StepText(out); break;
      case Mode::kToolBlock: progress = StepToolBlock(out); break;
    }
  }
}

// Decides whether the output opens with <think> (after optional whitespace).
bool OutputParser::StepStart(OutputDelta& out) {
  const size_t begin = buffer_.find_first_not_of(kWhitespace);
  if (begin == std::string::npos) return false;
  const std::string_view rest = std::string_view(buffer_).substr(begin);
  if (rest.substr(0, kThinkOpen.size()) == kThinkOpen) {
    buffer_.erase(0, begin + kThinkOpen.size());
    EnterMode(Mode::kReasoning);
    return true;
  }
  if (rest.size() < kThinkOpen.size() && kThinkOpen.substr(0, rest.size()) == rest) return false;
  EnterMode(Mode::kContent);
  return true;
}

// Emits reasoning or answer text up to the next marker that ends the mode, holding back a possible partial one.
bool OutputParser::StepText(OutputDelta& out) {
  std::vector<std::string_view> markers;
  if (mode_ == Mode::kReasoning) markers.push_back(kThinkClose);
  if (options_.parse_tool_calls) {
    for (const BlockMarkers& block : kToolBlocks) {
      // Only DSML models call tools from inside their reasoning ("thinking with tools").
      if (mode_ == Mode::kContent || block.begin.find("DSML") != std::string_view::npos) markers.push_back(block.begin);
    }
  }
  size_t first = std::string::npos;
  std::string_view found;
  for (std::string_view marker : markers) {
    const size_t at = buffer_.find(marker);
    if (at < first) {
      first = at;
      found = marker;
    }
  }
  if (first == std::string::npos) {
    size_t hold = 0;
    for (std::string_view marker : markers) hold = std::max(hold, PartialMarkerSuffix(buffer_, marker));
    EmitText(std::string_view(buffer_).substr(0, buffer_.size() - hold), out);
    buffer_.erase(0, buffer_.size() - hold);
    return false;
  }
  EmitText(std::string_view(buffer_).substr(0, first), out);
  if (found == kThinkClose) {
    buffer_.erase(0, first + found.size());
    EnterMode(Mode::kContent);
    return true;
  }
  buffer_.erase(0, first);  // the block keeps its opening marker for ParseToolBlock
  for (const BlockMarkers& block : kToolBlocks) {
    if (block.begin == found) block_end_ = block.end;
  }
  EnterMode(Mode::kToolBlock);
  return true;
}

bool OutputParser::StepToolBlock(OutputDelta& out) {
  const size_t end = buffer_.find(block_end_);
  if (end == std::string::npos) return false;
  const size_t block_size = end + block_end_.size();
  for (ToolCall& call : ParseToolBlock(std::string_view(buffer_).substr(0, block_size))) {
    out.tool_calls.push_back(std::move(call));
  }
  buffer_.erase(0, block_size);
  EnterMode(Mode::kContent);
  return true;
}

void OutputParser::EmitText(std::string_view text, OutputDelta& out) {
  std::string s = pending_space_;
  s.append(text);
  pending_space_.clear();
  if (!mode_has_text_) s.erase(0, std::min(s.size(), s.find_first_not_of(kWhitespace)));
  const size_t last = s.find_last_not_of(kWhitespace);
  if (last == std::string::npos) {
    if (mode_has_text_) pending_space_ = std::move(s);
    return;
  }
  pending_space_ = s.substr(last + 1);
  s.resize(last + 1);
  mode_has_text_ = true;
  (mode_ == Mode::kReasoning ? out.reasoning : out.content) += s;
}

void OutputParser::EnterMode(Mode mode) {
  mode_ = mode;
  pending_space_.clear();
  mode_has_text_ = false;
}

}  // namespace baleen
