// Prometheus text exposition format 0.0.4: HELP and TYPE lines, then samples; histograms as cumulative _bucket
// series with an le label, plus _sum and _count.
#include "server/metrics.h"

#include <cstdio>

namespace baleen {
namespace {

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

void Header(std::string_view name, std::string_view help, std::string_view type, std::string& out) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string_view name, std::string_view labels, double value, std::string& out) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(Number(value)).append("\n");
}

// Latency buckets from 1 ms to 10 minutes: a token takes milliseconds, a long reasoning answer minutes.
std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string_view name, std::string_view help, std::string& out) const {
  Header(name, help, "histogram", out);
  std::lock_guard lock(mutex_);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    Sample(bucket, "le=\"" + Number(bounds_[i]) + "\"", static_cast<double>(cumulative), out);
  }
  Sample(bucket, "le=\"+Inf\"", static_cast<double>(count_), out);
  Sample(std::string(name) + "_sum", "", sum_, out);
  Sample(std::string(name) + "_count", "", static_cast<double>(count_), out);
}

Metrics::Metrics()
    : time_to_first_token(LatencyBuckets()),
      inter_token_latency(LatencyBuckets()),
      e2e_latency(LatencyBuckets()),
      queue_time(LatencyBuckets()) {}

void Metrics::RecordRequest(std::string_view endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(endpoint), status}];
}

void Metrics::RecordFinish(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++finished_[std::string(reason)];
}

void Metrics::AddTokens(int64_t prompt, int64_t generated) {
  prompt_tokens_.fetch_add(prompt);
  generated_tokens_.fetch_add(generated);
}

std::string Metrics::Render(const SchedulerStats& stats) const {
  std::string out;
  Header("baleen_requests_running", "Generations running (in the engine's batch).", "gauge", out);
  Sample("baleen_requests_running", "", stats.running, out);
  Header("baleen_requests_waiting", "Generations waiting to run (queued or preempted).", "gauge", out);
  Sample("baleen_requests_waiting", "", stats.waiting, out);
  Header("baleen_slots", "Generations that can run at once (--parallel).", "gauge", out);
  Sample("baleen_slots", "", stats.slots, out);
  Header("baleen_kv_blocks", "Blocks of the paged KV cache.", "gauge", out);
  Sample("baleen_kv_blocks", "", static_cast<double>(stats.kv_blocks), out);
  Header("baleen_kv_blocks_free", "KV cache blocks nobody holds.", "gauge", out);
  Sample("baleen_kv_blocks_free", "", static_cast<double>(stats.kv_blocks_free), out);
  Header("baleen_kv_blocks_used", "KV cache blocks held by running generations or the prefix cache.", "gauge", out);
  Sample("baleen_kv_blocks_used", "", static_cast<double>(stats.kv_blocks - stats.kv_blocks_free), out);
  Header("baleen_prefix_cache_blocks", "KV cache blocks held by the prefix cache.", "gauge", out);
  Sample("baleen_prefix_cache_blocks", "", static_cast<double>(stats.kv_blocks_prefix), out);
  Header("baleen_kv_cache_tokens", "Positions the used KV cache blocks hold.", "gauge", out);
  Sample("baleen_kv_cache_tokens", "", static_cast<double>(stats.cached_tokens), out);
  Header("baleen_kv_cache_usage_ratio", "Used KV cache blocks over all blocks.", "gauge", out);
  Sample("baleen_kv_cache_usage_ratio", "",
         stats.cache_capacity > 0 ? static_cast<double>(stats.cached_tokens) / stats.cache_capacity : 0.0, out);
  Header("baleen_prefix_cache_hit_tokens_total", "Prompt tokens reused from the prefix cache.", "counter", out);
  Sample("baleen_prefix_cache_hit_tokens_total", "", static_cast<double>(stats.prefix_hit_tokens), out);
  Header("baleen_prefix_cache_miss_tokens_total", "Prompt tokens evaluated (not in the prefix cache).", "counter", out);
  Sample("baleen_prefix_cache_miss_tokens_total", "", static_cast<double>(stats.prefix_miss_tokens), out);
  const int64_t looked_up = stats.prefix_hit_tokens + stats.prefix_miss_tokens;
  Header("baleen_prefix_cache_hit_ratio", "Hit tokens over all prompt tokens looked up.", "gauge", out);
  Sample("baleen_prefix_cache_hit_ratio", "",
         looked_up > 0 ? static_cast<double>(stats.prefix_hit_tokens) / static_cast<double>(looked_up) : 0.0, out);
  Header("baleen_preemptions_total", "Generations preempted (KV blocks freed, recomputed later).", "counter", out);
  Sample("baleen_preemptions_total", "", static_cast<double>(stats.preemptions), out);
  Header("baleen_engine_steps_total", "Batched forward passes of the engine.", "counter", out);
  Sample("baleen_engine_steps_total", "", static_cast<double>(stats.steps), out);
  Header("baleen_engine_step_sequences_total", "Sequences summed over steps (divide by steps: batch size).", "counter",
         out);
  Sample("baleen_engine_step_sequences_total", "", static_cast<double>(stats.step_sequences), out);
  Header("baleen_engine_step_tokens_total", "Tokens evaluated, summed over steps.", "counter", out);
  Sample("baleen_engine_step_tokens_total", "", static_cast<double>(stats.step_tokens), out);
  Header("baleen_engine_batch_sequences", "Sequences in the latest step.", "gauge", out);
  Sample("baleen_engine_batch_sequences", "", stats.last_batch_sequences, out);
  Header("baleen_prompt_tokens_total", "Prompt tokens of finished generations.", "counter", out);
  Sample("baleen_prompt_tokens_total", "", static_cast<double>(prompt_tokens_.load()), out);
  Header("baleen_generation_tokens_total", "Generated tokens.", "counter", out);
  Sample("baleen_generation_tokens_total", "", static_cast<double>(generated_tokens_.load()), out);
  {
    std::lock_guard lock(mutex_);
    Header("baleen_requests_total", "HTTP requests answered, by endpoint and status.", "counter", out);
    for (const auto& [key, count] : requests_) {
      Sample("baleen_requests_total", "endpoint=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"",
             static_cast<double>(count), out);
    }
    Header("baleen_requests_finished_total", "Generations ended, by reason.", "counter", out);
    for (const auto& [reason, count] : finished_) {
      Sample("baleen_requests_finished_total", "reason=\"" + reason + "\"", static_cast<double>(count), out);
    }
  }
  time_to_first_token.Render("baleen_time_to_first_token_seconds", "From arrival to the first generated token.", out);
  inter_token_latency.Render("baleen_inter_token_latency_seconds", "Between consecutive generated tokens.", out);
  e2e_latency.Render("baleen_e2e_request_latency_seconds", "From arrival to the end of a generation.", out);
  queue_time.Render("baleen_queue_time_seconds", "From arrival until a slot took the generation.", out);
  return out;
}

}  // namespace baleen
