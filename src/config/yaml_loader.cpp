#include "kpp/config/yaml_loader.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>

#include "kpp/config/validate.h"

namespace kpp::config {
namespace {

// Walks the document, converting scalars itself (yaml-cpp's as<T>() throws and says little)
// so that each message names the key path and the position.
class reader {
 public:
  explicit reader(std::string source) : source_(std::move(source)) {}

  [[nodiscard]] bool failed() const { return !errors_.empty(); }
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

  void fail(const YAML::Node& n, const std::string& key, const std::string& text) {
    errors_.push_back(where(n.Mark()) + (key.empty() ? "document" : key) + ": " + text);
  }

  // Location of the nearest key we saw, for problems found after loading.
  [[nodiscard]] std::string locate(std::string key) const {
    for (;;) {
      if (auto it = marks_.find(key); it != marks_.end()) return where(it->second);
      auto cut = key.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) return source_ + ": ";
      key.resize(cut);
    }
  }

  // True when `n` is a map whose keys are all in `allowed`; an unknown key is reported.
  bool map(const YAML::Node& n, const std::string& key,
           std::initializer_list<const char*> allowed) {
    if (!n.IsMap()) {
      fail(n, key, "is a " + kind(n) + "; expected a map of " + join(allowed));
      return false;
    }
    for (const auto& kv : n) {
      const auto name = kv.first.Scalar();
      bool known = false;
      for (const char* a : allowed) known = known || name == a;
      const auto path = key.empty() ? name : key + "." + name;
      if (!known) fail(kv.first, path, "unknown key; expected one of " + join(allowed));
      marks_.emplace(path, kv.first.Mark());
    }
    return true;
  }

  static bool present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& key,
                                    const std::string& expected) {
    if (!n.IsScalar()) {
      fail(n, key, "is a " + kind(n) + "; expected " + expected);
      return std::nullopt;
    }
    return n.Scalar();
  }

