// Carries one request's generations from the engine thread to its connection: submits the choices to the scheduler,
// records their metrics, and hands the connection coroutine batches of events as they happen. Server layer.
//
// While waiting it watches the client: a client that hangs up cancels every generation of the request at once. A
// streaming request gets an SSE comment every couple of seconds of silence (a long prompt, a queue), so proxies
// and clients do not time it out.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "engine/generation/generate.h"
#include "server/api_request.h"
#include "server/http_server.h"
#include "server/server_context.h"

namespace baleen {

struct ChoiceEvent {
  int index = 0;
  OutputDelta delta;
  std::vector<TokenLogprob> logprobs;            // new since the choice's previous event
  std::optional<Result<GenerationResult>> done;  // set on the choice's last event
};

class GenerationRelay {
 public:
  GenerationRelay(ServerContext& context, HttpExchange& exchange, bool keep_alive_comments);
  ~GenerationRelay();  // cancels whatever still runs

  // Queues the generations: a 429 when the queue has no room now, a 400 naming `count_param` (the field that made
  // them so many: "n" or "prompt") when they are more than the whole queue holds, a 503 while shutting down.
  std::optional<ApiError> Submit(std::vector<GenerationRequest> requests, std::string_view count_param);
  // The next events; returns empty once every choice is done or the client left (then everything was cancelled).
  net::awaitable<std::vector<ChoiceEvent>> Next();
  bool finished() const { return remaining_ == 0 || exchange_.client_gone(); }

 private:
  struct Mailbox;
  ServerContext& context_;
  HttpExchange& exchange_;
  bool keep_alive_comments_;
  std::shared_ptr<Mailbox> mailbox_;
  std::vector<std::shared_ptr<GenerationHandle>> handles_;
  size_t remaining_ = 0;
  std::chrono::steady_clock::time_point last_send_;
};

}  // namespace baleen
