#include "kpp/app/check_probe.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "kpp/net/socket_options.h"
#include "kpp/net/stream_deadline.h"
#include "kpp/net/tls_probe_context.h"
#include "kpp/net/tls_stream.h"
#include "kpp/net/traffic_classifier.h"
#include "kpp/net/upstream_dialer.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/api_versions_request.h"
#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/metadata_request.h"
#include "kpp/protocol/metadata_response.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_header.h"
#include "kpp/protocol/sasl_handshake.h"

namespace kpp::app {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using protocol::byte_buffer;
using protocol::bytes_view;

const char* to_string(probe_outcome o) noexcept {
  switch (o) {
    case probe_outcome::ok:
      return "OK";
    case probe_outcome::refused:
      return "refused";
    case probe_outcome::timeout:
      return "timeout";
    case probe_outcome::unreachable:
      return "unreachable";
    case probe_outcome::tls_mismatch:
      return "TLS mismatch";
    case probe_outcome::tls_failed:
      return "TLS failed";
    case probe_outcome::sasl_required:
      return "SASL required";
    case probe_outcome::not_kafka:
      return "not Kafka";
    case probe_outcome::login_failed:
      return "SASL login failed";
  }
  return "?";
}

namespace {

// Answers to our own small requests are small; a bigger size is not a Kafka answer to us.
constexpr std::uint32_t max_answer = 64u << 20;

enum class frame_status : std::uint8_t { ok, closed, timeout, io_error, tls, bad_size };

struct frame {
  frame_status status = frame_status::ok;
  byte_buffer payload;  // without the size prefix
  std::string error;
};

// The byte stream a probe talks over: plain TCP, or TLS when options.tls is set (the dial
// performs the handshake, as the proxy's own dials do); the request code does not care.
class probe_link {
 public:
  probe_link(std::unique_ptr<net::byte_stream> stream, probe_options options)
      : stream_(std::move(stream)), options_(std::move(options)) {}

  struct dialed {
    std::unique_ptr<net::byte_stream> stream;
    error_code ec;                           // the socket-level cause of a failed dial
    std::optional<net::dial_error> failure;  // the dial's own description
  };

  // `plaintext`: neither upstream.tls nor upstream.sasl (the TLS sniff).
  static asio::awaitable<dialed> dial(const routing::host_port& address,
                                      const probe_options& options, bool plaintext = false) {
    dialed out;
    const net::upstream_dialer dialer({.timeout = options.timeout,
                                       .tls = plaintext ? nullptr : options.tls,
                                       .login = plaintext ? nullptr : options.login});
    out.failure = co_await dialer.connect(out.stream, address, options.tls_name);
    if (!out.failure) {
      error_code ignored;
      out.stream->socket().set_option(tcp::no_delay(true), ignored);
      co_return out;
    }
    // The probe's outcomes (refused, timeout, ...) read the socket-level cause.
    if (out.failure->code == net::dial_errc::connect_timed_out ||
        out.failure->code == net::dial_errc::resolve_timed_out)
      out.ec = asio::error::timed_out;
    else if (out.failure->cause)
      out.ec = out.failure->cause;
    else
      out.ec = asio::error::host_not_found;
    co_return out;
  }

  // One request/response round trip; checks the correlation id.
  asio::awaitable<frame> round_trip(std::int16_t api_key, std::int16_t version, bytes_view body) {
    byte_buffer request;
    const auto correlation = ++correlation_;
    protocol::encode_request_frame(request, api_key, version, correlation, options_.client_id,
                                   body);
    frame out = co_await send_and_read(request);
    if (out.status != frame_status::ok) co_return out;
    const auto header_version = protocol::response_header_version(api_key, version);
    auto header =
        protocol::decode_response_header(out.payload, header_version ? *header_version : 0);
    if (!header || header->correlation_id != correlation) {
      out.status = frame_status::bad_size;
      out.error = "the answer does not carry our correlation id";
      co_return out;
    }
    out.payload.erase(out.payload.begin(),
                      out.payload.begin() + static_cast<std::ptrdiff_t>(header->size));
    co_return out;
  }

  // Raw bytes out, the first bytes back (for the TLS ClientHello sniff).
  asio::awaitable<frame> send_raw_read_head(bytes_view bytes) {
    frame out;
    out.payload.resize(5);
    co_await guarded(
        [&]() -> asio::awaitable<error_code> {
          error_code ec;
          const std::array<asio::const_buffer, 1> bufs{asio::buffer(bytes.data(), bytes.size())};
          co_await stream_->write(bufs, ec);
          if (!ec) co_await stream_->read_exactly(asio::buffer(out.payload), ec);
          co_return ec;
        },
        out);
    co_return out;
  }

