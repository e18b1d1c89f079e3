#include "kpp/net/tls_refresher.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "tls_fixture.h"

namespace kpp::net {
namespace {

class TlsRefresher : public test::tls_fixture {
 protected:
  std::shared_ptr<tls_context_store> store() {
    auto s = tls_context_store::for_server("listener", server_settings(), nullptr);
    EXPECT_TRUE(s) << s.failure->message;
    return s.value;
  }
  void rotate() {
    test::cert_spec spec;
    spec.serial = 77;
    auto leaf = test::make_cert(spec, &ca);
    dir.write_key("server.key", leaf.key);
    dir.write_certs("server.pem", {leaf.cert});
  }
  // Runs the loop until the store's context changes or 10 s pass (polling, no sleep).
  bool changes(const std::shared_ptr<tls_context_store>& s, const context_ptr& before) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      io.run_for(std::chrono::milliseconds(10));
      io.restart();
      if (s->current() != before) return true;
    }
    return false;
  }
  boost::asio::io_context io;
};

TEST_F(TlsRefresher, PicksUpAChangeOnTheInterval) {
  auto s = store();
  auto before = s->current();
  auto r = std::make_shared<tls_refresher>(io.get_executor(), std::vector{s},
                                           std::chrono::milliseconds(20));
  r->start();
  rotate();
  EXPECT_TRUE(changes(s, before));
  r->stop();
  io.run_for(std::chrono::milliseconds(50));
}

TEST_F(TlsRefresher, TriggerReloadsWithoutAnInterval) {
  auto s = store();
  auto before = s->current();
  auto r = std::make_shared<tls_refresher>(io.get_executor(), std::vector{s},
                                           std::chrono::milliseconds(0));
  r->start();  // no timer loop
  rotate();
  io.run_for(std::chrono::milliseconds(50));
  io.restart();
  EXPECT_EQ(s->current(), before);  // nothing reloads on its own
  r->trigger();                     // SIGHUP
  EXPECT_TRUE(changes(s, before));
}

}  // namespace
}  // namespace kpp::net
