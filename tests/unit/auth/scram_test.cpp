// SCRAM client and server against RFC 7677 section 3 (SCRAM-SHA-256, user "user", password
// "pencil", fixed nonces) and the same exchange for SCRAM-SHA-512, whose expected values
// were computed independently with Python's hashlib/hmac (no RFC gives a SHA-512 example).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "kpp/auth/base64.h"
#include "kpp/auth/plain.h"
#include "kpp/auth/scram_client.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/auth/scram_messages.h"
#include "kpp/auth/scram_server.h"

namespace kpp::auth {
namespace {

constexpr const char* client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* salt_b64 = "W22ZaJ0SNY7soEsUEjb6gQ==";

struct vector_case {
  mechanism mech;
  std::string proof;       // p= of the client-final
  std::string signature;   // v= of the server-final
  std::string stored_key;  // base64
  std::string server_key;  // base64
};

const vector_case cases[] = {
    {mechanism::scram_sha_256, "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
     "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="},
    {mechanism::scram_sha_512,
     "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
     "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==",
     "6AAub3065EYRmyFpM2RNwqK+eGnrkYuEWbXn19LsEmBqzu8QaCXNc1FwpnX9NhH2hK/60dzj9DoO5DvVkOHbvg==",
     "jZHbYjC1aHh0/hKbxyBuGFjDrgjgKTT1esA7awWiKcRZ0o/0b1yWEebBeSVkkCFewf91nLDfKF24mvD5nmE6rA=="},
};

std::string server_first() {
  return std::string("r=") + client_nonce + server_nonce + ",s=" + salt_b64 + ",i=4096";
}
std::string final_without_proof() {
  return std::string("c=biws,r=") + client_nonce + server_nonce;
}

scram_credential stored(const vector_case& c) {
  return {c.mech, *base64_decode(salt_b64), 4096, *base64_decode(c.stored_key),
          *base64_decode(c.server_key)};
}

credential_lookup only_user(const vector_case& c) {
  return [c](std::string_view name, mechanism m) -> std::optional<scram_credential> {
    if (name != "user" || m != c.mech) return std::nullopt;
    return stored(c);
  };
}

TEST(ScramKeys, CredentialFromPasswordMatchesVectors) {
  for (const auto& c : cases) {
    auto cred = make_scram_credential(c.mech, "pencil", *base64_decode(salt_b64), 4096);
    ASSERT_TRUE(cred) << cred.error().detail;
    EXPECT_EQ(base64_encode(cred->stored_key), c.stored_key);
    EXPECT_EQ(base64_encode(cred->server_key), c.server_key);
  }
}

TEST(ScramClient, RfcExchange) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(name(c.mech)));
    scram_client client{c.mech, "user", "pencil", client_nonce};
    auto first = client.first_message();
    ASSERT_TRUE(first) << first.error().detail;
    EXPECT_EQ(*first, std::string("n,,n=user,r=") + client_nonce);
    auto final = client.final_message(server_first());
    ASSERT_TRUE(final) << final.error().detail;
    EXPECT_EQ(*final, final_without_proof() + ",p=" + c.proof);
    EXPECT_TRUE(client.verify_server_final("v=" + c.signature));
  }
}

TEST(ScramClient, RefusesAWrongServerSignature) {
  scram_client client{mechanism::scram_sha_256, "user", "pencil", client_nonce};
  ASSERT_TRUE(client.first_message());
  ASSERT_TRUE(client.final_message(server_first()));
  const auto r = client.verify_server_final("v=" + cases[1].signature.substr(0, 44));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, auth_errc::server_signature_mismatch);
}

TEST(ScramClient, RefusesBadServerFirsts) {
  struct bad {
    std::string msg;
    auth_errc code;
  };
  const std::string nonce = std::string(client_nonce) + server_nonce;
  const bad bads[] = {
      {"r=someoneelse,s=" + std::string(salt_b64) + ",i=4096", auth_errc::nonce_mismatch},
      {std::string("r=") + client_nonce + ",s=" + salt_b64 + ",i=4096", auth_errc::nonce_mismatch},
      {"r=" + nonce + ",s=" + salt_b64 + ",i=4095", auth_errc::bad_iterations},
      {"r=" + nonce + ",s=" + salt_b64 + ",i=99999999999", auth_errc::malformed_message},
      {"r=" + nonce + ",s=" + salt_b64 + ",i=04096", auth_errc::malformed_message},
      {"r=" + nonce + ",s=not*base64,i=4096", auth_errc::malformed_message},
      {"m=ext,r=" + nonce + ",s=" + salt_b64 + ",i=4096", auth_errc::malformed_message},
      {"r=" + nonce + ",i=4096", auth_errc::malformed_message},
      {"", auth_errc::malformed_message},
  };
  for (const auto& b : bads) {
    SCOPED_TRACE(b.msg);
    scram_client client{mechanism::scram_sha_256, "user", "pencil", client_nonce};
    ASSERT_TRUE(client.first_message());
    const auto r = client.final_message(b.msg);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, b.code);
  }
}

