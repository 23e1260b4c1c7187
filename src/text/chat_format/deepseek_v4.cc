// DeepSeek-V4 prompt format (text layer). Mirrors encode_messages, merge_tool_messages,
// sort_tool_results_by_call_order and render_message in DeepSeek's `encoding/encoding_dsv4.py`: tool results
// become <tool_result> blocks of a user turn (merged with neighbouring user messages, ordered like the calls),
// tool calls are a DSML <｜DSML｜tool_calls> block, and earlier reasoning is kept when drop_thinking is off or tools
// are offered.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "text/chat_format/chat_messages.h"

namespace baleen::chat_format {
namespace {

constexpr char kToolsHead[] =
    "## Tools\n\n"
    "You have access to a set of tools to help answer the user's question. You can invoke tools by writing a "
    "\"<｜DSML｜tool_calls>\" block like the following:\n\n"
    "<｜DSML｜tool_calls>\n"
    "<｜DSML｜invoke name=\"$TOOL_NAME\">\n"
    "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</｜DSML｜parameter>\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "<｜DSML｜invoke name=\"$TOOL_NAME2\">\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "</｜DSML｜tool_calls>\n\n"
    "String parameters should be specified as is and set `string=\"true\"`. For all other types (numbers, "
    "booleans, arrays, objects), pass the value in JSON format and set `string=\"false\"`.\n\n"
    "If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning inside "
    "<think>...</think> BEFORE any tool calls or final response.\n\n"
    "Otherwise, output directly after </think> with tool calls or final response.\n\n"
    "### Available Tool Schemas\n\n";
constexpr char kToolsTail[] =
    "\n\nYou MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n";

constexpr char kReasoningEffortMax[] =
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
    "You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root "
    "cause, rigorously stress-testing your logic against all potential paths, edge cases, and adversarial "
    "scenarios.\n"
    "Explicitly write out your entire deliberation process, documenting every intermediate step, considered "
    "alternative, and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n";

// A piece of a merged user turn: its own text, or a tool result.
struct Block {
  bool tool_result = false;
  std::string text;
  std::string tool_use_id;
};

// A message after merging; user turns hold their text as blocks.
struct Turn {
  ChatMessage message;
  std::vector<Block> blocks;
};

std::string Attachments(const ChatMessage& message) { return MessageAttachments(message, kToolsHead, kToolsTail); }

// merge_tool_messages: tool and user messages join the user turn before them, if there is one.
std::vector<Turn> MergeToolMessages(std::vector<ChatMessage> messages) {
  std::vector<Turn> turns;
  for (ChatMessage& message : messages) {
    if (message.role != "tool" && message.role != "user") {
      turns.push_back(Turn{std::move(message), {}});
      continue;
    }
    Block block{message.role == "tool", message.content, message.tool_call_id};
    if (turns.empty() || turns.back().message.role != "user") {
      ChatMessage user;
      user.role = "user";
      turns.push_back(Turn{std::move(user), {}});
    }
    turns.back().blocks.push_back(std::move(block));
  }
  return turns;
}

// sort_tool_results_by_call_order: within a user turn holding several results, the results take the order of the
// latest assistant tool_calls (matched by id; unknown ids sort as 0; stable); other blocks keep their places.
void SortToolResults(std::vector<Turn>& turns) {
  std::map<std::string, size_t> call_order;
  for (Turn& turn : turns) {
    if (turn.message.role == "assistant" && !turn.message.tool_calls.empty()) {
      call_order.clear();
      for (size_t i = 0; i < turn.message.tool_calls.size(); ++i) {
        if (!turn.message.tool_calls[i].id.empty()) call_order[turn.message.tool_calls[i].id] = i;
      }
      continue;
    }
    if (turn.message.role != "user" || call_order.empty()) continue;
    std::vector<Block> results;
    for (const Block& block : turn.blocks) if (block.tool_result) results.push_back(block);
    if (results.size() < 2) continue;
    auto rank = [&](const Block& block) {
      auto it = call_order.find(block.tool_use_id);
      return it == call_order.end() ? size_t{0} : it->second;
    };
    std::stable_sort(results.begin(), results.end(), [&](const Block& a, const Block& b) { return rank(a) < rank(b); });
    size_t next = 0;
    for (Block& block : turn.blocks) if (block.tool_result) block = results[next++];
  }
}

int LastUserTurn(const std::vector<Turn>& turns) {
  for (int i = static_cast<int>(turns.size()) - 1; i >= 0; --i) {
    const std::string& role = turns[static_cast<size_t>(i)].message.role;
    if (role == "user" || role == "developer") return i;
  }
  return -1;
}

// _drop_thinking_messages: developer messages before the last user turn are dropped (assistant reasoning there
// goes too, but is not rendered when dropping anyway).
std::vector<Turn> DropThinking(std::vector<Turn> turns) {
  const int last_user = LastUserTurn(turns);
  std::vector<Turn> kept;
  for (size_t i = 0; i < turns.size(); ++i) {
    if (turns[i].message.role == "developer" && static_cast<int>(i) < last_user) continue;
    kept.push_back(std::move(turns[i]));
  }
  return kept;
}

std::string UserText(const Turn& turn) {
  std::string out = kUser;
  for (size_t i = 0; i < turn.blocks.size(); ++i) {
    if (i > 0) out += "\n\n";
    const Block& block = turn.blocks[i];
    out += block.tool_result ? "<tool_result>" + block.text + "</tool_result>" : block.text;
  }
  return out;
}

struct RenderState {
  bool thinking = false;
  bool drop_thinking = true;  // effective: false when tools are offered
  int last_user = -1;
};

std::string AssistantText(const ChatMessage& message, int index, const RenderState& state) {
  std::string out;
  if (state.thinking && (!state.drop_thinking || index > state.last_user)) {
    out += message.reasoning_content + kThinkEnd;
  }
  return out + message.content + DsmlToolCallsBlock(message.tool_calls, "tool_calls") + kEos;
}

std::string MessageText(const Turn& turn, int index, const RenderState& state) {
  const ChatMessage& message = turn.message;
  if (message.role == "system") return message.content + Attachments(message);
  if (message.role == "developer") return kUser + message.content + Attachments(message);
  if (message.role == "user") return UserText(turn);
  return AssistantText(message, index, state);
}

// After a user or developer turn that ends the conversation or precedes an assistant turn.
std::string Opener(const std::vector<Turn>& turns, int index, const RenderState& state) {
  const size_t next = static_cast<size_t>(index) + 1;
  if (next < turns.size() && turns[next].message.role != "assistant") return "";
  const std::string& role = turns[static_cast<size_t>(index)].message.role;
  if (role != "user" && role != "developer") return "";
  const bool open_thinking = state.thinking && (!state.drop_thinking || index >= state.last_user);
  return std::string(kAssistant) + (open_thinking ? kThinkStart : kThinkEnd);
}

}  // namespace

Result<std::string> RenderDeepseekV4(std::vector<ChatMessage> messages, const NativeChatOptions& options) {
  const std::string& effort = options.reasoning_effort;
  if (!effort.empty() && effort != "high" && effort != "max") {
    return InvalidArgument("reasoning_effort: expected \"\", \"high\" or \"max\", got \"" + effort + "\"");
  }
  std::vector<Turn> turns = MergeToolMessages(std::move(messages));
  SortToolResults(turns);
  RenderState state;
  state.thinking = options.thinking;
  const bool has_tools =
      std::any_of(turns.begin(), turns.end(), [](const Turn& t) { return !t.message.tool_schemas.empty(); });
  state.drop_thinking = options.drop_thinking && !has_tools;
  if (state.thinking && state.drop_thinking) turns = DropThinking(std::move(turns));
  state.last_user = LastUserTurn(turns);

  std::string prompt = options.bos_token;
  const int n = static_cast<int>(turns.size());
  for (int i = 0; i < n; ++i) {
    if (i == 0 && state.thinking && effort == "max") prompt += kReasoningEffortMax;
    prompt += MessageText(turns[static_cast<size_t>(i)], i, state);
    if (i + 1 < n || options.add_generation_prompt) prompt += Opener(turns, i, state);
  }
  return prompt;
}

}  // namespace baleen::chat_format
