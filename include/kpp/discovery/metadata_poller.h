// The proxy's own view of the cluster: it asks a bootstrap broker for Metadata (after
// ApiVersions, to pick the highest version both sides know) at start and every refresh
// interval, and puts every broker it hears of into the broker map, binding its listener.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kpp/net/proxy_context.h"
#include "kpp/routing/host_port.h"

namespace kpp::discovery {

struct discovered_broker {
  std::int32_t node_id = 0;
  routing::host_port address;
};

struct cluster_view {
  std::vector<discovered_broker> brokers;
  std::optional<std::string> cluster_id;
  std::int32_t controller_id = -1;
  std::int16_t metadata_version = 0;
  routing::host_port answered_by;
};

// Why a round found no view, as far as it matters to readiness and the log.
enum class poll_failure : std::uint8_t {
  none,
  // A bootstrap server answered ApiVersions, then closed the connection on Metadata, and
  // discovery had no login: its listener requires SASL (Kafka and kfake answer ApiVersions
  // before authentication and hang up on anything else). In pass-through SASL this is
  // expected without discovery.sasl: brokers are learnt from the responses clients receive.
  sasl_required,
  // Discovery's own login (upstream.sasl or discovery.sasl) was refused or broke off.
  login_failed,
  // No bootstrap server answered at the Kafka level, or an answer was unusable.
  other,
};

struct poll_outcome {
  std::optional<cluster_view> view;
  std::string error;  // every bootstrap server's failure, when view is empty
  poll_failure failure = poll_failure::none;  // none when view is set
};

struct poller_settings {
  std::vector<routing::host_port> bootstrap;
  std::chrono::milliseconds refresh{30000};
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds removal_grace{300000};
  std::string client_id = "kafka-psc-proxy";
  // discovery.sasl: discovery's own login when upstream.sasl is off (pass-through SASL).
  // upstream.sasl, when set (ctx.upstream_login), wins: it is every connection's login.
  std::shared_ptr<const net::upstream_login_settings> login;
};

class metadata_poller {
 public:
  using report = std::function<void(const poll_outcome&, const std::vector<std::string>& errors)>;
  metadata_poller(net::proxy_context& ctx, poller_settings settings, report on_poll);

  // One round: fetch metadata from the first bootstrap server that answers and apply it to
  // the broker map. Returns what was seen.
  boost::asio::awaitable<poll_outcome> poll_once();
  // poll_once now, then every refresh interval (faster while failing) until stop().
  // While the brokers require SASL and discovery has no login (poll_failure::sasl_required)
  // it retries at the refresh interval, not faster: nothing will change sooner.
  boost::asio::awaitable<void> run();
  void stop() { stopped_ = true; }
  // SIGHUP: the next round uses these; a round in progress finishes with its own copy.
  void set_settings(poller_settings settings) { settings_ = std::move(settings); }

 private:
  boost::asio::awaitable<poll_outcome> fetch_from(const routing::host_port& server,
                                                  const poller_settings& settings);

  net::proxy_context& ctx_;
  poller_settings settings_;
  report on_poll_;
  bool stopped_ = false;
  std::int32_t correlation_ = 0;
};

}  // namespace kpp::discovery