  void string(const YAML::Node& parent, const char* name, const std::string& key, std::string& out,
              const std::string& expected) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto s = scalar(n, key, expected)) out = *s;
  }

  template <class T>
  void integer(const YAML::Node& parent, const char* name, const std::string& key, T& out,
               long long min, long long max, const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto v = integer_value(n, key, min, max, example)) out = static_cast<T>(*v);
  }

  template <class T>
  void integer(const YAML::Node& parent, const char* name, const std::string& key,
               std::optional<T>& out, long long min, long long max, const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto v = integer_value(n, key, min, max, example)) out = static_cast<T>(*v);
  }

  std::optional<long long> integer_value(const YAML::Node& n, const std::string& key, long long min,
                                         long long max, const std::string& example) {
    const auto expected =
        "an integer " + std::to_string(min) + ".." + std::to_string(max) + ", e.g. " + example;
    auto s = scalar(n, key, expected);
    if (!s) return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc{} || end != s->data() + s->size() || v < min || v > max) {
      fail(n, key, "\"" + *s + "\" is not " + expected);
      return std::nullopt;
    }
    return v;
  }

  void boolean(const YAML::Node& parent, const char* name, const std::string& key, bool& out) {
    const auto n = parent[name];
    if (!present(n)) return;
    auto s = scalar(n, key, "true or false");
    if (!s) return;
    if (*s == "true" || *s == "yes")
      out = true;
    else if (*s == "false" || *s == "no")
      out = false;
    else
      fail(n, key, "\"" + *s + "\" is not a boolean; expected true or false");
  }

  std::optional<millis> duration_value(const YAML::Node& n, const std::string& key,
                                       const std::string& example) {
    const auto expected = "a duration such as " + example + " (units ms, s, m, h)";
    auto s = scalar(n, key, expected);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) fail(n, key, "\"" + *s + "\" is not " + expected);
    return d;
  }

  void duration(const YAML::Node& parent, const char* name, const std::string& key, millis& out,
                const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto d = duration_value(n, key, example)) out = *d;
  }

  void duration(const YAML::Node& parent, const char* name, const std::string& key,
                std::optional<millis>& out, const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto d = duration_value(n, key, example)) out = *d;
  }

  void size(const YAML::Node& parent, const char* name, const std::string& key, std::uint64_t& out,
            const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    const auto expected = "a size such as " + example + " (bytes, or KiB, MiB, GiB)";
    auto s = scalar(n, key, expected);
    if (!s) return;
    if (auto v = parse_size(*s))
      out = *v;
    else
      fail(n, key, "\"" + *s + "\" is not " + expected);
  }

  std::optional<host_port> address_value(const YAML::Node& n, const std::string& key,
                                         const std::string& example) {
    const auto expected = "host:port with a port 1..65535, e.g. " + example;
    auto s = scalar(n, key, expected);
    if (!s) return std::nullopt;
    auto hp = routing::parse_host_port(*s);
    if (!hp) fail(n, key, "\"" + *s + "\" is not " + expected);
    return hp;
  }

  void address(const YAML::Node& parent, const char* name, const std::string& key, host_port& out,
               const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto hp = address_value(n, key, example)) out = *hp;
  }

  void address(const YAML::Node& parent, const char* name, const std::string& key,
               std::optional<host_port>& out, const std::string& example) {
    const auto n = parent[name];
    if (!present(n)) return;
    if (auto hp = address_value(n, key, example)) out = *hp;
  }

  // A key that must be there (inside a list entry).
  bool require(const YAML::Node& entry, const char* name, const std::string& key,
               const std::string& example) {
    if (present(entry[name])) return true;
    fail(entry, key + "." + name, "is missing; expected e.g. " + example);
    return false;
  }

  bool sequence(const YAML::Node& n, const std::string& key, const std::string& expected) {
    if (n.IsSequence()) return true;
    fail(n, key, "is a " + kind(n) + "; expected a list of " + expected);
    return false;
  }

 private:
  [[nodiscard]] std::string where(const YAML::Mark& m) const {
    if (m.is_null()) return source_ + ": ";
    return source_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
  }

  static std::string kind(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "map";
      case YAML::NodeType::Sequence:
        return "list";
      case YAML::NodeType::Scalar:
        return "scalar \"" + n.Scalar() + "\"";
      default:
        return "null";
    }
  }

  static std::string join(std::initializer_list<const char*> names) {
    std::string out;
    for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }

  std::string source_;
  std::vector<std::string> errors_;
  std::map<std::string, YAML::Mark> marks_;
};

// A list of names: a YAML list, or one comma-separated string (as the grepplabs flags take).
void read_names(reader& r, const YAML::Node& parent, const char* name, const std::string& key,
                std::vector<std::string>& out, const std::string& example) {
  const auto n = parent[name];
  if (!reader::present(n)) return;
  out.clear();
  if (n.IsScalar()) {
    std::stringstream in(n.Scalar());
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) out.push_back(item);
    return;
  }
  if (!r.sequence(n, key, example)) return;
  for (std::size_t i = 0; i < n.size(); ++i)
    if (auto v = r.scalar(n[i], key + "[" + std::to_string(i) + "]", example)) out.push_back(*v);
}

void read_password(reader& r, const YAML::Node& n, const std::string& key,
                   key_password_source& out) {
  r.string(n, "key_password_file", key + ".key_password_file", out.file,
           "a file holding the key's password");
  r.string(n, "key_password_env", key + ".key_password_env", out.env,
           "an environment variable name, e.g. KPP_TLS_KEY_PASSWORD");
}

void read_min_version(reader& r, const YAML::Node& n, const std::string& key,
                      tls_min_version& out) {
  const auto v = n["min_version"];
  if (!reader::present(v)) return;
  if (auto s = r.scalar(v, key + ".min_version", "\"1.2\" or \"1.3\"")) {
    if (auto m = parse_tls_min_version(*s))
      out = *m;
    else
      r.fail(v, key + ".min_version",
             "\"" + *s + "\" is not a TLS version; expected \"1.2\" or \"1.3\"");
  }
}

