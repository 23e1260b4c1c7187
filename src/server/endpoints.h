// The generation endpoints: /v1/chat/completions and /v1/completions. Server layer; the router (api_server.cc)
// parses the body and calls these.
#pragma once

#include <nlohmann/json.hpp>

#include "server/http_server.h"
#include "server/server_context.h"

namespace baleen {

net::awaitable<void> ServeChatCompletions(ServerContext& context, HttpExchange& exchange, const nlohmann::json& body);
net::awaitable<void> ServeCompletions(ServerContext& context, HttpExchange& exchange, const nlohmann::json& body);

}  // namespace baleen
