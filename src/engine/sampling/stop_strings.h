// StopStringMatcher: finds OpenAI-style `stop` strings in streamed, decoded text. Engine layer.
// Works on bytes. When the pushed text and the stop strings are valid UTF-8, every emitted piece is too: a match or a
// held-back partial match starts where a stop string starts, which is a character boundary.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baleen {

// The OpenAI API allows up to 4 stop strings and DeepSeek's up to 16; the request validator enforces the limit, the
// matcher itself works with any number.
inline constexpr int kMaxStopStrings = 16;

// Streams decoded text through a set of stop strings: emits only text that can no longer become part of a stop
// string, holds back a possible partial match at the end, and reports when a stop string completes (the stop string
// itself and anything after it are not emitted, as in the OpenAI API). Empty stop strings are ignored. A stop is
// reported as soon as one stop string completes; if several are complete in the text seen so far, the one starting
// earliest wins. (Waiting for a longer, earlier-starting stop string to complete would mean generating past a stop.)
class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  struct Result {
    std::string emit;
    bool stopped = false;
    int stop_index = -1;  // index into the constructor's `stops` of the stop string that matched, when stopped
  };

  // New decoded text. After a stop, further pushes return an empty, stopped Result.
  Result Push(std::string_view text);
  // End of generation: releases the held-back tail (empty after a stop).
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  // Length of the longest suffix of held_ that is a proper prefix of some stop string.
  size_t PartialMatchLength() const;

  std::vector<std::string> stops_;  // as given, empty ones included so that stop_index matches the caller's list
  std::string held_;                // text not yet emitted: a possible start of a stop string
  bool stopped_ = false;
};

}  // namespace baleen
