// State every session shares: settings, the broker map, metrics, and the registry of live
// sessions that drain walks on shutdown.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "kpp/admin/metrics.h"
#include "kpp/net/io_pool.h"
#include "kpp/net/memory_budget.h"
#include "kpp/net/session_settings.h"
#include "kpp/net/silent_connections.h"
#include "kpp/net/sni_router.h"
#include "kpp/net/tls_context_store.h"
#include "kpp/net/upstream_login.h"
#include "kpp/net/upstream_dialer.h"
#include "kpp/routing/broker_map.h"

namespace kpp::net {

class session;
class client_authenticator;

class session_registry {
 public:
  std::uint64_t add(const std::shared_ptr<session>& s);
  void remove(std::uint64_t id);
  [[nodiscard]] std::size_t size() const;
  // Calls f on every live session (f must only post work to the session's executor).
  void for_each(const std::function<void(const std::shared_ptr<session>&)>& f) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<session>> sessions_;
  std::uint64_t next_id_ = 1;
};

struct proxy_context {
  session_settings settings;
  routing::broker_map* brokers = nullptr;
  admin::registry* metrics = nullptr;
  io_pool* pool = nullptr;
  session_registry sessions;
  silent_connections silent;  // sessions still waiting for their first bytes
  memory_budget assembly;  // assembled responses, bounded by settings.assembled_memory
  // Upstream address rewrites applied when dialing (grepplabs --dial-address-mapping).
  std::map<routing::host_port, routing::host_port> dial_mappings;
  // Set when the client-facing listeners speak TLS: each handshake takes its current context.
  std::shared_ptr<tls_context_store> client_tls;
  // routing: sni. Picks a kind::sni listener's route from the TLS server name.
  std::shared_ptr<const sni_router> sni;
  // upstream.sasl: every upstream connection logs in with this before it is used.
  std::shared_ptr<const upstream_login_settings> upstream_login;
  // listeners.sasl: clients log in to the proxy before anything goes upstream.
  std::shared_ptr<client_authenticator> client_auth;
  // Set when the proxy speaks TLS to the brokers (upstream.tls): sessions and discovery.
  std::shared_ptr<const dial_tls> upstream_tls;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> max_connections{10000};
  std::atomic<std::size_t> rotation{0};  // bootstrap server round robin
  // Refused API keys; atomics so SIGHUP can change them under live sessions.
  std::array<std::atomic<bool>, 128> forbidden{};

  void set_forbidden(const std::set<std::int16_t>& keys) {
    for (std::size_t k = 0; k < forbidden.size(); ++k)
      forbidden[k].store(keys.contains(static_cast<std::int16_t>(k)), std::memory_order_relaxed);
  }
  [[nodiscard]] bool is_forbidden(std::int16_t key) const {
    return key >= 0 && static_cast<std::size_t>(key) < forbidden.size() &&
           forbidden[static_cast<std::size_t>(key)].load(std::memory_order_relaxed);
  }

  [[nodiscard]] routing::host_port dial_address(const routing::host_port& a) const {
    auto it = dial_mappings.find(a);
    return it == dial_mappings.end() ? a : it->second;
  }
};

}  // namespace kpp::net
