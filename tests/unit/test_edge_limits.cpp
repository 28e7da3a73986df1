// The server edge's own checks (issue 20): JSON nesting before any parse,
// which hosts count as loopback, and the city CA's fingerprint as openssl
// prints it (tests/data/city-ca-test.pem, made by deploy/shelter-tls).
#include <catch2/catch.hpp>
#include <string>

#include "core/fs_util.hpp"
#include "sync/daemon/city_ca.hpp"
#include "sync/protocol.hpp"

using namespace shelter;
using namespace shelter::sync;

TEST_CASE("JSON nesting is measured before any parse", "[edge]") {
  CHECK(json_depth_within(R"({"v":1,"events":[{"body":{"name":"x"}}]})", 4));
  CHECK_FALSE(json_depth_within(R"({"v":1,"events":[{"body":{"name":"x"}}]})", 3));
  // Brackets in strings, escaped quotes included, do not count.
  CHECK(json_depth_within(R"({"name":"[[[[{{{{\"[[[["})", 1));
  CHECK(json_depth_within(std::string(100000, '[') + std::string(100000, ']'), 100000));
  CHECK_FALSE(json_depth_within(std::string(100000, '['), kMaxJsonDepth));
  // The push route refuses such a body with the reason, before parsing it.
  auto push = decode_push_request(std::string(100000, '['));
  REQUIRE_FALSE(push);
  CHECK_THAT(push.error().message, Catch::Contains("nested deeper than 32"));
}

TEST_CASE("Only loopback hosts count as this machine", "[edge]") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("[::1]"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("10.0.0.5"));
  CHECK_FALSE(is_loopback_host("localhost.evil.example"));
  CHECK_FALSE(is_loopback_host("::"));
}

TEST_CASE("The city CA's fingerprint is openssl's", "[edge]") {
  auto pem = read_file_bytes(std::string(SHELTER_TEST_DATA) + "/city-ca-test.pem");
  REQUIRE(pem);
  auto fp = certificate_fingerprint(*pem);
  REQUIRE(fp);
  // openssl x509 -in tests/data/city-ca-test.pem -noout -fingerprint -sha256
  CHECK(*fp == "5D:B4:49:A2:A1:EC:0E:B5:B9:29:94:2F:A9:9C:9C:6A:24:DC:6C:56:1F:C0:18:13:A8:0E:46:12:2F:FD:10:A4");
  CHECK(same_fingerprint(
      *fp,
      "sha256 "
      "Fingerprint=5D:B4:49:A2:A1:EC:0E:B5:B9:29:94:2F:A9:9C:9C:6A:24:DC:6C:56:1F:C0:18:13:A8:0E:46:12:2F:FD:10:A4"));
  std::string lower;
  for (char c : *fp)
    if (c != ':') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(same_fingerprint(*fp, lower));
  CHECK_FALSE(same_fingerprint(*fp, lower.substr(2)));
  CHECK_FALSE(same_fingerprint("", ""));
  CHECK_FALSE(certificate_fingerprint("not a certificate"));
  CHECK_FALSE(certificate_fingerprint("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"));
}
