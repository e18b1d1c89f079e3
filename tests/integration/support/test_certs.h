// Throwaway certificates for TLS tests, made at run time by the openssl command line (nothing
// that expires is checked in): a CA, and certificates it signs for localhost / 127.0.0.1.
#pragma once

#include <filesystem>
#include <string>

namespace kpp::test {

// Runs a shell command with its output discarded; true when it exits 0.
bool run_quietly(const std::string& cmd);

class cert_dir {
 public:
  cert_dir();  // a fresh temporary directory, removed by the destructor
  ~cert_dir();
  cert_dir(const cert_dir&) = delete;
  cert_dir& operator=(const cert_dir&) = delete;

  [[nodiscard]] std::string path(const std::string& file) const;
  [[nodiscard]] bool ok() const { return !dir_.empty(); }
  // name.pem / name.key: a self-signed CA (P-256, valid 2 days).
  bool make_ca(const std::string& name);
  // name.pem / name.key signed by `ca`, for localhost and 127.0.0.1, with `serial`; written
  // through temporary files and renamed into place, as a rotation tool does.
  // `san`: the subjectAltName list, e.g. "DNS:*.kpp.test,IP:127.0.0.1".
  bool make_server(const std::string& ca, const std::string& name, int serial,
                   const std::string& san = "DNS:localhost,IP:127.0.0.1");

 private:
  std::filesystem::path dir_;
};

}  // namespace kpp::test