TEST(ScramClient, ServerErrorAndOrder) {
  scram_client client{mechanism::scram_sha_512, "user", "pencil", client_nonce};
  EXPECT_EQ(client.final_message(server_first()).error().code, auth_errc::out_of_order);
  ASSERT_TRUE(client.first_message());
  ASSERT_TRUE(client.final_message(server_first()));
  const auto r = client.verify_server_final("e=invalid-proof");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, auth_errc::server_error);
  EXPECT_NE(r.error().detail.find("invalid-proof"), std::string::npos);
}

TEST(ScramClient, RefusesNonAsciiRatherThanSaslprep) {
  scram_client client{mechanism::scram_sha_256, "us\xc3\xa9r", "pencil", client_nonce};
  EXPECT_EQ(client.first_message().error().code, auth_errc::not_ascii);
  scram_client tab{mechanism::scram_sha_256, "user", "pen\tcil", client_nonce};
  EXPECT_EQ(tab.first_message().error().code, auth_errc::not_ascii);
}

TEST(ScramClient, EscapesNames) {
  scram_client client{mechanism::scram_sha_256, "a,b=c", "pencil", client_nonce};
  EXPECT_EQ(*client.first_message(), std::string("n,,n=a=2Cb=3Dc,r=") + client_nonce);
}

TEST(ScramServer, RfcExchange) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(name(c.mech)));
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    auto first = server.first_response(std::string("n,,n=user,r=") + client_nonce);
    ASSERT_TRUE(first) << first.error().detail;
    EXPECT_EQ(*first, server_first());
    EXPECT_EQ(server.username(), "user");
    auto final = server.final_response(final_without_proof() + ",p=" + c.proof);
    ASSERT_TRUE(final) << final.error().detail;
    EXPECT_EQ(*final, "v=" + c.signature);
  }
}

TEST(ScramServer, WrongProofUnknownUserAndMalformed) {
  const auto& c = cases[0];
  {
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    ASSERT_TRUE(server.first_response(std::string("n,,n=user,r=") + client_nonce));
    auto proof = *base64_decode(c.proof);
    proof[0] ^= 1;
    const auto r = server.final_response(final_without_proof() + ",p=" + base64_encode(proof));
    EXPECT_EQ(r.error().code, auth_errc::bad_password);
  }
  {
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    EXPECT_EQ(server.first_response("n,,n=nobody,r=abc").error().code, auth_errc::unknown_user);
  }
  {
    // Right user, other mechanism's credentials only.
    scram_server server{mechanism::scram_sha_512, only_user(c), {server_nonce, {}, 8192}};
    EXPECT_EQ(server.first_response("n,,n=user,r=abc").error().code, auth_errc::unknown_user);
  }
  const std::string malformed[] = {
      "p=tls-unique,,n=user,r=abc", "n,,r=abc", "n,,n=user", "n,,n=us=2Xer,r=abc",
      "n,a=other,n=user,r=abc",     "nonsense"};
  for (const auto& m : malformed) {
    SCOPED_TRACE(m);
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    EXPECT_EQ(server.first_response(m).error().code, auth_errc::malformed_message);
  }
  {
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    ASSERT_TRUE(server.first_response(std::string("n,,n=user,r=") + client_nonce));
    EXPECT_EQ(server.final_response("c=biws,r=" + std::string(client_nonce) + "x,p=" + c.proof)
                  .error()
                  .code,
              auth_errc::nonce_mismatch);
  }
  {
    scram_server server{c.mech, only_user(c), {server_nonce, {}, 8192}};
    ASSERT_TRUE(server.first_response(std::string("n,,n=user,r=") + client_nonce));
    // c= must be base64("n,,"), the GS2 header the client sent.
    EXPECT_EQ(server
                  .final_response("c=eSws,r=" + std::string(client_nonce) + server_nonce +
                                  ",p=" + c.proof)
                  .error()
                  .code,
              auth_errc::malformed_message);
  }
}

