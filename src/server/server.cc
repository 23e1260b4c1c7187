// Threads: the caller's thread runs the io_context (all sockets and handlers); the scheduler owns the engine
// thread; the kernels' pool does the math. A signal stops the listener, then the scheduler, then the connections.
#include "server/server.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "server/api_server.h"

namespace baleen {
namespace {

void ForceExit(int) { std::_Exit(130); }

}  // namespace

Status Serve(LoadedModel& model, const ServeOptions& options, const std::function<void(uint16_t port)>& on_listening) {
  ASSIGN_OR_RETURN(ChatPromptBuilder prompts, ChatPromptBuilder::Create(model.text, options.chat_format));
  Metrics metrics;
  Scheduler scheduler(*model.model, *model.text.tokenizer, options.scheduler);
  if (!options.scheduler.cache_file.empty()) {
    if (scheduler.restore_status().ok()) {
      std::fprintf(stderr, "baleen: prefix cache restored from %s (%lld blocks)\n", options.scheduler.cache_file.c_str(),
                   static_cast<long long>(scheduler.Stats().kv_blocks_prefix));
    } else if (scheduler.restore_status().code() != StatusCode::kNotFound) {
      std::fprintf(stderr, "baleen: warning: prefix cache not restored, starting empty: %s\n",
                   scheduler.restore_status().ToString().c_str());
    }
  }
  ServerContext context{.model = model,
                        .scheduler = scheduler,
                        .metrics = metrics,
                        .prompts = prompts,
                        .json_tokens = JsonTokenTable::Create(*model.text.tokenizer),
                        .settings = options.settings};
  ApiServer api(context);
  net::io_context io(1);
  RaiseFileLimit();
  HttpServer http(io, options.http, [&api](HttpExchange& exchange) { return api.Handle(exchange); });
  ASSIGN_OR_RETURN(uint16_t port, http.Listen());

  // The first signal starts a graceful shutdown; a second one (the user does not want to wait) exits at once.
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "baleen: shutting down (signal again to force)\n");
    boost::system::error_code ignored;
    signals.clear(ignored);
    std::signal(SIGINT, ForceExit);
    std::signal(SIGTERM, ForceExit);
    api.set_shutting_down();
    http.Stop();
    scheduler.Shutdown();  // generations in flight end as cancelled; their handlers still finish their responses
  });
  on_listening(port);
  io.run();  // returns once the listener and every connection are gone
  return Status::Ok();
}

}  // namespace baleen
