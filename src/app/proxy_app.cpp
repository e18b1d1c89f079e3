#include "kpp/app/proxy_app.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>

#include "kpp/admin/client_auth_metrics.h"
#include "kpp/admin/http_server.h"
#include "kpp/admin/metrics.h"
#include "kpp/admin/tls_metrics.h"
#include "kpp/admin/upstream_login_metrics.h"
#include "kpp/app/client_tls.h"
#include "kpp/app/discovery_log.h"
#include "kpp/app/logging.h"
#include "kpp/app/settings_mapping.h"
#include "kpp/app/state_file.h"
#include "kpp/app/status_source.h"
#include "kpp/app/tls_settings_mapping.h"
#include "kpp/app/upstream_login_mapping.h"
#include "kpp/app/upstream_tls.h"
#include "kpp/config/validate.h"
#include "kpp/config/yaml_loader.h"
#include "kpp/discovery/metadata_poller.h"
#include "kpp/net/client_authenticator.h"
#include "kpp/net/listener.h"
#include "kpp/net/session.h"
#include "kpp/routing/map_hash.h"

namespace kpp::app {

namespace asio = boost::asio;
using boost::system::error_code;

struct proxy_app::impl {
  config::config cfg;
  std::string config_path;
  app_hooks hooks;
  admin::registry& metrics = admin::global_registry();
  // Sessions still parked in the io_contexts are destroyed with the pool and unregister from
  // ctx: ctx must outlive the pool.
  net::proxy_context ctx;
  net::io_pool pool;
  std::unique_ptr<net::listener_set> listeners;
  std::unique_ptr<routing::broker_map> brokers;
  std::unique_ptr<discovery::metadata_poller> poller;
  std::unique_ptr<admin::http_server> admin_server;
  client_tls tls;
  upstream_tls up_tls;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  asio::steady_timer watchdog_timer;
  admin::error_history error_history;  // "recent" errors on the status page

  mutable std::mutex state_mutex;
  bool discovered = false;
  std::string not_ready_reason = "waiting for the first metadata from the bootstrap servers";
  std::string degraded;  // ready, but serving less (passive discovery); under state_mutex
  std::atomic<bool> is_ready{false};
  discovery_log disc_log;
  // discovery.sasl: discovery's own login in pass-through SASL (upstream.sasl off).
  std::shared_ptr<const net::upstream_login_settings> discovery_login;
  bool stopping = false;
  bool notified_ready = false;
  int exit_code = 0;

  impl(config::config c, std::string path, app_hooks h)
      : cfg(std::move(c)),
        config_path(std::move(path)),
        hooks(std::move(h)),
        pool(cfg.threads),
        signals(pool.main(), SIGTERM, SIGINT, SIGHUP),
        drain_timer(pool.main()),
        watchdog_timer(pool.main()) {}

  void set_ready(bool ready, std::string reason, std::string degraded_note = {}) {
    {
      std::lock_guard lock(state_mutex);
      not_ready_reason = std::move(reason);
      degraded = std::move(degraded_note);
    }
    if (is_ready.exchange(ready) == ready) return;
    metrics.set_ready(ready);
    if (ready && !degraded.empty())
      spdlog::info("ready (degraded): {}", degraded);
    else if (ready)
      spdlog::info("ready: every known broker has a listener");
    else
      spdlog::info("not ready: {}", not_ready_reason);
    if (ready && !notified_ready) {
      notified_ready = true;
      sd_notify(0, "READY=1\nSTATUS=serving");
    }
    if (hooks.on_ready) hooks.on_ready(ready);
  }

  void log_map() {
    std::string text;
    for (const auto& r : brokers->snapshot()) {
      text += "\n  broker " + std::to_string(r.node_id) + ": " +
              (r.local_listener ? "listen " + r.listen.str() : std::string("external")) +
              " -> upstream " + (r.upstream ? r.upstream->str() : std::string("?")) +
              ", advertised " + r.advertised.str();
    }
    spdlog::info("port map:{}", text);
  }

  void save_state() {
    if (cfg.brokers.policy != routing::port_policy::sequential || cfg.brokers.state_file.empty())
      return;
    if (auto err = save_port_state(cfg.brokers.state_file, brokers->port_assignments());
        !err.empty())
      spdlog::error("cannot write the port state file (brokers.state_file): {}", err);
  }

