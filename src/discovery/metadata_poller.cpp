#include "kpp/discovery/metadata_poller.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <set>

#include "kpp/net/client_authenticator.h"
#include "kpp/net/stream_deadline.h"
#include "kpp/net/traffic_classifier.h"
#include "kpp/net/upstream_dialer.h"
#include "kpp/net/upstream_login.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/api_versions_request.h"
#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/metadata_request.h"
#include "kpp/protocol/metadata_response.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_header.h"

namespace kpp::discovery {

namespace asio = boost::asio;
using boost::system::error_code;
using protocol::byte_buffer;
using protocol::bytes_view;

namespace {

// Our own requests are small and so are the answers we ask for; anything bigger is not a
// Kafka broker answering us.
constexpr std::uint32_t max_response = 64u << 20;

struct exchange_result {
  byte_buffer payload;
  std::string error;
  bool closed = false;  // the peer closed (or reset) the connection instead of answering
};

// One request and its response, both within `timeout`. At the deadline the stream is closed
// and the exchange awaited (net::run_with_deadline): no timer handler holds the stream.
asio::awaitable<exchange_result> exchange(net::byte_stream& s, const byte_buffer& request,
                                          std::chrono::milliseconds timeout, bool tls) {
  exchange_result out;
  std::string size_error;
  auto op = [&]() -> asio::awaitable<error_code> {
    error_code ec;
    const std::array<asio::const_buffer, 1> bufs{asio::buffer(request)};
    co_await s.write(bufs, ec);
    std::array<std::byte, 4> size_bytes{};
    if (!ec) co_await s.read_exactly(asio::buffer(size_bytes), ec);
    if (ec) co_return ec;
    const std::uint32_t size = (std::uint32_t(size_bytes[0]) << 24) |
                               (std::uint32_t(size_bytes[1]) << 16) |
                               (std::uint32_t(size_bytes[2]) << 8) | std::uint32_t(size_bytes[3]);
    if (auto m = net::classify_upstream_bytes(size_bytes)) {
      size_error = m->message;
      co_return ec;
    }
    if (size < 4 || size > max_response) {
      size_error = "answered with a frame of " + std::to_string(size) +
                   " bytes: not a Kafka broker, or TLS on a plaintext connection (upstream.tls)";
      co_return ec;
    }
    out.payload.resize(size);
    co_await s.read_exactly(asio::buffer(out.payload), ec);
    co_return ec;
  };
  const auto r = co_await net::run_with_deadline(s, op, std::chrono::steady_clock::now() + timeout);
  out.closed = !r.timed_out && size_error.empty() &&
               (r.ec == asio::error::eof || r.ec == asio::error::connection_reset ||
                r.ec == asio::error::broken_pipe);
  if (r.timed_out)
    out.error = "no answer within " + std::to_string(timeout.count()) + " ms";
  else if (!size_error.empty())
    out.error = std::move(size_error);
  else if (r.ec == asio::error::eof && !tls)
    // Go and Java TLS listeners hang up on a plaintext request without a word.
    out.error =
        "the broker closed the connection without answering; if this listener speaks TLS, set "
        "upstream.tls.enabled (--tls-enable)";
  else if (r.ec)
    out.error = r.ec.message();
  co_return out;
}

}  // namespace

metadata_poller::metadata_poller(net::proxy_context& ctx, poller_settings settings, report on_poll)
    : ctx_(ctx), settings_(std::move(settings)), on_poll_(std::move(on_poll)) {}

asio::awaitable<poll_outcome> metadata_poller::fetch_from(const routing::host_port& server,
                                                          const poller_settings& settings) {
  poll_outcome out;
  std::unique_ptr<net::byte_stream> stream;
  const auto address = ctx_.dial_address(server);
  const auto login = ctx_.upstream_login ? ctx_.upstream_login : settings.login;
  const net::upstream_dialer dialer(
      {.timeout = settings.timeout, .tls = ctx_.upstream_tls, .login = login});
  out.failure = poll_failure::other;
  if (auto err = co_await dialer.connect(stream, address, server.host)) {
    out.error = err->message;
    if (err->code == net::dial_errc::login_failed || err->code == net::dial_errc::login_timed_out)
      out.failure = poll_failure::login_failed;
    co_return out;
  }
  net::byte_stream& s = *stream;
  error_code ignored;
  s.socket().set_option(asio::ip::tcp::no_delay(true), ignored);

  // ApiVersions v0: every broker since 0.10 answers it, and it tells us the Metadata range.
  byte_buffer request;
  auto av_body = protocol::encode_api_versions_request_body(0);
  protocol::encode_request_frame(request, protocol::api_key::api_versions, 0, ++correlation_,
                                 settings.client_id, *av_body);
  auto av = co_await exchange(s, request, settings.timeout, ctx_.upstream_tls != nullptr);
  if (!av.error.empty()) {
    out.error = address.str() + ": ApiVersions: " + av.error;
    co_return out;
  }
  auto av_header = protocol::decode_response_header(av.payload, 0);
  auto versions = av_header ? protocol::decode_api_versions_response_any(
                                  bytes_view(av.payload).subspan(av_header->size), 0)
                            : protocol::result<protocol::decoded_api_versions>(av_header.error());
  if (!versions) {
    out.error = address.str() + ": malformed ApiVersions response: " + versions.error().describe();
    co_return out;
  }
  // listeners.sasl: clients are answered ApiVersions with the broker's ranges before login.
  if (ctx_.client_auth) ctx_.client_auth->set_broker_versions(versions->response);
  std::int16_t version = -1;
  const auto* table = protocol::find_api(protocol::api_key::metadata);
  for (const auto& range : versions->response.api_keys) {
    if (range.api_key != protocol::api_key::metadata) continue;
    version = std::min(range.max_version, table->max_version);
    if (version < range.min_version) version = -1;
  }
  if (version < 0) {
    out.error = address.str() + ": the broker offers no Metadata version the proxy knows";
    co_return out;
  }

  auto md_body = protocol::encode_metadata_request_body(version);
  if (!md_body) {
    out.error =
        "cannot encode Metadata v" + std::to_string(version) + ": " + md_body.error().describe();
    co_return out;
  }
  request.clear();
  protocol::encode_request_frame(request, protocol::api_key::metadata, version, ++correlation_,
                                 settings.client_id, *md_body);
  auto md = co_await exchange(s, request, settings.timeout, ctx_.upstream_tls != nullptr);
  if (md.closed && !login) {
    // ApiVersions answered, Metadata hung up on: a SASL listener refusing an unauthenticated
    // request (Kafka's SaslServerAuthenticator, kfake alike).
    out.failure = poll_failure::sasl_required;
    out.error = address.str() +
                ": the broker answered ApiVersions but closed the connection on Metadata: its "
                "listener requires SASL";
    co_return out;
  }
  if (!md.error.empty()) {
    out.error = address.str() + ": Metadata: " + md.error;
    co_return out;
  }
  auto header_version = protocol::response_header_version(protocol::api_key::metadata, version);
  auto md_header = protocol::decode_response_header(md.payload, *header_version);
  if (!md_header) {
    out.error = address.str() + ": malformed Metadata response: " + md_header.error().describe();
    co_return out;
  }
  auto view =
      protocol::decode_metadata_response(bytes_view(md.payload).subspan(md_header->size), version);
  if (!view) {
    out.error = address.str() + ": malformed Metadata v" + std::to_string(version) +
                " response: " + view.error().describe();
    co_return out;
  }
  cluster_view cv;
  cv.metadata_version = version;
  cv.answered_by = server;
  cv.controller_id = view->controller_id;
  if (view->cluster_id) cv.cluster_id = std::string(*view->cluster_id);
  for (const auto& b : view->brokers) {
    if (b.port <= 0 || b.port > 65535 || b.host.empty()) {
      out.error = address.str() + ": broker " + std::to_string(b.node_id) +
                  " has an invalid address " + std::string(b.host) + ":" + std::to_string(b.port);
      co_return out;
    }
    cv.brokers.push_back({b.node_id, {std::string(b.host), static_cast<std::uint16_t>(b.port)}});
  }
  if (cv.brokers.empty()) {
    out.error = address.str() + ": Metadata listed no brokers";
    co_return out;
  }
  out.view = std::move(cv);
  out.failure = poll_failure::none;
  co_return out;
}

asio::awaitable<poll_outcome> metadata_poller::poll_once() {
  // A copy: SIGHUP may replace settings_ while this round is suspended in a dial.
  const poller_settings settings = settings_;
  poll_outcome result;
  std::string errors;
  // The round's failure: sasl_required if any server showed it (the cluster answers at the
  // Kafka level), else login_failed if any, else other.
  poll_failure failure = poll_failure::other;
  for (const auto& server : settings.bootstrap) {
    auto outcome = co_await fetch_from(server, settings);
    if (outcome.view) {
      result = std::move(outcome);
      break;
    }
    if (outcome.failure == poll_failure::sasl_required ||
        (outcome.failure == poll_failure::login_failed && failure == poll_failure::other))
      failure = outcome.failure;
    errors += (errors.empty() ? "" : "; ") + outcome.error;
  }
  std::vector<std::string> map_errors;
  if (!result.view) {
    result.error = errors.empty() ? "no bootstrap servers configured" : errors;
    result.failure = failure;
    // Passive discovery (SASL brokers, no discovery login) is a mode, not a failing round.
    if (failure != poll_failure::sasl_required) ctx_.metrics->count_discovery_failure();
    if (on_poll_) on_poll_(result, map_errors);
    co_return result;
  }
  std::set<std::int32_t> present;
  for (const auto& b : result.view->brokers) {
    present.insert(b.node_id);
    auto r = ctx_.brokers->ensure(b.node_id, b.address);
    if (!r.route) map_errors.push_back(r.error);
  }
  ctx_.brokers->retire_absent(present, settings.removal_grace, std::chrono::steady_clock::now());
  ctx_.metrics->set_broker_count(result.view->brokers.size());
  if (map_errors.empty())
    ctx_.metrics->discovery_succeeded();
  else
    ctx_.metrics->count_discovery_failure();
  if (on_poll_) on_poll_(result, map_errors);
  co_return result;
}

asio::awaitable<void> metadata_poller::run() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  while (!stopped_) {
    poll_outcome outcome;
    // An exception (a bug, or memory) fails this poll only: discovery goes on, and the
    // process with it, as a session's exception ends that session only.
    std::string failure;
    try {
      outcome = co_await poll_once();
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    if (!failure.empty()) {
      spdlog::error(
          "discovery: metadata poll ended by an unexpected exception ({}) [internal_error]",
          failure);
      ctx_.metrics->count_discovery_failure();
      outcome.error = "internal error: " + failure;
      outcome.failure = poll_failure::other;
      if (on_poll_) on_poll_(outcome, {});
    }
    // Retry quickly while failing: readiness waits on the first success. Passive discovery
    // (the brokers require SASL, discovery has no login) will not change any sooner.
    const bool settled = outcome.view || outcome.failure == poll_failure::sasl_required;
    const auto wait =
        settled ? settings_.refresh : std::min(settings_.refresh, std::chrono::milliseconds(1000));
    timer.expires_after(wait);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace kpp::discovery
