#include "support/test_certs.h"

#include <cstdlib>
#include <fstream>

namespace kpp::test {

namespace fs = std::filesystem;

bool run_quietly(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

cert_dir::cert_dir() {
  std::string tmpl = (fs::temp_directory_path() / "kpp-tls-it-XXXXXX").string();
  if (::mkdtemp(tmpl.data())) dir_ = tmpl;
}

cert_dir::~cert_dir() {
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string cert_dir::path(const std::string& file) const {
  return (dir_ / file).string();
}

bool cert_dir::make_ca(const std::string& name) {
  return run_quietly(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
      path(name + ".key") + " -out " + path(name + ".pem") + " -days 2 -subj /CN=kpp-" + name);
}

bool cert_dir::make_server(const std::string& ca, const std::string& name, int serial,
                           const std::string& san) {
  {
    std::ofstream ext(path("ext.cnf"));
    ext << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n";
  }
  const bool ok =
      run_quietly("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                  path(name + ".key.new") + " -out " + path(name + ".csr") +
                  " -subj /CN=localhost") &&
      run_quietly("openssl x509 -req -in " + path(name + ".csr") + " -CA " + path(ca + ".pem") +
                  " -CAkey " + path(ca + ".key") + " -set_serial " + std::to_string(serial) +
                  " -days 1 -extfile " + path("ext.cnf") + " -out " + path(name + ".pem.new"));
  if (!ok) return false;
  std::error_code ec;
  fs::rename(path(name + ".key.new"), path(name + ".key"), ec);
  if (!ec) fs::rename(path(name + ".pem.new"), path(name + ".pem"), ec);
  return !ec;
}

}  // namespace kpp::test
