#include "kpp/admin/tls_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kpp::admin {
namespace {

using ::testing::HasSubstr;

TEST(TlsMetrics, RendersCertificatesAndEveryHandshakeCause) {
  tls_metrics m;
  auto listener = m.certificate("listener");
  EXPECT_EQ(m.certificate("listener"), listener);  // same name, same object
  listener->not_after_unix.set(1796422712);
  listener->reload_failures.add();
  m.count_handshake_failure(tls_leg::upstream, tls_handshake_cause::plaintext_upstream);
  m.count_handshake_failure(tls_leg::upstream, tls_handshake_cause::plaintext_upstream);
  EXPECT_EQ(m.handshake_failures(tls_leg::upstream, tls_handshake_cause::plaintext_upstream), 2u);
  std::string out;
  m.render_prometheus(out);
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_tls_certificate_not_after_seconds{certificate="
                             "\"listener\"} 1796422712\n"));
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_tls_certificate_reload_failures_total{certificate="
                             "\"listener\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_tls_handshake_failures_total{leg=\"upstream\","
                             "cause=\"plaintext_upstream\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                             "cause=\"unknown_ca\"} 0\n"));
}

}  // namespace
}  // namespace kpp::admin
