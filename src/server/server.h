// `baleen serve`: wires a loaded model to the scheduler, the router and the HTTP server, and runs until SIGINT or
// SIGTERM. Server layer; the CLI parses flags into ServeOptions and calls Serve.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "engine/generation/loaded_model.h"
#include "engine/scheduling/scheduler.h"
#include "server/http_server.h"
#include "server/server_context.h"

namespace baleen {

struct ServeOptions {
  HttpServerOptions http;
  ServerSettings settings;
  SchedulerOptions scheduler;
  std::string chat_format;  // "" = the model's template
};

// Blocks until a shutdown signal: then stops accepting, cancels the generations in flight (their streams end
// cleanly with a finish chunk and [DONE]), and returns once every connection is closed. `on_listening` gets the
// bound port.
Status Serve(LoadedModel& model, const ServeOptions& options, const std::function<void(uint16_t port)>& on_listening);

}  // namespace baleen