void read_listener_tls(reader& r, const YAML::Node& n, const std::string& key,
                       listener_tls_config& t) {
  if (!r.map(n, key,
             {"enabled", "cert_file", "key_file", "key_password_file", "key_password_env",
              "min_version", "cipher_suites", "curves", "client_ca_file", "client_auth",
              "allowed_client_subjects", "crl_file", "refresh"}))
    return;
  t.enabled = true;  // a tls block turns TLS on unless it says enabled: false
  r.boolean(n, "enabled", key + ".enabled", t.enabled);
  r.string(n, "cert_file", key + ".cert_file", t.cert_file, "a PEM certificate chain file");
  r.string(n, "key_file", key + ".key_file", t.key_file, "a PEM private key file");
  read_password(r, n, key, t.key_password);
  read_min_version(r, n, key, t.min_version);
  read_names(r, n, "cipher_suites", key + ".cipher_suites", t.cipher_suites,
             "cipher suite names, e.g. [ECDHE-RSA-AES128-GCM-SHA256]");
  read_names(r, n, "curves", key + ".curves", t.curves, "curve names, e.g. [X25519, P-256]");
  r.string(n, "client_ca_file", key + ".client_ca_file", t.client_ca_file, "a PEM CA bundle");
  if (const auto a = n["client_auth"]; reader::present(a)) {
    if (auto s = r.scalar(a, key + ".client_auth", "none, request or require")) {
      if (auto v = parse_tls_client_auth(*s))
        t.client_auth = *v;
      else
        r.fail(a, key + ".client_auth",
               "\"" + *s + "\" is not valid; expected none, request or require");
    }
  }
  if (const auto subs = n["allowed_client_subjects"];
      reader::present(subs) &&
      r.sequence(subs, key + ".allowed_client_subjects", "{common_name, organization, ...}")) {
    for (std::size_t i = 0; i < subs.size(); ++i) {
      const auto sk = key + ".allowed_client_subjects[" + std::to_string(i) + "]";
      const auto e = subs[i];
      if (!r.map(e, sk,
                 {"common_name", "country", "province", "locality", "organization",
                  "organizational_unit"}))
        continue;
      client_subject cs;
      r.string(e, "common_name", sk + ".common_name", cs.common_name, "a common name");
      read_names(r, e, "country", sk + ".country", cs.country, "values, e.g. [US]");
      read_names(r, e, "province", sk + ".province", cs.province, "values");
      read_names(r, e, "locality", sk + ".locality", cs.locality, "values");
      read_names(r, e, "organization", sk + ".organization", cs.organization, "values");
      read_names(r, e, "organizational_unit", sk + ".organizational_unit", cs.organizational_unit,
                 "values");
      t.allowed_client_subjects.push_back(std::move(cs));
    }
  }
  r.string(n, "crl_file", key + ".crl_file", t.crl_file, "a PEM CRL file");
  r.duration(n, "refresh", key + ".refresh", t.refresh, "1m");
}

