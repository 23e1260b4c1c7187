// Engine-thread callbacks fill a mailbox; the connection coroutine empties it when notified.
#include "server/generation_relay.h"

#include <deque>
#include <mutex>

namespace baleen {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kKeepAliveEvery{2000};

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void Append(const OutputDelta& delta, OutputDelta& into) {
  into.reasoning += delta.reasoning;
  into.content += delta.content;
  into.tool_calls.insert(into.tool_calls.end(), delta.tool_calls.begin(), delta.tool_calls.end());
}

const char* FinishLabel(const Result<GenerationResult>& result) {
  if (!result.ok()) return "error";
  if (!result->tool_calls.empty() && result->finish == FinishReason::kStop) return "tool_calls";
  return FinishReasonName(result->finish);
}

}  // namespace

struct GenerationRelay::Mailbox {
  std::mutex mutex;
  std::deque<ChoiceEvent> events;
  HttpExchange::Notifier notifier;

  void Post(ChoiceEvent event) {
    {
      std::lock_guard lock(mutex);
      events.push_back(std::move(event));
    }
    notifier.Notify();
  }
};

// Per choice, on the engine thread: the text not yet posted, and the timing for the latency metrics.
struct ChoiceTap {
  int index = 0;
  Clock::time_point arrival, last_token;
  OutputDelta pending;
  size_t tokens_seen = 0, logprobs_sent = 0;
};

GenerationRelay::GenerationRelay(ServerContext& context, HttpExchange& exchange, bool keep_alive_comments)
    : context_(context),
      exchange_(exchange),
      keep_alive_comments_(keep_alive_comments),
      mailbox_(std::make_shared<Mailbox>()),
      last_send_(Clock::now()) {
  mailbox_->notifier = exchange.notifier();
}

GenerationRelay::~GenerationRelay() {
  for (auto& job : handles_) job->Cancel();  // no-op for finished ones
}

std::optional<ApiError> GenerationRelay::Submit(std::vector<GenerationRequest> requests, std::string_view count_param) {
  std::vector<std::pair<GenerationRequest, GenerationCallbacks>> jobs;
  Metrics* metrics = &context_.metrics;
  const Clock::time_point arrival = Clock::now();
  for (size_t i = 0; i < requests.size(); ++i) {
    auto tap = std::make_shared<ChoiceTap>();
    tap->index = static_cast<int>(i);
    tap->arrival = arrival;
    std::shared_ptr<Mailbox> mailbox = mailbox_;
    GenerationCallbacks callbacks;
    callbacks.on_start = [tap, metrics] { metrics->queue_time.Observe(Since(tap->arrival)); };
    callbacks.on_delta = [tap](const OutputDelta& delta) {
      Append(delta, tap->pending);
      return true;  // a client that left is noticed by the connection, which cancels the job
    };
    callbacks.on_step = [tap, mailbox, metrics](const Generation& g) {
      const GenerationResult& r = g.result();
      if (r.tokens.size() > tap->tokens_seen) {
        const auto now = Clock::now();
        if (tap->tokens_seen == 0) {
          metrics->time_to_first_token.Observe(Since(tap->arrival));
        } else {
          metrics->inter_token_latency.Observe(std::chrono::duration<double>(now - tap->last_token).count() /
                                               static_cast<double>(r.tokens.size() - tap->tokens_seen));
        }
        tap->tokens_seen = r.tokens.size();
        tap->last_token = now;
      }
      if (tap->pending.empty() && r.logprobs.size() == tap->logprobs_sent) return;
      ChoiceEvent event{.index = tap->index, .delta = std::move(tap->pending)};
      event.logprobs.assign(r.logprobs.begin() + static_cast<ptrdiff_t>(tap->logprobs_sent), r.logprobs.end());
      tap->logprobs_sent = r.logprobs.size();
      tap->pending = OutputDelta();
      mailbox->Post(std::move(event));
    };
    callbacks.on_done = [tap, mailbox, metrics](Result<GenerationResult> result) {
      metrics->e2e_latency.Observe(Since(tap->arrival));
      metrics->RecordFinish(FinishLabel(result));
      ChoiceEvent event{.index = tap->index, .delta = std::move(tap->pending)};
      if (result.ok()) {
        metrics->AddTokens(result->prompt_tokens, static_cast<int64_t>(result->tokens.size()));
        if (result->logprobs.size() > tap->logprobs_sent) {
          event.logprobs.assign(result->logprobs.begin() + static_cast<ptrdiff_t>(tap->logprobs_sent),
                                result->logprobs.end());
        }
      }
      event.done = std::move(result);
      mailbox->Post(std::move(event));
    };
    jobs.emplace_back(std::move(requests[i]), std::move(callbacks));
  }
  Result<std::vector<std::shared_ptr<GenerationHandle>>> handles =
      context_.scheduler.Submit(std::move(jobs), exchange_.principal());
  if (!handles.ok()) {
    ApiError error = ErrorFromStatus(handles.status(), std::string(count_param));
    if (error.kind == ErrorKind::kBusy) error.message += "; retry shortly";
    if (error.kind == ErrorKind::kInvalidRequest) {
      error.message += " (one per choice and prompt: n × prompts); ask for fewer, or raise the server's --queue";
    }
    return error;
  }
  handles_ = std::move(handles).value();
  remaining_ = handles_.size();
  return std::nullopt;
}

net::awaitable<std::vector<ChoiceEvent>> GenerationRelay::Next() {
  std::vector<ChoiceEvent> events;
  while (events.empty() && !finished()) {
    {
      std::lock_guard lock(mailbox_->mutex);
      while (!mailbox_->events.empty()) {
        events.push_back(std::move(mailbox_->events.front()));
        mailbox_->events.pop_front();
      }
    }
    if (!events.empty()) break;
    const HttpExchange::WaitResult wait = co_await exchange_.Wait(kKeepAliveEvery);
    if (wait == HttpExchange::WaitResult::kClientGone) {
      for (auto& job : handles_) job->Cancel();
      co_return events;
    }
    if (wait == HttpExchange::WaitResult::kTimeout && keep_alive_comments_ &&
        Clock::now() - last_send_ >= kKeepAliveEvery) {
      co_await exchange_.Send(": keep-alive\n\n");
      last_send_ = Clock::now();
    }
  }
  for (const ChoiceEvent& event : events) remaining_ -= event.done.has_value();
  if (!events.empty()) last_send_ = Clock::now();
  co_return events;
}

}  // namespace baleen
