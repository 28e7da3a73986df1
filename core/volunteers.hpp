#pragma once
// The volunteers who may open the kiosk's staff mode, each with their own
// PIN, and the staff sign-in lockout. Both live in the kiosk's store (tables
// `volunteer` and `staff_lockout`, core/store_open.cpp), so that a restart
// does not reset a lockout; neither is synced: each kiosk enrols its own
// team. Staff events carry the author "staff:<name>".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/store.hpp"
#include "core/volunteer_keys.hpp"

namespace shelter {

enum class VolunteerRole { Volunteer, Lead };  // a lead may add and remove volunteers
const char* to_string(VolunteerRole r);

struct Volunteer {
  std::string name;
  std::string pin_hash;  // crypto_pwhash_str (core/pin.hpp)
  VolunteerRole role = VolunteerRole::Volunteer;
  std::string enrolled_at;  // UTC, "2026-11-24T03:40:00Z"
  std::string enrolled_by;  // the lead who added them, or "shelterctl"
  // Their signing key (core/volunteer_keys.hpp): the salt that with their
  // PIN gives it, the public key, and a lead's signature of
  // volunteer_statement (empty: added without a lead signed in).
  std::string key_salt, public_key, vouched_by, vouch;
  // The server's answer to the key's registration: "" not sent yet,
  // "registered", or "refused: <why>".
  std::string server_note;
};

// A name as it appears on the sign-in screen and in "staff:<name>": 1 to 48
// bytes of UTF-8, no control characters, no spaces at either end.
inline constexpr size_t kMaxVolunteerNameBytes = 48;
Status check_volunteer_name(const std::string& name);
inline std::string staff_author(const std::string& volunteer) {
  return "staff:" + volunteer;
}

// Every volunteer, by name.
Result<std::vector<Volunteer>> list_volunteers(Store& store);
Result<std::optional<Volunteer>> find_volunteer(Store& store, const std::string& name);
// Checks the name and the PIN (check_pin_rule) and stores the volunteer
// with the PIN's hash and their signing key, vouched for by `voucher` (the
// lead signed in; nullptr: nobody). A name already enrolled is refused,
// unless `replace` (a new PIN or role for them: shelterctl add-volunteer
// --replace).
Status add_volunteer(Store& store, const std::string& name, const std::string& pin, VolunteerRole role,
                     const std::string& enrolled_by, bool replace = false, const StaffKey* voucher = nullptr);
// The signing key of volunteer `v` whose PIN is `pin` (already checked).
// A volunteer enrolled before keys existed gets one now, unvouched.
Result<StaffKey> volunteer_signing_key(Store& store, const Volunteer& v, const std::string& pin);
// Volunteers whose key the server has not answered for yet.
Result<std::vector<Volunteer>> volunteers_to_register(Store& store);
// The server's answer for the key `public_key` (hex) of `name`.
Status note_volunteer_registration(Store& store, const std::string& name, const std::string& public_key,
                                   const std::string& note);
// The demo kiosk's lead (config demo = true): PIN `pin` without the PIN
// rule, stored once with enrolled_by kDemoLeadMark; nothing when they are
// already there. The kiosk ignores the row outside the demo.
inline constexpr const char* kDemoLeadMark = "built-in demo lead";
Status add_demo_lead(Store& store, const std::string& name, const std::string& pin);
// Refuses to remove the last lead: somebody must still be able to enrol.
Status remove_volunteer(Store& store, const std::string& name);

// The sign-in lockout, one per kiosk (whichever name is tried): after
// `tries` wrong PINs in a row, staff sign-in is locked; the n-th lock since
// the last right PIN lasts lock_seconds(n). A right PIN clears it.
struct PinLockout {
  int failures = 0;                  // wrong PINs since the last lock or right PIN
  int locks = 0;                     // locks since the last right PIN
  std::int64_t locked_until_ms = 0;  // wall clock, ms since the epoch
};
// The n-th lock (1-based): first × 1, 5, 30, 120, then 120 again: with the
// default first lock of 60 s that is 1 min, 5 min, 30 min, then 2 h each.
std::int64_t lock_seconds(int lock_number, int first_lock_seconds);
// What is left of a lock at `now_ms`; a wall clock set back cannot make it
// longer than the lock itself.
std::int64_t lock_left_ms(const PinLockout& l, std::int64_t now_ms, int first_lock_seconds);
// The state after one more wrong PIN at `now_ms` (no store: the kiosk's
// fallback when the store cannot be written).
PinLockout after_wrong_pin(PinLockout l, std::int64_t now_ms, int tries, int first_lock_seconds);
Result<PinLockout> read_lockout(Store& store);
// Counts a wrong PIN (read, changed and written in one transaction, so two
// processes cannot lose one); returns the new state.
Result<PinLockout> note_wrong_pin(Store& store, std::int64_t now_ms, int tries, int first_lock_seconds);
// A right PIN, or shelterctl staff-unlock: no failures, no lock.
Status clear_lockout(Store& store);

}  // namespace shelter
