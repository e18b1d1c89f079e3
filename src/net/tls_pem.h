// Helpers shared by the server and client context builders: PEM parsing from memory and the
// settings both sides have (versions, release buffers, own certificate and key).
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "kpp/net/tls_context.h"

namespace kpp::net::detail {

tls_load_failure failure(tls_load_error cause, std::string message);

// Reads the secret (password file from the snapshot, else the literal value).
tls_loaded<std::string> secret_value(const tls_secret& s, const tls_file_snapshot& files,
                                     const std::string& key);

// Common options: minimum version, no compression, SSL_MODE_RELEASE_BUFFERS (idle
// connections drop OpenSSL's read/write buffers), a read-ahead buffer of 4 records.
void apply_common(SSL_CTX* ctx, tls_version min_version);

// Own certificate chain and private key from the snapshot; checks that they match.
std::optional<tls_load_failure> use_cert_and_key(SSL_CTX* ctx, const std::string& cert_file,
                                                 const std::string& key_file,
                                                 const tls_secret& password,
                                                 const tls_file_snapshot& files,
                                                 const std::string& key_prefix);

// Adds every certificate in a PEM bundle to the context's trust store; returns how many.
std::optional<tls_load_failure> add_ca_bundle(SSL_CTX* ctx, const std::string& path,
                                              const tls_file_snapshot& files,
                                              const std::string& key, bool also_client_ca_list);

// The last OpenSSL error as text, and clears the queue.
std::string openssl_error();

}  // namespace kpp::net::detail
