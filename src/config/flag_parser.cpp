#include "kpp/config/flag_parser.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "kpp/config/sasl_flags.h"
#include "kpp/config/tls_flags.h"
#include "kpp/config/validate.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::config {
namespace {

// grepplabs flags we cannot honour yet. Accepting them silently would, for example, send
// plaintext to a broker the user configured TLS for: refuse with exit code 2 instead.
constexpr std::string_view refused_flags[] = {
    "auth-gateway-client-command",
    "auth-gateway-client-enable",
    "auth-gateway-client-log-level",
    "auth-gateway-client-magic",
    "auth-gateway-client-method",
    "auth-gateway-client-param",
    "auth-gateway-client-timeout",
    "auth-gateway-server-command",
    "auth-gateway-server-enable",
    "auth-gateway-server-log-level",
    "auth-gateway-server-magic",
    "auth-gateway-server-method",
    "auth-gateway-server-param",
    "auth-gateway-server-timeout",
    "auth-local-command",
    "auth-local-log-level",
    "auth-local-param",
    "auth-local-timeout",
    "authz-command",
    "authz-enable",
    "authz-log-level",
    "authz-param",
    "debug-enable",
    "debug-listen-address",
    "forward-proxy",
    "gssapi-auth-type",
    "gssapi-disable-pa-fx-fast",
    "gssapi-keytab",
    "gssapi-krb5",
    "gssapi-password",
    "gssapi-realm",
    "gssapi-servicename",
    "gssapi-spn-host-mapping",
    "gssapi-username",
    "log-level-fieldname",
    "log-msg-fieldname",
    "log-time-fieldname",
    "same-client-cert-enable",
    "sasl-aws-profile",
    "sasl-aws-region",
    "sasl-plugin-command",
    "sasl-plugin-enable",
    "sasl-plugin-log-level",
    "sasl-plugin-mechanism",
    "sasl-plugin-param",
    "sasl-plugin-timeout",
    "tls-same-client-cert-enable",
};

// Families of grepplabs security features: a flag of theirs we did not list above (a newer
// release) is refused the same way rather than called unknown.
constexpr std::string_view refused_prefixes[] = {
    "auth-", "authz-", "gssapi-", "sasl-", "tls-", "proxy-listener-tls-", "debug-",
};

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// Everything the flags say, before it becomes a config: several flags feed one key.
struct flag_state {
  config c;
  std::vector<std::string>* notices = nullptr;
  std::string default_listener_ip = "127.0.0.1";  // grepplabs default
  std::optional<advertised_listener> advertised;
  std::optional<std::uint16_t> min_port;
  std::optional<std::uint16_t> max_ports;
  bool deterministic = false;
  std::optional<std::uint64_t> request_buffer;
  std::optional<std::uint64_t> response_buffer;
  std::map<std::string, std::string> keepalive_idle_from;  // flag -> value, for conflicts
};

using setter = std::function<std::optional<std::string>(flag_state&, const std::string& flag,
                                                        const std::string& value)>;

struct flag_spec {
  std::string_view name;
  bool takes_value;
  setter set;
};

std::string bad(const std::string& flag, const std::string& value, const std::string& expected) {
  return "--" + flag + ": \"" + value + "\" is not " + expected;
}

std::optional<std::string> parse_duration_flag(const std::string& flag, const std::string& v,
                                               millis& out) {
  auto d = parse_duration(v);
  if (!d) return bad(flag, v, "a duration; expected e.g. 30s, 1m0s or 500ms");
  out = *d;
  return std::nullopt;
}

template <class T>
std::optional<std::string> parse_int_flag(const std::string& flag, const std::string& v, T& out,
                                          std::int64_t min, std::int64_t max) {
  auto n = to_int(v);
  if (!n || *n < min || *n > max)
    return bad(flag, v, "an integer " + std::to_string(min) + ".." + std::to_string(max));
  out = static_cast<T>(*n);
  return std::nullopt;
}

std::optional<std::string> parse_mapping(const std::string& flag, const std::string& v,
                                         std::size_t min_parts, std::size_t max_parts,
                                         std::vector<host_port>& out) {
  const auto parts = split(v, ',');
  const auto expected = min_parts == max_parts
                            ? "a mapping \"upstream:port,address:port\""
                            : "a mapping \"upstream:port,listen:port[,advertised:port]\"";
  if (parts.size() < min_parts || parts.size() > max_parts) return bad(flag, v, expected);
  for (const auto& p : parts) {
    auto hp = routing::parse_host_port(p);
    if (!hp) return bad(flag, v, std::string(expected) + " (\"" + p + "\" is not host:port)");
    out.push_back(*hp);
  }
  return std::nullopt;
}

std::optional<std::string> set_keepalive_idle(flag_state& s, const std::string& flag,
                                              const std::string& v) {
  millis d{};
  if (auto e = parse_duration_flag(flag, v, d)) return e;
  for (const auto& [other, value] : s.keepalive_idle_from)
    if (other != flag && parse_duration(value) != d)
      return "--" + flag + " " + v + " and --" + other + " " + value +
             " disagree; expected one keepalive period for client and broker sockets";
  s.keepalive_idle_from[flag] = v;
  if (d == millis{0}) {
    s.c.keepalive.enabled = false;  // grepplabs: zero disables keep-alives
  } else {
    s.c.keepalive.enabled = true;
    s.c.keepalive.idle = d;
  }
  return std::nullopt;
}

std::optional<std::string> accepted_without_effect(flag_state& s, const std::string& flag,
                                                   const std::string& v, const char* why) {
  if (s.notices) s.notices->push_back("--" + flag + " " + v + " accepted without effect: " + why);
  return std::nullopt;
}

// grepplabs' socket buffer sizes: validated, then accepted without effect (the kernel's
// autotuning sizes them better than a fixed number).
std::optional<std::string> accept_socket_buffer_size(flag_state& s, const std::string& flag,
                                                     const std::string& v) {
  int n = 0;
  if (auto e = parse_int_flag(flag, v, n, 0, std::numeric_limits<std::int32_t>::max())) return e;
  return accepted_without_effect(s, flag, v, "the kernel sizes socket buffers");
}

const std::vector<flag_spec>& flag_table() {
  static const std::vector<flag_spec> table =
      {
          // --- grepplabs: listeners and mappings
          {"bootstrap-server-mapping", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::vector<host_port> p;
             if (auto e = parse_mapping(f, v, 2, 3, p)) return e;
             s.c.brokers.mappings.push_back({p[0], p[1], p.size() == 3 ? p[2] : p[1]});
             return std::nullopt;
           }},
          {"external-server-mapping", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::vector<host_port> p;
             if (auto e = parse_mapping(f, v, 2, 2, p)) return e;
             s.c.brokers.external.push_back({p[0], p[1]});
             return std::nullopt;
           }},
          {"dial-address-mapping", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::vector<host_port> p;
             if (auto e = parse_mapping(f, v, 2, 2, p)) return e;
             s.c.brokers.dial.push_back({p[0], p[1]});
             return std::nullopt;
           }},
          {"dynamic-listeners-disable", false,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.brokers.dynamic_listeners = v != "true";
             return std::nullopt;
           }},
          {"dynamic-sequential-min-port", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::uint16_t port = 0;
             if (auto e = parse_int_flag(f, v, port, 0, 65535)) return e;
             s.min_port = port;
             return std::nullopt;
           }},
          {"dynamic-sequential-max-ports", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::uint16_t n = 0;
             if (auto e = parse_int_flag(f, v, n, 0, 65535)) return e;
             if (n != 0) s.max_ports = n;  // grepplabs: 0 means "up to 65535"
             return std::nullopt;
           }},
          {"deterministic-listeners", false,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.deterministic = v == "true";
             return std::nullopt;
           }},
          {"dynamic-advertised-listener", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             auto a = parse_advertised_listener(v);
             if (!a) return "--" + f + ": " + a.error().message;
             s.advertised = *a;
             return std::nullopt;
           }},
          {"default-listener-ip", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.default_listener_ip = v;
             return std::nullopt;
           }},
          // --- grepplabs: buffers, limits, timeouts
          {"proxy-request-buffer-size", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::uint64_t n = 0;
             if (auto e = parse_int_flag(f, v, n, 1, std::numeric_limits<std::int32_t>::max()))
               return e;
             s.request_buffer = n;
             return std::nullopt;
           }},
          {"proxy-response-buffer-size", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             std::uint64_t n = 0;
             if (auto e = parse_int_flag(f, v, n, 1, std::numeric_limits<std::int32_t>::max()))
               return e;
             s.response_buffer = n;
             return std::nullopt;
           }},
          {"kafka-max-open-requests", true,
           [](flag_state& s, const std::string& f, const std::string& v) {
             return parse_int_flag(f, v, s.c.limits.max_in_flight, 1, 65536);
           }},
          {"kafka-client-id", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.discovery.client_id = v;
             return std::nullopt;
           }},
          {"kafka-dial-timeout", true,
           [](flag_state& s, const std::string& f, const std::string& v) {
             return parse_duration_flag(f, v, s.c.timeouts.dial);
           }},
          {"kafka-read-timeout", true,
           [](flag_state& s, const std::string& f, const std::string& v) {
             millis d{};
             auto e = parse_duration_flag(f, v, d);
             if (!e) s.c.timeouts.read = d;
             return e;
           }},
          {"kafka-write-timeout", true,
           [](flag_state& s, const std::string& f, const std::string& v) {
             millis d{};
             auto e = parse_duration_flag(f, v, d);
             if (!e) s.c.timeouts.write = d;
             return e;
           }},
          {"kafka-keep-alive", true, set_keepalive_idle},
          {"proxy-listener-keep-alive", true, set_keepalive_idle},
          {"kafka-connection-read-buffer-size", true, accept_socket_buffer_size},
          {"kafka-connection-write-buffer-size", true, accept_socket_buffer_size},
          {"proxy-listener-read-buffer-size", true, accept_socket_buffer_size},
          {"proxy-listener-write-buffer-size", true, accept_socket_buffer_size},
          {"producer-acks-0-disabled", false,
           [](flag_state& s, const std::string& f, const std::string& v) {
             return accepted_without_effect(s, f, v,
                                            "acks=0 produce requests are always handled correctly");
           }},
          {"forbidden-api-keys", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             // grepplabs IntSlice: comma-separated, and repeated flags append.
             for (const auto& item : split(v, ',')) {
               std::int16_t key = 0;
               if (parse_int_flag(f, item, key, 0, 32767))
                 return bad(f, v, "a list of Kafka API keys; expected e.g. 20 or 20,21");
               s.c.forbidden_api_keys.push_back(key);
             }
             return std::nullopt;
           }},
          // --- grepplabs: HTTP and logging
          {"http-disable", false,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.admin.enabled = v != "true";
             return std::nullopt;
           }},
          {"http-listen-address", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             auto hp = routing::parse_host_port(v);
             if (!hp) return bad(f, v, "host:port; expected e.g. 0.0.0.0:9080");
             s.c.admin.address = *hp;
             return std::nullopt;
           }},
          {"http-health-path", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.admin.health_path = v;
             return std::nullopt;
           }},
          {"http-metrics-path", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.admin.metrics_path = v;
             return std::nullopt;
           }},
          {"log-format", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             auto fmt = parse_log_format(v);
             if (!fmt) return bad(f, v, "a log format; expected text or json");
             s.c.log.format = *fmt;
             return std::nullopt;
           }},
          {"log-level", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             // logrus names first, then ours.
             static const std::map<std::string, log_level, std::less<>> logrus = {
                 {"warning", log_level::warn},
                 {"fatal", log_level::critical},
                 {"panic", log_level::critical}};
             if (auto it = logrus.find(v); it != logrus.end()) {
               s.c.log.level = it->second;
               return std::nullopt;
             }
             auto level = parse_log_level(v);
             if (!level)
               return bad(f, v,
                          "a log level; expected trace, debug, info, warning, error or fatal");
             s.c.log.level = *level;
             return std::nullopt;
           }},
          // --- ours
          {"http-ready-path", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.admin.ready_path = v;
             return std::nullopt;
           }},
          {"keepalive-idle", true, set_keepalive_idle},
          {"keepalive-interval", true,
           [](flag_state& s, const std::string& f, const std::string& v) {
             return parse_duration_flag(f, v, s.c.keepalive.interval);
           }},
          {"keepalive-count", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) { return parse_int_flag(f, v, s.c.keepalive.count, 1, 127); }},
          {"keepalive-disable", false,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             if (v == "true") s.c.keepalive.enabled = false;
             return std::nullopt;
           }},
          {"idle-timeout", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) { return parse_duration_flag(f, v, s.c.timeouts.idle); }},
          {"drain-timeout", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) { return parse_duration_flag(f, v, s.c.timeouts.drain); }},
          {"proxy-protocol", false,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.proxy_protocol.enabled = v == "true";
             return std::nullopt;
           }},
          {"proxy-protocol-allowed-sources", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             for (const auto& item : split(v, ',')) {
               auto block = parse_cidr(item);
               if (!block)
                 return bad(f, item, "a CIDR block; expected e.g. 10.0.0.0/8 or fd00::/8");
               s.c.proxy_protocol.allowed_sources.push_back(*block);
             }
             return std::nullopt;
           }},
          {"state-file", true,
           [](flag_state& s, const std::string&,
              const std::string& v) -> std::optional<std::string> {
             s.c.brokers.state_file = v;
             return std::nullopt;
           }},
          {"metadata-refresh", true,
           [](flag_state& s, const std::string& f,
              const std::string&
                  v) { return parse_duration_flag(f, v, s.c.discovery.metadata_refresh); }},
          {"max-connections", true,
           [](flag_state& s, const std::string& f,
              const std::string&
                  v) { return parse_int_flag(f, v, s.c.limits.max_connections, 1, 10'000'000); }},
          {"max-frame-size", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) -> std::optional<std::string> {
             auto n = parse_size(v);
             if (!n) return bad(f, v, "a size; expected e.g. 100MiB");
             s.c.limits.max_frame_size = *n;
             return std::nullopt;
           }},
          {"threads", true,
           [](flag_state& s, const std::string& f,
              const std::string& v) { return parse_int_flag(f, v, s.c.threads, 0, 1024); }},
      };
  return table;
}