  void count_refusal(routing::refusal reason) {
    switch (reason) {
      case routing::refusal::out_of_port_range:
        metrics.count_broker_out_of_port_range();
        break;
      case routing::refusal::port_in_use:
      case routing::refusal::too_many_brokers:  // counted like a collision: no port for it
        metrics.count_port_collision();
        break;
      default:
        break;
    }
  }

  routing::map_events events() {
    routing::map_events ev;
    ev.added = [this](const routing::broker_route& r) {
      metrics.count_port_map_change();
      spdlog::info("broker {}: listening on {}, advertised as {}", r.node_id, r.listen.str(),
                   r.advertised.str());
    };
    ev.moved = [this](const routing::broker_route& r, const routing::host_port& old) {
      metrics.count_port_map_change();
      spdlog::warn("broker {} moved from {} to {}; new connections go to the new address",
                   r.node_id, old.str(), r.upstream ? r.upstream->str() : "?");
    };
    ev.removed = [this](const routing::broker_route& r) {
      metrics.count_port_map_change();
      spdlog::warn("broker {} left the cluster metadata; closed its listener on {}", r.node_id,
                   r.listen.str());
    };
    ev.refused = [this](std::int32_t node, const routing::map_error& why) {
      count_refusal(why.reason);
      spdlog::error("broker {}: {}", node, why.message);
    };
    return ev;
  }

