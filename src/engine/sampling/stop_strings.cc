// StopStringMatcher: earliest-match search over the held-back tail plus new text. Engine layer.
#include "engine/sampling/stop_strings.h"

#include <algorithm>
#include <utility>

namespace baleen {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopStringMatcher::Result StopStringMatcher::Push(std::string_view text) {
  Result result;
  if (stopped_) {
    result.stopped = true;
    return result;
  }
  held_.append(text);
  // held_ never contains a whole stop string and every emitted byte could not start one, so the earliest occurrence
  // in held_ is the earliest in the whole output. held_ is at most (longest stop - 1) + text.size() bytes.
  size_t best_pos = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    if (stops_[i].empty()) continue;
    const size_t pos = held_.find(stops_[i]);
    if (pos < best_pos) {
      best_pos = pos;
      result.stop_index = static_cast<int>(i);
    }
  }
  if (best_pos != std::string::npos) {
    result.emit = held_.substr(0, best_pos);
    result.stopped = stopped_ = true;
    held_.clear();
    return result;
  }
  const size_t keep = PartialMatchLength();
  result.emit = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return result;
}

std::string StopStringMatcher::Flush() {
  std::string tail = std::move(held_);
  held_.clear();
  return tail;
}

size_t StopStringMatcher::PartialMatchLength() const {
  size_t longest = 0;
  for (const std::string& stop : stops_) {
    if (stop.empty()) continue;
    // Longest candidate first: suffixes of held_ of length stop.size() - 1 down to longest + 1.
    for (size_t len = std::min(stop.size() - 1, held_.size()); len > longest; --len) {
      if (std::string_view(held_).substr(held_.size() - len) == std::string_view(stop).substr(0, len)) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

}  // namespace baleen
