#include "core/volunteer_keys.hpp"

#include <sodium.h>

namespace shelter {

std::string new_volunteer_salt() {
  std::string salt(kVolunteerSaltBytes, '\0');
  if (sodium_init() < 0) return salt;  // never: the key then fails to derive
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

Result<signing::KeyPair> derive_volunteer_key(const std::string& pin, std::string_view salt) {
  static_assert(kVolunteerSaltBytes == crypto_pwhash_SALTBYTES);
  if (salt.size() != kVolunteerSaltBytes) return fail("a volunteer's key salt is 16 bytes");
  if (sodium_init() < 0) return fail("libsodium did not start");
  std::string seed(signing::kSeedBytes, '\0');
  // The PIN hash's cost (core/pin.cpp): signing in takes as long once more.
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(seed.data()), seed.size(), pin.data(), pin.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail("derive the volunteer's key: out of memory");
  auto pair = signing::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

std::string volunteer_statement(std::string_view shelter, std::string_view name, std::string_view role,
                                std::string_view public_key) {
  std::string s = "shelter-volunteer-v1\n";
  s.append(shelter).append("\n").append(name).append("\n").append(role).append("\n");
  s += signing::to_hex(public_key);
  return s;
}

std::string staff_event_message(const Event& e) {
  Event as_written = e;
  as_written.clamp = 0;
  return "shelter-staff-event-v1\n" + to_json(as_written).dump();
}

std::string volunteer_of(std::string_view author) {
  if (!author.starts_with("staff:")) return {};
  return std::string(author.substr(6));
}

}  // namespace shelter