  bool start() {
    for (const auto& w : config::start_warnings(cfg)) spdlog::warn("{}", w);
    ctx.settings = session_settings_from(cfg);
    ctx.set_forbidden(ctx.settings.forbidden_api_keys);
    ctx.metrics = &metrics;
    ctx.pool = &pool;
    ctx.max_connections = cfg.limits.max_connections;
    metrics.set_max_connections(cfg.limits.max_connections);
    for (const auto& d : cfg.brokers.dial) ctx.dial_mappings[d.upstream] = d.dial;

    admin::label_set ka{
        {"enabled", cfg.keepalive.enabled ? "true" : "false"},
        {"idle_seconds", std::to_string(ctx.settings.keepalive.idle.count())},
        {"interval_seconds", std::to_string(ctx.settings.keepalive.interval.count())},
        {"count", std::to_string(ctx.settings.keepalive.count)}};
    metrics.set_keepalive_info(std::move(ka));
    if (cfg.proxy_protocol.enabled && cfg.proxy_protocol.allowed_sources.empty())
      spdlog::warn(
          "proxy_protocol is enabled with no allowed_sources: any client can send a PROXY "
          "header and claim any source address and PSC connection id; set "
          "proxy_protocol.allowed_sources to the load balancer's or PSC NAT's subnets");

    auto map_settings = map_settings_from(cfg);
    if (cfg.brokers.policy == routing::port_policy::sequential) {
      if (cfg.brokers.state_file.empty()) {
        spdlog::warn(
            "port policy 'sequential' assigns ports in discovery order: run a single "
            "instance only, and set brokers.state_file so a restart keeps the map");
      } else {
        auto state = load_port_state(cfg.brokers.state_file);
        if (!state.error.empty()) {
          spdlog::error("cannot use the port state file (brokers.state_file): {}", state.error);
          return false;
        }
        map_settings.sequential_state = std::move(state.ports);
      }
    }
    for (const auto& w : tls_startup_warnings(cfg.tls, cfg.upstream.tls)) spdlog::warn("{}", w);
    tls = start_client_tls(cfg, pool.main().get_executor());
    if (!tls.error.empty()) {
      spdlog::error("{}", tls.error);
      return false;
    }
    ctx.client_tls = tls.store;
    ctx.sni = tls.sni;
    up_tls = start_upstream_tls(cfg, pool.main().get_executor());
    if (!up_tls.error.empty()) {
      spdlog::error("{}", up_tls.error);
      return false;
    }
    ctx.upstream_tls = up_tls.dial;
    auto login = upstream_login_from(cfg.upstream.sasl);
    if (!login) {
      spdlog::error("{}", login.error());
      return false;
    }
    ctx.upstream_login = std::move(*login);
    auto discovery_sasl = upstream_login_from(cfg.discovery.sasl, "discovery.sasl");
    if (!discovery_sasl) {
      spdlog::error("{}", discovery_sasl.error());
      return false;
    }
    discovery_login = std::move(*discovery_sasl);
    if (discovery_login)
      spdlog::info(
          "discovery logs in with {} as {} (discovery.sasl); client sessions stay pass-through",
          auth::name(discovery_login->mech), discovery_login->username);
    if (cfg.listeners.sasl.enabled) {
      auto settings = client_auth_from(cfg.listeners.sasl);
      std::string error;
      if (settings)
        ctx.client_auth = net::client_authenticator::create(std::move(*settings), error);
      if (!settings || !ctx.client_auth) {
        spdlog::error("{}", settings ? error : settings.error());
        return false;
      }
      std::string names;
      for (const auto& m : cfg.listeners.sasl.mechanisms) names += (names.empty() ? "" : ", ") + m;
      spdlog::info("client logins required on every listener: {} (listeners.sasl, users file {})",
                   names, cfg.listeners.sasl.users_file);
    }
    if (ctx.upstream_login)
      spdlog::info("upstream SASL: every broker connection logs in with {} as {} (upstream.sasl)",
                   auth::name(ctx.upstream_login->mech), ctx.upstream_login->username);
    listeners = std::make_unique<net::listener_set>(ctx);
    brokers = std::make_unique<routing::broker_map>(std::move(map_settings), *listeners, events());
    ctx.brokers = brokers.get();

    for (auto& port : bootstrap_ports(cfg)) {
      if (auto o = tls.overrides.find(port.listen); o != tls.overrides.end())
        port.target.client_tls = o->second;
      if (auto ec = listeners->open_bootstrap(port.listen, port.target)) {
        spdlog::error("cannot listen on {} (bootstrap.listeners / --bootstrap-server-mapping): {}",
                      port.listen.str(), ec.message());
        return false;
      }
      if (port.target.type == net::upstream_target::kind::sni)
        spdlog::info(
            "routing: sni: one TLS port {} for \"{}\" (any bootstrap server; also clients "
            "sending no SNI) and every broker as \"{}\"",
            port.listen.str(), cfg.sni.bootstrap_host, cfg.brokers.advertised_host);
      else
        spdlog::info("bootstrap listener on {} -> {}", port.listen.str(),
                     port.target.type == net::upstream_target::kind::fixed
                         ? port.target.addresses.front().str()
                         : std::string("any bootstrap server"));
    }
    for (const auto& err : brokers->preload_state()) {
      count_refusal(err.reason);
      spdlog::error("{}", err.message);
    }

    if (cfg.admin.enabled) {
      admin::http_server_options o;
      o.address = cfg.admin.address.host;
      o.port = cfg.admin.address.port;
      admin::admin_paths paths{cfg.admin.health_path, cfg.admin.ready_path, cfg.admin.metrics_path};
      admin_server = std::make_unique<admin::http_server>(
          pool.main(), o,
          [this, paths] {
            admin::admin_state s;
            s.paths = paths;
            s.ready = is_ready.load();
            {
              std::lock_guard lock(state_mutex);
              s.not_ready_reason = not_ready_reason;
              s.degraded = degraded;
            }
            s.render_metrics = [this](std::string& out) {
              metrics.render_prometheus(out);
              if (tls.refresher || up_tls.dial) admin::global_tls_metrics().render_prometheus(out);
              if (ctx.client_auth) admin::global_client_auth_metrics().render_prometheus(out);
              if (ctx.upstream_login) admin::global_upstream_login_metrics().render_prometheus(out);
            };
            s.status = [this] {
              readiness r{is_ready.load(), {}, {}};
              {
                std::lock_guard lock(state_mutex);
                r.reason = not_ready_reason;
                r.degraded = degraded;
              }
              return build_status(metrics, brokers.get(), std::move(r), error_history,
                                  std::chrono::steady_clock::now());
            };
            return s;
          },
          [](admin::log_level level, std::string_view text) {
            if (level == admin::log_level::debug)
              spdlog::debug("admin: {}", text);
            else
              spdlog::warn("admin: {}", text);
          });
      if (auto ec = admin_server->start()) {
        spdlog::error("cannot listen on {} (admin.address / --http-listen-address): {}",
                      cfg.admin.address.str(), ec.message());
        return false;
      }
      spdlog::info("admin endpoint on {} ({}, {}, {}, status page /)", cfg.admin.address.str(),
                   cfg.admin.health_path, cfg.admin.ready_path, cfg.admin.metrics_path);
    }

    poller = std::make_unique<discovery::metadata_poller>(
        ctx, discovery_settings(cfg),
        [this](const discovery::poll_outcome& outcome, const std::vector<std::string>& errors) {
          on_poll(outcome, errors);
        });
    asio::co_spawn(pool.main(), poller->run(), asio::detached);
    spawn_signals();
    start_watchdog();
    return true;
  }

