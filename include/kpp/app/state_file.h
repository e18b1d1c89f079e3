// The sequential policy's memory: node id -> port, so a restart binds the same ports before
// serving and clients holding cached metadata reconnect to the right broker.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace kpp::app {

struct state_load {
  std::map<std::int32_t, std::uint16_t> ports;
  std::string error;  // empty when the file was read (or does not exist yet)
};

[[nodiscard]] state_load load_port_state(const std::string& path);
// Writes to a temporary file in the same directory, fsyncs, renames: never a torn file.
[[nodiscard]] std::string save_port_state(const std::string& path,
                                          const std::map<std::int32_t, std::uint16_t>& ports);

}  // namespace kpp::app
