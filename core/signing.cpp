#include "core/signing.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "core/fs_util.hpp"

namespace shelter::signing {

namespace {

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool init_sodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

}  // namespace

std::string KeyPair::key_id() const {
  return signing::key_id(public_key);
}

KeyPair generate() {
  init_sodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  KeyPair out{std::string(reinterpret_cast<char*>(pk), sizeof pk), std::string(reinterpret_cast<char*>(sk), sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return out;
}

Result<KeyPair> from_seed(std::string_view seed) {
  if (seed.size() != kSeedBytes) return fail("a key seed is " + std::to_string(kSeedBytes) + " bytes");
  init_sodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, bytes_of(seed));
  KeyPair out{std::string(reinterpret_cast<char*>(pk), sizeof pk), std::string(reinterpret_cast<char*>(sk), sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return out;
}

std::string seed_of(const KeyPair& pair) {
  return pair.secret_key.substr(0, kSeedBytes);
}

std::string key_id_bytes(std::string_view public_key) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, bytes_of(public_key), public_key.size(), nullptr, 0);
  return std::string(reinterpret_cast<char*>(h), kKeyIdBytes);
}

std::string key_id(std::string_view public_key) {
  return to_hex(key_id_bytes(public_key));
}

bool is_key_id(std::string_view id) {
  if (id.size() != 2 * kKeyIdBytes) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string sign(const KeyPair& pair, std::string_view message) {
  unsigned char sig[crypto_sign_BYTES];
  if (pair.secret_key.size() != crypto_sign_SECRETKEYBYTES) return {};
  crypto_sign_detached(sig, nullptr, bytes_of(message), message.size(), bytes_of(pair.secret_key));
  return std::string(reinterpret_cast<char*>(sig), sizeof sig);
}

bool verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) return false;
  init_sodium();
  return crypto_sign_verify_detached(bytes_of(signature), bytes_of(message), message.size(), bytes_of(public_key)) == 0;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<std::string> from_hex(std::string_view hex, size_t bytes) {
  if (hex.size() != 2 * bytes) return fail("expected " + std::to_string(2 * bytes) + " hex digits");
  std::string out(bytes, '\0');
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < bytes; ++i) {
    const int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail("not a hex digit");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string key_to_json(const KeyPair& pair, std::string_view kind) {
  return nlohmann::json{{"v", 1},
                        {"kind", std::string(kind)},
                        {"key_id", pair.key_id()},
                        {"public_key", to_hex(pair.public_key)},
                        {"seed", to_hex(seed_of(pair))}}
      .dump(2);
}

Result<KeyFile> key_from_json(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object() || !j.contains("v") || j["v"] != 1) return fail("not a version 1 key");
  for (const char* field : {"kind", "public_key", "seed"})
    if (!j.contains(field) || !j[field].is_string()) return fail(std::string("key: ") + field + " is missing");
  auto seed = from_hex(j["seed"].get<std::string>(), kSeedBytes);
  if (!seed) return seed.error().context("key: seed");
  auto pair = from_seed(*seed);
  if (!pair) return pair.error().context("key");
  auto pub = from_hex(j["public_key"].get<std::string>(), kPublicKeyBytes);
  if (!pub) return pub.error().context("key: public_key");
  if (*pub != pair->public_key) return fail("key: the public key does not belong to the seed (damaged file?)");
  return KeyFile{j["kind"].get<std::string>(), std::move(*pair)};
}

Status write_key_file(const std::string& path, const KeyPair& pair, std::string_view kind) {
  if (pair.secret_key.size() != crypto_sign_SECRETKEYBYTES) return fail("write key " + path + ": no secret key");
  return write_file_atomic(path, key_to_json(pair, kind) + "\n", 0600);
}

Result<KeyFile> read_key_file(const std::string& path) {
  auto text = read_file_bytes(path, 64 * 1024);
  if (!text) return text.error();
  auto key = key_from_json(*text);
  if (!key) return key.error().context(path);
  return key;
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Valid:
      return "valid";
    case Verdict::Unsigned:
      return "unsigned";
    case Verdict::UnknownKey:
      return "unknown_key";
    case Verdict::RevokedKey:
      return "revoked_key";
    case Verdict::BadSignature:
      return "bad_signature";
  }
  return "unknown";
}

void KeyRing::add_own(const KeyPair& pair, std::string_view kind) {
  if (pair.public_key.size() != kPublicKeyBytes) return;
  TrustedKey k;
  k.kind = std::string(kind);
  k.key_id = pair.key_id();
  k.public_key = pair.public_key;
  own_.push_back(std::move(k));
}

const TrustedKey* KeyRing::find(std::string_view kind, std::string_view key_id) const {
  for (const auto* list : {&own_, &keys_})
    for (const auto& k : *list)
      if (k.kind == kind && k.key_id == key_id) return &k;
  return nullptr;
}

Verdict KeyRing::check(std::string_view kind, std::string_view key_id, std::string_view message,
                       std::string_view signature) const {
  if (key_id.empty() && signature.empty()) return Verdict::Unsigned;
  const TrustedKey* k = find(kind, key_id);
  if (!k) return Verdict::UnknownKey;
  // A revoked key is refused even when its signature is good: a stolen
  // tablet still signs well. The own key is found first, and never revoked here.
  if (k->revoked) return Verdict::RevokedKey;
  return verify(k->public_key, message, signature) ? Verdict::Valid : Verdict::BadSignature;
}

}  // namespace shelter::signing
