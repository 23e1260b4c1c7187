// Connection loop: read a request (limits, timeouts), hand it to the handler, repeat while kept alive.
#include "server/http_server.h"

#include <sys/socket.h>

#include <cstdio>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <nlohmann/json.hpp>

namespace baleen {

namespace beast = boost::beast;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Connection {
  Connection(tcp::socket socket, std::chrono::seconds write_timeout)
      : stream(std::move(socket)), write_timeout(write_timeout) {}
  beast::tcp_stream stream;
  std::chrono::seconds write_timeout;
  beast::flat_buffer buffer;
  bool idle = true;  // waiting for a request (Stop may close it)
};

struct HttpExchange::Notifier::State {
  explicit State(net::any_io_executor executor) : timer(executor) {}
  net::steady_timer timer;
  bool pending = false;  // touched on the I/O thread only
};

std::string ErrorBody(std::string_view message, std::string_view type, std::string_view code) {
  nlohmann::json error = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!code.empty()) error["code"] = code;
  return nlohmann::json{{"error", error}}.dump();
}

// ---------------------------------------------------------------------------------------------- HttpExchange

void HttpExchange::Notifier::Notify() const {
  std::weak_ptr<State> weak = state_;
  net::post(state_->timer.get_executor(), [weak] {
    if (auto state = weak.lock()) {
      state->pending = true;
      state->timer.cancel();
    }
  });
}

HttpExchange::HttpExchange(std::shared_ptr<Connection> connection, HttpRequest request)
    : connection_(std::move(connection)), request_(std::move(request)) {
  notifier_.state_ = std::make_shared<Notifier::State>(connection_->stream.get_executor());
}

HttpExchange::~HttpExchange() = default;

HttpExchange::Notifier HttpExchange::notifier() const { return notifier_; }

std::string HttpExchange::path() const {
  const std::string_view target = request_.target();
  return std::string(target.substr(0, target.find('?')));
}

std::string HttpExchange::remote_address() const {
  beast::error_code ec;
  const tcp::endpoint peer = connection_->stream.socket().remote_endpoint(ec);
  return ec ? "?" : peer.address().to_string();
}

bool HttpExchange::keep_alive() const { return request_.keep_alive() && !client_gone_; }

// Every write runs under the write timeout: a client that stops reading is dropped instead of holding the
// connection (and its generation) forever.
bool HttpExchange::Account(const boost::system::error_code& ec, size_t bytes) {
  connection_->stream.expires_never();
  bytes_sent_ += bytes;
  if (ec) client_gone_ = true;
  return !ec;
}

net::awaitable<bool> HttpExchange::Write(auto&& buffers) {
  connection_->stream.expires_after(connection_->write_timeout);
  auto [ec, n] = co_await net::async_write(connection_->stream, buffers, kTuple);
  co_return Account(ec, n);
}

template <class Body>
http::response<Body> HttpExchange::Response(int status, std::string_view content_type,
                                            std::string_view cache_control) {
  http::response<Body> response{static_cast<http::status>(status), request_.version()};
  response.set(http::field::server, "baleen");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, cache_control);
  response.keep_alive(request_.keep_alive());
  status_ = status;
  return response;
}

net::awaitable<void> HttpExchange::Reply(int status, std::string content_type, std::string body,
                                         std::vector<std::pair<std::string, std::string>> headers) {
  auto response = Response<http::string_body>(status, content_type, "no-store");
  for (auto& [name, value] : headers) response.set(name, value);
  response.body() = std::move(body);
  response.prepare_payload();
  connection_->stream.expires_after(connection_->write_timeout);
  auto [ec, n] = co_await http::async_write(connection_->stream, response, kTuple);
  Account(ec, n);
}

net::awaitable<bool> HttpExchange::BeginEvents() {
  auto response = Response<http::empty_body>(200, "text/event-stream", "no-cache");
  response.set("X-Accel-Buffering", "no");  // reverse proxies must pass each event on at once
  response.chunked(true);
  streaming_ = true;
  http::response_serializer<http::empty_body> serializer{response};
  connection_->stream.expires_after(connection_->write_timeout);
  auto [ec, n] = co_await http::async_write_header(connection_->stream, serializer, kTuple);
  co_return Account(ec, n);
}

