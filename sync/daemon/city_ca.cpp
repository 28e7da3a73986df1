#include "sync/daemon/city_ca.hpp"

#include <httplib.h>
#include <sodium.h>

#include <cctype>

namespace shelter::sync {

namespace {

std::string hex_digits(std::string_view s) {
  const size_t eq = s.find('=');  // "sha256 Fingerprint=AB:CD..."
  if (eq != std::string_view::npos) s = s.substr(eq + 1);
  std::string out;
  for (const char c : s)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::string> certificate_fingerprint(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = pem.find(kBegin);
  const size_t end = begin == std::string_view::npos ? begin : pem.find(kEnd, begin);
  if (end == std::string_view::npos) return fail("not a PEM certificate (no BEGIN/END CERTIFICATE lines)");
  const std::string_view b64 = pem.substr(begin + kBegin.size(), end - begin - kBegin.size());
  if (sodium_init() < 0) return fail("libsodium did not start");
  std::string der(b64.size(), '\0');
  size_t der_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(der.data()), der.size(), b64.data(), b64.size(), " \r\n\t",
                        &der_len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      der_len == 0)
    return fail("not a PEM certificate (its base64 is broken)");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(der.data()), der_len);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < sizeof digest; ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool same_fingerprint(std::string_view a, std::string_view b) {
  const std::string x = hex_digits(a);
  return x.size() == 2 * crypto_hash_sha256_BYTES && x == hex_digits(b);
}

Result<std::string> fetch_city_ca(const std::string& server, std::string_view fingerprint, int timeout_seconds) {
  if (hex_digits(fingerprint).size() != 2 * crypto_hash_sha256_BYTES)
    return fail("the CA fingerprint must be 64 hex digits (shelter-tls fingerprint prints it)");
  if (server.rfind("https://", 0) != 0) return fail("a CA fingerprint needs an https:// server address");
  httplib::Client client(server);
  client.enable_server_certificate_verification(false);  // the pin below decides
  client.set_connection_timeout(timeout_seconds);
  client.set_read_timeout(timeout_seconds);
  auto res = client.Get("/city-ca.pem");
  if (!res) return fail("fetch " + server + "/city-ca.pem: " + httplib::to_string(res.error()));
  if (res->status != 200)
    return fail("fetch " + server + "/city-ca.pem: HTTP " + std::to_string(res->status) +
                " (is the packaged nginx edge in front of the server?)");
  if (res->body.size() > 64 * 1024) return fail("fetch " + server + "/city-ca.pem: too large for a certificate");
  auto fp = certificate_fingerprint(res->body);
  if (!fp) return fp.error().context("fetch " + server + "/city-ca.pem");
  if (!same_fingerprint(*fp, fingerprint))
    return fail("the server at " + server + " offers a CA with fingerprint " + *fp +
                ", not the one given: an impostor, or a wrong fingerprint; nothing was enrolled");
  return std::move(res->body);
}

}  // namespace shelter::sync