bool is_refused(std::string_view name) {
  if (std::find(std::begin(refused_flags), std::end(refused_flags), name) !=
      std::end(refused_flags))
    return true;
  return std::any_of(std::begin(refused_prefixes), std::end(refused_prefixes),
                     [&](std::string_view p) { return name.substr(0, p.size()) == p; });
}

// The flags' meaning, as grepplabs gives it, on top of our defaults.
std::optional<std::string> assemble(flag_state& s) {
  auto& b = s.c.brokers;
  b.listen_host = s.default_listener_ip;
  s.c.bootstrap.listeners.clear();  // each mapping's listener is a bootstrap port
  if (b.mappings.empty())
    return "--bootstrap-server-mapping is missing; expected at least one, e.g. "
           "--bootstrap-server-mapping \"10.0.0.1:9092,0.0.0.0:9092\"";
  if (s.deterministic) {
    if (!s.min_port || *s.min_port == 0)
      return "--deterministic-listeners needs --dynamic-sequential-min-port; expected e.g. "
             "--dynamic-sequential-min-port 32400 (broker N listens on 32400 + N)";
    b.policy = port_policy::node_id;
    b.node_id_offset = 0;
  } else {
    b.policy = port_policy::sequential;
    if (b.dynamic_listeners && s.notices)
      s.notices->push_back(
          "ports follow first-seen order (sequential policy): run a single instance; "
          "--deterministic-listeners gives every replica the same ports");
  }
  if (s.max_ports && (!s.min_port || *s.min_port == 0))
    return "--dynamic-sequential-max-ports needs --dynamic-sequential-min-port; expected e.g. "
           "--dynamic-sequential-min-port 32400 --dynamic-sequential-max-ports 100";
  b.base_port = s.min_port.value_or(0);
  if (s.max_ports) b.port_range = *s.max_ports;
  if (s.advertised) {
    b.advertised_host = s.advertised->host_template;
    b.advertised_port = s.advertised->port;
  } else {
    b.advertised_host = s.default_listener_ip;  // grepplabs falls back to the listener IP
  }
  if (s.request_buffer || s.response_buffer)  // one buffer size serves both directions
    s.c.limits.buffer_size = std::max(s.request_buffer.value_or(0), s.response_buffer.value_or(0));
  return std::nullopt;
}

}  // namespace

