#include "kpp/net/client_authenticator.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "kpp/auth/scram_keys.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_api_versions.h"

namespace kpp::net {

client_authenticator::client_authenticator(client_auth_settings settings)
    : settings_(std::move(settings)) {}

std::optional<client_authenticator::file_stamp> client_authenticator::stamp_of(
    const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return file_stamp{
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
      static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
}

std::shared_ptr<client_authenticator> client_authenticator::create(client_auth_settings settings,
                                                                   std::string& error) {
  std::shared_ptr<client_authenticator> a(new client_authenticator(std::move(settings)));
  // A random key per process: unknown names get the same decoy salt on every attempt.
  auto key = auth::random_bytes(32);
  if (!key) {
    error = key.error().detail;
    return nullptr;
  }
  a->decoy_key_ = std::move(*key);
  const auto stamp = stamp_of(a->settings_.users_file);
  auto db = auth::load_users_file(a->settings_.users_file);
  if (!db) {
    error = "listeners.sasl.users_file: " + db.error().detail;
    return nullptr;
  }
  a->users_ = std::make_shared<const auth::users_db>(std::move(*db));
  if (stamp) a->stamp_ = *stamp;
  a->last_check_ = std::chrono::steady_clock::now();
  return a;
}

void client_authenticator::refresh_users() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (now - last_check_ < std::chrono::seconds(1)) return;
    last_check_ = now;
  }
  const auto stamp = stamp_of(settings_.users_file);
  {
    std::lock_guard lock(mu_);
    if (!stamp || *stamp == stamp_) return;
  }
  auto db = auth::load_users_file(settings_.users_file);
  std::lock_guard lock(mu_);
  stamp_ = *stamp;  // a broken file is reported once, not on every login
  if (!db) {
    spdlog::error("users file {} changed but cannot be used; keeping the previous users: {}",
                  settings_.users_file, db.error().detail);
    return;
  }
  spdlog::info("users file {} re-read: {} user(s)", settings_.users_file, db->size());
  users_ = std::make_shared<const auth::users_db>(std::move(*db));
}

std::unique_ptr<auth::sasl_server_session> client_authenticator::start_login() {
  std::shared_ptr<const auth::users_db> users;
  {
    std::lock_guard lock(mu_);
    users = users_;
  }
  auth::sasl_server_config cfg;
  cfg.enabled = settings_.mechanisms;
  cfg.decoy_key = decoy_key_;
  auto lookup = [users](std::string_view name,
                        auth::mechanism m) -> std::optional<auth::scram_credential> {
    return users->find(name, m);
  };
  return std::make_unique<auth::sasl_server_session>(std::move(cfg), std::move(lookup));
}

std::chrono::milliseconds client_authenticator::failed(std::string_view source) {
  std::lock_guard lock(mu_);
  return limiter_.record_failure(source, std::chrono::steady_clock::now());
}

void client_authenticator::succeeded(std::string_view source) {
  std::lock_guard lock(mu_);
  limiter_.record_success(source);
}

void client_authenticator::set_broker_versions(const protocol::api_versions_response& r) {
  std::lock_guard lock(mu_);
  broker_ranges_.clear();
  for (const auto& k : r.api_keys)
    broker_ranges_.push_back({k.api_key, {k.min_version, k.max_version}});
}

std::int16_t client_authenticator::encode_api_versions(std::int16_t requested_version,
                                                       protocol::byte_buffer& out) const {
  auto resp = protocol::sasl_listener_api_versions();  // the SASL APIs as served here
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, range] : broker_ranges_) {
      bool ours = false;
      for (const auto& k : resp.api_keys) ours = ours || k.api_key == key;
      if (!ours) resp.api_keys.push_back({key, range.first, range.second, {}});
    }
  }
  std::int16_t layout = requested_version;
  if (requested_version < 0 || requested_version > protocol::api_versions_max_version) {
    resp.error_code = protocol::unsupported_version_error;
    layout = 0;
  }
  protocol::encode_api_versions_response(resp, layout, out);
  return layout;
}

}  // namespace kpp::net
