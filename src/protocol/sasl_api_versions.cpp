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

}  // namespace kpp::protocol