// upstream.sasl and discovery.sasl share one shape; `key` names the one being read.
void read_upstream_sasl(reader& r, const YAML::Node& n, upstream_sasl_config& s,
                        const std::string& key) {
  if (n.IsMap() && reader::present(n["password"])) {
    r.fail(n["password"], key + ".password",
           "is not read from the YAML (the config file is world-readable); put the password in "
           "a file readable only by the proxy (password_file) or an environment variable "
           "(password_env)");
    return;
  }
  if (!r.map(n, key, {"enabled", "mechanism", "username", "password_file", "password_env"})) return;
  s.enabled = true;
  r.boolean(n, "enabled", key + ".enabled", s.enabled);
  r.string(n, "mechanism", key + ".mechanism", s.mechanism,
           "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  r.string(n, "username", key + ".username", s.username, "a user name");
  r.string(n, "password_file", key + ".password_file", s.password_file, "a file path");
  r.string(n, "password_env", key + ".password_env", s.password_env,
           "an environment variable name");
}

void read_listeners(reader& r, const YAML::Node& n, config& c) {
  if (!r.map(n, "listeners", {"sasl"})) return;
  const auto sn = n["sasl"];
  if (!reader::present(sn)) return;
  const std::string key = "listeners.sasl";
  if (!r.map(sn, key, {"enabled", "mechanisms", "users_file"})) return;
  auto& s = c.listeners.sasl;
  s.enabled = true;
  r.boolean(sn, "enabled", key + ".enabled", s.enabled);
  if (reader::present(sn["mechanisms"])) {
    s.mechanisms.clear();
    read_names(r, sn, "mechanisms", key + ".mechanisms", s.mechanisms,
               "[SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]");
  }
  r.string(sn, "users_file", key + ".users_file", s.users_file, "a users file path");
}

void read_upstream(reader& r, const YAML::Node& n, config& c) {
  if (!r.map(n, "upstream", {"tls", "sasl"})) return;
  if (const auto sn = n["sasl"]; reader::present(sn))
    read_upstream_sasl(r, sn, c.upstream.sasl, "upstream.sasl");
  const auto tn = n["tls"];
  if (!reader::present(tn)) return;
  const std::string key = "upstream.tls";
  auto& t = c.upstream.tls;
  if (!r.map(tn, key,
             {"enabled", "ca_file", "system_pool", "cert_file", "key_file", "key_password_file",
              "key_password_env", "min_version", "insecure_skip_verify", "server_name", "refresh"}))
    return;
  t.enabled = true;
  r.boolean(tn, "enabled", key + ".enabled", t.enabled);
  r.string(tn, "ca_file", key + ".ca_file", t.ca_file, "a PEM CA bundle");
  r.boolean(tn, "system_pool", key + ".system_pool", t.system_pool);
  r.string(tn, "cert_file", key + ".cert_file", t.cert_file, "a PEM certificate file");
  r.string(tn, "key_file", key + ".key_file", t.key_file, "a PEM private key file");
  read_password(r, tn, key, t.key_password);
  read_min_version(r, tn, key, t.min_version);
  r.boolean(tn, "insecure_skip_verify", key + ".insecure_skip_verify", t.insecure_skip_verify);
  r.string(tn, "server_name", key + ".server_name", t.server_name, "a host name");
  r.duration(tn, "refresh", key + ".refresh", t.refresh, "1m");
}

void read_bootstrap(reader& r, const YAML::Node& n, config& c, bool& listeners_given) {
  if (!r.map(n, "bootstrap", {"servers", "listeners"})) return;
  if (const auto s = n["servers"]; reader::present(s)) {
    if (s.IsScalar()) {  // "a:9092,b:9092", as Kafka clients spell bootstrap.servers
      std::stringstream in(s.Scalar());
      std::string item;
      while (std::getline(in, item, ',')) {
        auto hp = routing::parse_host_port(item);
        if (hp)
          c.bootstrap.servers.push_back(*hp);
        else
          r.fail(s, "bootstrap.servers",
                 "\"" + item +
                     "\" is not host:port; expected e.g. "
                     "kafka-0.internal:9092");
      }
    } else if (r.sequence(s, "bootstrap.servers", "host:port")) {
      for (std::size_t i = 0; i < s.size(); ++i)
        if (auto hp = r.address_value(s[i], "bootstrap.servers[" + std::to_string(i) + "]",
                                      "kafka-0.internal:9092"))
          c.bootstrap.servers.push_back(*hp);
    }
  }
  const auto ls = n["listeners"];
  if (!ls.IsDefined() || ls.IsNull()) return;
  listeners_given = true;
  if (!r.sequence(ls, "bootstrap.listeners", "{listen, upstream, advertised}")) return;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto key = "bootstrap.listeners[" + std::to_string(i) + "]";
    const auto e = ls[i];
    if (!r.map(e, key, {"listen", "upstream", "advertised", "tls"})) continue;
    bootstrap_listener l;
    if (r.require(e, "listen", key, "0.0.0.0:9092")) {
      // A bare port binds the top-level `listen` address.
      if (e["listen"].IsScalar() && e["listen"].Scalar().find(':') == std::string::npos) {
        std::uint16_t port = 0;
        r.integer(e, "listen", key + ".listen", port, 1, 65535, "9092");
        l.listen = host_port{c.listen, port};
      } else {
        r.address(e, "listen", key + ".listen", l.listen, "0.0.0.0:9092");
      }
    }
    r.address(e, "upstream", key + ".upstream", l.upstream, "10.0.0.1:9092");
    r.address(e, "advertised", key + ".advertised", l.advertised, "bootstrap.example.com:9092");
    if (const auto t = e["tls"]; reader::present(t)) {
      l.tls.emplace();
      read_listener_tls(r, t, key + ".tls", *l.tls);
    }
    c.bootstrap.listeners.push_back(l);
  }
}

