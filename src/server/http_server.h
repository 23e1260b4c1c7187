// A small HTTP/1.1 server on Boost.Beast and C++20 coroutines: keep-alive, size limits and timeouts, whole responses
// and server-sent event streams, and a wait that also notices a client hanging up. Server layer; knows nothing of
// the API (the handler does) beyond the shape of its errors.
//
// Connections are a bounded resource that idle sockets must not be able to take from working clients: a connection
// that has not sent a complete request header is "idle", must finish its header within header_timeout, and is the
// first to go when a new connection needs room (the peer's own oldest idle one at the per-peer limit, anyone's at the
// total limit, or when the process runs out of file descriptors). A connection with a request in flight is never
// evicted. A client that half-closes (shutdown(SHUT_WR) after its request) is still there to read its answer; only a
// reset or a failed write means it left.
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
#include "server/api_error.h"

namespace baleen {

namespace net = boost::asio;
namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;              // 0: any free port
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  int max_connections = 512;           // in all (Listen lowers it to fit the file descriptor limit)
  int max_connections_per_peer = 64;   // from one IP address
  std::chrono::seconds header_timeout{10};  // for a new connection to send its first request's whole header
  std::chrono::seconds read_timeout{30};    // for a request's body once its header arrived
  std::chrono::seconds idle_timeout{60};    // for the next request's header on a kept-alive connection
  std::chrono::seconds write_timeout{60};   // for one write to drain (a client that stopped reading)
  std::chrono::milliseconds shutdown_grace{1000};  // Stop() keeps idle connections this long for requests in transit
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
  // A text/event-stream response, sent chunked (to an HTTP/1.0 client: unframed, and the connection closes after
  // it). Send returns false once the client is gone.
  net::awaitable<bool> BeginEvents();
  net::awaitable<bool> Send(std::string data);
  net::awaitable<void> EndEvents();

  Notifier notifier() const;
  // Sleeps until notified, `timeout` passes, or the client is gone (a reset or a failed write; a client that only
  // closed its sending side is probed once, see WatchHalfClosed).
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
  net::awaitable<void> ProbeHalfClosed();
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
  bool raw_stream_ = false;   // an event stream to an HTTP/1.0 client: no chunks, close at the end
  bool input_closed_ = false;  // the client sent EOF: it may have half-closed, or gone; probed once
  bool announced_keep_alive_ = false;
};

using HttpHandler = std::function<net::awaitable<void>(HttpExchange&)>;

class HttpServer {
 public:
  HttpServer(net::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  // Binds and starts accepting; returns the bound port (the chosen one for port 0).
  Result<uint16_t> Listen();
  // Stops accepting. Requests in progress finish (their handlers decide how fast) and close their connection;
  // idle connections stay open for shutdown_grace, so a request already on its way is answered (the handler
  // refuses it as it likes) instead of meeting a reset, then close.
  void Stop();
  int connections() const;
  int max_connections() const { return max_connections_; }

 private:
  net::awaitable<void> Accept();
  net::awaitable<void> BackOffAfterAcceptError(const boost::system::error_code& ec);
  bool Admit(const std::shared_ptr<Connection>& connection);
  bool EvictIdle(const net::ip::address* peer);
  net::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  net::awaitable<bool> ReadRequest(const std::shared_ptr<Connection>& connection, bool first,
                                   http::request_parser<http::string_body>& parser);
  net::awaitable<void> RefuseConnection(std::shared_ptr<Connection> connection, ApiError error);
  void CloseIdleAfterGrace();
  void LogAccess(const HttpExchange& exchange, std::chrono::steady_clock::time_point start) const;

  net::io_context& io_;
  HttpServerOptions options_;
  HttpHandler handler_;
  net::ip::tcp::acceptor acceptor_;
  net::steady_timer grace_timer_;
  std::vector<std::weak_ptr<Connection>> connections_;
  int max_connections_ = 0;
  bool stopping_ = false;
};

// Raises this process's open-file limit to its hard limit and returns the new soft limit: every connection is a
// descriptor, and the default 1024 would let a few hundred idle sockets exhaust them.
int64_t RaiseFileLimit();

}  // namespace baleen