net::awaitable<bool> HttpExchange::Send(std::string data) {
  if (client_gone_) co_return false;
  co_return co_await Write(http::make_chunk(net::buffer(data)));
}

net::awaitable<void> HttpExchange::EndEvents() {
  if (!client_gone_) co_await Write(http::make_chunk_last());
}

net::awaitable<HttpExchange::WaitResult> HttpExchange::Wait(std::chrono::milliseconds timeout) {
  Notifier::State& state = *notifier_.state_;
  if (state.pending) {
    state.pending = false;
    co_return WaitResult::kNotified;
  }
  if (client_gone_) co_return WaitResult::kClientGone;
  state.timer.expires_after(timeout);
  if (peer_sent_data_) {  // a pipelined request is waiting: readability says nothing about the client leaving
    co_await state.timer.async_wait(kTuple);
  } else {
    tcp::socket& socket = connection_->stream.socket();
    auto result = co_await (state.timer.async_wait(kTuple) || socket.async_wait(tcp::socket::wait_read, kTuple));
    if (result.index() == 1) {
      // Readable: either the client closed (EOF or reset) or it sent more bytes (a pipelined request).
      char byte;
      const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) {
        peer_sent_data_ = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        client_gone_ = true;
        co_return WaitResult::kClientGone;
      }
    }
  }
  if (state.pending) {
    state.pending = false;
    co_return WaitResult::kNotified;
  }
  co_return WaitResult::kTimeout;
}

// ------------------------------------------------------------------------------------------------ HttpServer

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, HttpHandler handler)
    : io_(io), options_(std::move(options)), handler_(std::move(handler)), acceptor_(io) {}

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
  net::co_spawn(io_, Accept(), net::detached);
  return acceptor_.local_endpoint().port();
}

void HttpServer::Stop() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : connections_) {
    if (auto connection = weak.lock(); connection && connection->idle) connection->stream.socket().close(ec);
  }
}

net::awaitable<void> HttpServer::Accept() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (ec) {
      if (stopping_ || ec == net::error::operation_aborted) break;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    std::erase_if(connections_, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    auto connection = std::make_shared<Connection>(std::move(socket), options_.write_timeout);
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      net::co_spawn(io_, RefuseConnection(connection, 503, "too many connections"), net::detached);
      continue;
    }
    connections_.push_back(connection);
    net::co_spawn(io_, Serve(connection), net::detached);
  }
}

net::awaitable<void> HttpServer::RefuseConnection(std::shared_ptr<Connection> connection, int status,
                                                  std::string message) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::retry_after, "1");
  response.keep_alive(false);
  response.body() = ErrorBody(message, status == 503 ? "server_error" : "invalid_request_error");
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
  beast::error_code ec;
  connection->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

net::awaitable<void> HttpServer::Serve(std::shared_ptr<Connection> connection) {
  bool first = true;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    connection->idle = true;
    connection->stream.expires_after(first ? options_.read_timeout : options_.idle_timeout);
    auto [ec, n] = co_await http::async_read(connection->stream, connection->buffer, parser, kTuple);
    connection->idle = false;
    first = false;
    if (ec == http::error::body_limit) {
      co_await RefuseConnection(connection, 413,
                                "the request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
      co_return;
    }
    if (ec == http::error::header_limit) {
      co_await RefuseConnection(connection, 431, "the request headers exceed " +
                                                     std::to_string(options_.max_header_bytes) + " bytes");
      co_return;
    }
    if (ec) {
      // A malformed request gets a 400; a timeout, EOF or reset just ends the connection.
      if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await RefuseConnection(connection, 400, "malformed HTTP request: " + ec.message());
      }
      break;
    }
    connection->stream.expires_never();
    const auto start = std::chrono::steady_clock::now();
    HttpExchange exchange(connection, parser.release());
    co_await handler_(exchange);
    if (!exchange.replied()) co_await exchange.Reply(500, "application/json", ErrorBody("no response", "server_error"));
    LogAccess(exchange, start);
    if (!exchange.keep_alive()) break;
  }
  beast::error_code ec;
  connection->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  connection->stream.socket().close(ec);
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
