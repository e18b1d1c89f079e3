#include "validate_sni.h"

#include <arpa/inet.h>
#include <unistd.h>

#include "kpp/routing/host_template.h"
#include "kpp/routing/host_template_match.h"

namespace kpp::config {
namespace {

void add(std::vector<problem>& out, const std::string& key, const std::string& text) {
  out.push_back({key, key + ": " + text});
}

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

void check_sni(const config& c, std::vector<problem>& out) {
  if (c.routing != routing_mode::sni) {
    if (!c.sni.certificates.empty())
      add(out, "sni.certificates",
          "is set without routing: sni; set routing: sni or remove it (with one port per "
          "broker, tls.cert_file serves every name)");
    return;
  }
  if (!c.tls.enabled)
    add(out, "routing",
        "sni needs TLS on the client side (the broker is picked by the TLS server name); set "
        "tls.cert_file and tls.key_file, or use routing: ports");
  if (c.sni.listen.port == 0) add(out, "sni.listen", "port 0; expected a port, e.g. 0.0.0.0:9093");
  if (!is_ip(c.sni.listen.host))
    add(out, "sni.listen",
        q(c.sni.listen.str()) +
            " does not bind an IP address; expected ip:port, e.g. 0.0.0.0:9093");
  if (c.admin.enabled && c.admin.address.port == c.sni.listen.port)
    add(out, "sni.listen",
        "port " + std::to_string(c.sni.listen.port) +
            " is also admin.address; expected a port no other listener uses");

  const auto& b = c.brokers;
  std::string why;
  const auto brokers = routing::host_template::parse(b.advertised_host, &why);
  if (!brokers || !brokers->has_node_id())
    add(out, "brokers.advertised_host",
        q(b.advertised_host) +
            " has no {node_id}; with routing: sni every broker needs its own name, e.g. "
            "b{node_id}.kafka.example.com (a wildcard certificate *.kafka.example.com covers "
            "them all)");

  const auto& boot = c.sni.bootstrap_host;
  if (boot.empty()) {
    add(out, "sni.bootstrap_host",
        "is missing; expected the name clients bootstrap from, e.g. kafka.example.com");
  } else if (is_ip(boot) || boot.find('{') != std::string::npos) {
    add(out, "sni.bootstrap_host",
        q(boot) +
            " is not a host name; expected a name such as kafka.example.com (clients "
            "send no SNI for an IP address)");
  } else if (brokers && routing::match_node_id(*brokers, boot)) {
    add(out, "sni.bootstrap_host",
        q(boot) + " is also a broker's name under brokers.advertised_host " + q(b.advertised_host) +
            "; expected a name the broker template does not produce");
  }

  for (std::size_t i = 0; i < c.sni.certificates.size(); ++i) {
    const auto& cert = c.sni.certificates[i];
    const auto key = "sni.certificates[" + std::to_string(i) + "]";
    for (const auto& [name, path] :
         {std::pair{".cert_file", &cert.cert_file}, std::pair{".key_file", &cert.key_file}}) {
      if (path->empty())
        add(out, key + name, "is missing; expected a PEM file path");
      else if (::access(path->c_str(), R_OK) != 0)
        add(out, key + name, q(*path) + " cannot be read; expected a readable PEM file");
    }
  }

  // One port serves everything: per-broker and extra bootstrap ports have no place here.
  if (!c.bootstrap.listeners.empty())
    add(out, "bootstrap.listeners",
        "is set with routing: sni, where sni.listen serves the bootstrap name "
        "(sni.bootstrap_host); remove bootstrap.listeners");
  if (!b.mappings.empty())
    add(out, "brokers.mappings",
        "is set with routing: sni, which gives every broker the sni.listen port; remove the "
        "mappings or use routing: ports");
  if (!b.static_brokers.empty())
    add(out, "brokers.static",
        "is set with routing: sni, which gives every broker the sni.listen port; remove the "
        "static entries or use routing: ports");
  if (!b.external.empty())
    add(out, "brokers.external", "is set with routing: sni; remove it or use routing: ports");
  if (!b.dynamic_listeners)
    add(out, "brokers.dynamic_listeners",
        "is false with routing: sni, where no broker has a listener of its own; remove it");
}

}  // namespace kpp::config