result<advertised_listener> parse_advertised_listener(std::string_view text) {
  const std::string expected =
      "expected a host name, optionally with {{.brokerId}} and :port, e.g. "
      "b{{.brokerId}}.example.com or b{{.brokerId}}.example.com:9092";
  std::string host;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 2) == "{{") {
      auto close = text.find("}}", i);
      if (close == std::string_view::npos)
        return error{"\"" + std::string(text) + "\" has an unclosed {{; " + expected};
      auto inner = text.substr(i + 2, close - i - 2);
      while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
      while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
      if (inner != ".brokerId" && inner != ".brokerID")
        return error{"\"" + std::string(text) + "\" uses the template {{" + std::string(inner) +
                     "}}; " + expected};
      host += "{node_id}";
      i = close + 2;
      continue;
    }
    host += text[i++];
  }
  advertised_listener out;
  // An optional :port; an IPv6 literal needs brackets to carry one.
  std::string_view h = host;
  std::optional<std::uint16_t> port;
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    if (close == std::string_view::npos)
      return error{"\"" + std::string(text) + "\" has an unclosed [; " + expected};
    if (close + 1 < h.size()) {
      if (h[close + 1] != ':') return error{"\"" + std::string(text) + "\": " + expected};
      auto n = to_int(h.substr(close + 2));
      if (!n || *n < 1 || *n > 65535)
        return error{"\"" + std::string(text) + "\" has an invalid port; " + expected};
      port = static_cast<std::uint16_t>(*n);
    }
    h = h.substr(1, close - 1);
  } else if (auto colon = h.rfind(':'); colon != std::string_view::npos && h.find(':') == colon) {
    auto n = to_int(h.substr(colon + 1));
    if (!n || *n < 1 || *n > 65535)
      return error{"\"" + std::string(text) + "\" has an invalid port; " + expected};
    port = static_cast<std::uint16_t>(*n);
    h = h.substr(0, colon);
  }
  if (h.empty()) return error{"\"" + std::string(text) + "\" has no host; " + expected};
  out.host_template = std::string(h);
  out.port = port;
  return out;
}

