#include "support/kafka_raw.h"

#include <algorithm>

#include "kpp/protocol/find_coordinator_response.h"
#include "kpp/protocol/metadata_response.h"

namespace kpp::test {
namespace {

void set_error(std::string* error, const std::string& what) {
  if (error) *error = what;
}

protocol::bytes_view body_after_correlation(const bytes& frame) {
  return {reinterpret_cast<const std::byte*>(frame.data()) + 4, frame.size() - 4};
}

// Reads one response frame and checks its correlation id (response header v0).
std::optional<bytes> read_response(raw_client& c, std::int32_t correlation_id, std::string* error,
                                   std::chrono::milliseconds timeout) {
  auto frame = c.read_frame(timeout);
  if (!frame) {
    set_error(error, "no response (closed or timed out)");
    return std::nullopt;
  }
  if (frame->size() < 4 || get_i32(*frame, 0) != correlation_id) {
    set_error(error, "response with a wrong correlation id");
    return std::nullopt;
  }
  return frame;
}

}  // namespace

bytes metadata_request_body(std::int16_t version) {
  bytes body;
  put_i32(body, version == 0 ? 0 : -1);  // all topics
  return body;
}

std::optional<std::vector<broker_address>> metadata_round_trip(raw_client& c, std::int16_t version,
                                                               std::int32_t correlation_id,
                                                               std::string* error,
                                                               std::chrono::milliseconds timeout) {
  if (!c.send(request_frame(3, version, correlation_id, metadata_request_body(version)))) {
    set_error(error, "send failed");
    return std::nullopt;
  }
  auto frame = read_response(c, correlation_id, error, timeout);
  if (!frame) return std::nullopt;
  auto md = protocol::decode_metadata_response(body_after_correlation(*frame), version);
  if (!md) {
    set_error(error,
              "undecodable Metadata v" + std::to_string(version) + ": " + md.error().describe());
    return std::nullopt;
  }
  std::vector<broker_address> out;
  for (const auto& b : md->brokers) out.push_back({b.node_id, std::string(b.host), b.port});
  return out;
}

std::optional<std::vector<broker_address>> raw_metadata(std::uint16_t port, std::int16_t version,
                                                        std::string* error) {
  raw_client c(port);
  if (!c.connected()) {
    set_error(error, "cannot connect to 127.0.0.1:" + std::to_string(port));
    return std::nullopt;
  }
  return metadata_round_trip(c, version, 4242, error);
}

std::optional<broker_address> find_coordinator_round_trip(raw_client& c, std::int16_t version,
                                                          std::int32_t correlation_id,
                                                          const std::string& group,
                                                          std::string* error) {
  bytes body;
  put_i16(body, static_cast<std::int16_t>(group.size()));
  body.insert(body.end(), group.begin(), group.end());
  if (version >= 1) body.push_back(0);  // key_type 0 = group
  if (!c.send(request_frame(10, version, correlation_id, body))) {
    set_error(error, "send failed");
    return std::nullopt;
  }
  auto frame = read_response(c, correlation_id, error, std::chrono::milliseconds(5000));
  if (!frame) return std::nullopt;
  auto fc = protocol::decode_find_coordinator_response(body_after_correlation(*frame), version);
  if (!fc) {
    set_error(error, "undecodable FindCoordinator v" + std::to_string(version) + ": " +
                         fc.error().describe());
    return std::nullopt;
  }
  if (fc->error_code != 0) {
    set_error(error, "FindCoordinator error code " + std::to_string(fc->error_code));
    return std::nullopt;
  }
  return broker_address{fc->node_id, std::string(fc->host), fc->port};
}

std::string describe(const std::vector<broker_address>& brokers) {
  auto sorted = brokers;
  std::sort(sorted.begin(), sorted.end(),
            [](const broker_address& a, const broker_address& b) { return a.id < b.id; });
  std::string out;
  for (const auto& b : sorted)
    out += (out.empty() ? "" : " ") + std::to_string(b.id) + "=" + b.str();
  return out;
}

}  // namespace kpp::test
