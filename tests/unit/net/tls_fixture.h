// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, made per test.
#pragma once

#include <gtest/gtest.h>

#include "kpp/net/tls_context.h"
#include "tls_test_certs.h"

namespace kpp::test {

class tls_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ca = make_ca("kpp test CA");
    cert_spec srv_spec;
    srv_spec.dns = {"localhost", "*.kafka.example.com"};
    srv_spec.ips = {"127.0.0.1"};
    srv_spec.serial = 2;
    srv = make_cert(srv_spec, &ca);
    cert_spec cli_spec;
    cli_spec.common_name = "ticdc";
    cli_spec.organization = "pingcap";
    cli_spec.serial = 3;
    cli = make_cert(cli_spec, &ca);
    ca_file = dir.write_certs("ca.pem", {ca.cert});
    server_cert = dir.write_certs("server.pem", {srv.cert, ca.cert});
    server_key = dir.write_key("server.key", srv.key);
    client_cert = dir.write_certs("client.pem", {cli.cert});
    client_key = dir.write_key("client.key", cli.key);
  }

  [[nodiscard]] net::tls_server_settings server_settings() const {
    net::tls_server_settings s;
    s.cert_file = server_cert;
    s.key_file = server_key;
    return s;
  }
  [[nodiscard]] net::tls_client_settings client_settings() const {
    net::tls_client_settings s;
    s.ca_file = ca_file;
    return s;
  }

  static net::context_ptr server_ctx(const net::tls_server_settings& s) {
    auto files = net::read_tls_files(net::watched_files(s));
    EXPECT_TRUE(files) << files.failure->message;
    auto ctx = net::make_server_context(s, files.value);
    EXPECT_TRUE(ctx) << ctx.failure->message;
    return ctx.value;
  }
  static net::context_ptr client_ctx(const net::tls_client_settings& s) {
    auto files = net::read_tls_files(net::watched_files(s));
    EXPECT_TRUE(files) << files.failure->message;
    auto ctx = net::make_client_context(s, files.value);
    EXPECT_TRUE(ctx) << ctx.failure->message;
    return ctx.value;
  }
  static std::optional<net::tls_load_failure> server_load_error(const net::tls_server_settings& s) {
    auto files = net::read_tls_files(net::watched_files(s));
    if (!files) return files.failure;
    return net::make_server_context(s, files.value).failure;
  }

  temp_dir dir;
  issued ca, srv, cli;
  std::string ca_file, server_cert, server_key, client_cert, client_key;
};

}  // namespace kpp::test
