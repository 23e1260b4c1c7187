// HttpExchange: one request's response (whole, or an event stream), and the wait that wakes on a notification, a
// timeout or the client leaving.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "server/http_connection.h"
#include "server/http_server.h"

namespace baleen {

namespace beast = boost::beast;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;
namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// Whether the connection has failed under us: the client reset it (after our probe met its closed socket) or the
// kernel reports an error. The TCP state is read rather than recv(): after a FIN, recv keeps answering 0 even once a
// reset arrived.
bool ConnectionFailed(int fd) {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0 && info.tcpi_state == TCP_CLOSE) return true;
  int error = 0;
  size = sizeof error;
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0;
}

}  // namespace

struct HttpExchange::Notifier::State {
  explicit State(net::any_io_executor executor) : timer(executor) {}
  net::steady_timer timer;
  bool pending = false;  // touched on the I/O thread only
};

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

std::string HttpExchange::remote_address() const { return connection_->peer.to_string(); }

// What the response announced, so a client that sends its next request at once is read (during a stop too) rather
// than met with a reset.
bool HttpExchange::keep_alive() const { return announced_keep_alive_ && !client_gone_; }

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
  announced_keep_alive_ = request_.keep_alive() && !connection_->closing;  // a stopping server closes after answering
  response.keep_alive(announced_keep_alive_);
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

// HTTP/1.0 has no chunked encoding: its clients get the events unframed, and the end of the connection ends them.
net::awaitable<bool> HttpExchange::BeginEvents() {
  auto response = Response<http::empty_body>(200, "text/event-stream", "no-cache");
  response.set("X-Accel-Buffering", "no");  // reverse proxies must pass each event on at once
  if (request_.version() < 11) {
    raw_stream_ = true;
    announced_keep_alive_ = false;
    response.keep_alive(false);
  } else {
    response.chunked(true);
  }
  streaming_ = true;
  http::response_serializer<http::empty_body> serializer{response};
  connection_->stream.expires_after(connection_->write_timeout);
  auto [ec, n] = co_await http::async_write_header(connection_->stream, serializer, kTuple);
  co_return Account(ec, n);
}

net::awaitable<bool> HttpExchange::Send(std::string data) {
  if (client_gone_) co_return false;
  if (raw_stream_) co_return co_await Write(net::buffer(data));
  co_return co_await Write(http::make_chunk(net::buffer(data)));
}

net::awaitable<void> HttpExchange::EndEvents() {
  if (!client_gone_ && !raw_stream_) co_await Write(http::make_chunk_last());
}

// The client sent EOF. It may have only shut down its sending side and still wait for the answer, or have closed
// the socket. Only a write tells them apart: a closed socket answers it with a reset, which the next Wait sees. A
// stream gets an SSE comment; a whole response an interim "100 Continue", which HTTP/1.1 clients must accept before
// any final response. An HTTP/1.0 client cannot be probed and is taken to be waiting.
net::awaitable<void> HttpExchange::ProbeHalfClosed() {
  if (streaming_) {
    co_await Send(": probe\n\n");
  } else if (status_ == 0 && request_.version() >= 11) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await Write(net::buffer(kContinue));
  }
}

net::awaitable<HttpExchange::WaitResult> HttpExchange::Wait(std::chrono::milliseconds timeout) {
  Notifier::State& state = *notifier_.state_;
  if (state.pending) {
    state.pending = false;
    co_return WaitResult::kNotified;
  }
  if (client_gone_) co_return WaitResult::kClientGone;
  state.timer.expires_after(timeout);
  tcp::socket& socket = connection_->stream.socket();
  if (peer_sent_data_ || input_closed_) {
    // Readability says nothing more (a pipelined request waits, or EOF stays readable); a reset still raises the
    // socket's error condition.
    auto result = co_await (state.timer.async_wait(kTuple) || socket.async_wait(tcp::socket::wait_error, kTuple));
    if (result.index() == 1 && ConnectionFailed(socket.native_handle())) client_gone_ = true;
  } else {
    auto result = co_await (state.timer.async_wait(kTuple) || socket.async_wait(tcp::socket::wait_read, kTuple));
    if (result.index() == 1) {
      // Readable: the client sent more bytes (a pipelined request), sent EOF, or reset the connection.
      char byte;
      const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) {
        peer_sent_data_ = true;
      } else if (n == 0) {
        input_closed_ = true;
        co_await ProbeHalfClosed();
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        client_gone_ = true;
      }
    }
  }
  if (client_gone_) co_return WaitResult::kClientGone;
  if (state.pending) {
    state.pending = false;
    co_return WaitResult::kNotified;
  }
  co_return WaitResult::kTimeout;
}

}  // namespace baleen
