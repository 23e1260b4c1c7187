// Tests for StopStringMatcher: whole and split pushes, several stops, hold-back and Flush, against a reference.
#include "engine/sampling/stop_strings.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace baleen {
namespace {

// Pushes `pieces` in order, then flushes unless stopped; returns everything emitted.
std::string RunPieces(StopStringMatcher& m, const std::vector<std::string>& pieces, bool* stopped = nullptr) {
  std::string out;
  bool was_stopped = false;
  for (const std::string& piece : pieces) {
    StopStringMatcher::Result r = m.Push(piece);
    out += r.emit;
    was_stopped = was_stopped || r.stopped;
  }
  out += m.Flush();
  if (stopped != nullptr) *stopped = was_stopped;
  return out;
}

std::vector<std::string> Bytes(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

TEST(StopStringsTest, SinglePushStopsAndDropsTheRest) {
  StopStringMatcher m({"STOP"});
  StopStringMatcher::Result r = m.Push("hello STOP world");
  EXPECT_EQ(r.emit, "hello ");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stop_index, 0);
  EXPECT_TRUE(m.stopped());
  r = m.Push("more text");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringsTest, TextWithoutAnyPrefixIsEmittedAtOnce) {
  StopStringMatcher m({"STOP"});
  StopStringMatcher::Result r = m.Push("hello");
  EXPECT_EQ(r.emit, "hello");
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.stop_index, -1);
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringsTest, HoldsBackAPartialMatchAndFlushReleasesIt) {
  StopStringMatcher m({"</think>"});
  EXPECT_EQ(m.Push("answer </thi").emit, "answer ");
  EXPECT_EQ(m.Push("s is not it").emit, "</this is not it");
  EXPECT_EQ(m.Push(" </").emit, " ");
  EXPECT_EQ(m.Flush(), "</");
  EXPECT_FALSE(m.stopped());
}

TEST(StopStringsTest, StopSplitByteByByte) {
  StopStringMatcher m({"<|end|>"});
  const std::string text = "abc<|end|>xyz";
  std::string out;
  size_t stopped_at = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    StopStringMatcher::Result r = m.Push(text.substr(i, 1));
    out += r.emit;
    if (r.stopped && stopped_at == 0) stopped_at = i;
  }
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(stopped_at, text.find('>'));
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringsTest, FalseStartInsideTheStopString) {
  StopStringMatcher m({"abcd"});
  bool stopped = false;
  EXPECT_EQ(RunPieces(m, Bytes("abcabcd!"), &stopped), "abc");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, EarliestMatchWins) {
  StopStringMatcher m({"world", "lo w"});
  StopStringMatcher::Result r = m.Push("hello world");
  EXPECT_EQ(r.emit, "hel");
  EXPECT_EQ(r.stop_index, 1);
}

TEST(StopStringsTest, EarliestStartWinsWithinOnePush) {
  // Both complete in the same push; "llo wx" starts earlier although it ends later.
  StopStringMatcher m({"lo w", "llo wx"});
  EXPECT_EQ(m.Push("he").emit, "he");
  StopStringMatcher::Result r = m.Push("llo wx");
  EXPECT_EQ(r.emit, "");
  EXPECT_EQ(r.stop_index, 1);
}

TEST(StopStringsTest, StopsAsSoonAsOneCompletes) {
  // Generation halts when "lo w" completes; the longer "llo wx" was still only a partial match then.
  StopStringMatcher m({"lo w", "llo wx"});
  bool stopped = false;
  EXPECT_EQ(RunPieces(m, Bytes("hello wx"), &stopped), "hel");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, OverlappingPrefixes) {
  {
    StopStringMatcher m({"abc", "ab"});
    StopStringMatcher::Result r = m.Push("xab");
    EXPECT_TRUE(r.stopped);  // "ab" is complete; waiting for "abc" would not change the emitted text
    EXPECT_EQ(r.emit, "x");
  }
  {
    StopStringMatcher m({"abc", "abd"});
    EXPECT_EQ(m.Push("xab").emit, "x");
    StopStringMatcher::Result r = m.Push("d");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.emit, "");
    EXPECT_EQ(r.stop_index, 1);
  }
  {
    StopStringMatcher m({"aab"});
    bool stopped = false;
    EXPECT_EQ(RunPieces(m, Bytes("aaaab"), &stopped), "aa");
    EXPECT_TRUE(stopped);
  }
}

TEST(StopStringsTest, NoFalseHoldBackForever) {
  StopStringMatcher m({"ab"});
  std::string out;
  for (int i = 0; i < 4; ++i) out += m.Push("a").emit;
  EXPECT_EQ(out, "aaa");  // only the last "a" can still start "ab"
  EXPECT_EQ(m.Flush(), "a");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringsTest, EmptyStopStringsAreIgnored) {
  StopStringMatcher m({"", "X"});
  StopStringMatcher::Result r = m.Push("abc");
  EXPECT_EQ(r.emit, "abc");
  EXPECT_FALSE(r.stopped);
  r = m.Push("dXe");
  EXPECT_EQ(r.emit, "d");
  EXPECT_EQ(r.stop_index, 1);
}

TEST(StopStringsTest, NoStopStringsPassEverythingThrough) {
  StopStringMatcher m({});
  EXPECT_EQ(m.Push("anything").emit, "anything");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringsTest, Utf8StopKeepsCharactersWhole) {
  StopStringMatcher m({"。"});
  std::string out;
  out += m.Push("你好").emit;
  out += m.Push("\xE3\x80").emit;  // first two bytes of "。"
  EXPECT_EQ(out, "你好");
  StopStringMatcher::Result r = m.Push("\x82再见");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(out + r.emit, "你好");
}

// Reference without hold-back: after each piece, look for the earliest occurrence of any non-empty stop string in all
// the text so far; the output is the text before it. Matches stop as soon as a stop string completes.
std::string Reference(const std::vector<std::string>& pieces, const std::vector<std::string>& stops, bool* stopped) {
  std::string text;
  for (const std::string& piece : pieces) {
    text += piece;
    size_t best = std::string::npos;
    for (const std::string& s : stops) {
      if (!s.empty()) best = std::min(best, text.find(s));
    }
    if (best != std::string::npos) {
      *stopped = true;
      return text.substr(0, best);
    }
  }
  *stopped = false;
  return text;
}

TEST(StopStringsTest, RandomTextsAndSplitsMatchReference) {
  std::mt19937 rng(7);  // test data only; determinism across platforms is not needed here
  const auto random_string = [&](size_t max_len) {
    std::string s(rng() % (max_len + 1), 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<std::string> stops(rng() % 4);
    for (std::string& s : stops) s = random_string(4);
    const std::string text = random_string(30);
    std::vector<std::string> pieces;
    for (size_t i = 0; i < text.size();) {
      const size_t len = 1 + rng() % 5;
      pieces.push_back(text.substr(i, len));
      i += len;
    }
    bool want_stopped = false;
    const std::string want = Reference(pieces, stops, &want_stopped);
    StopStringMatcher m(stops);
    bool got_stopped = false;
    ASSERT_EQ(RunPieces(m, pieces, &got_stopped), want) << "trial " << trial << " text " << text;
    ASSERT_EQ(got_stopped, want_stopped) << "trial " << trial;
  }
}

}  // namespace
}  // namespace baleen