void read_brokers(reader& r, const YAML::Node& n, config& c) {
  auto& b = c.brokers;
  if (!r.map(n, "brokers",
             {"port_policy", "base_port", "node_id_offset", "port_range", "listen_host",
              "advertised_host", "advertised_port", "dynamic_listeners", "state_file",
              "removal_grace", "max_brokers", "static", "mappings", "external", "dial"}))
    return;
  if (const auto p = n["port_policy"]; reader::present(p)) {
    if (auto s = r.scalar(p, "brokers.port_policy", "node-id, sequential or static")) {
      if (auto policy = parse_port_policy(*s))
        b.policy = *policy;
      else
        r.fail(p, "brokers.port_policy",
               "\"" + *s +
                   "\" is not a policy; expected node-id, "
                   "sequential or static");
    }
  }
  r.integer(n, "base_port", "brokers.base_port", b.base_port, 0, 65535, "9100");
  r.integer(n, "node_id_offset", "brokers.node_id_offset", b.node_id_offset,
            std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(),
            "0");
  r.integer(n, "port_range", "brokers.port_range", b.port_range, 0, 65535, "100");
  r.string(n, "listen_host", "brokers.listen_host", b.listen_host, "an IP address, e.g. 0.0.0.0");
  r.string(n, "advertised_host", "brokers.advertised_host", b.advertised_host,
           "a host name template, e.g. b{node_id}.example.com");
  r.integer(n, "advertised_port", "brokers.advertised_port", b.advertised_port, 0, 65535, "9092");
  r.boolean(n, "dynamic_listeners", "brokers.dynamic_listeners", b.dynamic_listeners);
  r.string(n, "state_file", "brokers.state_file", b.state_file, "a file path");
  r.duration(n, "removal_grace", "brokers.removal_grace", b.removal_grace, "5m");
  r.integer(n, "max_brokers", "brokers.max_brokers", b.max_brokers, 1, 65535, "1024");

  if (const auto s = n["static"];
      reader::present(s) && r.sequence(s, "brokers.static", "entries")) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto key = "brokers.static[" + std::to_string(i) + "]";
      const auto e = s[i];
      if (!r.map(e, key, {"node_id", "listen_port", "advertised"})) continue;
      static_broker sb;
      if (r.require(e, "node_id", key, "node_id: 1"))
        r.integer(e, "node_id", key + ".node_id", sb.node_id, 0,
                  std::numeric_limits<std::int32_t>::max(), "1");
      if (r.require(e, "listen_port", key, "listen_port: 9101"))
        r.integer(e, "listen_port", key + ".listen_port", sb.listen_port, 1, 65535, "9101");
      r.address(e, "advertised", key + ".advertised", sb.advertised, "b1.example.com:9101");
      b.static_brokers.push_back(sb);
    }
  }
  if (const auto s = n["mappings"];
      reader::present(s) && r.sequence(s, "brokers.mappings", "{upstream, listen, advertised}")) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto key = "brokers.mappings[" + std::to_string(i) + "]";
      const auto e = s[i];
      if (!r.map(e, key, {"upstream", "listen", "advertised"})) continue;
      address_mapping m;
      if (r.require(e, "upstream", key, "upstream: 10.0.0.1:9092"))
        r.address(e, "upstream", key + ".upstream", m.upstream, "10.0.0.1:9092");
      if (r.require(e, "listen", key, "listen: 0.0.0.0:9092"))
        r.address(e, "listen", key + ".listen", m.listen, "0.0.0.0:9092");
      m.advertised = m.listen;  // as grepplabs: advertised defaults to the listen address
      r.address(e, "advertised", key + ".advertised", m.advertised, "b1.example.com:9092");
      b.mappings.push_back(m);
    }
  }
  if (const auto s = n["external"];
      reader::present(s) && r.sequence(s, "brokers.external", "{upstream, advertised}")) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto key = "brokers.external[" + std::to_string(i) + "]";
      const auto e = s[i];
      if (!r.map(e, key, {"upstream", "advertised"})) continue;
      external_mapping m;
      if (r.require(e, "upstream", key, "upstream: 10.0.0.4:9092"))
        r.address(e, "upstream", key + ".upstream", m.upstream, "10.0.0.4:9092");
      if (r.require(e, "advertised", key, "advertised: b4.example.com:9092"))
        r.address(e, "advertised", key + ".advertised", m.advertised, "b4.example.com:9092");
      b.external.push_back(m);
    }
  }
  if (const auto s = n["dial"];
      reader::present(s) && r.sequence(s, "brokers.dial", "{upstream, dial}")) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto key = "brokers.dial[" + std::to_string(i) + "]";
      const auto e = s[i];
      if (!r.map(e, key, {"upstream", "dial"})) continue;
      dial_mapping m;
      if (r.require(e, "upstream", key, "upstream: kafka-0.internal:9092"))
        r.address(e, "upstream", key + ".upstream", m.upstream, "kafka-0.internal:9092");
      if (r.require(e, "dial", key, "dial: 10.0.0.1:9092"))
        r.address(e, "dial", key + ".dial", m.dial, "10.0.0.1:9092");
      b.dial.push_back(m);
    }
  }
}

