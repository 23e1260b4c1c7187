// The router: authentication, body parsing and dispatch of every endpoint, plus the small ones (models, health,
// metrics, tokenize, detokenize, the chat page). Server layer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/api_request.h"
#include "server/http_server.h"
#include "server/server_context.h"

namespace baleen {

struct Route;

class ApiServer {
 public:
  explicit ApiServer(ServerContext& context) : context_(context) {}

  // The HttpServer's handler.
  net::awaitable<void> Handle(HttpExchange& exchange);
  void set_shutting_down() { shutting_down_ = true; }

 private:
  std::optional<ApiError> Refusal(HttpExchange& exchange, const Route* route) const;
  net::awaitable<void> Dispatch(HttpExchange& exchange, std::string_view route);
  net::awaitable<void> ServePage(HttpExchange& exchange);
  // Checks the API key and records which one matched as the exchange's principal (its cache tenant).
  bool Authorized(HttpExchange& exchange) const;
  net::awaitable<void> ServeModels(HttpExchange& exchange);
  net::awaitable<void> ServeTokenize(HttpExchange& exchange, const nlohmann::json& body);
  net::awaitable<void> ServeDetokenize(HttpExchange& exchange, const nlohmann::json& body);

  ServerContext& context_;
  bool shutting_down_ = false;
};

// Compares in time that depends only on the lengths, so response timing does not reveal how much of a key matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Deepest nesting of arrays and objects in a JSON text (strings skipped), to refuse bodies that would make a
// recursive parser or serializer exhaust the stack. Stops counting past `limit`.
int JsonNestingDepth(std::string_view text, int limit);

}  // namespace baleen
