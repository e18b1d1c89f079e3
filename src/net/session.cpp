#include "kpp/net/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <span>

#include "kpp/net/proxy_protocol_reader.h"
#include "kpp/net/socket_options.h"
#include "kpp/net/traffic_classifier.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_rewriter.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;
using protocol::bytes_view;

namespace {

std::atomic<std::uint64_t> next_connection_id{1};

std::uint32_t load_be32(const std::byte* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

}  // namespace

// Gather list for one write: the ranges of a read buffer that are forwarded as they are.
struct session::gather {
  static constexpr std::size_t max = 16;
  std::array<asio::const_buffer, max> items;
  std::size_t count = 0;
  std::size_t bytes = 0;
  void add(const std::byte* p, std::size_t n) {
    if (count > 0 &&
        static_cast<const std::byte*>(items[count - 1].data()) + items[count - 1].size() == p) {
      items[count - 1] = asio::const_buffer(items[count - 1].data(), items[count - 1].size() + n);
    } else {
      items[count++] = asio::const_buffer(p, n);
    }
    bytes += n;
  }
  [[nodiscard]] bool is_full() const { return count == max; }
  void clear() {
    count = 0;
    bytes = 0;
  }
};

session::session(proxy_context& ctx, tcp::socket client, upstream_target target,
                 std::shared_ptr<admin::listener_metrics> listener)
    : ctx_(ctx),
      client_(std::make_unique<plain_stream>(std::move(client))),
      upstream_(std::make_unique<plain_stream>(tcp::socket(client_->socket().get_executor()))),
      target_(std::move(target)),
      listener_(std::move(listener)),
      listener_guard_(listener_),
      id_(next_connection_id.fetch_add(1, std::memory_order_relaxed)),
      fifo_(ctx.settings.max_in_flight),
      fifo_space_(client_->socket().get_executor()),
      pumps_done_(client_->socket().get_executor()),
      last_activity_(std::chrono::steady_clock::now()) {
  error_code ec;
  auto ep = client_->socket().remote_endpoint(ec);
  if (!ec) source_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

session::~session() {
  ctx_.sessions.remove(registry_id_);
}

void session::start(std::shared_ptr<session> self) {
  self->registry_id_ = self->ctx_.sessions.add(self);
  auto ex = self->client_->socket().get_executor();
  asio::co_spawn(
      ex, [self]() -> awaitable<void> { co_await self->run(); }, asio::detached);
}

std::string session::peer() const {
  std::string p = "conn=" + std::to_string(id_) + " client=" + source_;
  if (!psc_id_.empty()) p += " psc_connection_id=" + psc_id_;
  if (listener_) p += " port=" + std::to_string(listener_->labels().port);
  return p;
}

void session::fail(admin::protocol_error_cause cause, const std::string& what) {
  if (closed_) return;
  ctx_.metrics->count_protocol_error(cause);
  spdlog::warn("{} closed: {} [{}]", peer(), what, admin::to_string(cause));
  close(admin::close_reason::protocol_error);
}

void session::close(admin::close_reason reason) {
  if (closed_) return;
  closed_ = true;
  reason_ = reason;
  client_->close();
  upstream_->close();
  fifo_space_.cancel();
}

void session::drain() {
  auto self = shared_from_this();
  asio::post(client_->socket().get_executor(), [self] {
    self->draining_ = true;
    if (self->fifo_.empty()) self->close(admin::close_reason::shutdown);
  });
}

awaitable<void> session::run() {
  auto self = shared_from_this();
  // The watchdog runs from the first moment: a client that connects and never speaks is idle.
  if (ctx_.settings.idle_timeout.count() > 0 || ctx_.settings.write_timeout.count() > 0)
    asio::co_spawn(
        client_->socket().get_executor(),
        [self]() -> awaitable<void> { co_await self->watchdog(); }, asio::detached);
  const bool connected = (!ctx_.settings.proxy_protocol || co_await read_proxy_header()) &&
                         co_await classify_first_bytes() && co_await dial();
  if (!connected) {
    ctx_.metrics->count_session_closed(reason_);
    co_return;
  }
  spdlog::debug("{} connected to {}", peer(), upstream_name_);
  set_stream_options(upstream_->socket(), ctx_.settings.keepalive);
  error_code nb;
  client_->socket().non_blocking(true, nb);
  upstream_->socket().non_blocking(true, nb);

  response_pump_running_ = true;
  asio::co_spawn(
      client_->socket().get_executor(),
      [self]() -> awaitable<void> {
        co_await self->response_pump();
        self->response_pump_running_ = false;
        self->pumps_done_.cancel();
      },
      asio::detached);
  co_await request_pump();
  // Draining: the request pump stopped taking requests; the response pump closes the session
  // once the last in-flight response is through.
  if (!draining_ || closed_) close(reason_);
  while (response_pump_running_) {
    pumps_done_.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ec;
    co_await pumps_done_.async_wait(redirect_error(use_awaitable, ec));
  }
  ctx_.metrics->count_session_closed(reason_);
  spdlog::debug("{} closed ({})", peer(), admin::to_string(reason_));
}

awaitable<bool> session::read_proxy_header() {
  proxy_protocol_reader reader(ctx_.settings);
  auto outcome = co_await reader.read(client_->socket());
  if (!outcome.ok) {
    fail(outcome.cause, outcome.message);
    co_return false;
  }
  if (!outcome.source.empty()) source_ = outcome.source;
  if (!outcome.psc_connection_id.empty()) {
    psc_id_ = outcome.psc_connection_id;
    psc_guard_ = admin::connection_guard(ctx_.metrics->psc_connection(psc_id_));
  }
  co_return true;
}

awaitable<bool> session::classify_first_bytes() {
  // Wait until the client speaks, then peek: TLS or HTTP on a Kafka port gets one clear line
  // instead of a confusing frame-size error. Dialing only now also means a port scan or a
  // TCP health check never opens an upstream connection.
  error_code ec;
  co_await client_->socket().async_wait(tcp::socket::wait_read, redirect_error(use_awaitable, ec));
  if (ec) {
    close(admin::close_reason::client_io_error);
    co_return false;
  }
  std::array<std::byte, 8> head{};
  const auto n = client_->socket().receive(asio::buffer(head), tcp::socket::message_peek, ec);
  if (ec || n == 0) {
    close(admin::close_reason::client_closed);
    co_return false;
  }
  if (auto m = classify_client_bytes(bytes_view(head.data(), n), ctx_.settings.max_frame_size)) {
    fail(m->cause, m->message);
    co_return false;
  }
  co_return true;
}

awaitable<bool> session::dial() {
  std::vector<routing::host_port> candidates;
  switch (target_.type) {
    case upstream_target::kind::broker:
      if (auto up = ctx_.brokers->upstream_of(target_.node_id)) candidates.push_back(*up);
      break;
    case upstream_target::kind::bootstrap: {
      candidates = target_.addresses;
      // Spread new connections over the bootstrap servers; a dead one is skipped.
      const auto start = ctx_.rotation.fetch_add(1, std::memory_order_relaxed);
      if (!candidates.empty())
        std::rotate(candidates.begin(),
                    candidates.begin() + static_cast<long>(start % candidates.size()),
                    candidates.end());
      break;
    }
    case upstream_target::kind::fixed:
      candidates = target_.addresses;
      break;
  }
  if (candidates.empty()) {
    ctx_.metrics->count_dial_error();
    spdlog::warn("{} closed: broker {} has no known upstream address (not in the last metadata)",
                 peer(), target_.node_id);
    close(admin::close_reason::upstream_dial_failed);
    co_return false;
  }
  std::string errors;
  for (const auto& candidate : candidates) {
    const auto address = ctx_.dial_address(candidate);
    auto ec =
        co_await connect_with_timeout(upstream_->socket(), address, ctx_.settings.dial_timeout);
    if (!ec) {
      upstream_name_ = address.str();
      co_return true;
    }
    ctx_.metrics->count_dial_error();
    errors += (errors.empty() ? "" : "; ") + address.str() + ": " + ec.message();
  }
  spdlog::warn("{} closed: cannot reach upstream ({})", peer(), errors);
  close(admin::close_reason::upstream_dial_failed);
  co_return false;
}

// ---- request side ------------------------------------------------------------------------

session::verdict session::on_request(bytes_view payload, std::size_t frame_size,
                                     std::size_t* need) {
  if (sasl_raw_) {
    // After SaslHandshake v0 the client sends raw tokens with no Kafka header until
    // authentication completes; the first frame that reads as a known request ends that.
    auto prefix = protocol::decode_request_prefix(payload);
    bool kafka = false;
    if (prefix) {
      const auto* api = protocol::find_api(prefix->api_key);
      kafka =
          api && prefix->api_version >= api->min_version && prefix->api_version <= api->max_version;
    }
    if (!kafka) {
      fifo_.push({.raw_sasl = true});
      return verdict::stream;
    }
    sasl_raw_ = false;
  }
  auto prefix = protocol::decode_request_prefix(payload);
  if (!prefix) {
    *need = protocol::request_prefix_size;
    return verdict::need_more;
  }
  const auto key = prefix->api_key;
  const auto version = prefix->api_version;
  if (ctx_.is_forbidden(key)) {
    fail(admin::protocol_error_cause::forbidden_api_key,
         "request with forbidden API key " + std::to_string(key) + " (forbidden_api_keys)");
    return verdict::fail;
  }
  auto action = protocol::action_for(key, version);
  if (!action && action.error().code == protocol::errc::unknown_version) {
    // A newer version of an API that carries no address (a newer broker offered it and the
    // ApiVersions cap left it alone): its response is streamed, its layout does not matter.
    if (const auto* api = protocol::find_api(key);
        api && api->action == protocol::response_action::stream && version > api->max_version)
      action = protocol::response_action::stream;
  }
  if (!action) {
    const auto cause = action.error().code == protocol::errc::unknown_api_key
                           ? admin::protocol_error_cause::unknown_api_key
                           : admin::protocol_error_cause::malformed_header;
    fail(cause, "request api_key=" + std::to_string(key) + " version=" + std::to_string(version) +
                    ": " + action.error().describe() +
                    (protocol::find_api(key) ? "; the proxy cannot rewrite its response" : ""));
    return verdict::fail;
  }
  inflight_entry entry{prefix->correlation_id, key, version, *action, false, false};
  if (key == protocol::api_key::produce) {
    auto acks = protocol::decode_produce_acks(payload);
    if (!acks) {
      if (acks.error().code == protocol::errc::truncated && payload.size() < frame_size) {
        *need = std::min(frame_size, payload.size() * 2 + 64);
        return verdict::need_more;
      }
      fail(admin::protocol_error_cause::malformed_header,
           "malformed Produce request: " + acks.error().describe());
      return verdict::fail;
    }
    entry.response_optional = *acks == 0;
  }
  if (key == protocol::api_key::sasl_handshake) {
    if (version == 0) sasl_raw_ = true;
    // Remember the mechanism asked for: if the broker refuses it, the log names both sides.
    if (auto header = protocol::decode_request_header(payload)) {
      protocol::wire_reader r(payload.subspan(header->size));
      sasl_mechanism_ = std::string(r.string(false, "mechanism"));
    }
  }
  ctx_.metrics->count_request(key);
  if (fifo_.full() && fifo_.front().response_optional) fifo_.pop();  // never answered
  fifo_.push(entry);
  return verdict::stream;
}

// ---- response side -----------------------------------------------------------------------

session::verdict session::on_response(bytes_view payload, std::size_t /*frame_size*/) {
  for (;;) {
    if (fifo_.empty()) {
      fail(admin::protocol_error_cause::correlation_mismatch,
           "upstream sent a response with no request in flight");
      return verdict::fail;
    }
    const auto& head = fifo_.front();
    const std::int32_t corr = static_cast<std::int32_t>(load_be32(payload.data()));
    if (corr == head.correlation_id) break;
    if (head.response_optional) {  // an acks=0 Produce that got no response
      fifo_.pop();
      continue;
    }
    fail(admin::protocol_error_cause::correlation_mismatch,
         "response correlation id " + std::to_string(corr) +
             " does not match the oldest request (" + std::to_string(head.correlation_id) +
             ", api_key=" + std::to_string(head.api_key) + ")");
    return verdict::fail;
  }
  const auto& head = fifo_.front();
  if (head.api_key == protocol::api_key::sasl_handshake && payload.size() >= 6) {
    // SaslHandshake response: ErrorCode, then the mechanisms the broker enables. It passes
    // through untouched; the log says why the client's login is about to fail.
    protocol::wire_reader r(payload.subspan(4));
    if (r.i16("error_code") == 33) {  // UNSUPPORTED_SASL_MECHANISM
      std::string offered;
      if (auto n = r.array_length(false, 2, "mechanisms")) {
        for (std::uint32_t i = 0; i < *n && r.ok(); ++i)
          offered += (i ? "," : "") + std::string(r.string(false, "mechanisms[]"));
      }
      ctx_.metrics->count_protocol_error(admin::protocol_error_cause::sasl_mechanism_unsupported);
      spdlog::warn(
          "{} broker {} does not offer SASL mechanism '{}' (it offers: {}); fix the "
          "client's sasl.mechanism or the broker's sasl.enabled.mechanisms "
          "[sasl_mechanism_unsupported]",
          peer(), upstream_name_, sasl_mechanism_, offered.empty() ? "none" : offered);
    }
  }
  return head.action == protocol::response_action::stream ? verdict::stream : verdict::assemble;
}

awaitable<bool> session::write_rewritten(bytes_view payload) {
  const auto entry = fifo_.front();
  rewritten_.clear();
  auto mapper = ctx_.brokers->mapper();
  auto result = protocol::rewrite_response(entry.action, entry.api_key, entry.api_version, payload,
                                           mapper, rewritten_);
  if (!result) {
    ctx_.metrics->count_rewrite_failure(entry.api_key);
    const auto cause = result.error().code == protocol::errc::unmapped_node
                           ? admin::protocol_error_cause::unmapped_node
                           : admin::protocol_error_cause::rewrite_failed;
    if (spdlog::should_log(spdlog::level::debug)) {
      std::string hex;
      for (std::size_t i = 0; i < std::min<std::size_t>(payload.size(), 96); ++i)
        hex += fmt::format("{:02x}", static_cast<unsigned>(payload[i]));
      spdlog::debug("{} unrewritable response ({} bytes) starts {}", peer(), payload.size(), hex);
    }
    fail(cause, "cannot rewrite " + std::string(protocol::to_string(entry.action)) + " v" +
                    std::to_string(entry.api_version) + " response: " + result.error().describe());
    co_return false;
  }
  if (result->changed) ctx_.metrics->count_rewrite(entry.api_key);
  const bytes_view out = result->changed ? bytes_view(rewritten_) : payload;
  std::array<std::byte, 4> size{};
  const auto n = static_cast<std::uint32_t>(out.size());
  size = {std::byte(n >> 24), std::byte(n >> 16), std::byte(n >> 8), std::byte(n)};
  std::array<asio::const_buffer, 2> bufs{asio::buffer(size), asio::buffer(out.data(), out.size())};
  error_code ec;
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  co_await client_->write(bufs, ec);
  writing_ = false;
  if (ec) {
    close(admin::close_reason::client_io_error);
    co_return false;
  }
  listener_->bytes_upstream_to_client.add(4 + out.size());
  if (rewritten_.capacity() > 1024 * 1024) protocol::byte_buffer().swap(rewritten_);
  co_return true;
}

// ---- the pumps ---------------------------------------------------------------------------
//
// Both pumps share one loop: read what the socket has into a pooled buffer, walk the frame
// boundaries in it, and forward whole runs of bytes with one gather write before reading
// again (so a slow reader on the far side stops this side: backpressure, no queue).

struct session::pump_state {
  pooled_buffer buf;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t body_left = 0;      // bytes of a streamed frame not yet forwarded
  std::size_t assemble_size = 0;  // payload size of the frame being assembled, 0 if none

  // Queues what is buffered of a streamed frame's remaining bytes; false at a frame start.
  bool forward_body(gather& out) {
    if (body_left == 0) return false;
    const auto take = std::min(body_left, end - begin);
    out.add(buf.data() + begin, take);
    begin += take;
    body_left -= take;
    return true;
  }
};

// Reads more from `from` into the pump's buffer. Returns the byte count, 0 at end or error.
// Waits for readability first with no buffer held when nothing is buffered, so an idle
// connection owns no stream buffer.
awaitable<std::size_t> session::fill(byte_stream& from, pump_state& st, error_code& ec) {
  const auto cap = ctx_.settings.buffer_size;
  if (st.begin == st.end) {
    st.begin = st.end = 0;
  } else if (st.begin > 0) {  // keep an incomplete frame start at the front
    std::memmove(st.buf.data(), st.buf.data() + st.begin, st.end - st.begin);
    st.end -= st.begin;
    st.begin = 0;
  }
  for (;;) {
    // Read first (the sockets are non-blocking): under load the bytes are usually there, and
    // this saves a trip through the reactor per read.
    if (st.buf.empty()) st.buf = pooled_buffer(cap);
    const auto n = from.try_read_some(asio::buffer(st.buf.data() + st.end, cap - st.end), ec);
    if (!ec) {
      st.end += n;
      touch();
      co_return n;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return 0;
    ec.clear();
    // Nothing to read: wait for readability, holding no buffer if nothing is buffered, so
    // an idle connection owns no stream buffer.
    if (st.end == 0 && st.body_left == 0 && st.assemble_size == 0) st.buf.release();
    co_await from.wait_readable(ec);
    if (ec || closed_) co_return 0;
  }
}

awaitable<bool> session::flush(byte_stream& to, gather& out) {
  if (out.count == 0) co_return true;
  error_code ec;
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  co_await to.write(std::span<const asio::const_buffer>(out.items.data(), out.count), ec);
  writing_ = false;
  out.clear();
  co_return !ec && !closed_;
}

awaitable<void> session::request_pump() {
  pump_state st;
  gather out;
  for (;;) {
    // Walk the buffered bytes; stop when a frame start needs more bytes than are here.
    bool want_read = true;
    while (st.begin < st.end) {
      if (out.is_full()) {
        want_read = false;
        break;
      }
      if (st.forward_body(out)) continue;
      std::byte* p = st.buf.data() + st.begin;
      const std::size_t avail = st.end - st.begin;
      if (draining_) co_return;  // take no new request; the response pump finishes the rest
      if (avail < 4) break;
      const std::uint32_t size = load_be32(p);
      // A raw SASL token (after SaslHandshake v0) may be shorter than a request header.
      const std::size_t min_size = sasl_raw_ ? 0 : protocol::request_prefix_size;
      if (size < min_size || size > ctx_.settings.max_frame_size) {
        fail(size < min_size ? admin::protocol_error_cause::malformed_header
                             : admin::protocol_error_cause::frame_too_large,
             describe_bad_frame_size(size, bytes_view(p, avail), ctx_.settings.max_frame_size,
                                     "client", "limits.max_frame_size"));
        co_return;
      }
      if (avail < 4 + std::min<std::size_t>(size, protocol::request_prefix_size)) break;
      if (fifo_.full() && !fifo_.front().response_optional) {
        // Mute the client until responses drain, as a broker does: no unbounded queue.
        if (out.count) {
          want_read = false;
          break;
        }
        error_code ec;
        fifo_space_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await fifo_space_.async_wait(redirect_error(use_awaitable, ec));
        if (closed_) co_return;
        continue;
      }
      std::size_t need = 0;
      const auto v =
          on_request(bytes_view(p + 4, std::min<std::size_t>(size, avail - 4)), size, &need);
      if (v == verdict::fail) co_return;
      if (v == verdict::need_more) {
        if (4 + need > ctx_.settings.buffer_size) {
          fail(admin::protocol_error_cause::malformed_header,
               "request header larger than the stream buffer (limits.buffer_size)");
          co_return;
        }
        break;
      }
      st.body_left = 4 + std::size_t{size};
    }
    listener_->bytes_client_to_upstream.add(out.bytes);
    if (!co_await flush(*upstream_, out)) {
      if (!closed_) reason_ = admin::close_reason::upstream_io_error;
      co_return;
    }
    if (!want_read) continue;
    error_code ec;
    if (co_await fill(*client_, st, ec) == 0) {
      if (!closed_) {
        if (st.body_left > 0 || st.end > st.begin) {
          ctx_.metrics->count_protocol_error(admin::protocol_error_cause::truncated_frame);
          spdlog::warn("{} closed: client closed in the middle of a request [truncated_frame]",
                       peer());
        }
        reason_ = ec == asio::error::eof ? admin::close_reason::client_closed
                                         : admin::close_reason::client_io_error;
      }
      co_return;
    }
  }
}

awaitable<void> session::response_pump() {
  pump_state st;
  gather out;
  bool first = true;
  for (;;) {
    bool want_read = true;
    while (st.begin < st.end) {
      if (out.is_full()) {
        want_read = false;
        break;
      }
      if (st.forward_body(out)) continue;
      std::byte* p = st.buf.data() + st.begin;
      const std::size_t avail = st.end - st.begin;
      if (st.assemble_size > 0) {
        const auto take = std::min(st.assemble_size - scratch_.size(), avail);
        scratch_.insert(scratch_.end(), p, p + take);
        st.begin += take;
        if (scratch_.size() < st.assemble_size) {
          // The read buffer is used up: read the rest of this frame straight into place
          // rather than through the stream buffer (one copy less for large responses).
          const auto have = scratch_.size();
          scratch_.resize(st.assemble_size);
          error_code ec;
          co_await upstream_->read_exactly(
              asio::buffer(scratch_.data() + have, st.assemble_size - have), ec);
          if (ec || closed_) {
            if (!closed_) {
              spdlog::warn(
                  "{} upstream {} closed in the middle of a response ({} of {} bytes) "
                  "with {} request(s) in flight",
                  peer(), upstream_name_, have, st.assemble_size, fifo_.size());
              close(ec == asio::error::eof ? admin::close_reason::upstream_closed
                                           : admin::close_reason::upstream_io_error);
            }
            co_return;
          }
          touch();
        }
        // What was gathered before this frame goes first: responses keep their order.
        listener_->bytes_upstream_to_client.add(out.bytes);
        if (!co_await flush(*client_, out) || !co_await write_rewritten(scratch_)) co_return;
        st.assemble_size = 0;
        if (scratch_.capacity() > 1024 * 1024) protocol::byte_buffer().swap(scratch_);
        scratch_.clear();
        fifo_.pop();
        fifo_space_.cancel();
        continue;
      }
      if (first && avail >= 3) {  // TLS bytes from a broker we reached in plaintext
        first = false;            // (a TLS alert is only 7 bytes: look before 8)
        if (auto m = classify_upstream_bytes(bytes_view(p, avail))) {
          fail(m->cause, m->message + " (upstream " + upstream_name_ + ")");
          co_return;
        }
      }
      if (avail < 4) break;
      const std::uint32_t size = load_be32(p);
      if (!fifo_.empty() && fifo_.front().raw_sasl && size <= ctx_.settings.max_frame_size) {
        // A raw SASL token answer has no header (and may be empty): pass it as it is.
        fifo_.pop();
        fifo_space_.cancel();
        st.body_left = 4 + std::size_t{size};
        continue;
      }
      if (size < 4 || size > ctx_.settings.max_frame_size) {
        fail(size < 4 ? admin::protocol_error_cause::malformed_header
                      : admin::protocol_error_cause::frame_too_large,
             describe_bad_frame_size(size, bytes_view(p, avail), ctx_.settings.max_frame_size,
                                     "upstream " + upstream_name_, "limits.max_frame_size"));
        co_return;
      }
      if (avail < 8) break;
      const auto v = on_response(bytes_view(p + 4, avail - 4), size);
      if (v == verdict::fail) co_return;
      if (v == verdict::stream) {
        fifo_.pop();
        fifo_space_.cancel();
        st.body_left = 4 + std::size_t{size};
        continue;
      }
      st.assemble_size = size;  // the payload only: the size is written anew
      scratch_.clear();
      scratch_.reserve(size);
      st.begin += 4;
    }
    listener_->bytes_upstream_to_client.add(out.bytes);
    if (!co_await flush(*client_, out)) {
      if (!closed_) close(admin::close_reason::client_io_error);
      co_return;
    }
    if (draining_ && fifo_.empty() && st.body_left == 0 && st.assemble_size == 0) {
      close(admin::close_reason::shutdown);
      co_return;
    }
    if (!want_read) continue;
    error_code ec;
    if (co_await fill(*upstream_, st, ec) == 0) {
      if (!closed_ && first && st.end > st.begin) {
        if (auto m =
                classify_upstream_bytes(bytes_view(st.buf.data() + st.begin, st.end - st.begin))) {
          fail(m->cause, m->message + " (upstream " + upstream_name_ + ")");
          co_return;
        }
      }
      if (!closed_) {
        if (st.body_left > 0 || st.assemble_size > 0 || !fifo_.empty())
          spdlog::warn("{} upstream {} closed with {} request(s) in flight", peer(), upstream_name_,
                       fifo_.size());
        close(ec == asio::error::eof ? admin::close_reason::upstream_closed
                                     : admin::close_reason::upstream_io_error);
      }
      co_return;
    }
  }
}

awaitable<void> session::watchdog() {
  auto self = shared_from_this();
  asio::steady_timer timer(client_->socket().get_executor());
  const auto idle = ctx_.settings.idle_timeout;
  const auto write = ctx_.settings.write_timeout;
  auto tick = std::chrono::milliseconds(1000);
  if (idle.count() > 0) tick = std::min(tick, std::max(idle / 4, std::chrono::milliseconds(10)));
  if (write.count() > 0) tick = std::min(tick, std::max(write / 4, std::chrono::milliseconds(10)));
  while (!closed_) {
    timer.expires_after(tick);
    error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (closed_) break;
    const auto now = std::chrono::steady_clock::now();
    if (idle.count() > 0 && fifo_.empty() && now - last_activity_ >= idle) {
      ctx_.metrics->count_protocol_error(admin::protocol_error_cause::idle_timeout);
      spdlog::info("{} closed: idle for {} ms with nothing in flight (timeouts.idle)", peer(),
                   idle.count());
      close(admin::close_reason::idle_timeout);
    } else if (write.count() > 0 && writing_ && now - write_started_ >= write) {
      spdlog::warn("{} closed: a write stalled for {} ms (timeouts.write)", peer(), write.count());
      close(admin::close_reason::client_io_error);
    }
  }
}

}  // namespace kpp::net