// routing: ports|sni, and the sni block (sni_config.h).
void read_sni(reader& r, const YAML::Node& root, config& c) {
  if (const auto m = root["routing"]; reader::present(m)) {
    if (auto s = r.scalar(m, "routing", "ports or sni")) {
      if (auto v = parse_routing_mode(*s))
        c.routing = *v;
      else
        r.fail(m, "routing", "\"" + *s + "\" is not a routing mode; expected ports or sni");
    }
  }
  const auto n = root["sni"];
  if (!reader::present(n) || !r.map(n, "sni", {"listen", "bootstrap_host", "certificates"})) return;
  if (const auto l = n["listen"]; reader::present(l)) {
    // A bare port binds the top-level `listen` address, as for bootstrap listeners.
    if (l.IsScalar() && l.Scalar().find(':') == std::string::npos) {
      c.sni.listen.host = c.listen;
      r.integer(n, "listen", "sni.listen", c.sni.listen.port, 1, 65535, "9093");
    } else {
      r.address(n, "listen", "sni.listen", c.sni.listen, "0.0.0.0:9093");
    }
  }
  r.string(n, "bootstrap_host", "sni.bootstrap_host", c.sni.bootstrap_host,
           "a host name, e.g. kafka.example.com");
  const auto certs = n["certificates"];
  if (!reader::present(certs) || !r.sequence(certs, "sni.certificates", "{cert_file, key_file}"))
    return;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    const auto key = "sni.certificates[" + std::to_string(i) + "]";
    if (!r.map(certs[i], key, {"cert_file", "key_file"})) continue;
    sni_certificate cert;
    r.string(certs[i], "cert_file", key + ".cert_file", cert.cert_file, "a PEM certificate file");
    r.string(certs[i], "key_file", key + ".key_file", cert.key_file, "a PEM private key file");
    c.sni.certificates.push_back(std::move(cert));
  }
}

