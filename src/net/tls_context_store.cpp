#include "kpp/net/tls_context_store.h"

#include <spdlog/spdlog.h>

namespace kpp::net {

tls_context_store::tls_context_store(std::string name, std::vector<std::string> paths,
                                     builder build,
                                     std::shared_ptr<admin::tls_certificate_metrics> metrics)
    : name_(std::move(name)),
      paths_(std::move(paths)),
      build_(std::move(build)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<admin::tls_certificate_metrics>()) {}

tls_loaded<std::shared_ptr<tls_context_store>> tls_context_store::create(
    std::string name, std::vector<std::string> paths, builder build,
    std::shared_ptr<admin::tls_certificate_metrics> metrics) {
  tls_loaded<std::shared_ptr<tls_context_store>> out;
  auto files = read_tls_files(paths);
  if (!files) {
    out.failure = std::move(files.failure);
    return out;
  }
  auto ctx = build(files.value);
  if (!ctx) {
    out.failure = std::move(ctx.failure);
    return out;
  }
  auto store = std::make_shared<tls_context_store>(std::move(name), std::move(paths),
                                                   std::move(build), std::move(metrics));
  store->loaded_ = std::move(files.value);
  store->publish(std::move(ctx.value));
  out.value = std::move(store);
  return out;
}

tls_loaded<std::shared_ptr<tls_context_store>> tls_context_store::for_server(
    std::string name, const tls_server_settings& s,
    std::shared_ptr<admin::tls_certificate_metrics> metrics) {
  return create(
      std::move(name), watched_files(s),
      [s](const tls_file_snapshot& f) { return make_server_context(s, f); }, std::move(metrics));
}

tls_loaded<std::shared_ptr<tls_context_store>> tls_context_store::for_client(
    std::string name, const tls_client_settings& s,
    std::shared_ptr<admin::tls_certificate_metrics> metrics) {
  return create(
      std::move(name), watched_files(s),
      [s](const tls_file_snapshot& f) { return make_client_context(s, f); }, std::move(metrics));
}

context_ptr tls_context_store::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void tls_context_store::publish(context_ptr ctx) {
  if (auto na = certificate_not_after(*ctx)) metrics_->not_after_unix.set(*na);
  std::lock_guard lock(mu_);
  current_ = std::move(ctx);
}

tls_context_store::reload_outcome tls_context_store::reload() {
  std::lock_guard guard(reload_mu_);
  auto files = read_tls_files(paths_);
  tls_loaded<context_ptr> ctx;
  if (files) {
    if (files.value == loaded_) return {};
    if (files.value == rejected_) return {reload_result::failed, std::nullopt};  // logged before
    ctx = build_(files.value);
  } else {
    ctx.failure = std::move(files.failure);
  }
  if (!ctx) {
    // A file mid-rewrite or broken: keep serving with what we have.
    metrics_->reload_failures.add();
    if (files) rejected_ = std::move(files.value);
    spdlog::error("TLS {}: changed files could not be loaded, still using the previous ones: {}",
                  name_, ctx.failure->message);
    return {reload_result::failed, std::move(ctx.failure)};
  }
  loaded_ = std::move(files.value);
  rejected_ = {};
  publish(std::move(ctx.value));
  metrics_->reloads.add();
  spdlog::info("TLS {}: reloaded certificate files; new handshakes use them (notAfter {})", name_,
               metrics_->not_after_unix.value());
  return {reload_result::reloaded, std::nullopt};
}

}  // namespace kpp::net
