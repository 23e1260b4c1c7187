// One client connection, shared by the server's connection loop (http_server.cc) and the exchanges it runs
// (http_exchange.cc). Server layer, private to the HTTP code.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

namespace baleen {

namespace net = boost::asio;

struct Connection {
  Connection(net::ip::tcp::socket socket, std::chrono::seconds write_timeout)
      : stream(std::move(socket)), write_timeout(write_timeout) {
    boost::system::error_code ec;
    const net::ip::tcp::endpoint endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) peer = endpoint.address();
  }
  boost::beast::tcp_stream stream;
  std::chrono::seconds write_timeout;
  boost::beast::flat_buffer buffer;
  net::ip::address peer;
  // Waiting for a request header (evictable, and closed by Stop after its grace) since `idle_since`.
  bool idle = true;
  std::chrono::steady_clock::time_point idle_since = std::chrono::steady_clock::now();
  bool closing = false;  // the server is stopping: answer what is in flight, then close

  void Close() {
    boost::system::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }
};

}  // namespace baleen
