#include "kpp/auth/scram_messages.h"

#include <charconv>
#include <vector>

#include "kpp/auth/base64.h"

namespace kpp::auth {
namespace {

auth_error malformed(std::string what) {
  return fail(auth_errc::malformed_message, "SCRAM message: " + std::move(what));
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

// "k=value" with the expected key; nullopt otherwise.
std::optional<std::string_view> attr(std::string_view part, char key) {
  if (part.size() < 2 || part[0] != key || part[1] != '=') return std::nullopt;
  return part.substr(2);
}

bool printable(char c) {
  return c >= 0x20 && c <= 0x7e;
}

}  // namespace

auth_status check_ascii(std::string_view value, std::string_view what) {
  for (const char c : value) {
    if (!printable(c)) {
      return fail(auth_errc::not_ascii,
                  std::string(what) +
                      " holds a character outside printable ASCII; SASLprep is not "
                      "implemented, so use printable ASCII only");
    }
  }
  return done_t{};
}

std::string escape_saslname(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

auth_result<std::string> unescape_saslname(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') return malformed("unescaped ',' in a name");
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    const auto esc = s.substr(i + 1, 2);
    if (esc == "2C") {
      out += ',';
    } else if (esc == "3D") {
      out += '=';
    } else {
      return malformed("bad '=' escape in a name");
    }
    i += 2;
  }
  return out;
}

bool valid_nonce(std::string_view nonce) noexcept {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (!printable(c) || c == ',') return false;
  }
  return true;
}

auth_result<client_first> parse_client_first(std::string_view msg) {
  // gs2-cbind-flag "," [authzid] "," client-first-message-bare
  const auto c1 = msg.find(',');
  if (c1 == std::string_view::npos) return malformed("client-first has no GS2 header");
  const auto c2 = msg.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return malformed("client-first has no GS2 header");
  const auto flag = msg.substr(0, c1);
  if (flag != "n" && flag != "y") {
    return malformed("client-first asks for channel binding, which is not offered");
  }
  client_first out;
  out.gs2_header = std::string(msg.substr(0, c2 + 1));
  const auto authz = msg.substr(c1 + 1, c2 - c1 - 1);
  if (!authz.empty()) {
    const auto a = attr(authz, 'a');
    if (!a) return malformed("client-first has a bad authzid");
    auto name = unescape_saslname(*a);
    if (!name) return name.error();
    out.authzid = std::move(*name);
  }
  out.bare = std::string(msg.substr(c2 + 1));
  const auto parts = split(out.bare);
  // n=<name>,r=<nonce>[,extensions]; a reserved m= comes first and is mandatory: refuse it.
  if (parts.size() < 2) return malformed("client-first lacks n= or r=");
  const auto n = attr(parts[0], 'n');
  const auto r = attr(parts[1], 'r');
  if (!n || !r) return malformed("client-first lacks n= or r=");
  auto name = unescape_saslname(*n);
  if (!name) return name.error();
  if (name->empty()) return malformed("client-first has an empty user name");
  if (!valid_nonce(*r)) return malformed("client-first has a bad nonce");
  out.username = std::move(*name);
  out.nonce = std::string(*r);
  return out;
}

auth_result<server_first> parse_server_first(std::string_view msg) {
  const auto parts = split(msg);
  if (!parts.empty() && attr(parts[0], 'm')) {
    return malformed("server-first has a mandatory extension this client does not know");
  }
  if (parts.size() < 3) return malformed("server-first lacks r=, s= or i=");
  const auto r = attr(parts[0], 'r');
  const auto s = attr(parts[1], 's');
  const auto i = attr(parts[2], 'i');
  if (!r || !s || !i) return malformed("server-first lacks r=, s= or i=");
  if (!valid_nonce(*r)) return malformed("server-first has a bad nonce");
  auto salt = base64_decode(*s);
  if (!salt || salt->empty()) return malformed("server-first has a bad salt");
  std::uint32_t iterations = 0;
  const auto [end, ec] = std::from_chars(i->data(), i->data() + i->size(), iterations);
  if (ec != std::errc{} || end != i->data() + i->size() || i->empty() || (*i)[0] == '0') {
    return malformed("server-first has a bad iteration count");
  }
  return server_first{std::string(*r), std::move(*salt), iterations};
}

auth_result<client_final> parse_client_final(std::string_view msg) {
  // c=<binding>,r=<nonce>[,extensions],p=<proof>; the proof is always last.
  const auto p_at = msg.rfind(",p=");
  if (p_at == std::string_view::npos) return malformed("client-final lacks p=");
  const auto parts = split(msg.substr(0, p_at));
  if (parts.size() < 2) return malformed("client-final lacks c= or r=");
  const auto c = attr(parts[0], 'c');
  const auto r = attr(parts[1], 'r');
  if (!c || !r) return malformed("client-final lacks c= or r=");
  auto binding = base64_decode(*c);
  auto proof = base64_decode(msg.substr(p_at + 3));
  if (!binding) return malformed("client-final has a bad channel binding");
  if (!proof) return malformed("client-final has a bad proof");
  return client_final{std::move(*binding), std::string(*r), std::move(*proof),
                      std::string(msg.substr(0, p_at))};
}

auth_result<std::string> parse_server_final(std::string_view msg) {
  const auto parts = split(msg);
  if (const auto e = attr(parts[0], 'e')) {
    return fail(auth_errc::server_error, "SCRAM server error: " + std::string(*e));
  }
  const auto v = attr(parts[0], 'v');
  if (!v) return malformed("server-final lacks v=");
  auto sig = base64_decode(*v);
  if (!sig) return malformed("server-final has a bad signature encoding");
  return std::move(*sig);
}

}  // namespace kpp::auth
