// Routes: GET / (chat page), /chat.js, /chat.css (its files), /health, /metrics, /v1/models; POST /v1/chat/completions,
// /v1/completions, /tokenize, /detokenize. Everything but the page, its files and /health needs an API key when keys
// are configured.
#include "server/api_server.h"

#include "base/check.h"
#include "base/hmac_sha256.h"
#include "base/sha256.h"

#include <optional>

#include "server/endpoints.h"
#include "server/openai_format.h"
#include "server/web_page.h"

namespace baleen {
struct Route {
  std::string_view path;
  http::verb method;
  bool needs_key;
};

namespace {

constexpr int kMaxJsonDepth = 128;
constexpr Route kRoutes[] = {
    {"/", http::verb::get, false},
    {"/chat.js", http::verb::get, false},
    {"/chat.css", http::verb::get, false},
    {"/health", http::verb::get, false},
    {"/metrics", http::verb::get, true},
    {"/v1/models", http::verb::get, true},
    {"/v1/chat/completions", http::verb::post, true},
    {"/v1/completions", http::verb::post, true},
    {"/tokenize", http::verb::post, true},
    {"/detokenize", http::verb::post, true},
};

// The page may talk only to this server: no outside scripts, styles, images or connections. Script and style come
// only from its own files (/chat.js, /chat.css), never inline, so injected markup can neither run nor restyle it.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

ApiError NotFoundError(const std::string& path) {
  return {.kind = ErrorKind::kNotFound, .message = "no endpoint " + path.substr(0, 64)};
}

const Route* FindRoute(const std::string& path) {
  for (const Route& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

std::optional<ApiError> ParseBody(const std::string& text, nlohmann::json& body) {
  if (JsonNestingDepth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    return ApiError{.message = "the request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                    .code = "invalid_json"};
  }
  body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return ApiError{.message = "the request body is not valid JSON", .code = "invalid_json"};
  return std::nullopt;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

bool ApiServer::Authorized(HttpExchange& exchange) const {
  const auto& keys = context_.settings.api_keys;
  if (keys.empty()) return true;
  std::string_view given;
  const auto& headers = exchange.request();
  if (auto it = headers.find(http::field::authorization); it != headers.end()) {
    given = it->value();
    if (given.size() >= 7 && (given.substr(0, 7) == "Bearer " || given.substr(0, 7) == "bearer ")) given.remove_prefix(7);
  } else if (auto key = headers.find("x-api-key"); key != headers.end()) {
    given = key->value();
  }
  size_t match = keys.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (ConstantTimeEquals(given, keys[i])) match = i;  // every key compared: no early exit
  }
  if (match == keys.size()) return false;
  // The tenant whose cached prefixes this request may reuse: derived from the key itself (not its position in the
  // list, so a persisted cache stays with its key across restarts and reordered key files), and keyed with the
  // server's secret (kept beside the --cache-dir file), so neither the key nor anything a guessed key can be checked
  // against offline appears in a cache file. A plain digest would let a weak key be found by hashing candidates.
  CHECK(!context_.settings.tenant_secret.empty());  // serve fills it; an empty one would make the HMAC a plain hash
  exchange.set_principal("key-" + Sha256::Hex(HmacSha256(context_.settings.tenant_secret, keys[match])).substr(0, 32));
  return true;
}

// (GCC 12 miscompiles string literals and braced initializers inside co_await expressions — "array used as
// initializer" — so every coroutine here builds its values in plain statements and awaits named objects.)
std::optional<ApiError> ApiServer::Refusal(HttpExchange& exchange, const Route* route) const {
  if (route == nullptr) return NotFoundError(exchange.path());
  if (exchange.request().method() != route->method) {
    return ApiError{.kind = ErrorKind::kMethodNotAllowed,
                    .message = exchange.path() + " takes " + std::string(http::to_string(route->method))};
  }
  if (route->needs_key && !Authorized(exchange)) {
    return ApiError{.kind = ErrorKind::kUnauthorized,
                    .message = "missing or incorrect API key (send Authorization: Bearer KEY)"};
  }
  // Everything, /health included: a load balancer must stop sending work here.
  if (shutting_down_) return ApiError{.kind = ErrorKind::kUnavailable, .message = "the server is shutting down"};
  return std::nullopt;
}

net::awaitable<void> ApiServer::Handle(HttpExchange& exchange) {
  const Route* route = FindRoute(exchange.path());
  if (const std::optional<ApiError> refusal = Refusal(exchange, route)) {
    co_await ReplyError(exchange, *refusal);
  } else {
    co_await Dispatch(exchange, route->path);
  }
  context_.metrics.RecordRequest(route == nullptr ? std::string_view("other") : route->path, exchange.status());
}

net::awaitable<void> ApiServer::Dispatch(HttpExchange& exchange, std::string_view route) {
  if (FindWebAsset(route) != nullptr) co_return co_await ServePage(exchange);
  if (route == "/health") {
    const ojson ok = {{"status", "ok"}};
    co_return co_await ReplyJson(exchange, 200, ok);
  }
  if (route == "/metrics") {
    std::string text = context_.metrics.Render(context_.scheduler.Stats());
    const std::string type = "text/plain; version=0.0.4";
    co_return co_await exchange.Reply(200, type, std::move(text));
  }
  if (route == "/v1/models") co_return co_await ServeModels(exchange);
  // The POST endpoints take a JSON object.
  nlohmann::json body;
  if (const std::optional<ApiError> error = ParseBody(exchange.request().body(), body)) {
    co_return co_await ReplyError(exchange, *error);
  }
  if (route == "/v1/chat/completions") co_return co_await ServeChatCompletions(context_, exchange, body);
  if (route == "/v1/completions") co_return co_await ServeCompletions(context_, exchange, body);
  if (route == "/tokenize") co_return co_await ServeTokenize(exchange, body);
  if (route == "/detokenize") co_return co_await ServeDetokenize(exchange, body);
}

// The page and its files, all with the same headers (the policy means nothing on a script, and costs nothing there).
// nosniff: the browser runs or applies a file only under its declared type. Never cached, like every reply here, and
// said so explicitly: a rebuilt server must not pair its page with a script a browser kept from the last build (the
// files carry no validators to revalidate against, and are small and local).
net::awaitable<void> ApiServer::ServePage(HttpExchange& exchange) {
  const WebAsset* asset = FindWebAsset(exchange.path());
  CHECK(asset != nullptr);  // Dispatch sends only the embedded files' paths here
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Security-Policy", kPagePolicy}, {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"}, {"Cache-Control", "no-store"}};
  const std::string type(asset->content_type);
  co_await exchange.Reply(200, type, std::string(asset->body), std::move(headers));
}

net::awaitable<void> ApiServer::ServeModels(HttpExchange& exchange) {
  const ModelConfig& config = context_.model.config;
  ojson model = {{"id", context_.settings.model_id},
                 {"object", "model"},
                 {"created", 0},
                 {"owned_by", "baleen"},
                 {"context_length", context_.scheduler.options().n_ctx},
                 {"max_model_len", context_.scheduler.options().n_ctx},
                 {"architecture", ArchitectureName(config.arch)},
                 {"capabilities",
                  {{"chat", true},
                   {"completion", true},
                   {"tools", context_.prompts.supports_tools()},
                   {"json_object", true},
                   {"reasoning", context_.prompts.reasons()}}}};
  const ojson list = {{"object", "list"}, {"data", ojson::array({std::move(model)})}};
  co_await ReplyJson(exchange, 200, list);
}

net::awaitable<void> ApiServer::ServeTokenize(HttpExchange& exchange, const nlohmann::json& body) {
  TokenizeParams params;
  if (auto error = ParseTokenizeParams(body, &params)) co_return co_await ReplyError(exchange, *error);
  const Tokenizer& tokenizer = context_.tokenizer();
  EncodeOptions options;
  options.add_special_tokens = params.add_special;
  Result<std::vector<int32_t>> ids = tokenizer.EncodeUntrusted(params.content, options);  // text never controls
  if (!ids.ok()) {
    const ApiError error = ErrorFromStatus(ids.status(), "content");
    co_return co_await ReplyError(exchange, error);
  }
  ojson tokens = ojson::array();
  for (int32_t id : *ids) {
    if (params.with_pieces) {
      tokens.push_back({{"id", id}, {"piece", TokenText(tokenizer, id)}});
    } else {
      tokens.push_back(id);
    }
  }
  const ojson response = {{"tokens", std::move(tokens)}};
  co_await ReplyJson(exchange, 200, response);
}

net::awaitable<void> ApiServer::ServeDetokenize(HttpExchange& exchange, const nlohmann::json& body) {
  DetokenizeParams params;
  if (auto error = ParseDetokenizeParams(body, &params)) co_return co_await ReplyError(exchange, *error);
  const Tokenizer& tokenizer = context_.tokenizer();
  for (size_t i = 0; i < params.tokens.size(); ++i) {
    if (!tokenizer.IsValidId(params.tokens[i])) {
      const ApiError error{.message = "token id " + std::to_string(params.tokens[i]) + " is outside the vocabulary of " +
                                      std::to_string(tokenizer.vocab_size()),
                           .param = "tokens[" + std::to_string(i) + "]", .code = "invalid_value"};
      co_return co_await ReplyError(exchange, error);
    }
  }
  const ojson response = {{"content", tokenizer.Decode(params.tokens)}};
  co_await ReplyJson(exchange, 200, response);
}

}  // namespace baleen
