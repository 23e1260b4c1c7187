// Connection loop: accept within the connection limits (evicting idle connections to make room), read a request
// under its timeouts, hand it to the handler, repeat while kept alive; and the graceful stop.
#include "server/http_server.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

#include "server/http_connection.h"

namespace baleen {

namespace beast = boost::beast;
using net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// Descriptors kept for everything that is not a connection: model and cache files, logs, the engine's threads.
constexpr int64_t kReservedDescriptors = 64;
// Out of descriptors with no idle connection to close: wait this long instead of retrying accept() in a busy loop.
constexpr std::chrono::milliseconds kAcceptBackOff{100};

bool OutOfDescriptors(const boost::system::error_code& ec) {
  return ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory;
}

// Bytes the client sent that no read has taken yet.
bool HasUnreadBytes(Connection& connection) {
  if (connection.buffer.size() > 0) return true;
  char byte;
  return ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

// The open-file soft limit (unlimited as int64's maximum; 1024, the usual default, when it cannot be read).
int64_t SoftFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(limit.rlim_cur);
}

}  // namespace

int64_t RaiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);  // on failure the old limit stands, and SoftFileLimit reports it
  }
  return SoftFileLimit();
}

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, HttpHandler handler)
    : io_(io), options_(std::move(options)), handler_(std::move(handler)), acceptor_(io), grace_timer_(io) {}

HttpServer::~HttpServer() = default;

Result<uint16_t> HttpServer::Listen() {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec) return InvalidArgument("--host " + options_.host + " is not an IP address");
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
  }
  // Connections stay below the descriptor limit, so running out of descriptors is the exception, not the defence.
  max_connections_ = static_cast<int>(
      std::clamp<int64_t>(SoftFileLimit() - kReservedDescriptors, 1, std::max(options_.max_connections, 1)));
  net::co_spawn(io_, Accept(), net::detached);
  return acceptor_.local_endpoint().port();
}

int HttpServer::connections() const {
  return static_cast<int>(std::count_if(connections_.begin(), connections_.end(),
                                        [](const std::weak_ptr<Connection>& c) { return !c.expired(); }));
}

void HttpServer::Stop() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  bool any_idle = false;
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) {
      connection->closing = true;
      any_idle |= connection->idle;
    }
  }
  if (!any_idle) return;
  grace_timer_.expires_after(options_.shutdown_grace);
  grace_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) CloseIdleAfterGrace();
  });
}

// A connection that began sending a request keeps its header timeout: its request is answered (and refused by the
// handler if it likes) rather than cut off mid-send.
void HttpServer::CloseIdleAfterGrace() {
  for (auto& weak : connections_) {
    if (auto connection = weak.lock(); connection && connection->idle && !HasUnreadBytes(*connection)) {
      connection->Close();
    }
  }
}

net::awaitable<void> HttpServer::Accept() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (ec) {
      if (stopping_ || ec == net::error::operation_aborted) break;
      co_await BackOffAfterAcceptError(ec);
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket), options_.write_timeout);
    if (!Admit(connection)) {
      const ApiError full{.kind = ErrorKind::kUnavailable,
                          .message = "too many connections with requests in progress; retry shortly"};
      net::co_spawn(io_, RefuseConnection(connection, full), net::detached);
      continue;
    }
    net::co_spawn(io_, Serve(connection), net::detached);
  }
}

// Out of descriptors: an idle connection gives its own up, so the client that is waiting in the backlog (perhaps one
// with a real request) gets in. With none to close, wait a little instead of spinning on accept().
net::awaitable<void> HttpServer::BackOffAfterAcceptError(const boost::system::error_code& ec) {
  if (!OutOfDescriptors(ec) || EvictIdle(nullptr)) co_return;
  net::steady_timer timer(io_, kAcceptBackOff);
  co_await timer.async_wait(kTuple);
}

// Makes room for a new connection within the per-peer and total limits, closing idle ones if needed (the peer's own
// first). False when every connection in the way has a request in progress.
bool HttpServer::Admit(const std::shared_ptr<Connection>& connection) {
  std::erase_if(connections_, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
  const auto from_peer = std::count_if(connections_.begin(), connections_.end(), [&](const auto& weak) {
    auto other = weak.lock();
    return other && other->peer == connection->peer;
  });
  if (from_peer >= options_.max_connections_per_peer && !EvictIdle(&connection->peer)) return false;
  if (static_cast<int>(connections_.size()) >= max_connections_ && !EvictIdle(nullptr)) return false;
  connections_.push_back(connection);
  return true;
}

// Closes the connection that has waited longest for a request (from `peer`, or from anyone when null).
bool HttpServer::EvictIdle(const net::ip::address* peer) {
  auto oldest = connections_.end();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    auto candidate = it->lock();
    if (!candidate || !candidate->idle || (peer != nullptr && candidate->peer != *peer)) continue;
    if (oldest == connections_.end() || candidate->idle_since < oldest->lock()->idle_since) oldest = it;
  }
  if (oldest == connections_.end()) return false;
  oldest->lock()->Close();
  connections_.erase(oldest);
  return true;
}

