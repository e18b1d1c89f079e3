// What a session needs to know, translated from the validated config by app/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "kpp/protocol/cidr.h"

namespace kpp::net {

struct keepalive_settings {
  bool enabled = true;
  std::chrono::seconds idle{60};
  std::chrono::seconds interval{10};
  int count = 6;
};

struct session_settings {
  std::size_t max_frame_size = 100 * 1024 * 1024;
  std::size_t buffer_size = 64 * 1024;
  std::size_t max_in_flight = 256;
  std::size_t assembled_memory = 256 * 1024 * 1024;  // all sessions' assembled responses
  std::size_t splice_min_body = 64 * 1024;  // pass-through bodies this long go by splice(2)
  std::chrono::milliseconds dial_timeout{10000};
  std::chrono::milliseconds idle_timeout{0};  // 0: off
  // A new connection must send its first bytes (after any PROXY header) within this.
  std::chrono::milliseconds first_bytes_timeout{10000};
  std::chrono::milliseconds write_timeout{0};  // 0: off
  // An answer is owed and neither the broker nor the client has sent a byte for this long:
  // closed (session::brokers_turn says when it applies). 0: off.
  std::chrono::milliseconds read_timeout{0};
  keepalive_settings keepalive;
  std::set<std::int16_t> forbidden_api_keys;
  bool proxy_protocol = false;
  std::vector<protocol::cidr> proxy_protocol_sources;  // empty: any source may send the header
  std::chrono::milliseconds proxy_protocol_timeout{5000};
};

}  // namespace kpp::net
