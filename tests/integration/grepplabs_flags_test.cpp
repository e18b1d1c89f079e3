// The grepplabs/kafka-proxy command lines users already have, run as they are against a
// mock cluster on loopback: what the proxy advertises is checked with raw Metadata requests,
// since the advertised names do not resolve (a librdkafka client could not follow them).
#include <gtest/gtest.h>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/poll.h"
#include "support/ports.h"
#include "support/proxy_process.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

std::string port_text(std::uint16_t p) {
  return std::to_string(p);
}

// Raw Metadata v1 through `port`, as one comparable line; the proxy's log on failure.
std::string advertised_map(std::uint16_t port, proxy_process& proxy) {
  std::string error;
  auto brokers = raw_metadata(port, 1, &error);
  EXPECT_TRUE(brokers) << error << "\n" << proxy.output();
  return brokers ? describe(*brokers) : "";
}

TEST(GrepplabsFlags, SeedLineWithThreeMappingsAdvertisesTheMappedNames) {
  mock_cluster mock(3);
  const auto up = mock.broker_addresses();
  // Admin first: without --dynamic-sequential-max-ports the sequential range runs up to 65535,
  // and the proxy refuses an admin port inside it. Then P1..P3, then the sequential minimum.
  const auto admin = free_port_run(5);
  const auto run = static_cast<std::uint16_t>(admin + 1);
  std::vector<std::string> args{"server"};
  for (int i = 0; i < 3; ++i) {
    const auto p = port_text(static_cast<std::uint16_t>(run + i));
    args.push_back("--bootstrap-server-mapping");
    args.push_back(up[i] + ",127.0.0.1:" + p + ",b" + std::to_string(i + 1) + ".example.com:" + p);
  }
  args.push_back("--dynamic-sequential-min-port=" + port_text(static_cast<std::uint16_t>(run + 3)));
  args.push_back("--dynamic-advertised-listener=brokers.example.com");
  args.insert(args.end(), {"--http-listen-address", "127.0.0.1:" + port_text(admin),
                           "--default-listener-ip", "127.0.0.1"});
  proxy_process proxy(args);
  ASSERT_TRUE(proxy.wait_ready(admin)) << proxy.output();
  const std::string want = "1=b1.example.com:" + port_text(run) +
                           " 2=b2.example.com:" + port_text(static_cast<std::uint16_t>(run + 1)) +
                           " 3=b3.example.com:" + port_text(static_cast<std::uint16_t>(run + 2));
  // Every mapping's listener is also a bootstrap port.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(advertised_map(static_cast<std::uint16_t>(run + i), proxy), want) << "via P" << i + 1;
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// grepplabs 0.4 deterministic listeners: broker N on min port + N, named by the template.
std::vector<std::string> deterministic_line(const std::string& upstream, std::uint16_t bootstrap,
                                            std::uint16_t min_port, std::uint16_t admin) {
  return {"server",
          "--bootstrap-server-mapping",
          upstream + ",127.0.0.1:" + port_text(bootstrap),
          "--deterministic-listeners",
          "--dynamic-sequential-min-port",
          port_text(min_port),
          "--dynamic-advertised-listener",
          "b{{.brokerId}}.example.com",
          "--http-listen-address",
          "127.0.0.1:" + port_text(admin),
          "--default-listener-ip",
          "127.0.0.1"};
}

TEST(GrepplabsFlags, DeterministicListenersLineAdvertisesTemplateNamesOnMinPortPlusId) {
  mock_cluster mock(3);
  // Admin (below the node-id range, which runs up to 65535), bootstrap, min port (node 0),
  // then nodes 1..3.
  const auto admin = free_port_run(6);
  const auto bootstrap = static_cast<std::uint16_t>(admin + 1);
  const auto min_port = static_cast<std::uint16_t>(admin + 2);
  const auto args = deterministic_line(mock.broker_addresses().at(0), bootstrap, min_port, admin);

  std::string first;
  {
    proxy_process proxy(args);
    ASSERT_TRUE(proxy.wait_ready(admin)) << proxy.output();
    first = advertised_map(bootstrap, proxy);
    ASSERT_EQ(proxy.stop(), 0) << proxy.output();
  }
  // Broker 1 is the mapping's upstream: pinned to the mapping's listener and advertised as
  // its listen address (no advertised part given), as in grepplabs and config/flags.md. The
  // others get deterministic listeners: min port + node id, named by the template.
  const std::vector<broker_address> want{{1, "127.0.0.1", bootstrap},
                                         {2, "b2.example.com", min_port + 2},
                                         {3, "b3.example.com", min_port + 3}};
  EXPECT_EQ(first, describe(want));

  // The same command line again, in a new process: the same map.
  proxy_process again(args);
  ASSERT_TRUE(again.wait_ready(admin)) << again.output();
  EXPECT_EQ(advertised_map(bootstrap, again), first);
  EXPECT_EQ(again.stop(), 0) << again.output();
}

// grepplabs 0.4.3 runs a deterministic line whose admin address lies inside the (unbounded)
// node-id range (reported with 127.0.0.2 listeners): the admin port only clashes with one
// broker id. The proxy runs it too,
// warns at start naming that broker, and refuses only that broker when it shows up.
std::vector<std::string> admin_in_range_line(const std::string& upstream, std::uint16_t bootstrap,
                                             std::uint16_t min_port, std::uint16_t admin) {
  return {"server",
          "--bootstrap-server-mapping",
          upstream + ",127.0.0.1:" + port_text(bootstrap) + ",127.0.0.1:" + port_text(bootstrap),
          "--deterministic-listeners",
          "--dynamic-sequential-min-port",
          port_text(min_port),
          "--dynamic-advertised-listener",
          "127.0.0.1",
          "--default-listener-ip",
          "127.0.0.1",
          "--http-listen-address",
          "127.0.0.1:" + port_text(admin)};
}

TEST(GrepplabsFlags, AdminPortInsideTheUnboundedNodeIdRangeOnlyCostsThatBroker) {
  mock_cluster mock(3);
  const auto bootstrap = free_port_run(12);
  const auto min_port = static_cast<std::uint16_t>(bootstrap + 1);
  {
    // The shape: the admin port is broker 10's, and no broker 10 exists.
    const auto admin = static_cast<std::uint16_t>(min_port + 10);
    proxy_process proxy(
        admin_in_range_line(mock.broker_addresses().at(0), bootstrap, min_port, admin));
    ASSERT_TRUE(proxy.wait_ready(admin)) << proxy.output();
    EXPECT_NE(proxy.output().find("includes admin.address 127.0.0.1:" + port_text(admin) +
                                  ": broker 10 would get that port"),
              std::string::npos)
        << proxy.output();
    EXPECT_EQ(proxy.stop(), 0) << proxy.output();
  }
  // Broker 3 exists and its port is the admin port: it alone is refused, counted as a port
  // collision, and /ready names it.
  const auto admin = static_cast<std::uint16_t>(min_port + 3);
  proxy_process proxy(
      admin_in_range_line(mock.broker_addresses().at(0), bootstrap, min_port, admin));
  EXPECT_TRUE(proxy.wait_for_output("broker 3 would get that port", 10s)) << proxy.output();
  http_reply ready;
  EXPECT_TRUE(poll_until(
      [&] {
        ready = http_get(admin, "/ready");
        return ready.status == 503 && ready.body.find("broker 3") != std::string::npos;
      },
      20s))
      << ready.status << " " << ready.body << "\n"
      << proxy.output();
  EXPECT_GE(scrape(admin, "kafka_psc_proxy_port_collisions_total").value_or(-1), 1);
  // Broker 2 got its listener (brokers 1 and 2 keep working; Metadata fails closed while it
  // names broker 3, which has none: no real address is ever passed through).
  EXPECT_TRUE(proxy.wait_for_output(
      "broker 2: listening on 127.0.0.1:" + port_text(static_cast<std::uint16_t>(min_port + 2)),
      5s))
      << proxy.output();
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

TEST(GrepplabsFlags, SameClientCertAndSaslFlagsAreRefusedAsNotSupportedYet) {
  const std::string mapping = "127.0.0.1:1,127.0.0.1:" + port_text(free_port());
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--tls-same-client-cert-enable"},
        std::vector<std::string>{"--sasl-aws-region", "x"}}) {
    std::vector<std::string> args{"server", "--bootstrap-server-mapping", mapping};
    args.insert(args.end(), extra.begin(), extra.end());
    proxy_process proxy(args);
    const auto status = proxy.wait_exit(20s);
    ASSERT_TRUE(status.has_value()) << extra[0] << " did not stop the start";
    EXPECT_EQ(*status, 2) << proxy.output();
    // --tls-*: "not supported yet"; --sasl-aws-*: "... is not supported; the proxy logs in
    // with ..." (what it offers instead).
    EXPECT_NE(proxy.output().find("not supported"), std::string::npos) << proxy.output();
    EXPECT_NE(proxy.output().find(extra[0]), std::string::npos) << proxy.output();
  }
}

}  // namespace
