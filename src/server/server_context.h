// What every endpoint reads: the loaded model and its prompt builder, the scheduler, the metrics and the server's
// settings. Server layer; owned by Server, shared by reference with the endpoints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/sampling/json_constraint.h"
#include "engine/generation/loaded_model.h"
#include "engine/scheduling/scheduler.h"
#include "server/api_request.h"
#include "server/metrics.h"
#include "text/chat_prompt_builder.h"

namespace baleen {

struct ServerSettings {
  std::string model_id;                 // the name clients see in /v1/models and every response
  std::vector<std::string> api_keys;    // empty: no authentication
  // Key of the HMAC-SHA256 that turns an API key into its prefix-cache tenant id: random bytes, from the --cache-dir's
  // secret file (so tenants survive restarts with their cache) or made at start-up. Must be set when api_keys is not
  // empty.
  std::string tenant_secret;
  bool log_content = false;             // --log-content: prompts and completions on stderr
  RequestLimits limits;
  bool default_thinking = true;         // for reasoning-capable templates when a request does not say
};

struct ServerContext {
  LoadedModel& model;
  Scheduler& scheduler;
  Metrics& metrics;
  const ChatPromptBuilder& prompts;
  std::shared_ptr<const JsonTokenTable> json_tokens;
  const ServerSettings& settings;
  const Tokenizer& tokenizer() const { return *model.text.tokenizer; }
};

}  // namespace baleen
