// A USB export is read from a stick anyone could have written, and its
// checksum is not a secret: a file with a valid checksum but odd contents
// must be refused with a message, never crash the importer.
#include <sodium.h>

#include <catch2/catch.hpp>

#include <string>

#include "core/usb_export.hpp"

using namespace shelter;

namespace {

// The file as an attacker would make it: any lines, then a correct checksum.
std::string with_checksum(const std::string& body) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return body + "{\"blake2b\":\"" + hex + "\"}\n";
}

std::string refused(const std::string& body) {
  auto x = parse_usb_export(with_checksum(body));
  REQUIRE_FALSE(x.ok());
  return x.error().message;
}

}  // namespace

TEST_CASE("a USB export with a good checksum but a bad header or event is refused", "[usb]") {
  REQUIRE(sodium_init() >= 0);
  const std::string event =
      R"({"id":"d1.01a2109829b00000","type":"arrived","person":"488d0ab56dbf8f77","household":"be2dc7a52c8ade5f",)"
      R"("shelter":"tama-01","device":"d1","seq":1,"author":"self","hlc":117000000000000000,"body":{"name":"x"}})";
  CHECK(refused("{\"shelter_checkin_export\":\"1\",\"device\":\"d1\",\"shelter\":\"tama-01\",\"events\":0}\n")
            .find("not a shelter check-in export") != std::string::npos);
  CHECK(refused("{\"shelter_checkin_export\":1e300,\"events\":0}\n").find("not a shelter check-in export") !=
        std::string::npos);
  CHECK(refused("{\"shelter_checkin_export\":1,\"device\":7,\"shelter\":[],\"events\":\"1\"}\n")
            .find("does not say how many") != std::string::npos);
  CHECK(refused("{\"shelter_checkin_export\":1,\"events\":-1}\n").find("does not say how many") != std::string::npos);
  CHECK(refused("{\"shelter_checkin_export\":1,\"events\":1e30}\n").find("does not say how many") != std::string::npos);
  const std::string header = "{\"shelter_checkin_export\":1,\"device\":\"d1\",\"shelter\":\"tama-01\",\"events\":1}\n";
  std::string huge_clock = event;
  huge_clock.replace(huge_clock.find("117000000000000000"), 18, "117674785985585985527808");
  CHECK(refused(header + huge_clock + "\n").find("hlc must be a whole number") != std::string::npos);
  std::string float_seq = event;
  float_seq.replace(float_seq.find("\"seq\":1"), 7, "\"seq\":1e300");
  CHECK(refused(header + float_seq + "\n").find("seq must be a whole number") != std::string::npos);
  std::string text_seq = event;
  text_seq.replace(text_seq.find("\"seq\":1"), 7, "\"seq\":\"1\"");
  CHECK(refused(header + text_seq + "\n").find("seq must be a whole number") != std::string::npos);
}