result<config> parse_server_flags(std::span<const std::string> args,
                                  std::vector<std::string>* notices) {
  flag_state s;
  s.notices = notices;
  tls_flag_state tls_flags;
  sasl_flag_state sasl_flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return error{"unexpected argument \"" + arg +
                   "\"; expected --flag value or --flag=value "
                   "(see kafka-psc-proxy server --help)"};
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::optional<std::string> inline_value;
    if (eq != std::string::npos) inline_value = arg.substr(eq + 1);

    // The flag's value: a bool flag takes no separate argument (as in pflag), others take
    // --flag=value or --flag value.
    std::string value;
    const auto take_value = [&](bool takes_value) -> std::optional<std::string> {
      if (!takes_value) {
        value = inline_value.value_or("true");
        if (value != "true" && value != "false")
          return "--" + name + ": \"" + value + "\" is not a boolean; expected true or false";
      } else if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return "--" + name + " needs a value";
      }
      return std::nullopt;
    };
    if (bool takes_value = false; is_tls_flag(name, takes_value)) {
      if (auto e = take_value(takes_value)) return error{*e};
      if (auto e = apply_tls_flag(s.c, tls_flags, name, value, notices)) return error{*e};
      continue;
    }
    if (bool takes_value = false; is_sasl_flag(name, takes_value)) {
      if (auto e = take_value(takes_value)) return error{*e};
      if (auto e = apply_sasl_flag(sasl_flags, name, value)) return error{*e};
      continue;
    }
    const auto& table = flag_table();
    auto spec = std::find_if(table.begin(), table.end(),
                             [&](const flag_spec& f) { return f.name == name; });
    if (spec == table.end()) {
      if (auto why = sasl_refusal(name)) return error{*why};
      if (is_refused(name)) return error{"not supported yet: --" + name};
      return error{"unknown flag: --" + name + " (see kafka-psc-proxy server --help)"};
    }
    if (auto e = take_value(spec->takes_value)) return error{*e};
    if (auto e = spec->set(s, name, value)) return error{*e};
  }
  if (auto e = assemble(s)) return error{*e};
  finish_tls_flags(s.c, tls_flags);
  if (auto e = finish_sasl_flags(s.c, sasl_flags, notices)) return error{*e};
  auto problems = complete_and_check(s.c);
  if (problems.empty()) return std::move(s.c);
  std::string text;
  for (const auto& p : problems)
    text += (text.empty() ? "" : "\n") + p.message +
            " (set by command-line flags; see "
            "config/flags.md)";
  return error{text};
}

