// The HTTP layer with a fake handler (no model): SSE framing over chunked encoding (and unframed for HTTP/1.0),
// waking a handler from another thread, noticing a client that hangs up but not one that only half-closed, body and
// header limits, malformed requests, idle connections that must not starve a working client, the header timeout and
// the graceful stop; and the small pure helpers (constant-time key comparison, JSON nesting depth, the Prometheus
// exposition).
#include <sys/socket.h>

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "server/api_server.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/openai_format.h"

namespace baleen {
namespace {

using tcp = net::ip::tcp;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = 1024;
    options.access_log = false;
    options.max_connections = 8;
    options.max_connections_per_peer = 4;
    options.header_timeout = std::chrono::seconds(1);
    options.shutdown_grace = std::chrono::milliseconds(3000);
    server_ = std::make_unique<HttpServer>(io_, options, [this](HttpExchange& e) { return Handle(e); });
    port_ = server_->Listen().value();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    net::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
  }

  net::awaitable<void> Handle(HttpExchange& exchange) {
    const std::string path = exchange.path();
    if (path == "/stream") {
      co_await exchange.BeginEvents();
      std::string a = "data: a\n\n", b = "data: b\n\n";
      co_await exchange.Send(a);
      co_await exchange.Send(b);
      co_return co_await exchange.EndEvents();
    }
    if (path == "/wake") {
      HttpExchange::Notifier notifier = exchange.notifier();
      std::thread([notifier] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        notifier.Notify();
      }).detach();
      const HttpExchange::WaitResult result = co_await exchange.Wait(std::chrono::milliseconds(5000));
      std::string body = result == HttpExchange::WaitResult::kNotified ? "notified" : "other";
      std::string type = "text/plain";
      co_return co_await exchange.Reply(200, type, body);
    }
    if (path == "/patient" || path == "/patient-stream") {  // answers after 0.5 s unless the client left
      const bool stream = path == "/patient-stream";
      if (stream) co_await exchange.BeginEvents();
      HttpExchange::WaitResult result = HttpExchange::WaitResult::kTimeout;
      for (int i = 0; i < 5 && result == HttpExchange::WaitResult::kTimeout; ++i) {
        result = co_await exchange.Wait(std::chrono::milliseconds(100));
      }
      if (result == HttpExchange::WaitResult::kClientGone) co_return;
      std::string body = "still here";
      if (!stream) co_return co_await exchange.Reply(200, "text/plain", body);
      std::string event = "data: " + body + "\n\n";
      co_await exchange.Send(event);
      co_return co_await exchange.EndEvents();
    }
    if (path == "/hangup") {
      HttpExchange::WaitResult result = HttpExchange::WaitResult::kTimeout;
      for (int i = 0; i < 50 && result == HttpExchange::WaitResult::kTimeout; ++i) {
        result = co_await exchange.Wait(std::chrono::milliseconds(100));
      }
      saw_hangup_ = result == HttpExchange::WaitResult::kClientGone;
      co_return;
    }
    std::string type = "text/plain", body = "echo " + exchange.request().body();
    co_await exchange.Reply(200, type, body);
  }

  // Sends raw bytes (then shuts down the sending side when `half_close`), returns everything the server sends until it
  // closes or `limit` bytes arrive.
  std::string Raw(const std::string& request, size_t limit = 1 << 20, bool half_close = false) {
    net::io_context client;
    tcp::socket socket(client);
    socket.connect({net::ip::make_address("127.0.0.1"), port_});
    net::write(socket, net::buffer(request));
    if (half_close) socket.shutdown(tcp::socket::shutdown_send);
    std::string out;
    char buffer[4096];
    boost::system::error_code ec;
    while (out.size() < limit) {
      const size_t n = socket.read_some(net::buffer(buffer), ec);
      if (ec) break;
      out.append(buffer, n);
      if (out.find("\r\n0\r\n\r\n") != std::string::npos || out.find("Content-Length: ") != std::string::npos) {
        if (out.find("\r\n\r\n") != std::string::npos && out.find("chunked") == std::string::npos) {
          const size_t header_end = out.find("\r\n\r\n") + 4;
          const size_t length = std::stoul(out.substr(out.find("Content-Length: ") + 16));
          if (out.size() >= header_end + length) break;
        } else if (out.find("\r\n0\r\n\r\n") != std::string::npos) {
          break;
        }
      }
    }
    return out;
  }

  // The server's count, read on its own thread.
  int server_connections() {
    std::promise<int> count;
    net::post(io_, [&] { count.set_value(server_->connections()); });
    return count.get_future().get();
  }

  net::io_context io_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> saw_hangup_{false};
};

