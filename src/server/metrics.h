// Prometheus metrics for the server: request counts, token counts and latency histograms, rendered in the text
// exposition format at GET /metrics. Server layer. Every method is thread-safe (the I/O thread and the engine thread
// both record).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/scheduling/scheduler.h"

namespace baleen {

// A cumulative histogram with fixed upper bounds (seconds), as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  void Render(std::string_view name, std::string_view help, std::string& out) const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative); the last is +Inf
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();

  void RecordRequest(std::string_view endpoint, int status);  // one per HTTP request, when answered
  void RecordFinish(std::string_view reason);                 // one per choice: stop, length, tool_calls, cancelled, error
  void AddTokens(int64_t prompt, int64_t generated);

  Histogram time_to_first_token, inter_token_latency, e2e_latency, queue_time;

  // The whole exposition; the scheduler's gauges are read at render time.
  std::string Render(const SchedulerStats& stats) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, uint64_t> finished_;
  std::atomic<int64_t> prompt_tokens_{0}, generated_tokens_{0};
};

}  // namespace baleen
