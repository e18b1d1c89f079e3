// Builds OpenSSL contexts from tls_settings. The files are read first into a snapshot (so a
// reload compares contents, and a half-written file is parsed from one consistent read),
// then parsed from memory. Failures are typed values naming the file and the fix.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kpp/net/tls_errors.h"
#include "kpp/net/tls_settings.h"

namespace kpp::net {

namespace ssl = boost::asio::ssl;

// A value, or why it could not be produced.
template <class T>
struct tls_loaded {
  T value{};
  std::optional<tls_load_failure> failure;
  explicit operator bool() const noexcept { return !failure.has_value(); }
};

// The bytes of every file a context is built from, by path (password files included: the
// snapshot stays in memory and is never logged).
struct tls_file_snapshot {
  std::vector<std::pair<std::string, std::string>> files;
  [[nodiscard]] const std::string* find(const std::string& path) const;
  friend bool operator==(const tls_file_snapshot&, const tls_file_snapshot&) = default;
};

[[nodiscard]] tls_loaded<tls_file_snapshot> read_tls_files(const std::vector<std::string>& paths);

// The files each side reads (empty paths left out).
[[nodiscard]] std::vector<std::string> watched_files(const tls_server_settings& s);
[[nodiscard]] std::vector<std::string> watched_files(const tls_client_settings& s);

using context_ptr = std::shared_ptr<ssl::context>;

[[nodiscard]] tls_loaded<context_ptr> make_server_context(const tls_server_settings& s,
                                                          const tls_file_snapshot& files);
[[nodiscard]] tls_loaded<context_ptr> make_client_context(const tls_client_settings& s,
                                                          const tls_file_snapshot& files);

// Per upstream connection, before the client handshake: SNI (for a host name, not an IP) and
// the name or IP the broker certificate must hold. `host` is server_name when set, else the
// broker's host. False if OpenSSL refused the name.
[[nodiscard]] bool prepare_client_ssl(SSL* ssl, const tls_client_settings& s,
                                      const std::string& host);

// The server name a client asked for (SNI), empty when it sent none.
[[nodiscard]] std::string_view sni_of(const SSL* ssl) noexcept;

// notAfter of the context's own certificate, in unix seconds.
[[nodiscard]] std::optional<std::int64_t> certificate_not_after(const ssl::context& ctx);
// notAfter of `cert` (e.g. a peer's), in unix seconds.
[[nodiscard]] std::optional<std::int64_t> certificate_not_after(const X509* cert);

// The names (host names or IP literals) that the context's certificate does not cover.
[[nodiscard]] std::vector<std::string> uncovered_names(const ssl::context& ctx,
                                                       const std::vector<std::string>& names);
// The same for `cert` (e.g. the one a listener presented); null covers nothing.
[[nodiscard]] std::vector<std::string> uncovered_names(const X509* cert,
                                                       const std::vector<std::string>& names);

}  // namespace kpp::net