 private:
  // Runs `op` under the probe timeout; the stream is closed when it passes.
  template <class Op>
  asio::awaitable<void> guarded(Op op, frame& out) {
    const auto r = co_await net::run_with_deadline(
        *stream_, op, std::chrono::steady_clock::now() + options_.timeout);
    const error_code ec = r.ec;
    if (r.timed_out) {
      out.status = frame_status::timeout;
      out.error = "no answer within " + std::to_string(options_.timeout.count()) + " ms";
    } else if (ec == asio::error::eof || ec == asio::error::connection_reset) {
      if (out.status == frame_status::ok) out.status = frame_status::closed;
      out.error = "the other side closed the connection without answering";
    } else if (ec && out.status == frame_status::ok) {
      out.status = frame_status::io_error;
      out.error = ec.message();
    }
  }

  asio::awaitable<frame> send_and_read(const byte_buffer& request) {
    frame out;
    co_await guarded(
        [&]() -> asio::awaitable<error_code> {
          error_code ec;
          const std::array<asio::const_buffer, 1> bufs{asio::buffer(request)};
          co_await stream_->write(bufs, ec);
          std::array<std::byte, 4> head{};
          if (!ec) co_await stream_->read_exactly(asio::buffer(head), ec);
          if (ec) co_return ec;
          if (auto m = net::classify_upstream_bytes(head)) {
            out.status = frame_status::tls;
            co_return error_code{};
          }
          const std::uint32_t size = (std::uint32_t(head[0]) << 24) |
                                     (std::uint32_t(head[1]) << 16) |
                                     (std::uint32_t(head[2]) << 8) | std::uint32_t(head[3]);
          if (size < 4 || size > max_answer) {
            out.status = frame_status::bad_size;
            out.error = "answered with a frame size of " + std::to_string(size) + " bytes";
            co_return error_code{};
          }
          out.payload.resize(size);
          co_await stream_->read_exactly(asio::buffer(out.payload), ec);
          co_return ec;
        },
        out);
    co_return out;
  }

  std::unique_ptr<net::byte_stream> stream_;
  probe_options options_;
  std::int32_t correlation_ = 0;
};

// A TLS 1.2/1.3-compatible ClientHello, enough for any TLS server to answer with a
// ServerHello or an alert: both are TLS records, which is all the sniff needs to see. Used
// when a listener closes on a plaintext Kafka request without a word (Go and Java TLS
// servers do), to tell "TLS listener" from "closed for another reason".
byte_buffer client_hello() {
  std::vector<std::uint8_t> body = {0x03, 0x03};  // client_version TLS 1.2
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<std::uint8_t>(i * 7 + 1));  // random
  body.push_back(0x00);                                                               // session id
  for (std::uint8_t b : {0x00, 0x08, 0xc0, 0x2f, 0xc0, 0x2b, 0x13, 0x01, 0x00, 0x9c})
    body.push_back(b);   // cipher suites: ECDHE-RSA/ECDSA-AES128-GCM, TLS_AES_128_GCM, RSA-AES128
  body.push_back(0x01);  // compression methods: null
  body.push_back(0x00);
  const std::vector<std::uint8_t> extensions = {
      0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17,  // groups x25519, P-256
      0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                          // point formats
      0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,  // sig algs
  };
  body.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(extensions.size()));
  body.insert(body.end(), extensions.begin(), extensions.end());
  std::vector<std::uint8_t> hs = {0x01, 0x00, static_cast<std::uint8_t>(body.size() >> 8),
                                  static_cast<std::uint8_t>(body.size())};
  hs.insert(hs.end(), body.begin(), body.end());
  std::vector<std::uint8_t> rec = {0x16, 0x03, 0x01, static_cast<std::uint8_t>(hs.size() >> 8),
                                   static_cast<std::uint8_t>(hs.size())};
  rec.insert(rec.end(), hs.begin(), hs.end());
  byte_buffer out;
  for (auto b : rec) out.push_back(std::byte{b});
  return out;
}

const std::string tls_fix =
    "the listener speaks TLS and this connection is plaintext: point the address at the "
    "broker's PLAINTEXT listener, or set upstream.tls.enabled";

