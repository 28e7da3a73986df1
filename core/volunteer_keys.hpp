#pragma once
// Volunteers' signing keys: how the municipal server can believe that a
// staff event ("staff:<name>") was made by that volunteer, and not only by
// the device that pushed it (docs/security.md, "Named volunteers").
//
// Each volunteer's Ed25519 key is derived from their PIN and a random salt
// kept in the kiosk's volunteer row (Argon2id, as the PIN hash is): the
// secret key exists only while they are signed in. The server keeps the
// public key, registered by the kiosk and vouched for by a lead's signature
// (or by the enrolment code, for the lead named at enrolment), and checks
// every staff event's signature against it. A compromised kiosk can sign
// only as volunteers who type their PIN on it, or whose PIN it guesses
// (about 10^6 Argon2id tries for 6 digits).
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter {

inline constexpr size_t kVolunteerSaltBytes = 16;

// A volunteer signed in, able to sign: author "staff:<name>" and their key.
struct StaffKey {
  std::string author;
  signing::KeyPair pair;
};

std::string new_volunteer_salt();
// The key of `pin` with `salt` (kVolunteerSaltBytes); an error only when
// libsodium cannot get the memory.
Result<signing::KeyPair> derive_volunteer_key(const std::string& pin, std::string_view salt);

// What a lead signs to vouch that `public_key` is volunteer `name` of
// `shelter` with `role` ("lead" or "volunteer").
std::string volunteer_statement(std::string_view shelter, std::string_view name, std::string_view role,
                                std::string_view public_key);
// What a volunteer signs for a staff event: the event as its device wrote
// it (the server's clamp left out).
std::string staff_event_message(const Event& e);
// "name" of the author "staff:name"; empty for "self" or anything else.
std::string volunteer_of(std::string_view author);

}  // namespace shelter