  // The poller's settings with discovery's login (read once at start: SIGHUP keeps it).
  discovery::poller_settings discovery_settings(const config::config& c) const {
    auto s = poller_settings_from(c);
    s.login = discovery_login;
    return s;
  }

  void on_poll(const discovery::poll_outcome& outcome, const std::vector<std::string>& errors) {
    if (stopping) return;
    if (!outcome.view) {
      if (auto line = disc_log.on_failure(outcome, std::chrono::steady_clock::now()))
        spdlog::warn("{}", *line);
      const bool passive = outcome.failure == discovery::poll_failure::sasl_required;
      metrics.set_discovery_passive(passive);
      if (passive) {
        // The listeners are bound and the bootstrap answers at the Kafka level (ApiVersions):
        // pass-through clients are served; brokers bind as their responses name them.
        set_ready(true, "", passive_discovery_note);
        return;
      }
      // Keep serving the map we have for a while; not ready once it is stale.
      const auto age = metrics.discovery_age(std::chrono::steady_clock::now());
      const auto stale = std::max<std::chrono::steady_clock::duration>(
          3 * cfg.discovery.metadata_refresh, std::chrono::seconds(90));
      if (!age || *age > stale) set_ready(false, "discovery failing: " + outcome.error);
      return;
    }
    disc_log.on_success();
    metrics.set_discovery_passive(false);
    const bool first = !discovered;
    discovered = true;
    if (first) {
      spdlog::info("discovered {} broker(s) via {} (Metadata v{}, cluster {})",
                   outcome.view->brokers.size(), outcome.view->answered_by.str(),
                   outcome.view->metadata_version, outcome.view->cluster_id.value_or("?"));
    }
    save_state();
    metrics.set_brokers_without_listener(errors.size());
    const auto routes = brokers->snapshot();
    metrics.set_broker_map_hash(routing::map_hash(routes));
    if (!errors.empty()) {
      set_ready(false, "some brokers have no listener: " + errors.front());
      return;
    }
    if (first) log_map();
    set_ready(true, "");
  }

  void spawn_signals() {
    signals.async_wait([this](error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        if (tls.refresher) tls.refresher->trigger();  // certificate files, even from flags
        if (up_tls.refresher) up_tls.refresher->trigger();
        reload();
      } else if (stopping) {
        spdlog::warn("second signal {}: exiting now", sig);
        exit_code = 0;
        pool.stop();
        return;
      } else {
        begin_drain();
      }
      spawn_signals();
    });
  }