probe_outcome outcome_of_connect(const error_code& ec) {
  if (ec == asio::error::connection_refused) return probe_outcome::refused;
  if (ec == asio::error::timed_out) return probe_outcome::timeout;
  return probe_outcome::unreachable;
}

void fail(probe_result& r, const frame& f, const char* step) {
  switch (f.status) {
    case frame_status::tls:
      r.outcome = probe_outcome::tls_mismatch;
      r.detail = std::string(step) + ": the answer is TLS bytes; " + tls_fix;
      return;
    case frame_status::timeout:
      r.outcome = probe_outcome::timeout;
      break;
    case frame_status::bad_size:
      r.outcome = probe_outcome::not_kafka;
      break;
    default:
      r.outcome = probe_outcome::not_kafka;
  }
  r.detail = std::string(step) + ": " + f.error;
}

// Does a listener that closed on our plaintext request answer a ClientHello with TLS?
asio::awaitable<bool> speaks_tls(const routing::host_port& address, const probe_options& o) {
  auto d = co_await probe_link::dial(address, o, true);
  if (d.failure) co_return false;
  probe_link link(std::move(d.stream), o);
  const auto hello = client_hello();
  auto head = co_await link.send_raw_read_head(hello);
  co_return head.status == frame_status::ok&& net::classify_upstream_bytes(head.payload);
}

// The mechanisms a SASL listener offers. Asked for a mechanism no server enables, a broker
// answers UNSUPPORTED_SASL_MECHANISM with its list (Apache Kafka lists them on success too;
// not every implementation does).
asio::awaitable<std::vector<std::string>> sasl_mechanisms(const routing::host_port& address,
                                                          const probe_options& o) {
  std::vector<std::string> out;
  auto d = co_await probe_link::dial(address, o);
  if (d.failure) co_return out;
  probe_link link(std::move(d.stream), o);
  protocol::byte_buffer body;
  if (!protocol::encode_sasl_handshake_request({"KAFKA-PSC-PROXY-CHECK"}, 1, body)) co_return out;
  auto f = co_await link.round_trip(protocol::api_key::sasl_handshake, 1, body);
  if (f.status != frame_status::ok) co_return out;
  if (auto r = protocol::decode_sasl_handshake_response(f.payload, 1))
    for (auto m : r->mechanisms) out.emplace_back(m);
  co_return out;
}

}  // namespace