std::string usage_text() {
  return "Usage:\n"
         "  kafka-psc-proxy --config FILE.yaml        run with a YAML configuration\n"
         "  kafka-psc-proxy run --config FILE.yaml    the same\n"
         "  kafka-psc-proxy server FLAGS...           run with grepplabs/kafka-proxy flags\n"
         "  kafka-psc-proxy check-config FILE.yaml    validate and print the effective config\n"
         "  kafka-psc-proxy check [--through IP] [--json] (--config FILE.yaml | server FLAGS...)\n"
         "                                            diagnose a deployment from where it runs\n"
         "  kafka-psc-proxy demo [--messages N]       run against a built-in mock cluster\n"
         "  kafka-psc-proxy users add NAME [--file F] [--iterations N]\n"
         "                                            add or replace a client login "
         "(listeners.sasl;\n"
         "                                            password from stdin or a prompt)\n"
         "  kafka-psc-proxy --version | --help\n"
         "\n"
         "An invalid configuration or command line exits with status 2; check exits 1 on a\n"
         "finding.\n";
}

std::string server_usage_text() {
  return "Usage:\n"
         "  kafka-psc-proxy server [flags]   (grepplabs/kafka-proxy 0.3.x/0.4.x compatible)\n"
         "\n"
         "Mapped flags (see config/flags.md for the YAML key of each):\n"
         "  --bootstrap-server-mapping upstream:port,listen:port[,advertised:port]  (repeatable)\n"
         "  --external-server-mapping upstream:port,advertised:port                 (repeatable)\n"
         "  --dial-address-mapping upstream:port,dial:port                          (repeatable)\n"
         "  --dynamic-listeners-disable  --dynamic-sequential-min-port N\n"
         "  --dynamic-sequential-max-ports N  --deterministic-listeners\n"
         "  --dynamic-advertised-listener host[:port] (host may contain {{.brokerId}})\n"
         "  --default-listener-ip IP (default 127.0.0.1)  --forbidden-api-keys K[,K...]\n"
         "  --http-listen-address --http-health-path --http-metrics-path --http-disable\n"
         "  --log-format text|json  --log-level LEVEL\n"
         "  --kafka-dial-timeout --kafka-read-timeout --kafka-write-timeout --kafka-keep-alive\n"
         "  --proxy-listener-keep-alive --proxy-request-buffer-size --proxy-response-buffer-size\n"
         "  --kafka-max-open-requests --kafka-client-id\n"
         "Accepted without effect: --kafka-connection-{read,write}-buffer-size,\n"
         "  --proxy-listener-{read,write}-buffer-size, --producer-acks-0-disabled\n"
         "Our own: --keepalive-idle --keepalive-interval --keepalive-count --keepalive-disable\n"
         "  --idle-timeout --drain-timeout --proxy-protocol --proxy-protocol-allowed-sources\n"
         "  --state-file --metadata-refresh --max-connections --max-frame-size --threads\n"
         "  --http-ready-path\n"
         "Listener TLS: --proxy-listener-tls-enable --proxy-listener-cert-file\n"
         "  --proxy-listener-key-file --proxy-listener-key-password (visible in ps; prefer a\n"
         "  YAML key_password_file) --proxy-listener-ca-chain-cert-file\n"
         "  --proxy-listener-crl-file --proxy-listener-cipher-suites (Go or OpenSSL names)\n"
         "  --proxy-listener-curve-preferences --proxy-listener-tls-refresh\n"
         "  --proxy-listener-tls-client-cert-validate-subject\n"
         "  --proxy-listener-tls-required-client-subject-*\n"
         "Upstream TLS: --tls-enable --tls-ca-chain-cert-file --tls-system-cert-pool\n"
         "  --tls-client-cert-file --tls-client-key-file --tls-client-key-password (visible in\n"
         "  ps) --tls-insecure-skip-verify --tls-refresh\n"
         "Upstream SASL login: --sasl-enable --sasl-method PLAIN|SCRAM-SHA-256|SCRAM-SHA-512\n"
         "  --sasl-username --sasl-password (visible in ps) --sasl-jaas-config-file\n"
         "Client logins at the proxy: --auth-local-enable --auth-local-mechanism PLAIN|SCRAM-*\n"
         "  --auth-local-users-file FILE (ours; see `kafka-psc-proxy users add`)\n"
         "Refused, naming what to use instead: --sasl-aws-*, --gssapi-*, --sasl-plugin-*,\n"
         "  --auth-local-command, --auth-gateway-*\n"
         "--tls-same-client-cert-enable, other auth, debug and forward-proxy flags are\n"
         "refused: \"not supported yet\".\n";
}

