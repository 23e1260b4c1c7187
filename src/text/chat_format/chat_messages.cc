// Checks OpenAI-shaped JSON messages into typed ChatMessages and builds the DSML pieces both DeepSeek encoders
// share (text layer). Every error names the message index and field.
#include "text/chat_format/chat_messages.h"

#include <string_view>

namespace baleen::chat_format {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kDsml[] = "｜DSML｜";

std::string Field(size_t index, std::string_view field) {
  return "messages[" + std::to_string(index) + "]" + (field.empty() ? "" : ".") + std::string(field);
}

// Content-like fields: a string, or null/absent for "" (the encoders' `content or ""`).
Result<std::string> OptionalString(const Json& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(path + ": expected a string or null");
  return it->get<std::string>();
}

// The encoders' encode_arguments_to_dsml: a JSON string is raw text with string="true", any other value is its
// Python JSON with string="false". Arguments given as text must parse to an object.
Result<std::string> DsmlParameters(const Json& arguments, const std::string& path) {
  Json parsed;
  if (arguments.is_string()) {
    parsed = Json::parse(arguments.get_ref<const std::string&>(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return InvalidArgument(path + ": not valid JSON");
  } else {
    parsed = arguments;
  }
  if (!parsed.is_object()) return InvalidArgument(path + ": expected a JSON object (or a string holding one)");
  std::string out;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    if (it != parsed.begin()) out += '\n';
    const bool is_string = it.value().is_string();
    out += std::string("<") + kDsml + "parameter name=\"" + it.key() + "\" string=\"" + (is_string ? "true" : "false") +
           "\">";
    out += is_string ? it.value().get<std::string>() : PythonJsonDumps(it.value());
    out += std::string("</") + kDsml + "parameter>";
  }
  return out;
}

Result<ToolCallView> ParseToolCall(const Json& call, const std::string& path) {
  if (!call.is_object()) return InvalidArgument(path + ": expected an object");
  auto function = call.find("function");
  if (function == call.end() || !function->is_object()) return InvalidArgument(path + ".function: expected an object");
  ToolCallView view;
  auto name = function->find("name");
  if (name == function->end() || !name->is_string()) return InvalidArgument(path + ".function.name: expected a string");
  view.name = name->get<std::string>();
  auto arguments = function->find("arguments");
  if (arguments == function->end()) return InvalidArgument(path + ".function.arguments: missing");
  ASSIGN_OR_RETURN(view.dsml_parameters, DsmlParameters(*arguments, path + ".function.arguments"));
  // sort_tool_results_by_call_order: `tc.get("id") or tc["function"].get("id", "")`.
  ASSIGN_OR_RETURN(view.id, OptionalString(call, "id", path + ".id"));
  if (view.id.empty()) {
    ASSIGN_OR_RETURN(view.id, OptionalString(*function, "id", path + ".function.id"));
  }
  return view;
}

Result<std::vector<ToolCallView>> ParseToolCalls(const Json& message, size_t index) {
  std::vector<ToolCallView> calls;
  auto it = message.find("tool_calls");
  if (it == message.end() || it->is_null()) return calls;
  if (!it->is_array()) return InvalidArgument(Field(index, "tool_calls") + ": expected a list");
  for (size_t i = 0; i < it->size(); ++i) {
    ASSIGN_OR_RETURN(ToolCallView call, ParseToolCall((*it)[i], Field(index, "tool_calls[" + std::to_string(i) + "]")));
    calls.push_back(std::move(call));
  }
  return calls;
}

bool KnownRole(const std::string& role) {
  return role == "system" || role == "user" || role == "assistant" || role == "tool" || role == "developer";
}

Result<ChatMessage> ParseMessage(const Json& message, size_t index) {
  if (!message.is_object()) return InvalidArgument(Field(index, "") + ": expected an object");
  ChatMessage out;
  auto role = message.find("role");
  if (role == message.end() || !role->is_string()) return InvalidArgument(Field(index, "role") + ": expected a string");
  out.role = role->get<std::string>();
  if (!KnownRole(out.role)) return InvalidArgument(Field(index, "role") + ": unknown role \"" + out.role + "\"");
  ASSIGN_OR_RETURN(out.content, OptionalString(message, "content", Field(index, "content")));
  if (out.role == "developer" && out.content.empty()) {
    return InvalidArgument(Field(index, "content") + ": a developer message needs content");
  }
  if (out.role == "assistant") {
    ASSIGN_OR_RETURN(out.reasoning_content,
                     OptionalString(message, "reasoning_content", Field(index, "reasoning_content")));
    ASSIGN_OR_RETURN(out.tool_calls, ParseToolCalls(message, index));
  }
  if (out.role == "tool") {
    ASSIGN_OR_RETURN(out.tool_call_id, OptionalString(message, "tool_call_id", Field(index, "tool_call_id")));
  }
  return out;
}

Result<std::vector<std::string>> ToolSchemas(const Json& tools) {
  std::vector<std::string> schemas;
  if (tools.is_null()) return schemas;
  if (!tools.is_array()) return InvalidArgument("tools: expected a list or null");
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string path = "tools[" + std::to_string(i) + "]";
    if (!tools[i].is_object()) return InvalidArgument(path + ": expected an object");
    auto function = tools[i].find("function");
    if (function == tools[i].end() || !function->is_object()) {
      return InvalidArgument(path + ".function: expected an object");
    }
    schemas.push_back(PythonJsonDumps(*function));
  }
  return schemas;
}

}  // namespace

