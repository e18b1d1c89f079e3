// `check`, step 4: every advertised name, resolved from here, and the DNS records a private
// zone needs so clients reach the endpoint by those names.
#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "kpp/app/check_steps.h"

namespace kpp::app {

namespace {

struct resolution {
  bool done = false;  // false: no answer within the timeout
  int error = 0;      // getaddrinfo's EAI_*; 0 on success
  std::vector<std::string> addresses;
};

// getaddrinfo on its own thread, abandoned (not joined) if it outlives the caller's
// deadline: a resolver that never answers must not hang the check. The thread only touches
// what the shared state keeps alive.
std::future<resolution> resolve_async(const std::string& name) {
  auto promise = std::make_shared<std::promise<resolution>>();
  auto future = promise->get_future();
  std::thread([promise, name] {
    resolution r;
    r.done = true;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    r.error = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
    std::set<std::string> seen;
    for (auto* p = res; p; p = p->ai_next) {
      char host[NI_MAXHOST];
      if (::getnameinfo(p->ai_addr, p->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) ==
              0 &&
          seen.insert(host).second)
        r.addresses.emplace_back(host);
    }
    if (res) ::freeaddrinfo(res);
    promise->set_value(std::move(r));
  }).detach();
  return future;
}

bool is_address(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

// "b{node_id}.kafka.example.com" -> "kafka.example.com" when the node id sits in the first
// label only: one wildcard record then covers every broker.
std::optional<std::string> wildcard_parent(const std::string& pattern) {
  const auto dot = pattern.find('.');
  if (dot == std::string::npos) return std::nullopt;
  const auto first = pattern.substr(0, dot);
  const auto rest = pattern.substr(dot + 1);
  if (first.find('{') == std::string::npos || rest.find('{') != std::string::npos)
    return std::nullopt;
  if (rest.find('.') == std::string::npos) return std::nullopt;  // not under a TLD alone
  return rest;
}

}  // namespace

void check_names(check_context& c, const planned_map& map) {
  check_section s;
  s.key = "names";
  s.title = "Advertised names, resolved from this host";
  s.columns = {"name", "used_by", "result", "addresses"};

  std::map<std::string, std::string> names;  // name -> who uses it
  for (const auto& p : map.client_ports) {
    if (p.advertised_host.empty()) continue;
    auto& who = names[p.advertised_host];
    who += (who.empty() ? "" : ", ") +
           (p.node_id ? "broker " + std::to_string(*p.node_id) : std::string("bootstrap"));
  }

  const bool through_v6 = c.through && c.through->find(':') != std::string::npos;
  const std::string target =
      c.through && is_address(*c.through) ? *c.through : std::string("<PSC endpoint IP>");
  const char* type = through_v6 ? "AAAA" : "A";
  const auto timeout = std::min(c.probe.timeout, std::chrono::milliseconds(5000));
  bool any_record = false;
  // Every name at once, under one deadline.
  std::map<std::string, std::future<resolution>> lookups;
  for (const auto& [name, who] : names)
    if (!is_address(name)) lookups.emplace(name, resolve_async(name));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& [name, who] : names) {
    if (is_address(name)) {
      s.rows.push_back({name, who, "address literal", name});
      continue;
    }
    any_record = true;
    c.report.dns_records.push_back(name + ". 300 IN " + type + " " + target);
    auto& lookup = lookups.at(name);
    const auto r =
        lookup.wait_until(deadline) == std::future_status::ready ? lookup.get() : resolution{};
    if (!r.done) {
      s.rows.push_back({name, who, "timeout", "-"});
      c.report.find(
          "names",
          name + " (" + who + ") did not resolve within " + std::to_string(timeout.count()) + " ms",
          "check this host's resolver, and create the record listed under DNS records");
      continue;
    }
    if (r.error != 0) {
      s.rows.push_back({name, who, "does not resolve", ::gai_strerror(r.error)});
      c.report.find("names", name + " (" + who + ") does not resolve: " + ::gai_strerror(r.error),
                    "create the DNS record listed under DNS records, in the zone the clients "
                    "resolve (or change brokers.advertised_host)");
      continue;
    }
    std::string list;
    for (const auto& a : r.addresses) list += (list.empty() ? "" : " ") + a;
    s.rows.push_back({name, who, "resolves", list});
    if (c.through && is_address(*c.through)) {
      bool points = false;
      for (const auto& a : r.addresses) points = points || a == *c.through;
      if (!points)
        c.report.find(
            "names",
            name + " (" + who + ") resolves to " + list + ", not to the endpoint " + *c.through,
            "point the record at " + *c.through +
                " (the record listed under DNS "
                "records)");
    }
  }
  if (any_record) {
    if (auto parent = wildcard_parent(c.cfg.brokers.advertised_host))
      c.report.dns_notes.push_back("or, instead of one record per broker: *." + *parent +
                                   ". 300 IN " + type + " " + target);
    if (target.front() == '<')
      c.report.dns_notes.push_back(
          "(pass --through ENDPOINT_IP to fill in the address and test the path)");
  }
  c.report.sections.push_back(std::move(s));
}

}  // namespace kpp::app
