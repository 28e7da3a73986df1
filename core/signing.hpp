#pragma once
// Ed25519 signatures (libsodium crypto_sign) for passes and city-printed
// cards, and the key files that hold them. A key is named by a short key id:
// the first 8 bytes of BLAKE2b of its public key, as 16 hex digits. Keys
// travel as hex; in memory they are raw bytes in std::string.
//
// Which keys a kiosk trusts (its own, every enrolled device's, the city's
// card keys) is a KeyRing, kept in the kiosk's store (Store::trusted_keys)
// and refreshed from the server's GET /v1/keys each sync round.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::signing {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSeedBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr size_t kKeyIdBytes = 8;

struct KeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes (libsodium's: seed then public key)
  std::string key_id() const;
  bool empty() const { return public_key.empty(); }
};

// A new key pair from libsodium's CSPRNG.
KeyPair generate();
// The pair whose 32-byte seed is `seed` (a key file keeps only the seed).
Result<KeyPair> from_seed(std::string_view seed);
std::string seed_of(const KeyPair& pair);

// The key id: 16 hex digits (the first 8 bytes of BLAKE2b-256 of the key).
std::string key_id(std::string_view public_key);
// The same 8 bytes raw, as a QR code carries them.
std::string key_id_bytes(std::string_view public_key);
bool is_key_id(std::string_view id);

// A detached signature (64 bytes) over `message`.
std::string sign(const KeyPair& pair, std::string_view message);
// False for a wrong size of key or signature, as for a bad signature.
bool verify(std::string_view public_key, std::string_view message, std::string_view signature);

std::string to_hex(std::string_view bytes);
// Lower-case or upper-case hex of exactly `bytes` bytes; an error otherwise.
Result<std::string> from_hex(std::string_view hex, size_t bytes);

// Key files: JSON {"v":1, "kind", "key_id", "public_key", "seed"} (hex),
// written atomically (tmp, fsync, rename) with mode 0600. Reading checks
// that the seed gives the public key, so a damaged file is an error, not a
// wrong key.
Status write_key_file(const std::string& path, const KeyPair& pair, std::string_view kind);
struct KeyFile {
  std::string kind;
  KeyPair pair;
};
Result<KeyFile> read_key_file(const std::string& path);

// The same JSON object, for files that hold a key among other things
// (the device secrets file, core/secrets.hpp).
std::string key_to_json(const KeyPair& pair, std::string_view kind);
Result<KeyFile> key_from_json(std::string_view json_text);

// A public key a kiosk trusts, with whose it is.
struct TrustedKey {
  std::string
      kind;  // "device" (signs passes), "card" (the city's card key) or "hq" (headquarters' box key, sealing.hpp)
  std::string key_id;
  std::string device_id, shelter_id;  // for "device"
  std::string public_key;             // 32 bytes
  bool revoked = false;
  bool operator==(const TrustedKey&) const = default;
};

// What a signature check found.
enum class Verdict {
  Valid,
  Unsigned,      // no signature at all
  UnknownKey,    // signed by a key this kiosk does not know (yet)
  RevokedKey,    // signed by a key the city has revoked
  BadSignature,  // the signature does not match: altered, or forged
};
std::string_view verdict_name(Verdict v);  // "valid", "unsigned", "unknown_key", "revoked_key", "bad_signature"

class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<TrustedKey> keys) : keys_(std::move(keys)) {}
  // Always trusted for `kind` (a kiosk's own device key), whatever the list says.
  void add_own(const KeyPair& pair, std::string_view kind);
  // The key of `kind` with this id, nullptr when unknown.
  const TrustedKey* find(std::string_view kind, std::string_view key_id) const;
  // Checks `signature` over `message` by key `key_id` of `kind`.
  Verdict check(std::string_view kind, std::string_view key_id, std::string_view message,
                std::string_view signature) const;
  const std::vector<TrustedKey>& keys() const { return keys_; }

 private:
  std::vector<TrustedKey> keys_;
  std::vector<TrustedKey> own_;
};

}  // namespace shelter::signing