Result<std::vector<ChatMessage>> PrepareMessages(const Json& messages, const Json& tools, const Json& response_format) {
  if (!messages.is_array()) return InvalidArgument("messages: expected a list");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    ASSIGN_OR_RETURN(ChatMessage message, ParseMessage(messages[i], i));
    out.push_back(std::move(message));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ToolSchemas(tools));
  if (!response_format.is_null() && !response_format.is_object()) {
    return InvalidArgument("response_format: expected an object or null");
  }
  // The encoders test `if tools:` and `if response_format:`: empty ones render nothing.
  const std::string format_json = response_format.empty() ? "" : PythonJsonDumps(response_format);
  if (schemas.empty() && format_json.empty()) return out;
  if (out.empty() || out.front().role != "system") {
    ChatMessage system;
    system.role = "system";
    out.insert(out.begin(), std::move(system));
  }
  out.front().tool_schemas = std::move(schemas);
  out.front().response_format = format_json;
  return out;
}

std::string DsmlToolCallsBlock(const std::vector<ToolCallView>& calls, const std::string& block_name) {
  if (calls.empty()) return "";
  std::string invokes;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i > 0) invokes += '\n';
    invokes += std::string("<") + kDsml + "invoke name=\"" + calls[i].name + "\">\n" + calls[i].dsml_parameters +
               "\n</" + kDsml + "invoke>";
  }
  return std::string("\n\n<") + kDsml + block_name + ">\n" + invokes + "\n</" + kDsml + block_name + ">";
}

std::string ResponseFormatSection(const std::string& schema_json) {
  return "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n" + schema_json;
}

int LastUserIndex(const std::vector<ChatMessage>& messages) {
  for (int i = static_cast<int>(messages.size()) - 1; i >= 0; --i) {
    const std::string& role = messages[static_cast<size_t>(i)].role;
    if (role == "user" || role == "developer") return i;
  }
  return -1;
}

std::string MessageAttachments(const ChatMessage& message, std::string_view tools_head, std::string_view tools_tail) {
  std::string out;
  if (!message.tool_schemas.empty()) {
    out += "\n\n";
    out += tools_head;
    for (size_t i = 0; i < message.tool_schemas.size(); ++i) {
      if (i > 0) out += '\n';
      out += message.tool_schemas[i];
    }
    out += tools_tail;
  }
  if (!message.response_format.empty()) out += "\n\n" + ResponseFormatSection(message.response_format);
  return out;
}

}  // namespace baleen::chat_format
