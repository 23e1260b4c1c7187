// libFuzzer target for JSON mode (engine/json_constraint): the byte recognizer and logit masking. Fuzz harness.
//
// The first input byte picks the check; the rest is the data. Checked invariants, with nlohmann::json as the oracle:
//   bytes:  feeding every byte and keeping those accepted, a refused byte leaves the state unchanged, a complete
//           document is an object nlohmann accepts, and an unfinished one can always be finished (no dead ends).
//   tokens: on a vocabulary cut from the input (pieces between 0xFF bytes, plus all 256 single bytes), MaskLogits
//           keeps exactly the tokens Allows accepts, in every state a walk through the allowed tokens reaches, and
//           the walk's document, once complete, is accepted by nlohmann.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling/json_constraint.h"
#include "fuzz_check.h"

namespace {

using baleen::JsonConstraint;
using baleen::JsonRecognizer;
using baleen::JsonTokenTable;

bool AcceptedAsObject(const std::string& text) {
  return nlohmann::json::accept(text) && nlohmann::json::parse(text, nullptr, false).is_object();
}

// Closes whatever is open: '"' first (inside a string '}' is only text), then the closers, then '0' for numbers and
// \u digits, then the lowest other non-whitespace byte accepted. Fails on a dead end.
void FinishDocument(JsonRecognizer r, std::string text) {
  for (int steps = 0; !r.complete(); ++steps) {
    FUZZ_CHECK(steps < 100000);
    int chosen = -1;
    for (const char c : std::string_view("\"}]0")) {
      if (r.Push(static_cast<unsigned char>(c))) {
        chosen = static_cast<unsigned char>(c);
        break;
      }
    }
    for (int b = 0; chosen < 0 && b < 256; ++b) {
      const bool whitespace = b == ' ' || b == '\t' || b == '\n' || b == '\r';
      if (!whitespace && r.Push(static_cast<unsigned char>(b))) chosen = b;
    }
    FUZZ_CHECK(chosen >= 0);
    text += static_cast<char>(chosen);
  }
  FUZZ_CHECK(AcceptedAsObject(text));
}

void CheckBytes(std::string_view data) {
  JsonRecognizer r;
  std::string accepted;
  for (const char c : data) {
    const JsonRecognizer before = r;
    if (r.Push(static_cast<unsigned char>(c))) {
      accepted += c;
    } else {
      FUZZ_CHECK(r == before);
    }
  }
  if (r.complete()) FUZZ_CHECK(AcceptedAsObject(accepted));
  FinishDocument(r, accepted);
}

void CheckTokens(std::string_view data) {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b) vocab.emplace_back(1, static_cast<char>(b));
  size_t start = 0;
  for (size_t cut = data.find('\xFF'); cut != std::string_view::npos && vocab.size() < 512;
       cut = data.find('\xFF', start)) {
    vocab.emplace_back(data.substr(start, cut - start));
    start = cut + 1;
  }
  const std::string_view choices = data.substr(start);
  vocab.emplace_back("<end>");
  std::vector<bool> barred(vocab.size());
  barred.back() = true;
  const int32_t end_id = static_cast<int32_t>(vocab.size()) - 1;
  JsonConstraint json(JsonTokenTable::Create(vocab, barred), std::span<const int32_t>(&end_id, 1));
  std::string text;
  std::vector<float> logits(vocab.size() + 1);
  for (const char choice : choices) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    json.MaskLogits(logits);
    std::vector<int32_t> allowed;
    for (int32_t id = 0; id < static_cast<int32_t>(logits.size()); ++id) {
      FUZZ_CHECK(std::isinf(logits[id]) != json.Allows(id));
      if (json.Allows(id)) allowed.push_back(id);
    }
    FUZZ_CHECK(!allowed.empty());
    const int32_t token = allowed[static_cast<unsigned char>(choice) % allowed.size()];
    json.Accept(token);
    if (token == end_id) break;
    text += vocab[token];
  }
  if (json.complete()) FUZZ_CHECK(AcceptedAsObject(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 8192) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    CheckTokens(rest);
  } else {
    CheckBytes(rest);
  }
  return 0;
}
