#pragma once
// Staff PINs: each volunteer's own PIN, stored as a libsodium
// crypto_pwhash_str (Argon2id) hash in the kiosk's store (core/volunteers.hpp),
// checked by the kiosk's staff sign-in.
#include <string>

#include "core/result.hpp"

namespace shelter {

inline constexpr size_t kMinPinDigits = 6;
inline constexpr size_t kMaxPinDigits = 12;

// A volunteer's PIN: 6 to 12 digits, not one digit repeated (000000) and
// not a straight run (123456, 987654). The error is a sentence for the
// person choosing it.
Status check_pin_rule(const std::string& pin);

// The hash of `pin` to store; empty if libsodium failed (no memory).
std::string hash_pin(const std::string& pin);
// Does `pin` match `hash`? An empty or malformed hash matches nothing.
bool pin_matches(const std::string& hash, const std::string& pin);

}  // namespace shelter