result<command_line> parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  command_line out;
  const std::string expected =
      "expected --config FILE, run --config FILE, server FLAGS, check-config FILE, check, demo, "
      "users add NAME, --version or --help";
  if (args.empty()) return error{"no command; " + expected};

  // "--config FILE" or "--config=FILE", nothing else.
  auto config_file = [&](std::size_t from) -> result<std::string> {
    std::optional<std::string> path;
    for (std::size_t i = from; i < args.size(); ++i) {
      const auto& a = args[i];
      if (a == "--config" && i + 1 < args.size() && !path) {
        path = args[++i];
      } else if (a.rfind("--config=", 0) == 0 && !path) {
        path = a.substr(9);
      } else if (a == "--config") {
        return error{"--config needs a value; expected --config FILE.yaml"};
      } else {
        return error{"unexpected argument \"" + a + "\"; expected --config FILE.yaml"};
      }
    }
    if (!path || path->empty()) return error{"--config is missing; expected --config FILE.yaml"};
    return *path;
  };

  const auto& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    out.mode = run_mode::help;
    out.help_text = usage_text();
    return out;
  }
  if (first == "--version" || first == "version") {
    out.mode = run_mode::version;
    return out;
  }
  if (first == "run" || first == "--config" || first.rfind("--config=", 0) == 0) {
    auto path = config_file(first == "run" ? 1 : 0);
    if (!path) return path.error();
    auto c = load_yaml_file(*path);
    if (!c) return c.error();
    out.mode = run_mode::run;
    out.cfg = std::move(*c);
    out.config_path = *path;
    return out;
  }
  if (first == "check-config") {
    std::string path;
    if (args.size() == 2 && args[1].rfind("--", 0) != 0) {
      path = args[1];
    } else {
      auto p = config_file(1);
      if (!p) return error{"check-config: " + p.error().message};
      path = *p;
    }
    auto c = load_yaml_file(path);
    if (!c) return c.error();
    out.mode = run_mode::check_config;
    out.cfg = std::move(*c);
    out.config_path = path;
    return out;
  }
  if (first == "users") {
    const std::string usage = "expected users add NAME [--file FILE] [--iterations N]";
    if (args.size() < 3 || args[1] != "add" || args[2].rfind("--", 0) == 0)
      return error{"users: " + usage};
    out.mode = run_mode::users_add;
    out.users.name = args[2];
    for (std::size_t i = 3; i < args.size(); ++i) {
      const auto& a = args[i];
      auto value = [&](std::string_view flag) -> std::optional<std::string> {
        const std::string f(flag);
        if (a == f && i + 1 < args.size()) return args[++i];
        if (a.rfind(f + "=", 0) == 0) return a.substr(f.size() + 1);
        return std::nullopt;
      };
      if (auto v = value("--file")) {
        out.users.file = *v;
      } else if (auto n = value("--iterations")) {
        auto it = to_int(*n);
        if (!it || *it < 4096 || *it > 1'000'000)
          return error{"users add: --iterations \"" + *n + "\" is not an integer 4096..1000000"};
        out.users.iterations = static_cast<std::uint32_t>(*it);
      } else {
        return error{"users add: unexpected argument \"" + a + "\"; " + usage};
      }
    }
    return out;
  }
  if (first == "check") {
    return parse_check_command(std::span<const std::string>(args).subspan(1));
  }
  if (first == "demo") {
    out.mode = run_mode::demo;
    for (std::size_t i = 1; i < args.size(); ++i) {
      std::string value;
      if (args[i] == "--messages" && i + 1 < args.size())
        value = args[++i];
      else if (args[i].rfind("--messages=", 0) == 0)
        value = args[i].substr(11);
      else
        return error{"demo: unexpected argument \"" + args[i] + "\"; expected --messages N"};
      auto n = to_int(value);
      if (!n || *n < 1 || *n > 100'000'000)
        return error{"demo: --messages \"" + value + "\" is not an integer 1..100000000"};
      out.demo_messages = static_cast<std::uint64_t>(*n);
    }
    return out;
  }
  if (first == "server") {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (std::find_if(rest.begin(), rest.end(), [](const std::string& a) {
          return a == "--help" || a == "-h";
        }) != rest.end()) {
      out.mode = run_mode::help;
      out.help_text = server_usage_text();
      return out;
    }
    auto c = parse_server_flags(rest, &out.notices);
    if (!c) return c.error();
    out.mode = run_mode::run;
    out.cfg = std::move(*c);
    out.from_flags = true;
    return out;
  }
  return error{"unknown command \"" + first + "\"; " + expected};
}

}  // namespace kpp::config
