#include "core/sealing.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "core/fs_util.hpp"

namespace shelter::sealing {

namespace {

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool init_sodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string text_of(const unsigned char* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

BoxKeyPair generate() {
  init_sodium();
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  BoxKeyPair out{text_of(pk, sizeof pk), text_of(sk, sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return out;
}

Result<BoxKeyPair> from_signing_key(const signing::KeyPair& pair) {
  if (pair.public_key.size() != crypto_sign_PUBLICKEYBYTES || pair.secret_key.size() != crypto_sign_SECRETKEYBYTES)
    return fail("box key: no device signing key");
  init_sodium();
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  if (crypto_sign_ed25519_pk_to_curve25519(pk, bytes_of(pair.public_key)) != 0)
    return fail("box key: the device key cannot be converted");
  crypto_sign_ed25519_sk_to_curve25519(sk, bytes_of(pair.secret_key));
  BoxKeyPair out{text_of(pk, sizeof pk), text_of(sk, sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return out;
}

Status write_hq_key_file(const std::string& path, const BoxKeyPair& pair) {
  if (pair.public_key.size() != kBoxKeyBytes || pair.secret_key.size() != kBoxKeyBytes)
    return fail("write key " + path + ": no secret key");
  const std::string text = nlohmann::json{{"v", 1},
                                          {"kind", "hq"},
                                          {"key_id", pair.key_id()},
                                          {"public_key", signing::to_hex(pair.public_key)},
                                          {"secret_key", signing::to_hex(pair.secret_key)}}
                               .dump(2) +
                           "\n";
  return write_file_atomic(path, text, 0600);
}

Result<BoxKeyPair> read_hq_key_file(const std::string& path) {
  auto text = read_file_bytes(path, 64 * 1024);
  if (!text) return text.error().context("headquarters key");
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("v") || j["v"] != 1 || !j.contains("kind") || j["kind"] != "hq")
    return fail("headquarters key " + path + ": not a headquarters key file (shelter-server hq-key makes one)");
  for (const char* field : {"public_key", "secret_key"})
    if (!j.contains(field) || !j[field].is_string())
      return fail("headquarters key " + path + ": " + field + " is missing");
  auto pub = signing::from_hex(j["public_key"].get<std::string>(), kBoxKeyBytes);
  auto sec = signing::from_hex(j["secret_key"].get<std::string>(), kBoxKeyBytes);
  if (!pub || !sec) return fail("headquarters key " + path + ": a key is not 64 hex digits");
  init_sodium();
  unsigned char derived[crypto_box_PUBLICKEYBYTES];
  crypto_scalarmult_base(derived, bytes_of(*sec));
  if (text_of(derived, sizeof derived) != *pub)
    return fail("headquarters key " + path + ": the public key does not belong to the secret (damaged file?)");
  return BoxKeyPair{*pub, *sec};
}

Status write_hq_public_file(const std::string& path, std::string_view public_key) {
  if (public_key.size() != kBoxKeyBytes) return fail("write key " + path + ": a public key is 32 bytes");
  const std::string text = nlohmann::json{{"v", 1},
                                          {"kind", "hq"},
                                          {"key_id", signing::key_id(public_key)},
                                          {"public_key", signing::to_hex(public_key)}}
                               .dump(2) +
                           "\n";
  return write_file_atomic(path, text, 0644);
}

Result<BoxKeyPair> read_hq_public_file(const std::string& path) {
  auto text = read_file_bytes(path, 64 * 1024);
  if (!text) return text.error().context("headquarters key");
  const std::string what = "headquarters key " + path + ": ";
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("v") || j["v"] != 1 || !j.contains("kind") || j["kind"] != "hq")
    return fail(what + "not a headquarters key file (shelter-server hq-key --public-out makes one)");
  if (j.contains("secret_key"))
    return fail(what +
                "this is the secret key file, which never leaves headquarters: give the public file of "
                "shelter-server hq-key --public-out");
  if (!j.contains("public_key") || !j["public_key"].is_string() || !j.contains("key_id") || !j["key_id"].is_string())
    return fail(what + "public_key or key_id is missing");
  auto pub = signing::from_hex(j["public_key"].get<std::string>(), kBoxKeyBytes);
  if (!pub) return fail(what + "the public key is not 64 hex digits");
  if (signing::key_id(*pub) != j["key_id"].get<std::string>())
    return fail(what + "the key id does not match the key (damaged file?)");
  // A key nothing can be sealed to (a low-order point) is refused now, not
  // at the first export.
  if (!seal(*pub, "")) return fail(what + "not a usable box key");
  return BoxKeyPair{*pub, ""};
}

Result<std::string> seal(std::string_view public_key, std::string_view message) {
  if (public_key.size() != crypto_box_PUBLICKEYBYTES) return fail("seal: a box key is 32 bytes");
  init_sodium();
  std::string out(message.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()), bytes_of(message), message.size(),
                      bytes_of(public_key)) != 0)
    return fail("seal: failed");
  return out;
}

Result<std::string> open(const BoxKeyPair& pair, std::string_view sealed) {
  if (pair.public_key.size() != crypto_box_PUBLICKEYBYTES || pair.secret_key.size() != crypto_box_SECRETKEYBYTES)
    return fail("open: no secret key");
  if (sealed.size() < crypto_box_SEALBYTES) return fail("open: too short (cut off?)");
  init_sodium();
  std::string out(sealed.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(out.data()), bytes_of(sealed), sealed.size(),
                           bytes_of(pair.public_key), bytes_of(pair.secret_key)) != 0)
    return fail("open: damaged, altered, cut off, or sealed to another key");
  return out;
}

}  // namespace shelter::sealing