  void start_watchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    ping_watchdog(std::chrono::microseconds(usec / 2));
  }
  void ping_watchdog(std::chrono::microseconds every) {
    sd_notify(0, "WATCHDOG=1");
    watchdog_timer.expires_after(every);
    watchdog_timer.async_wait([this, every](error_code ec) {
      if (!ec) ping_watchdog(every);
    });
  }

  void reload() {
    if (config_path.empty()) {
      spdlog::warn("SIGHUP: nothing to reload (started from flags, not --config)");
      return;
    }
    auto next = config::load_yaml_file(config_path);
    if (!next) {
      spdlog::error("SIGHUP: keeping the running configuration: {}", next.error().message);
      return;
    }
    const auto& n = *next;
    set_log_level(n.log.level);
    std::set<std::int16_t> forbidden(n.forbidden_api_keys.begin(), n.forbidden_api_keys.end());
    ctx.set_forbidden(forbidden);
    brokers->set_static_nodes(static_nodes_from(n));
    poller->set_settings(discovery_settings(n));
    // What only a restart can change: say so instead of half-applying it.
    std::vector<std::string> fixed;
    if (n.listen != cfg.listen) fixed.emplace_back("listen");
    if (n.threads != cfg.threads) fixed.emplace_back("threads");
    if (n.bootstrap.listeners != cfg.bootstrap.listeners) fixed.emplace_back("bootstrap.listeners");
    if (n.brokers.policy != cfg.brokers.policy || n.brokers.base_port != cfg.brokers.base_port ||
        n.brokers.node_id_offset != cfg.brokers.node_id_offset ||
        n.brokers.port_range != cfg.brokers.port_range ||
        n.brokers.advertised_host != cfg.brokers.advertised_host ||
        n.brokers.advertised_port != cfg.brokers.advertised_port)
      fixed.emplace_back("brokers (port policy, ports, advertised host)");
    if (n.routing != cfg.routing || n.sni != cfg.sni) fixed.emplace_back("routing, sni");
    if (n.admin != cfg.admin) fixed.emplace_back("admin");
    if (n.limits != cfg.limits) fixed.emplace_back("limits");
    if (n.timeouts != cfg.timeouts) fixed.emplace_back("timeouts");
    if (n.keepalive != cfg.keepalive) fixed.emplace_back("keepalive");
    if (n.proxy_protocol != cfg.proxy_protocol) fixed.emplace_back("proxy_protocol");
    if (n.log.format != cfg.log.format) fixed.emplace_back("log.format");
    if (n.discovery.sasl != cfg.discovery.sasl) fixed.emplace_back("discovery.sasl");
    std::string list;
    for (const auto& f : fixed) list += (list.empty() ? "" : ", ") + f;
    auto applied = cfg;
    applied.log.level = n.log.level;
    applied.forbidden_api_keys = n.forbidden_api_keys;
    applied.brokers.static_brokers = n.brokers.static_brokers;
    applied.bootstrap.servers = n.bootstrap.servers;
    applied.discovery = n.discovery;
    applied.discovery.sasl = cfg.discovery.sasl;  // the login was read at start
    cfg = applied;
    spdlog::info(
        "SIGHUP: reloaded {} (log level, forbidden_api_keys, static brokers, bootstrap "
        "servers, discovery){}",
        config_path, list.empty() ? "" : "; restart needed for: " + list);
  }

  void begin_drain() {
    if (stopping) return;
    stopping = true;
    ctx.draining = true;
    if (tls.refresher) tls.refresher->stop();
    if (up_tls.refresher) up_tls.refresher->stop();
    set_ready(false, "shutting down");
    sd_notify(0, "STOPPING=1");
    const auto open = ctx.sessions.size();
    spdlog::info("shutting down: stopped accepting, draining {} connection(s) for up to {} ms",
                 open, cfg.timeouts.drain.count());
    listeners->close_all();
    if (poller) poller->stop();
    ctx.sessions.for_each([](const std::shared_ptr<net::session>& s) { s->drain(); });
    const auto deadline = std::chrono::steady_clock::now() + cfg.timeouts.drain;
    wait_drained(deadline);
  }

  void wait_drained(std::chrono::steady_clock::time_point deadline) {
    if (ctx.sessions.size() == 0 || std::chrono::steady_clock::now() >= deadline) {
      const auto left = ctx.sessions.size();
      if (left)
        spdlog::warn("drain timeout (timeouts.drain): closing {} connection(s)", left);
      else
        spdlog::info("drained; exiting");
      if (admin_server) admin_server->stop();
      pool.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([this, deadline](error_code ec) {
      if (!ec) wait_drained(deadline);
    });
  }
};

proxy_app::proxy_app(config::config cfg, std::string config_path, app_hooks hooks)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(config_path), std::move(hooks))) {}

proxy_app::~proxy_app() = default;

int proxy_app::run() {
  // splice(2) cannot take MSG_NOSIGNAL: a client gone mid-body must be an error code on that
  // one session, never a SIGPIPE that ends the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (!impl_->start()) {
    impl_->pool.stop();
    return 1;
  }
  impl_->pool.start();
  impl_->pool.run_main();
  impl_->pool.stop();
  impl_->pool.join();
  return impl_->exit_code;
}

void proxy_app::stop() {
  asio::post(impl_->pool.main(), [i = impl_.get()] { i->begin_drain(); });
}

std::map<std::int32_t, std::string> proxy_app::advertised_map() const {
  std::map<std::int32_t, std::string> out;
  if (!impl_->brokers) return out;
  for (const auto& r : impl_->brokers->snapshot()) out[r.node_id] = r.advertised.str();
  return out;
}

std::map<std::int32_t, std::uint16_t> proxy_app::port_map() const {
  return impl_->brokers ? impl_->brokers->port_assignments()
                        : std::map<std::int32_t, std::uint16_t>{};
}

bool proxy_app::ready() const {
  return impl_->is_ready.load();
}

}  // namespace kpp::app
