#include "kpp/routing/broker_map.h"

#include <algorithm>

namespace kpp::routing {

broker_map::broker_map(map_settings settings, listener_binder& binder, map_events events)
    : settings_(std::move(settings)), binder_(binder), events_(std::move(events)) {
  ports_in_use_ = settings_.reserved_ports;
  for (const auto& m : settings_.address_mappings) ports_in_use_.insert(m.listen.port);
}

host_port broker_map::advertised_for(std::int32_t node_id, std::uint16_t listen_port) const {
  return {settings_.advertised_host.render(node_id),
          settings_.advertised_port.value_or(listen_port)};
}

std::string_view to_string(refusal r) noexcept {
  switch (r) {
    case refusal::invalid_node_id:
      return "invalid_node_id";
    case refusal::out_of_port_range:
      return "out_of_port_range";
    case refusal::port_in_use:
      return "port_in_use";
    case refusal::port_range_exhausted:
      return "port_range_exhausted";
    case refusal::no_static_entry:
      return "no_static_entry";
    case refusal::not_mapped:
      return "not_mapped";
    case refusal::bind_failed:
      return "bind_failed";
    case refusal::too_many_brokers:
      return "too_many_brokers";
  }
  return "unknown";
}

namespace {

// A port another process holds is a collision like any other; other bind errors are not.
refusal bind_refusal(const std::error_code& ec) {
  return ec == std::errc::address_in_use ? refusal::port_in_use : refusal::bind_failed;
}

}  // namespace

std::optional<std::uint16_t> broker_map::choose_port_locked(
    std::int32_t node_id, const std::set<std::uint16_t>& unbindable, map_error* why) {
  std::string text;
  switch (settings_.policy) {
    case port_policy::node_id: {
      auto port = node_id_port(settings_.range, node_id, &text);
      if (!port) *why = {refusal::out_of_port_range, text};
      return port;
    }
    case port_policy::sequential: {
      if (auto it = settings_.sequential_state.find(node_id);
          it != settings_.sequential_state.end() && !unbindable.contains(it->second))
        return it->second;
      std::set<std::uint16_t> taken = ports_in_use_;
      for (const auto& [id, port] : settings_.sequential_state) taken.insert(port);
      taken.insert(unbindable.begin(), unbindable.end());
      auto port = next_sequential_port(settings_.range, taken, &text);
      if (!port) *why = {refusal::port_range_exhausted, text};
      return port;
    }
    case port_policy::static_only:
      break;
  }
  *why = {refusal::no_static_entry,
          "broker " + std::to_string(node_id) +
              " has no static entry (brokers.static) and the port policy is static"};
  return std::nullopt;
}

std::size_t broker_map::map_bound_listeners_locked() const {
  return static_cast<std::size_t>(std::count_if(routes_.begin(), routes_.end(), [](const auto& r) {
    return r.second.local_listener && !r.second.configured_listener;
  }));
}

broker_map::ensure_result broker_map::refuse(std::int32_t node_id, refusal reason,
                                             std::string why) {
  const map_error e{reason, std::move(why)};
  if (events_.refused) events_.refused(node_id, e);
  return {std::nullopt, e.message, reason};
}

broker_map::ensure_result broker_map::create_locked(std::int32_t node_id,
                                                    const host_port& upstream) {
  // Kafka node ids are >= 0; -1 marks "no node" in error entries. A negative id in a broker
  // list is never given a port (nor written to the state file).
  if (node_id < 0)
    return refuse(node_id, refusal::invalid_node_id,
                  "broker " + std::to_string(node_id) + " at " + upstream.str() +
                      " has a negative node id; refused (check the cluster's broker.id / "
                      "node.id settings)");

  broker_route route;
  route.node_id = node_id;
  route.upstream = upstream;

  auto by_upstream = [&](const auto& m) { return m.upstream == upstream; };
  if (auto it = std::find_if(settings_.external_mappings.begin(), settings_.external_mappings.end(),
                             by_upstream);
      it != settings_.external_mappings.end()) {
    route.local_listener = false;
    route.advertised = it->advertised;
    routes_[node_id] = route;
    return {route, {}, {}};
  }
  if (auto it = std::find_if(settings_.address_mappings.begin(), settings_.address_mappings.end(),
                             by_upstream);
      it != settings_.address_mappings.end()) {
    route.listen = it->listen;
    route.advertised = it->advertised;
    route.configured_listener = true;
    routes_[node_id] = route;
    return {route, {}, {}};
  }

  if (settings_.shared_listener) {
    // No port per broker, but still a bound on what the brokers' responses can make us hold.
    if (routes_.size() >= settings_.max_brokers)
      return refuse(node_id, refusal::too_many_brokers,
                    "broker " + std::to_string(node_id) + " at " + upstream.str() +
                        " would be broker number " + std::to_string(settings_.max_brokers + 1) +
                        " beyond brokers.max_brokers (" + std::to_string(settings_.max_brokers) +
                        "); raise brokers.max_brokers if the cluster really has that many "
                        "brokers");
    route.listen = *settings_.shared_listener;
    route.advertised = advertised_for(node_id, route.listen.port);
    route.configured_listener = true;  // never bound nor closed by the map
    routes_[node_id] = route;
    if (events_.added) events_.added(route);
    return {route, {}, {}};
  }
  if (map_bound_listeners_locked() >= settings_.max_brokers)
    return refuse(node_id, refusal::too_many_brokers,
                  "broker " + std::to_string(node_id) + " at " + upstream.str() +
                      " would be listener number " + std::to_string(settings_.max_brokers + 1) +
                      " beyond brokers.max_brokers (" + std::to_string(settings_.max_brokers) +
                      "); raise brokers.max_brokers if the cluster really has that many brokers");

  map_error why;
  std::optional<std::uint16_t> port;
  std::optional<host_port> fixed_advertised;
  std::set<std::uint16_t> unbindable;  // sequential: ports the OS refused during this call
  const auto* fixed = [&]() -> const static_node* {
    auto it = std::find_if(settings_.static_nodes.begin(), settings_.static_nodes.end(),
                           [&](const static_node& s) { return s.node_id == node_id; });
    return it == settings_.static_nodes.end() ? nullptr : &*it;
  }();
  if (fixed) {
    port = fixed->listen_port;
    fixed_advertised = fixed->advertised;
  } else if (!settings_.dynamic_listeners) {
    return refuse(
        node_id, refusal::not_mapped,
        "broker " + std::to_string(node_id) + " at " + upstream.str() +
            " matches no configured mapping and dynamic listeners are disabled; add an entry "
            "under brokers.mappings (--bootstrap-server-mapping) or set "
            "brokers.dynamic_listeners: true (drop --dynamic-listeners-disable)");
  }
  for (;;) {
    if (!fixed) port = choose_port_locked(node_id, unbindable, &why);
    if (!port) return refuse(node_id, why.reason, std::move(why.message));
    if (ports_in_use_.contains(*port))
      return refuse(
          node_id, refusal::port_in_use,
          "broker " + std::to_string(node_id) + " would use port " + std::to_string(*port) +
              ", which is already in use by another broker, a bootstrap listener or the admin "
              "endpoint; move the broker range (brokers.base_port, brokers.node_id_offset), the "
              "static entry (brokers.static[].listen_port) or the other listener");
    route.listen = {settings_.listen_host, *port};
    route.advertised = fixed_advertised.value_or(advertised_for(node_id, *port));
    const auto ec = binder_.bind(route);
    if (!ec) break;
    // Sequential: a port some other process holds is skipped for the next free one, rather
    // than tried again (and refused again) at every sight of the broker.
    if (!fixed && settings_.policy == port_policy::sequential) {
      unbindable.insert(*port);
      continue;
    }
    return refuse(node_id, bind_refusal(ec),
                  "cannot listen for broker " + std::to_string(node_id) + " on " +
                      route.listen.str() + ": " + ec.message());
  }
  ports_in_use_.insert(*port);
  if (settings_.policy == port_policy::sequential) settings_.sequential_state[node_id] = *port;
  routes_[node_id] = route;
  if (events_.added) events_.added(route);
  return {route, {}, {}};
}

broker_map::ensure_result broker_map::ensure(std::int32_t node_id, const host_port& upstream) {
  std::lock_guard lock(mutex_);
  absent_since_.erase(node_id);
  auto it = routes_.find(node_id);
  if (it == routes_.end()) return create_locked(node_id, upstream);
  auto& route = it->second;
  if (!route.upstream) {
    route.upstream = upstream;  // preloaded from the state file
  } else if (*route.upstream != upstream) {
    const host_port old = *route.upstream;
    route.upstream = upstream;
    if (events_.moved) events_.moved(route, old);
  }
  return {route, {}, {}};
}

std::optional<host_port> broker_map::upstream_of(std::int32_t node_id) const {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(node_id);
  if (it == routes_.end()) return std::nullopt;
  return it->second.upstream;
}

std::optional<broker_route> broker_map::find(std::int32_t node_id) const {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(node_id);
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

std::vector<broker_route> broker_map::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<broker_route> out;
  out.reserve(routes_.size());
  for (const auto& [id, r] : routes_) out.push_back(r);
  return out;
}

std::map<std::int32_t, std::uint16_t> broker_map::port_assignments() const {
  std::lock_guard lock(mutex_);
  std::map<std::int32_t, std::uint16_t> out;
  for (const auto& [id, r] : routes_)
    if (r.local_listener) out[id] = r.listen.port;
  return out;
}

std::vector<std::int32_t> broker_map::retire_absent(const std::set<std::int32_t>& present,
                                                    std::chrono::steady_clock::duration grace,
                                                    std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<std::int32_t> removed;
  for (auto it = routes_.begin(); it != routes_.end();) {
    const auto id = it->first;
    if (present.contains(id)) {
      absent_since_.erase(id);
      ++it;
      continue;
    }
    auto [since, fresh] = absent_since_.try_emplace(id, now);
    if (fresh || now - since->second < grace) {
      ++it;
      continue;
    }
    const broker_route route = it->second;
    if (route.local_listener && !route.configured_listener) {
      binder_.unbind(route);
      ports_in_use_.erase(route.listen.port);
    }
    absent_since_.erase(id);
    it = routes_.erase(it);
    removed.push_back(id);
    if (events_.removed) events_.removed(route);
  }
  return removed;
}

std::vector<map_error> broker_map::preload_state() {
  std::lock_guard lock(mutex_);
  std::vector<map_error> errors;
  std::vector<std::int32_t> dropped;
  if (settings_.policy != port_policy::sequential) return errors;
  for (const auto& [id, port] : settings_.sequential_state) {
    if (routes_.contains(id)) continue;
    broker_route route;
    route.node_id = id;
    route.listen = {settings_.listen_host, port};
    route.advertised = advertised_for(id, port);
    if (ports_in_use_.contains(port)) {
      errors.push_back({refusal::port_in_use,
                        "brokers.state_file: broker " + std::to_string(id) + " port " +
                            std::to_string(port) +
                            " collides with another listener; entry ignored (the broker gets a "
                            "new port when discovered)"});
      dropped.push_back(id);
      continue;
    }
    if (auto ec = binder_.bind(route)) {
      errors.push_back({bind_refusal(ec), "brokers.state_file: cannot listen for broker " +
                                              std::to_string(id) + " on " + route.listen.str() +
                                              ": " + ec.message()});
      dropped.push_back(id);
      continue;
    }
    ports_in_use_.insert(port);
    routes_[id] = route;
    if (events_.added) events_.added(route);
  }
  for (auto id : dropped) settings_.sequential_state.erase(id);
  return errors;
}

protocol::address_mapper broker_map::mapper() {
  return [this](const protocol::endpoint& ep) -> std::optional<protocol::advertised_endpoint> {
    // Error entries (FindCoordinator without a coordinator) carry node -1, "" and -1: keep
    // them as the error they are, but never pass a real host through.
    if (ep.node_id < 0) return protocol::advertised_endpoint{"", -1};
    // Controllers (DescribeQuorum v2, DescribeCluster endpoint type 2) have their own id
    // space: in combined KRaft mode a controller shares its broker's node id, so mapping it
    // here would move that broker's upstream. They are not proxied: refuse (fail closed).
    if (ep.kind == protocol::endpoint_kind::controller) return std::nullopt;
    if (ep.port <= 0 || ep.port > 65535 || ep.host.empty()) return std::nullopt;
    auto result =
        ensure(ep.node_id, host_port{std::string(ep.host), static_cast<std::uint16_t>(ep.port)});
    if (!result.route) return std::nullopt;
    return protocol::advertised_endpoint{result.route->advertised.host,
                                         result.route->advertised.port};
  };
}

void broker_map::set_static_nodes(std::vector<static_node> nodes) {
  std::lock_guard lock(mutex_);
  settings_.static_nodes = std::move(nodes);
}

}  // namespace kpp::routing
