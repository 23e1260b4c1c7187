// A small HTTP/1.1 server on Boost.Beast and C++20 coroutines: keep-alive, size limits and timeouts, whole responses
// and server-sent event streams, and a wait that also notices a client hanging up. Server layer; knows nothing of
// the API (the handler does).
//
// Threads: all I/O runs on one io_context thread; handlers are coroutines on it. Work done elsewhere (the engine
// thread) wakes a handler through HttpExchange::Notifier, which is safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/status.h"

namespace baleen {

namespace net = boost::asio;
namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;              // 0: any free port
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  int max_connections = 256;         // beyond this, new connections get 503 and are closed
  std::chrono::seconds read_timeout{30};   // to receive a whole request once its first byte arrived
  std::chrono::seconds idle_timeout{60};   // between requests on a kept-alive connection
  std::chrono::seconds write_timeout{60};  // for one write to drain (a client that stopped reading)
  bool access_log = true;            // one line per request on stderr: method, path, status, time, bytes
};

struct Connection;

// One request and its response. A handler answers with Reply, or with BeginEvents / Send / EndEvents.
class HttpExchange {
 public:
  // Wakes Wait() from any thread. Holds only a weak reference: notifying a finished exchange does nothing.
  class Notifier {
   public:
    void Notify() const;

   private:
    friend class HttpExchange;
    struct State;
    std::shared_ptr<State> state_;
  };
  enum class WaitResult { kNotified, kTimeout, kClientGone };

  HttpExchange(std::shared_ptr<Connection> connection, HttpRequest request);
  ~HttpExchange();

  const HttpRequest& request() const { return request_; }
  std::string path() const;  // the target without its query string
  std::string remote_address() const;

  // A whole response. `headers` are extra (name, value) pairs.
  net::awaitable<void> Reply(int status, std::string content_type, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers = {});
  // A text/event-stream response, sent chunked. Send returns false once the client is gone.
  net::awaitable<bool> BeginEvents();
  net::awaitable<bool> Send(std::string data);
  net::awaitable<void> EndEvents();

  Notifier notifier() const;
  // Sleeps until notified, `timeout` passes, or the client closes its end of the connection.
  net::awaitable<WaitResult> Wait(std::chrono::milliseconds timeout);

  // Who is asking, as the server established it (e.g. which API key matched); never taken from the request body.
  void set_principal(std::string principal) { principal_ = std::move(principal); }
  const std::string& principal() const { return principal_; }

  int status() const { return status_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  bool replied() const { return status_ != 0; }
  bool client_gone() const { return client_gone_; }
  bool keep_alive() const;

 private:
  net::awaitable<bool> Write(auto&& buffers);
  template <class Body>
  http::response<Body> Response(int status, std::string_view content_type, std::string_view cache_control);
  bool Account(const boost::system::error_code& ec, size_t bytes);

  std::shared_ptr<Connection> connection_;
  HttpRequest request_;
  Notifier notifier_;
  std::string principal_;
  int status_ = 0;
  uint64_t bytes_sent_ = 0;
  bool client_gone_ = false, peer_sent_data_ = false, streaming_ = false;
};

using HttpHandler = std::function<net::awaitable<void>(HttpExchange&)>;

class HttpServer {
 public:
  HttpServer(net::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  // Binds and starts accepting; returns the bound port (the chosen one for port 0).
  Result<uint16_t> Listen();
  // Stops accepting and closes idle connections; requests in progress finish (their handlers decide how fast).
  void Stop();
  int connections() const { return static_cast<int>(connections_.size()); }

 private:
  net::awaitable<void> Accept();
  net::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  net::awaitable<void> RefuseConnection(std::shared_ptr<Connection> connection, int status, std::string message);
  void LogAccess(const HttpExchange& exchange, std::chrono::steady_clock::time_point start) const;

  net::io_context& io_;
  HttpServerOptions options_;
  HttpHandler handler_;
  net::ip::tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Connection>> connections_;
  bool stopping_ = false;
};

// {"error": {...}} in OpenAI's shape, for errors the HTTP layer answers itself.
std::string ErrorBody(std::string_view message, std::string_view type, std::string_view code = "");

}  // namespace baleen