TEST(ScramServer, DecoyHidesUnknownUsersUntilTheProof) {
  const auto& c = cases[1];
  const scram_server_options opts{server_nonce, "process secret", 8192};
  const auto first_of = [&](const std::string& user) {
    scram_server server{c.mech, only_user(c), opts};
    auto first = server.first_response("n,,n=" + user + ",r=abc");
    EXPECT_TRUE(first) << first.error().detail;
    return first ? *first : std::string();
  };
  const auto mallory = first_of("mallory");
  auto parsed = parse_server_first(mallory);
  ASSERT_TRUE(parsed) << mallory;
  EXPECT_EQ(parsed->salt.size(), 16u);
  EXPECT_EQ(parsed->iterations, 8192u);
  EXPECT_EQ(first_of("mallory"), mallory);  // stable: a retry cannot tell it from a real salt
  EXPECT_NE(first_of("trudy"), mallory);
  EXPECT_EQ(first_of("user"), "r=abc" + std::string(server_nonce) + ",s=" + salt_b64 + ",i=4096");

  // The client computes a proof from the decoy salt; it fails as unknown_user at the end.
  scram_client client{c.mech, "mallory", "pencil", "abc"};
  ASSERT_TRUE(client.first_message());
  scram_server server{c.mech, only_user(c), opts};
  ASSERT_TRUE(server.first_response("n,,n=mallory,r=abc"));
  auto final = client.final_message(mallory);
  ASSERT_TRUE(final) << final.error().detail;
  EXPECT_EQ(server.final_response(*final).error().code, auth_errc::unknown_user);
}

TEST(ScramServer, AcceptsAMatchingAuthzidAndEscapedName) {
  const auto& c = cases[0];
  const auto lookup = [&](std::string_view n, mechanism) -> std::optional<scram_credential> {
    if (n != "a,b=c") return std::nullopt;
    return stored(c);
  };
  scram_server server{c.mech, lookup, {server_nonce, {}, 8192}};
  ASSERT_TRUE(server.first_response("n,a=a=2Cb=3Dc,n=a=2Cb=3Dc,r=abc"));
  EXPECT_EQ(server.username(), "a,b=c");
}

TEST(ScramMessages, Saslname) {
  EXPECT_EQ(escape_saslname("a,b=c"), "a=2Cb=3Dc");
  EXPECT_EQ(*unescape_saslname("a=2Cb=3Dc"), "a,b=c");
  EXPECT_FALSE(unescape_saslname("a=2"));
  EXPECT_FALSE(unescape_saslname("a=3d"));
  EXPECT_FALSE(unescape_saslname("a,b"));
}

TEST(Base64, StrictDecode) {
  EXPECT_EQ(base64_encode("pencil"), "cGVuY2ls");
  EXPECT_EQ(*base64_decode("cGVuY2ls"), "pencil");
  EXPECT_EQ(*base64_decode("cGVuY2k="), "penci");
  EXPECT_EQ(*base64_decode("cGVuYw=="), "penc");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("cGVuY2l"));
  EXPECT_FALSE(base64_decode("cG=uY2ls"));
  EXPECT_FALSE(base64_decode("cGVu Y2l"));
  EXPECT_FALSE(base64_decode("cGVuY==="));
}

TEST(Plain, MessageAndParse) {
  EXPECT_EQ(*plain_message("admin", "secret"), std::string("\0admin\0secret", 13));
  auto p = parse_plain(std::string("admin\0admin\0secret", 18));
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->username, "admin");
  EXPECT_EQ(p->password, "secret");
  const std::string bad[] = {std::string("\0admin", 6), std::string("\0\0secret", 8),
                             std::string("\0admin\0", 7), std::string("x\0admin\0s", 9),
                             std::string("\0a\0b\0c", 6)};
  for (const auto& b : bad) EXPECT_EQ(parse_plain(b).error().code, auth_errc::malformed_message);
  EXPECT_EQ(plain_message("admin", "s\xc3\xa9").error().code, auth_errc::not_ascii);
}

TEST(Plain, VerifiesAgainstTheSaltedCredential) {
  for (const auto& c : cases) {
    EXPECT_TRUE(*verify_password(stored(c), "pencil"));
    EXPECT_FALSE(*verify_password(stored(c), "pencil2"));
    EXPECT_FALSE(*verify_password(stored(c), ""));
  }
}

}  // namespace
}  // namespace kpp::auth
