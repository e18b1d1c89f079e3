#include "kpp/protocol/sasl_api_versions.h"

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"

namespace kpp::protocol {

api_versions_response sasl_listener_api_versions() {
  api_versions_response resp;
  resp.api_keys = {
      {api_key::sasl_handshake, 1, sasl_handshake_max_version, {}},  // v0 (raw tokens) unspoken
      {api_key::api_versions, 0, api_versions_max_version, {}},
      {api_key::sasl_authenticate, 0, sasl_authenticate_max_version, {}},
  };
  return resp;
}

std::int16_t encode_sasl_listener_api_versions(std::int16_t requested_version, byte_buffer& out) {
  auto resp = sasl_listener_api_versions();
  std::int16_t layout = requested_version;
  if (requested_version < 0 || requested_version > api_versions_max_version) {
    resp.error_code = unsupported_version_error;
    layout = 0;
  }
  encode_api_versions_response(resp, layout, out);
  return layout;
}

}  // namespace kpp::protocol