asio::awaitable<probe_result> probe_kafka(routing::host_port address, probe_options options) {
  probe_result r;
  auto d = co_await probe_link::dial(address, options);
  if (d.failure && (d.failure->code == net::dial_errc::login_failed ||
                    d.failure->code == net::dial_errc::login_timed_out)) {
    r.outcome = probe_outcome::login_failed;
    r.detail = d.failure->message;
    co_return r;
  }
  if (d.failure && d.failure->tls_cause) {
    // TCP connected; the handshake failed. To a plaintext listener that is a TLS mismatch.
    r.outcome = *d.failure->tls_cause == net::tls_handshake_cause::plaintext_upstream
                    ? probe_outcome::tls_mismatch
                    : probe_outcome::tls_failed;
    r.detail = "TLS handshake: " + d.failure->message;
    co_return r;
  }
  if (d.failure) {
    r.outcome = outcome_of_connect(d.ec);
    r.detail = "connect: " + d.ec.message();
    co_return r;
  }
  if (auto* tls = dynamic_cast<net::tls_stream*>(d.stream.get())) {
    const X509* cert = net::peer_certificate(tls->native_handle());
    r.tls_handshake_ok = true;
    r.tls_not_after = net::certificate_not_after(cert);
    const auto& name = options.tls_name.empty() ? address.host : options.tls_name;
    r.tls_uncovered = net::uncovered_names(cert, {name});
  }
  probe_link link(std::move(d.stream), options);

  // ApiVersions v0: every broker since 0.10 answers it, whatever it supports.
  auto av_body = protocol::encode_api_versions_request_body(0);
  auto av = co_await link.round_trip(protocol::api_key::api_versions, 0, *av_body);
  if (av.status == frame_status::closed && !options.tls && co_await speaks_tls(address, options)) {
    r.outcome = probe_outcome::tls_mismatch;
    r.detail =
        "ApiVersions: closed without answering, and it answers a TLS ClientHello; " + tls_fix;
    co_return r;
  }
  if (av.status != frame_status::ok) {
    fail(r, av, "ApiVersions");
    co_return r;
  }
  auto versions = protocol::decode_api_versions_response_any(av.payload, 0);
  if (!versions) {
    r.outcome = probe_outcome::not_kafka;
    r.detail = "ApiVersions: undecodable answer (" + versions.error().describe() + ")";
    co_return r;
  }
  r.api_count = versions->response.api_keys.size();
  std::int16_t version = -1;
  bool offers_sasl = false;
  const auto* table = protocol::find_api(protocol::api_key::metadata);
  for (const auto& range : versions->response.api_keys) {
    if (range.api_key == protocol::api_key::sasl_handshake) offers_sasl = true;
    if (range.api_key != protocol::api_key::metadata) continue;
    version = std::min(range.max_version, table->max_version);
    if (version < range.min_version) version = -1;
  }
  if (version < 0) {
    r.outcome = probe_outcome::not_kafka;
    r.detail = "ApiVersions: the broker offers no Metadata version the proxy knows";
    co_return r;
  }

  auto md_body = protocol::encode_metadata_request_body(version);
  if (!md_body) {
    r.outcome = probe_outcome::not_kafka;
    r.detail = "cannot encode Metadata v" + std::to_string(version);
    co_return r;
  }
  auto md = co_await link.round_trip(protocol::api_key::metadata, version, *md_body);
  if (md.status == frame_status::closed && offers_sasl) {
    r.sasl_mechanisms = co_await sasl_mechanisms(address, options);
    if (!r.sasl_mechanisms.empty()) {
      std::string list;
      for (const auto& m : r.sasl_mechanisms) list += (list.empty() ? "" : ", ") + m;
      r.outcome = probe_outcome::sasl_required;
      r.detail =
          "Metadata: refused before authentication; the listener requires SASL (" + list + ")";
      co_return r;
    }
  }
  if (md.status != frame_status::ok) {
    fail(r, md, "Metadata");
    co_return r;
  }
  auto view = protocol::decode_metadata_response(md.payload, version);
  if (!view) {
    r.outcome = probe_outcome::not_kafka;
    r.detail = "Metadata v" + std::to_string(version) + ": undecodable answer (" +
               view.error().describe() + ")";
    co_return r;
  }
  r.metadata_version = version;
  if (view->cluster_id) r.cluster_id = std::string(*view->cluster_id);
  for (const auto& b : view->brokers) {
    if (b.port <= 0 || b.port > 65535 || b.host.empty()) continue;
    r.brokers.push_back({b.node_id, {std::string(b.host), static_cast<std::uint16_t>(b.port)}});
  }
  r.detail = "ApiVersions v0 (" + std::to_string(r.api_count) + " APIs), Metadata v" +
             std::to_string(version) + ": " + std::to_string(r.brokers.size()) + " broker(s)" +
             (r.cluster_id ? ", cluster " + *r.cluster_id : std::string());
  co_return r;
}

asio::awaitable<std::vector<probe_result>> probe_all(std::vector<routing::host_port> addresses,
                                                     probe_options options,
                                                     std::vector<std::string> tls_names,
                                                     std::size_t max_parallel) {
  std::vector<probe_options> each(addresses.size(), options);
  for (std::size_t i = 0; i < each.size() && i < tls_names.size(); ++i)
    each[i].tls_name = tls_names[i];
  co_return co_await probe_each(std::move(addresses), std::move(each), max_parallel);
}

asio::awaitable<std::vector<probe_result>> probe_each(std::vector<routing::host_port> addresses,
                                                      std::vector<probe_options> options,
                                                      std::size_t max_parallel) {
  options.resize(addresses.size());  // one each; a missing one probes with the defaults
  std::vector<probe_result> results(addresses.size());
  auto ex = co_await asio::this_coro::executor;
  // Each batch: spawn every probe, then wait on a timer that the last one to finish cancels.
  for (std::size_t from = 0; from < addresses.size(); from += max_parallel) {
    const std::size_t to = std::min(addresses.size(), from + max_parallel);
    auto pending = std::make_shared<std::size_t>(to - from);
    auto wake = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
    for (std::size_t i = from; i < to; ++i) {
      asio::co_spawn(ex, probe_kafka(addresses[i], options[i]),
                     [&results, i, pending, wake](std::exception_ptr e, probe_result r) {
                       if (e) {
                         r.outcome = probe_outcome::not_kafka;
                         r.detail = "the probe failed unexpectedly";
                       }
                       results[i] = std::move(r);
                       if (--*pending == 0) wake->cancel();
                     });
    }
    error_code ec;
    while (*pending > 0) co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return results;
}

}  // namespace kpp::app