void read_sections(reader& r, const YAML::Node& root, config& c) {
  if (!r.map(root, "",
             {"listen", "threads", "bootstrap", "brokers", "discovery", "timeouts", "limits",
              "forbidden_api_keys", "admin", "log", "keepalive", "proxy_protocol", "tls",
              "upstream", "routing", "sni", "listeners"}))
    return;
  r.string(root, "listen", "listen", c.listen, "an IP address, e.g. 0.0.0.0");
  r.integer(root, "threads", "threads", c.threads, 0, 1024, "0");

  bool listeners_given = false;
  if (const auto n = root["bootstrap"]; reader::present(n))
    read_bootstrap(r, n, c, listeners_given);
  if (const auto n = root["brokers"]; reader::present(n)) read_brokers(r, n, c);
  read_sni(r, root, c);
  // YAML default: one bootstrap port on `listen`, unless mappings already give clients one
  // (or, in routing: sni, the shared port serves the bootstrap name).
  if (!listeners_given && c.brokers.mappings.empty() && c.routing == routing_mode::ports)
    c.bootstrap.listeners.push_back(
        {host_port{c.listen, 9092}, std::nullopt, std::nullopt, std::nullopt});

  if (const auto n = root["discovery"];
      reader::present(n) && r.map(n, "discovery", {"metadata_refresh", "client_id", "sasl"})) {
    r.duration(n, "metadata_refresh", "discovery.metadata_refresh", c.discovery.metadata_refresh,
               "30s");
    r.string(n, "client_id", "discovery.client_id", c.discovery.client_id, "a client.id");
    if (const auto sn = n["sasl"]; reader::present(sn))
      read_upstream_sasl(r, sn, c.discovery.sasl, "discovery.sasl");
  }
  if (const auto n = root["timeouts"];
      reader::present(n) &&
      r.map(n, "timeouts", {"dial", "read", "write", "idle", "first_bytes", "drain"})) {
    r.duration(n, "dial", "timeouts.dial", c.timeouts.dial, "10s");
    r.duration(n, "read", "timeouts.read", c.timeouts.read, "30s");
    r.duration(n, "write", "timeouts.write", c.timeouts.write, "30s");
    r.duration(n, "idle", "timeouts.idle", c.timeouts.idle, "10m");
    r.duration(n, "first_bytes", "timeouts.first_bytes", c.timeouts.first_bytes, "10s");
    r.duration(n, "drain", "timeouts.drain", c.timeouts.drain, "30s");
  }
  if (const auto n = root["limits"];
      reader::present(n) && r.map(n, "limits",
                                  {"max_frame_size", "max_connections", "max_in_flight",
                                   "buffer_size", "assembled_memory", "splice_min_body"})) {
    r.size(n, "max_frame_size", "limits.max_frame_size", c.limits.max_frame_size, "100MiB");
    r.integer(n, "max_connections", "limits.max_connections", c.limits.max_connections, 1,
              10'000'000, "10000");
    r.integer(n, "max_in_flight", "limits.max_in_flight", c.limits.max_in_flight, 1, 65536, "256");
    r.size(n, "buffer_size", "limits.buffer_size", c.limits.buffer_size, "64KiB");
    r.size(n, "assembled_memory", "limits.assembled_memory", c.limits.assembled_memory, "256MiB");
    r.size(n, "splice_min_body", "limits.splice_min_body", c.limits.splice_min_body, "64KiB");
  }
  if (const auto n = root["forbidden_api_keys"];
      reader::present(n) && r.sequence(n, "forbidden_api_keys", "Kafka API keys, e.g. [20]")) {
    for (std::size_t i = 0; i < n.size(); ++i)
      if (auto v = r.integer_value(n[i], "forbidden_api_keys[" + std::to_string(i) + "]", 0, 32767,
                                   "20"))
        c.forbidden_api_keys.push_back(static_cast<std::int16_t>(*v));
  }
  if (const auto n = root["admin"];
      reader::present(n) &&
      r.map(n, "admin", {"enabled", "address", "health_path", "ready_path", "metrics_path"})) {
    r.boolean(n, "enabled", "admin.enabled", c.admin.enabled);
    r.address(n, "address", "admin.address", c.admin.address, "0.0.0.0:9080");
    r.string(n, "health_path", "admin.health_path", c.admin.health_path, "a path, e.g. /health");
    r.string(n, "ready_path", "admin.ready_path", c.admin.ready_path, "a path, e.g. /ready");
    r.string(n, "metrics_path", "admin.metrics_path", c.admin.metrics_path,
             "a path, e.g. /metrics");
  }
  if (const auto n = root["log"]; reader::present(n) && r.map(n, "log", {"level", "format"})) {
    if (const auto l = n["level"]; reader::present(l)) {
      const std::string expected = "trace, debug, info, warn, error, critical or off";
      if (auto s = r.scalar(l, "log.level", expected)) {
        if (auto v = parse_log_level(*s))
          c.log.level = *v;
        else
          r.fail(l, "log.level", "\"" + *s + "\" is not a level; expected " + expected);
      }
    }
    if (const auto f = n["format"]; reader::present(f)) {
      if (auto s = r.scalar(f, "log.format", "text or json")) {
        if (auto v = parse_log_format(*s))
          c.log.format = *v;
        else
          r.fail(f, "log.format", "\"" + *s + "\" is not a format; expected text or json");
      }
    }
  }
  if (const auto n = root["keepalive"];
      reader::present(n) && r.map(n, "keepalive", {"enabled", "idle", "interval", "count"})) {
    r.boolean(n, "enabled", "keepalive.enabled", c.keepalive.enabled);
    r.duration(n, "idle", "keepalive.idle", c.keepalive.idle, "60s");
    r.duration(n, "interval", "keepalive.interval", c.keepalive.interval, "10s");
    r.integer(n, "count", "keepalive.count", c.keepalive.count, 1, 127, "6");
  }
  if (const auto n = root["proxy_protocol"];
      reader::present(n) &&
      r.map(n, "proxy_protocol", {"enabled", "allowed_sources", "header_timeout"})) {
    r.boolean(n, "enabled", "proxy_protocol.enabled", c.proxy_protocol.enabled);
    if (const auto s = n["allowed_sources"];
        reader::present(s) && r.sequence(s, "proxy_protocol.allowed_sources", "CIDR blocks")) {
      for (std::size_t i = 0; i < s.size(); ++i) {
        const auto key = "proxy_protocol.allowed_sources[" + std::to_string(i) + "]";
        const std::string expected = "a CIDR block such as 10.0.0.0/8 or fd00::/8";
        if (auto text = r.scalar(s[i], key, expected)) {
          if (auto block = parse_cidr(*text))
            c.proxy_protocol.allowed_sources.push_back(*block);
          else
            r.fail(s[i], key, "\"" + *text + "\" is not " + expected + " (no host bits set)");
        }
      }
    }
    r.duration(n, "header_timeout", "proxy_protocol.header_timeout",
               c.proxy_protocol.header_timeout, "5s");
  }
  if (const auto n = root["tls"]; reader::present(n)) read_listener_tls(r, n, "tls", c.tls);
  if (const auto n = root["upstream"]; reader::present(n)) read_upstream(r, n, c);
  if (const auto n = root["listeners"]; reader::present(n)) read_listeners(r, n, c);
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace

result<config> load_yaml_string(std::string_view text, std::string_view source) {
  const std::string name(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return error{name + ":" + std::to_string(e.mark.line + 1) + ":" +
                 std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg};
  }
  if (!root.IsDefined() || root.IsNull())
    return error{name +
                 ": is empty; expected a configuration map (see "
                 "config/kafka-psc-proxy.yaml)"};
  reader r(name);
  config c;
  try {
    read_sections(r, root, c);
  } catch (const std::exception& e) {  // yaml-cpp can still throw on odd documents
    return error{name + ": " + e.what()};
  }
  if (r.failed()) return error{join_lines(r.errors())};
  auto problems = complete_and_check(c);
  if (problems.empty()) return c;
  std::vector<std::string> lines;
  for (const auto& p : problems) lines.push_back(r.locate(p.key) + p.message);
  return error{join_lines(lines)};
}

result<config> load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{path + ": cannot be read; expected a readable YAML file"};
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return error{path + ": read failed"};
  return load_yaml_string(buf.str(), path);
}

}  // namespace kpp::config
