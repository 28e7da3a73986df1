#pragma once
// The staff PIN: stored as a libsodium crypto_pwhash_str hash in the kiosk's
// config (staff_pin_hash), made by `shelter-kiosk --hash-pin` and
// `shelterctl enrol`, checked by the kiosk's staff screen.
#include <string>

namespace shelter {

// The hash of `pin` for the config; empty if libsodium failed (no memory).
std::string hash_pin(const std::string& pin);
// Does `pin` match `hash`? An empty hash (no PIN configured) accepts "0000".
bool pin_matches(const std::string& hash, const std::string& pin);

}  // namespace shelter
