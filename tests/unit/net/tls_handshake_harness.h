// Runs a real TLS handshake between two contexts over a local socket pair, in-process, and
// classifies each side's failure the way the session will.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kpp/net/tls_context.h"

namespace kpp::test {

struct handshake_outcome {
  boost::system::error_code server_ec, client_ec;
  std::optional<net::tls_handshake_failure> server_failure, client_failure;
  std::string sni;
  std::shared_ptr<X509> peer_cert;  // the certificate the client received, when it completed
};

inline handshake_outcome run_handshake(const net::context_ptr& server,
                                       const net::context_ptr& client,
                                       const std::function<void(SSL*)>& prepare_client = {},
                                       const std::function<void(SSL*)>& prepare_server = {}) {
  namespace asio = boost::asio;
  using sock = asio::local::stream_protocol::socket;
  asio::io_context io;
  sock a(io), b(io);
  asio::local::connect_pair(a, b);
  asio::ssl::stream<sock> s(std::move(a), *server), c(std::move(b), *client);
  if (prepare_client) prepare_client(c.native_handle());
  if (prepare_server) prepare_server(s.native_handle());
  handshake_outcome out;
  s.async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code ec) {
    out.server_ec = ec;
    if (ec) {
      out.server_failure =
          net::classify_handshake_error(ec, s.native_handle(), net::tls_leg::client, "127.0.0.1:1");
      s.next_layer().close();
    } else {
      out.sni = std::string(net::sni_of(s.native_handle()));
    }
  });
  c.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code ec) {
    out.client_ec = ec;
    if (ec) {
      out.client_failure =
          net::classify_handshake_error(ec, c.native_handle(), net::tls_leg::upstream, "b1:9093");
      c.next_layer().close();
    } else {
      out.peer_cert.reset(SSL_get1_peer_certificate(c.native_handle()), X509_free);
    }
  });
  io.run();
  return out;
}

// The client handshake against a peer that is not TLS: it reads the ClientHello and answers
// `reply` (empty: closes), as a PLAINTEXT Kafka broker listener would.
inline handshake_outcome run_client_against_plaintext(const net::context_ptr& client,
                                                      const std::string& reply) {
  namespace asio = boost::asio;
  using sock = asio::local::stream_protocol::socket;
  asio::io_context io;
  sock a(io), b(io);
  asio::local::connect_pair(a, b);
  asio::ssl::stream<sock> c(std::move(b), *client);
  handshake_outcome out;
  std::array<char, 4096> buf{};
  a.async_read_some(asio::buffer(buf), [&](boost::system::error_code, std::size_t) {
    if (reply.empty()) {
      a.close();
      return;
    }
    asio::async_write(a, asio::buffer(reply), [&](boost::system::error_code, std::size_t) {});
  });
  c.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code ec) {
    out.client_ec = ec;
    if (ec)
      out.client_failure =
          net::classify_handshake_error(ec, c.native_handle(), net::tls_leg::upstream, "b1:9092");
    a.close();
  });
  io.run();
  return out;
}

}  // namespace kpp::test
