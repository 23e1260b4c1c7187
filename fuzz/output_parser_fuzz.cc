// libFuzzer target for the streaming output parser: random text in random pieces must never crash, and splitting
// must not change the result. Fuzz harness.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/output/output_parser.h"

namespace {

struct Collected {
  std::string reasoning, content, calls;
};

void Add(Collected& c, const baleen::OutputDelta& d) {
  c.reasoning += d.reasoning;
  c.content += d.content;
  for (const auto& call : d.tool_calls) c.calls += call.name + "(" + call.arguments + ")";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const uint8_t piece = static_cast<uint8_t>(data[1] % 7 + 1);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  const baleen::OutputParserOptions options{.starts_in_reasoning = (flags & 1) != 0,
                                            .parse_reasoning = (flags & 2) != 0,
                                            .parse_tool_calls = (flags & 4) != 0};
  baleen::OutputParser whole(options), pieces(options);
  Collected a, b;
  Add(a, whole.Push(text));
  Add(a, whole.Finish());
  for (size_t at = 0; at < text.size(); at += piece) Add(b, pieces.Push(text.substr(at, piece)));
  Add(b, pieces.Finish());
  if (a.reasoning != b.reasoning || a.content != b.content || a.calls != b.calls) std::abort();
  return 0;
}
