#include "kpp/app/users_command.h"

#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "kpp/auth/users_file.h"

namespace kpp::app {
namespace {

void strip_newline(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

// One line from the terminal with echo off; restored whatever happens.
bool prompt(const char* text, std::string& out) {
  std::fputs(text, stderr);
  std::fflush(stderr);
  termios old{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  const bool ok = static_cast<bool>(std::getline(std::cin, out));
  if (tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fputs("\n", stderr);
  strip_newline(out);
  return ok;
}

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

int run_users_add(const config::users_request& request) {
  std::string password;
  if (::isatty(STDIN_FILENO)) {
    std::string again;
    if (!prompt(("Password for " + request.name + ": ").c_str(), password) ||
        !prompt("Again: ", again)) {
      std::fprintf(stderr, "kafka-psc-proxy users add: no password read\n");
      return 1;
    }
    const bool same = password == again;
    wipe(again);
    if (!same) {
      wipe(password);
      std::fprintf(stderr, "kafka-psc-proxy users add: the passwords differ; nothing written\n");
      return 1;
    }
  } else if (!std::getline(std::cin, password)) {
    std::fprintf(stderr,
                 "kafka-psc-proxy users add: no password on stdin; pipe it in "
                 "(printf '%%s\\n' \"$PW\" | kafka-psc-proxy users add NAME) or run it in a "
                 "terminal\n");
    return 1;
  }
  strip_newline(password);
  if (password.empty()) {
    std::fprintf(stderr, "kafka-psc-proxy users add: the password is empty; nothing written\n");
    return 1;
  }
  const auto status = auth::upsert_user(request.file, request.name, password, request.iterations);
  wipe(password);
  if (!status) {
    std::fprintf(stderr, "kafka-psc-proxy users add: %s\n", status.error().detail.c_str());
    return 1;
  }
  std::fprintf(stderr,
               "%s: %s can log in with SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (%u iterations; "
               "the proxy re-reads the file when it changes)\n",
               request.file.c_str(), request.name.c_str(), request.iterations);
  return 0;
}

}  // namespace kpp::app
