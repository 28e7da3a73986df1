#include "core/pin.hpp"

#include <sodium.h>

namespace shelter {

Status check_pin_rule(const std::string& pin) {
  if (pin.size() < kMinPinDigits || pin.size() > kMaxPinDigits ||
      pin.find_first_not_of("0123456789") != std::string::npos)
    return fail("a PIN is " + std::to_string(kMinPinDigits) + " to " + std::to_string(kMaxPinDigits) + " digits");
  bool same = true, up = true, down = true;
  for (size_t i = 1; i < pin.size(); ++i) {
    const int step = pin[i] - pin[i - 1];
    same = same && step == 0;
    up = up && (step == 1 || step == -9);  // 7890123 counts as a run
    down = down && (step == -1 || step == 9);
  }
  if (same || up || down) return fail("a PIN of one digit repeated or a run of digits is too easy to guess");
  return {};
}

bool pin_matches(const std::string& hash, const std::string& pin) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pin.c_str(), pin.size()) == 0;
}

std::string hash_pin(const std::string& pin) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, pin.c_str(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return {};
  return out;
}

}  // namespace shelter