TEST_F(HttpServerTest, EventsAreChunkedServerSentEvents) {
  const std::string response = Raw("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(response.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(response.find("\r\n9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"), std::string::npos) << response;
}

TEST_F(HttpServerTest, ANotifierWakesTheHandlerFromAnotherThread) {
  const std::string response = Raw("GET /wake HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(response.find("\r\n\r\nnotified"), std::string::npos) << response;
}

TEST_F(HttpServerTest, AClientThatHangsUpIsNoticedWhileWaiting) {
  {
    net::io_context client;
    tcp::socket socket(client);
    socket.connect({net::ip::make_address("127.0.0.1"), port_});
    net::write(socket, net::buffer(std::string("GET /hangup HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }  // closed here
  for (int i = 0; i < 100 && !saw_hangup_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(saw_hangup_);
}

TEST_F(HttpServerTest, LimitsAndMalformedRequestsGetClearStatuses) {
  const std::string big = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a');
  const std::string too_big = Raw(big);
  EXPECT_NE(too_big.find("HTTP/1.1 413"), std::string::npos) << too_big;
  EXPECT_NE(too_big.find("\"error\""), std::string::npos);
  const std::string long_header = Raw("GET / HTTP/1.1\r\nX: " + std::string(20000, 'b') + "\r\n\r\n");
  EXPECT_NE(long_header.find("HTTP/1.1 431"), std::string::npos);
  const std::string garbage = Raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(garbage.find("HTTP/1.1 400"), std::string::npos) << garbage;
  const std::string ok = Raw("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_NE(ok.find("echo hi"), std::string::npos);
}

// Reads until the server closes the connection (or 10 s pass), returning what arrived.
std::string ReadToClose(tcp::socket& socket) {
  std::string out;
  char buffer[4096];
  boost::system::error_code ec;
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  while (true) {
    const size_t n = socket.read_some(net::buffer(buffer), ec);
    if (ec) break;
    out.append(buffer, n);
  }
  return out;
}

TEST_F(HttpServerTest, AHalfClosedClientStillGetsItsAnswer) {
  // Some HTTP/1.0 tools and proxies shut down their sending side once the request is out; that is not leaving.
  const std::string whole = Raw("GET /patient HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 20, /*half_close=*/true);
  EXPECT_NE(whole.find("HTTP/1.1 200 OK"), std::string::npos) << whole;
  EXPECT_NE(whole.find("still here"), std::string::npos) << whole;
  const std::string stream = Raw("GET /patient-stream HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 20, /*half_close=*/true);
  EXPECT_NE(stream.find("data: still here\n\n"), std::string::npos) << stream;
  EXPECT_NE(stream.find("\r\n0\r\n\r\n"), std::string::npos) << stream;
}

TEST_F(HttpServerTest, AnHttp10ClientGetsAnUnchunkedStreamAndTheConnectionCloses) {
  net::io_context client;
  tcp::socket socket(client);
  socket.connect({net::ip::make_address("127.0.0.1"), port_});
  net::write(socket, net::buffer(std::string("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")));
  const std::string response = ReadToClose(socket);  // ends only because the server closes
  EXPECT_NE(response.find("HTTP/1.0 200 OK"), std::string::npos) << response;
  EXPECT_EQ(response.find("chunked"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\n\r\ndata: a\n\ndata: b\n\n"), std::string::npos) << response;
}

TEST_F(HttpServerTest, IdleConnectionsDoNotStarveAClientWithARequest) {
  // Twice the total limit in connections that send nothing, and some that send half a header.
  net::io_context client;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 16; ++i) {
    idle.push_back(std::make_unique<tcp::socket>(client));
    idle.back()->connect({net::ip::make_address("127.0.0.1"), port_});
    if (i % 4 == 0) net::write(*idle.back(), net::buffer(std::string("GET / HTTP/1.1\r\nHo")));
  }
  for (int round = 0; round < 3; ++round) {
    const std::string ok = Raw("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_NE(ok.find("echo hi"), std::string::npos) << ok;
  }
  EXPECT_LE(server_connections(), 8);
}

TEST_F(HttpServerTest, AConnectionThatNeverFinishesItsHeaderIsClosed) {
  net::io_context client;
  tcp::socket socket(client);
  socket.connect({net::ip::make_address("127.0.0.1"), port_});
  net::write(socket, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));  // no blank line, ever
  EXPECT_EQ(ReadToClose(socket), "");  // closed after the 1 s header timeout, within ReadToClose's 10 s
  boost::system::error_code ec;
  char byte;
  socket.read_some(net::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

TEST_F(HttpServerTest, AfterStopARequestAlreadyOnItsWayIsAnsweredAndTheConnectionCloses) {
  net::io_context client;
  tcp::socket socket(client);
  socket.connect({net::ip::make_address("127.0.0.1"), port_});
  const std::string request = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
  net::write(socket, net::buffer(request));
  char buffer[4096];
  const size_t n = socket.read_some(net::buffer(buffer));
  EXPECT_NE(std::string(buffer, n).find("echo hi"), std::string::npos) << std::string(buffer, n);
  // The connection is idle and kept alive; the server stops; the client's next request is still answered.
  net::post(io_, [this] { server_->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  net::write(socket, net::buffer(request));
  const std::string second = ReadToClose(socket);
  EXPECT_NE(second.find("echo hi"), std::string::npos) << second;
  EXPECT_NE(second.find("Connection: close"), std::string::npos) << second;
}

TEST(ServerHelpersTest, FinishReasonsAreOpenAIsOwn) {
  GenerationResult r;
  EXPECT_STREQ(FinishReasonFor(r), "stop");
  r.tool_calls.push_back({});
  EXPECT_STREQ(FinishReasonFor(r), "tool_calls");
  r.finish = FinishReason::kLength;
  EXPECT_STREQ(FinishReasonFor(r), "length");
  r.finish = FinishReason::kCancelled;  // only a shutdown cancels a generation whose client still reads it
  EXPECT_STREQ(FinishReasonFor(r), "length");
}

TEST(ServerHelpersTest, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(ConstantTimeEquals("secret-key", "secret-key"));
  EXPECT_FALSE(ConstantTimeEquals("secret-key", "secret-kez"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret-key"));
  EXPECT_FALSE(ConstantTimeEquals("", "k"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ServerHelpersTest, JsonNestingDepthSkipsStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": []}]})", 100), 4);
  EXPECT_EQ(JsonNestingDepth(R"({"a": "[[[[{{{{\"]]"})", 100), 1);
  EXPECT_GT(JsonNestingDepth(std::string(100000, '['), 64), 64);
}

TEST(ServerHelpersTest, MetricsRenderThePrometheusFormat) {
  Metrics metrics;
  metrics.RecordRequest("/v1/chat/completions", 200);
  metrics.RecordRequest("/v1/chat/completions", 200);
  metrics.RecordFinish("cancelled");
  metrics.AddTokens(10, 3);
  metrics.time_to_first_token.Observe(0.02);
  metrics.time_to_first_token.Observe(7.0);
  const std::string text = metrics.Render({.running = 1, .waiting = 2, .slots = 4, .cached_tokens = 50,
                                           .cache_capacity = 200});
  for (const char* line : {"baleen_requests_running 1\n", "baleen_requests_waiting 2\n",
                           "baleen_kv_cache_usage_ratio 0.25\n",
                           "baleen_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2\n",
                           "baleen_requests_finished_total{reason=\"cancelled\"} 1\n", "baleen_prompt_tokens_total 10\n",
                           "baleen_time_to_first_token_seconds_bucket{le=\"0.025\"} 1\n",
                           "baleen_time_to_first_token_seconds_bucket{le=\"10\"} 2\n",
                           "baleen_time_to_first_token_seconds_count 2\n",
                           "# TYPE baleen_e2e_request_latency_seconds histogram\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace baleen