net::awaitable<void> HttpServer::RefuseConnection(std::shared_ptr<Connection> connection, ApiError error) {
  http::response<http::string_body> response{static_cast<http::status>(error.status()), 11};
  response.set(http::field::content_type, "application/json");
  if (error.retry_after()) response.set(http::field::retry_after, "1");
  response.keep_alive(false);
  response.body() = error.ToJson().dump();
  response.prepare_payload();
  connection->stream.expires_after(std::chrono::seconds(5));
  co_await http::async_write(connection->stream, response, kTuple);
  // A client still sending (an oversized body) reads the answer only once its upload is done; closing now would
  // reset the connection under it. Read and discard what it sends, within bounds, before closing.
  constexpr size_t kMaxDrainBytes = 64 << 20;
  connection->stream.expires_after(std::chrono::seconds(10));
  std::vector<char> scratch(64 * 1024);
  for (size_t drained = 0; drained < kMaxDrainBytes;) {
    auto [ec, n] = co_await connection->stream.async_read_some(net::buffer(scratch), kTuple);
    if (ec) break;
    drained += n;
  }
  connection->Close();
}

// Reads one request: its header within header_timeout (idle_timeout on a kept-alive connection), its body within
// read_timeout. False when the connection is to end (a timeout, EOF, a reset, or an error already answered).
net::awaitable<bool> HttpServer::ReadRequest(const std::shared_ptr<Connection>& connection, bool first,
                                             http::request_parser<http::string_body>& parser) {
  parser.header_limit(static_cast<uint32_t>(options_.max_header_bytes));
  parser.body_limit(options_.max_body_bytes);
  connection->idle = true;
  connection->idle_since = std::chrono::steady_clock::now();
  // A stopping server waits only its grace for a request already on its way.
  using Duration = net::steady_timer::duration;
  connection->stream.expires_after(connection->closing ? Duration(options_.shutdown_grace)
                                   : first             ? Duration(options_.header_timeout)
                                                       : Duration(options_.idle_timeout));
  auto [ec, n] = co_await http::async_read_header(connection->stream, connection->buffer, parser, kTuple);
  connection->idle = false;
  if (!ec && !parser.is_done()) {
    connection->stream.expires_after(options_.read_timeout);
    std::tie(ec, n) = co_await http::async_read(connection->stream, connection->buffer, parser, kTuple);
  }
  connection->stream.expires_never();
  if (ec == http::error::body_limit) {
    const ApiError error{.kind = ErrorKind::kBodyTooLarge, .message = "the request body exceeds " +
                                                                      std::to_string(options_.max_body_bytes) + " bytes"};
    co_await RefuseConnection(connection, error);
    co_return false;
  }
  if (ec == http::error::header_limit) {
    const ApiError error{.kind = ErrorKind::kHeadersTooLarge,
                         .message = "the request headers exceed " + std::to_string(options_.max_header_bytes) + " bytes"};
    co_await RefuseConnection(connection, error);
    co_return false;
  }
  // A malformed request gets a 400; a timeout, EOF or reset just ends the connection.
  if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    const ApiError error{.message = "malformed HTTP request: " + ec.message(), .code = "invalid_http"};
    co_await RefuseConnection(connection, error);
  }
  co_return !ec;
}

net::awaitable<void> HttpServer::Serve(std::shared_ptr<Connection> connection) {
  for (bool first = true;; first = false) {
    http::request_parser<http::string_body> parser;
    if (!co_await ReadRequest(connection, first, parser)) break;
    const auto start = std::chrono::steady_clock::now();
    HttpExchange exchange(connection, parser.release());
    co_await handler_(exchange);
    if (!exchange.replied()) {
      const ApiError error{.kind = ErrorKind::kInternal, .message = "the handler sent no response"};
      co_await exchange.Reply(error.status(), "application/json", error.ToJson().dump());
    }
    LogAccess(exchange, start);
    if (!exchange.keep_alive()) break;
  }
  connection->Close();
}

// Metadata only: never the body, the query string or headers, which may carry prompts or keys.
void HttpServer::LogAccess(const HttpExchange& exchange, std::chrono::steady_clock::time_point start) const {
  if (!options_.access_log) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%s %s %s %d %.3fs %llu bytes%s\n", exchange.remote_address().c_str(),
               std::string(exchange.request().method_string()).c_str(), exchange.path().c_str(), exchange.status(),
               seconds, static_cast<unsigned long long>(exchange.bytes_sent()),
               exchange.client_gone() ? " (client gone)" : "");
}

}  // namespace baleen
