#pragma once
// Encryption of what leaves a tablet on a stick or card (USB exports and
// backups), so that a lost one reveals nothing. libsodium's sealed boxes
// (crypto_box_seal: X25519 + XSalsa20-Poly1305, an ephemeral sender key):
// anyone with the public key can seal, only the holder of the secret key
// opens.
//
// Two kinds of box key:
// - headquarters' key ("hq"), made once by `shelter-server hq-key`: the
//   secret stays with the server, the public key goes to every kiosk
//   (GET /v1/keys, the enrol reply; the kiosk's trusted_key table);
// - a device's own box key, derived from its Ed25519 signing key
//   (crypto_sign_ed25519_*_to_curve25519), so the secrets file beside the
//   database (core/secrets.hpp) needs nothing new.
// A box key's id is signing::key_id of its public key (16 hex digits).
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter::sealing {

inline constexpr size_t kBoxKeyBytes = 32;

struct BoxKeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 32 bytes; "" when only the public half is known
  std::string key_id() const { return signing::key_id(public_key); }
  bool empty() const { return public_key.empty(); }
};

// A new X25519 key pair (headquarters').
BoxKeyPair generate();
// The box key pair of a device's Ed25519 signing key.
Result<BoxKeyPair> from_signing_key(const signing::KeyPair& pair);

// Headquarters' key file: JSON {"v":1, "kind":"hq", "key_id", "public_key",
// "secret_key"} (hex), mode 0600, written atomically. Reading checks that the
// secret gives the public key.
Status write_hq_key_file(const std::string& path, const BoxKeyPair& pair);
Result<BoxKeyPair> read_hq_key_file(const std::string& path);

// Its public half, handed to a kiosk that cannot reach the server
// (shelter-server hq-key --public-out, shelterctl trust-hq-key): JSON {"v":1,
// "kind":"hq", "key_id", "public_key"}, mode 0644. Reading checks the key
// id against the key (a damaged file is an error, not a wrong key) and
// refuses the secret key file, which must never leave headquarters.
Status write_hq_public_file(const std::string& path, std::string_view public_key);
Result<BoxKeyPair> read_hq_public_file(const std::string& path);  // secret_key ""

// crypto_box_seal of `message` to `public_key` (48 bytes longer).
Result<std::string> seal(std::string_view public_key, std::string_view message);
// Opens a sealed box with `pair`; an error for a damaged, altered or cut
// box, or one sealed to another key.
Result<std::string> open(const BoxKeyPair& pair, std::string_view sealed);

}  // namespace shelter::sealing
