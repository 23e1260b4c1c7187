// StreamDecoder and lossy UTF-8 decoding: characters split across tokens, ill-formed bytes, holdback, skipping.
#include "text/tokenizer/detokenizer.h"

#include <gtest/gtest.h>

#include "text/tokenizer/tiny_vocab.h"
#include "text/tokenizer/utf8.h"

namespace baleen {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::unique_ptr<Tokenizer> Tiny() {
  Result<std::unique_ptr<Tokenizer>> tok = Tokenizer::Create(MakeTinyVocab());
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return std::move(tok).value();
}

// In the tiny vocabulary, ids 0..255 are the single bytes.
int32_t Byte(int b) { return b; }

TEST(Utf8Test, LossyDecodingReplacesMaximalSubparts) {
  EXPECT_EQ(utf8::ToValidLossy("abc"), "abc");
  EXPECT_EQ(utf8::ToValidLossy("\xE4\xB8"), kFffd);                          // truncated 3-byte sequence: one
  EXPECT_EQ(utf8::ToValidLossy("\xE4\xB8" "A"), kFffd + "A");
  EXPECT_EQ(utf8::ToValidLossy("\xF0\x80\x80"), kFffd + kFffd + kFffd);      // F0 needs 90..BF next
  EXPECT_EQ(utf8::ToValidLossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);      // surrogate
  EXPECT_EQ(utf8::ToValidLossy("\xC0\xAF"), kFffd + kFffd);                  // overlong
  EXPECT_EQ(utf8::ToValidLossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(utf8::ToValidLossy("\xF0\x9F\x98"), kFffd);
  EXPECT_EQ(utf8::ToValidLossy("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8::ToValidLossy("\x80\xBF"), kFffd + kFffd);
  EXPECT_EQ(utf8::ToValidLossy("\xFF"), kFffd);
}

TEST(Utf8Test, IncompleteSuffix) {
  EXPECT_EQ(utf8::IncompleteSuffixLength(""), 0u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("a"), 0u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("a\xE4"), 1u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("a\xE4\xB8"), 2u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("a\xE4\xB8\xAD"), 0u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("\xF0\x80"), 0u);  // already ill-formed: nothing to wait for
  EXPECT_EQ(utf8::IncompleteSuffixLength("\xBF"), 0u);
  EXPECT_EQ(utf8::IncompleteSuffixLength("\xC3"), 1u);
}

TEST(StreamDecoderTest, HoldsBackOnlyIncompleteCharacters) {
  auto tok = Tiny();
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.Push(Byte('a')), "a");
  EXPECT_EQ(stream.Push(Byte(0xE4)), "");
  EXPECT_EQ(stream.held_bytes(), 1u);
  EXPECT_EQ(stream.Push(Byte(0xB8)), "");
  EXPECT_EQ(stream.held_bytes(), 2u);
  EXPECT_EQ(stream.Push(Byte(0xAD)), "中");
  EXPECT_EQ(stream.held_bytes(), 0u);
  // A 4-byte emoji, one byte per token.
  for (const int b : {0xF0, 0x9F, 0x98}) EXPECT_EQ(stream.Push(Byte(b)), "");
  EXPECT_EQ(stream.Push(Byte(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.Finish(), "");
}

TEST(StreamDecoderTest, MultiByteTokenThenCompletion) {
  auto tok = Tiny();
  const std::optional<int32_t> e4b8 = [&]() -> std::optional<int32_t> {
    for (int32_t id = 256; id < tok->vocab_size(); ++id) {
      if (tok->TokenBytes(id) == "\xE4\xB8") return id;
    }
    return std::nullopt;
  }();
  ASSERT_TRUE(e4b8.has_value());
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.Push(Byte('x')), "x");
  EXPECT_EQ(stream.Push(*e4b8), "");
  EXPECT_EQ(stream.Push(Byte(0xAD)), "中");
}

TEST(StreamDecoderTest, InvalidBytesBecomeReplacementCharacters) {
  auto tok = Tiny();
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.Push(Byte(0xE4)), "");
  EXPECT_EQ(stream.Push(Byte('A')), kFffd + "A");  // the held lead byte is broken by 'A'
  EXPECT_EQ(stream.Push(Byte(0x80)), kFffd);       // a lone continuation byte is final at once
  EXPECT_EQ(stream.Push(Byte(0xF0)), "");
  EXPECT_EQ(stream.Push(Byte(0x80)), kFffd + kFffd);  // F0 80 is ill-formed already
  EXPECT_EQ(stream.Push(Byte(0xE4)), "");
  EXPECT_EQ(stream.Push(Byte(0xB8)), "");
  EXPECT_EQ(stream.Push(Byte(0xE4)), kFffd);  // E4 B8 ends; the new E4 is held
  EXPECT_EQ(stream.held_bytes(), 1u);
  EXPECT_EQ(stream.Finish(), kFffd);  // an unfinished character at the end: one U+FFFD
  EXPECT_EQ(stream.held_bytes(), 0u);
}

TEST(StreamDecoderTest, MatchesDecodeOnEverySequence) {
  auto tok = Tiny();
  // All byte pairs and a spread of triples: the stream must always agree with one-shot Decode.
  std::vector<std::vector<int32_t>> sequences;
  for (int a = 0x70; a < 0x100; a += 3) {
    for (int b = 0x70; b < 0x100; b += 5) sequences.push_back({a, b, 0xBF, 0x80, 'z'});
  }
  for (const auto& ids : sequences) {
    StreamDecoder stream(*tok);
    std::string text;
    for (const int32_t id : ids) {
      text += stream.Push(id);
      EXPECT_LE(stream.held_bytes(), 3u);
    }
    text += stream.Finish();
    EXPECT_EQ(text, tok->Decode(ids));
  }
}

TEST(StreamDecoderTest, SkipsSpecialTokensWhenAsked) {
  auto tok = Tiny();
  const int32_t ctl = *tok->AddedTokenId("<|ctl|>"), usr = *tok->AddedTokenId("<|usr|>");
  StreamDecoder keep(*tok);
  EXPECT_EQ(keep.Push(ctl), "<|ctl|>");
  EXPECT_EQ(keep.Push(usr), "<|usr|>");
  DecodeOptions options;
  options.skip_special_tokens = true;
  StreamDecoder skip(*tok, options);
  EXPECT_EQ(skip.Push(ctl), "");
  EXPECT_EQ(skip.Push(usr), "<|usr|>");  // user-defined tokens are not special
  EXPECT_EQ(skip.Push(-1), "");          // out of range: ignored
  EXPECT_EQ(skip.Push(tok->vocab_size()), "");
}

TEST(StreamDecoderTest, AddedTokenAfterHeldBytes) {
  auto tok = Tiny();
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.Push(Byte(0xE4)), "");
  EXPECT_EQ(stream.Push(*tok->AddedTokenId("<|ctl|>")), kFffd + "<|ctl|>");
}

}  // namespace
}  // namespace baleen
