// libFuzzer target for the tokenizer: encode (untrusted, trusted, mixed prompt), decode, streaming decode and the
// tokenizer.json loader, on small vocabularies built in code. Fuzz harness.
//
// The first input byte picks the operation; the rest is the text (or ids, or JSON). Checked invariants: valid
// UTF-8 always encodes; untrusted text never yields an added token; decoding the encoding gives the text back
// (NFC-normalized for the NFC tokenizer); streaming decode equals one-shot decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer/detokenizer.h"
#include "text/tokenizer/hf_loader.h"
#include "text/tokenizer/tiny_vocab.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/unicode_nfc.h"
#include "text/tokenizer/utf8.h"
#include "fuzz_check.h"

namespace {

using baleen::Tokenizer;

// The tiny vocabulary with GPT-2 pre-tokenization, and a second one with the DeepSeek-V3 regexes, NFC, and
// added tokens matched after normalization.
const Tokenizer& Plain() {
  static const Tokenizer* tok = Tokenizer::Create(baleen::MakeTinyVocab()).value().release();
  return *tok;
}

const Tokenizer& Normalizing() {
  static const Tokenizer* tok = [] {
    baleen::BpeVocab vocab = baleen::MakeTinyVocab();
    vocab.pre_tokenizer = baleen::PreTokenizerForGgufPre("deepseek-v3").value().spec;
    vocab.normalizer = baleen::Normalizer::kNfc;
    for (int32_t id = static_cast<int32_t>(vocab.tokens.size()) - 2; id < static_cast<int32_t>(vocab.tokens.size());
         ++id) {
      baleen::BpeVocab::AddedToken added;
      added.id = id;
      added.special = id + 1 < static_cast<int32_t>(vocab.tokens.size());
      added.normalized = !added.special;
      added.lstrip = added.normalized;
      vocab.added_tokens.push_back(added);
    }
    return Tokenizer::Create(std::move(vocab)).value().release();
  }();
  return *tok;
}

std::string StreamDecode(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  baleen::StreamDecoder stream(tok);
  std::string text;
  for (const int32_t id : ids) text += stream.Push(id);
  return text + stream.Finish();
}

void CheckEncoding(const Tokenizer& tok, std::string_view text, bool normalizing) {
  auto untrusted = tok.EncodeUntrusted(text);
  const bool valid = baleen::utf8::IsValid(text);
  FUZZ_CHECK(untrusted.ok() == valid);
  if (!valid) return;
  for (const int32_t id : *untrusted) FUZZ_CHECK(!tok.IsAdded(id));
  const std::string expected = normalizing ? baleen::NfcNormalize(text) : std::string(text);
  FUZZ_CHECK(tok.Decode(*untrusted) == expected);
  FUZZ_CHECK(StreamDecode(tok, *untrusted) == expected);
  auto trusted = tok.Encode(baleen::TrustedText(std::string(text)));
  FUZZ_CHECK(trusted.ok());
  if (!normalizing) FUZZ_CHECK(tok.Decode(*trusted) == text);
}

void CheckPrompt(const Tokenizer& tok, std::string_view data) {
  if (data.empty()) return;
  const size_t cut = static_cast<uint8_t>(data[0]) % data.size();
  baleen::PromptText prompt;
  prompt.AppendTrusted(baleen::TrustedText(std::string(data.substr(1, cut)))).AppendUntrusted(data.substr(1 + cut));
  auto ids = tok.Encode(prompt);
  FUZZ_CHECK(ids.ok() == baleen::utf8::IsValid(prompt.text()));
}

void CheckDecode(const Tokenizer& tok, std::string_view data) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    ids.push_back(static_cast<int32_t>(static_cast<uint8_t>(data[i]) | (static_cast<uint8_t>(data[i + 1]) << 8)) %
                  (tok.vocab_size() + 2) - 1);  // includes -1 and vocab_size(): out of range, skipped
  }
  const std::string text = tok.Decode(ids);
  FUZZ_CHECK(baleen::utf8::IsValid(text));
  FUZZ_CHECK(StreamDecode(tok, ids) == text);
}

void CheckLoader(std::string_view data) {
  // Split into tokenizer.json and tokenizer_config.json at the first NUL.
  const size_t nul = data.find('\0');
  auto vocab = baleen::ParseHfTokenizer(data.substr(0, nul), nul == std::string_view::npos ? "" : data.substr(nul + 1));
  if (!vocab.ok() || vocab->tokens.size() > 4096) return;
  auto tok = Tokenizer::Create(std::move(vocab).value());
  if (!tok.ok()) return;
  (void)(*tok)->Encode(baleen::TrustedText("Hello, world! 123 中文 <s>"));
  (void)(*tok)->EncodeUntrusted("  \n\tx");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: CheckEncoding(Plain(), rest, false); break;
    case 1: CheckEncoding(Normalizing(), rest, true); break;
    case 2: CheckPrompt(data[0] & 0x80 ? Normalizing() : Plain(), rest); break;
    case 3: CheckDecode(Plain(), rest); break;
    case 4: CheckDecode(Normalizing(), rest); break;
    case 5: CheckLoader(rest); break;
  }
  return 0;
}
