// Tiny byte-level BPE vocabulary for test models. Formats layer (test support).
#include "formats/testing/tiny_tokenizer.h"

#include <cstdint>
#include <vector>

namespace baleen::testing {
namespace {

// GPT-2's byte-to-unicode map: printable bytes stand for themselves, the others map to U+0100 onwards.
std::string ByteToken(int byte) {
  auto printable = [](int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); };
  int code_point = byte;
  if (!printable(byte)) {
    int n = 0;
    for (int b = 0; b < byte; ++b) n += !printable(b);
    code_point = 256 + n;
  }
  std::string utf8;
  if (code_point < 0x80) {
    utf8 += static_cast<char>(code_point);
  } else {
    utf8 += static_cast<char>(0xC0 | (code_point >> 6));
    utf8 += static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return utf8;
}

constexpr int32_t kNormal = 1;
constexpr int32_t kControl = 3;
constexpr int32_t kUserDefined = 4;

constexpr const char* kChatTemplate =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}"
    "{% elif message['role'] == 'assistant' %}{{ '<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";

}  // namespace

int64_t AddTinyTokenizer(GgufWriter& writer, const std::string& pre) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto add = [&](std::string text, int32_t type) {
    tokens.push_back(std::move(text));
    types.push_back(type);
  };
  add("<｜begin▁of▁sentence｜>", kControl);
  add("<｜end▁of▁sentence｜>", kControl);
  for (int b = 0; b < 256; ++b) add(ByteToken(b), kNormal);
  const std::vector<std::string> merges = {"Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s"};
  for (const std::string& merge : merges) add(merge.substr(0, merge.find(' ')) + merge.substr(merge.find(' ') + 1),
                                              kNormal);
  for (const char* marker : {"<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"}) add(marker, kUserDefined);
  const int64_t vocab_size = static_cast<int64_t>(tokens.size());

  writer.SetString("tokenizer.ggml.model", "gpt2");
  writer.SetString("tokenizer.ggml.pre", pre);
  writer.Set("tokenizer.ggml.tokens", GgufValue::Array(GgufArray::Strings(tokens)));
  writer.Set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::Numbers(GgufValueType::kInt32, types)));
  writer.Set("tokenizer.ggml.merges", GgufValue::Array(GgufArray::Strings(merges)));
  writer.SetU32("tokenizer.ggml.bos_token_id", 0);
  writer.SetU32("tokenizer.ggml.eos_token_id", 1);
  writer.SetU32("tokenizer.ggml.padding_token_id", 1);
  writer.SetBool("tokenizer.ggml.add_bos_token", true);
  writer.SetBool("tokenizer.ggml.add_eos_token", false);
  writer.SetString("tokenizer.chat_template", kChatTemplate);
  return vocab_size;
}

}  // namespace baleen::testing
