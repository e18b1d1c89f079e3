#include "kpp/app/client_tls.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace kpp::app {
namespace {

TEST(ClientTls, AdvertisedNamesCoverEveryWayClientsAreToldAnAddress) {
  config::config c;
  config::bootstrap_listener l;
  l.listen = {"0.0.0.0", 9092};
  l.advertised = routing::host_port{"bootstrap.example.com", 9092};
  c.bootstrap.listeners = {l};
  c.brokers.mappings = {{{"10.0.0.1", 9092}, {"0.0.0.0", 9093}, {"m1.example.com", 9093}}};
  c.brokers.advertised_host = "b{node_id}.kafka.example.com";
  c.brokers.static_brokers = {{7, 9107, std::nullopt},
                              {8, 9108, routing::host_port{"10.1.2.3", 9108}}};
  EXPECT_EQ(advertised_names(c),
            (std::vector<std::string>{"bootstrap.example.com", "m1.example.com", "10.1.2.3",
                                      "b7.kafka.example.com"}));
  c.brokers.static_brokers.clear();
  EXPECT_EQ(advertised_names(c).back(), "b0.kafka.example.com");
}

TEST(ClientTls, NothingWithoutTls) {
  config::config c;
  boost::asio::io_context io;
  auto t = start_client_tls(c, io.get_executor());
  EXPECT_FALSE(t.store);
  EXPECT_TRUE(t.error.empty());
}

TEST(ClientTls, UnreadableCertificateStopsTheStartWithItsPath) {
  config::config c;
  c.tls.enabled = true;
  c.tls.cert_file = "/nonexistent/server.pem";
  c.tls.key_file = "/nonexistent/server.key";
  boost::asio::io_context io;
  auto t = start_client_tls(c, io.get_executor());
  EXPECT_FALSE(t.store);
  EXPECT_NE(t.error.find("/nonexistent/server.pem"), std::string::npos) << t.error;
}

}  // namespace
}  // namespace kpp::app
