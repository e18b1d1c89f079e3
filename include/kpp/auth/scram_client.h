// SCRAM-SHA-256/512 client (RFC 5802, RFC 7677): client-first, then client-final from the
// server-first, then verification of the server's signature. One instance per login.
#pragma once

#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/mechanism.h"

namespace kpp::auth {

class scram_client {
 public:
  // `nonce` empty: 24 random bytes, base64. Tests pass a fixed one.
  scram_client(mechanism m, std::string username, std::string password, std::string nonce = {});
  ~scram_client();
  scram_client(const scram_client&) = delete;
  scram_client& operator=(const scram_client&) = delete;

  // "n,,n=<user>,r=<nonce>"; fails on a non-ASCII name or password, or a non-SCRAM mechanism.
  [[nodiscard]] auth_result<std::string> first_message();
  // Checks the server-first (nonce extends ours, iterations in range) and answers with the
  // client-final carrying the proof.
  [[nodiscard]] auth_result<std::string> final_message(std::string_view server_first);
  // Checks the server-final's signature (constant time). Only then is the login complete.
  [[nodiscard]] auth_status verify_server_final(std::string_view server_final);

 private:
  enum class step { initial, sent_first, sent_final, done };
  mechanism mech_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
  step step_ = step::initial;
};

}  // namespace kpp::auth
