// Holds the current TLS context of one side (a listener's, or the upstream client's) and
// replaces it when its files change. Handshakes take current() when they start, so a swap
// affects new handshakes only; established connections keep the context they started with
// (each SSL holds a reference). A changed file that does not load is logged, counted, and the
// previous context stays in use.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kpp/admin/tls_metrics.h"
#include "kpp/net/tls_context.h"

namespace kpp::net {

class tls_context_store {
 public:
  using builder = std::function<tls_loaded<context_ptr>(const tls_file_snapshot&)>;

  enum class reload_result : std::uint8_t { unchanged, reloaded, failed };
  struct reload_outcome {
    reload_result result = reload_result::unchanged;
    std::optional<tls_load_failure> failure;
  };

  // Reads and builds once; a failure here is a start-up error (nothing to fall back to).
  [[nodiscard]] static tls_loaded<std::shared_ptr<tls_context_store>> create(
      std::string name, std::vector<std::string> paths, builder build,
      std::shared_ptr<admin::tls_certificate_metrics> metrics);

  [[nodiscard]] static tls_loaded<std::shared_ptr<tls_context_store>> for_server(
      std::string name, const tls_server_settings& s,
      std::shared_ptr<admin::tls_certificate_metrics> metrics);
  [[nodiscard]] static tls_loaded<std::shared_ptr<tls_context_store>> for_client(
      std::string name, const tls_client_settings& s,
      std::shared_ptr<admin::tls_certificate_metrics> metrics);

  // The context new handshakes use.
  [[nodiscard]] context_ptr current() const;

  // Re-reads the files; rebuilds only when their bytes changed. Thread-safe. Logs the outcome
  // (never file contents or secrets).
  reload_outcome reload();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  tls_context_store(std::string name, std::vector<std::string> paths, builder build,
                    std::shared_ptr<admin::tls_certificate_metrics> metrics);

 private:
  void publish(context_ptr ctx);

  const std::string name_;
  const std::vector<std::string> paths_;
  const builder build_;
  const std::shared_ptr<admin::tls_certificate_metrics> metrics_;

  std::mutex reload_mu_;  // one reload at a time (refresh timer vs SIGHUP)
  tls_file_snapshot loaded_;
  tls_file_snapshot rejected_;  // a broken snapshot is reported once, not every refresh

  mutable std::mutex mu_;
  context_ptr current_;
};

}  // namespace kpp::net
