#pragma once
// Who may talk to the server. Kiosks enrol once with a one-time code made by
// an administrator and then hold their own token; headquarters users hold
// tokens with a role. Only hashes of codes and tokens are stored.
//
// The rules live here once (Credentials); each backend stores the rows
// through a CredentialRepo that only reads and writes them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter::sync {

// How long a dashboard sign-in lasts.
inline constexpr int kSessionHours = 12;
// How long a headquarters account's API token lasts; `add-user` again
// gives a new one (and ends the old one, and every session).
inline constexpr int kApiTokenDays = 90;

// Headquarters roles, each a superset of the one before:
//   "counts": numbers only;
//   "search": also 安否 search over persons who consented;
//   "roster": also the full roster and PFIF exports (each download logged).
bool is_role(const std::string& role);
bool role_allows(const std::string& role, const std::string& needed);

struct Principal {
  enum class Kind { Kiosk, Headquarters } kind = Kind::Kiosk;
  std::string shelter_id, device_id;  // kiosks
  std::string name, role;             // headquarters: "counts", "search" or "roster" (is_role); a hub: "hub"
  // A shelter hub (docs/protocol.md, "Shelter hubs"): a device of its
  // shelter that relays its kiosks' events, enrolled with a hub code.
  bool is_hub() const { return kind == Kind::Kiosk && role == kHubRole; }
  static constexpr const char* kHubRole = "hub";
};

// What a bearer token is worth: its holder, or why it is refused (missing,
// unknown, expired). A store that cannot answer returns an error instead, so
// a database outage is "try again" (503), never "your token is bad" (401).
struct TokenCheck {
  std::optional<Principal> principal;
  std::string refused;
};

// The stored rows (times in seconds since the epoch).
struct EnrolmentRow {
  std::string code_hash, shelter_id, device_id;
  std::int64_t expires = 0;
  bool used = false;
  std::string role{};  // "" a kiosk, "hub" a shelter hub (its token gets the role)
};
struct TokenRow {
  std::string token_hash;
  std::string kind;  // "kiosk", "hq" (an account's API token) or "session" (a dashboard sign-in)
  std::string shelter_id, device_id, name, role;
  std::int64_t created = 0;
};
struct UserRow {
  std::string name, role, password_hash;  // password_hash "": API token only
};

// A volunteer's public key (POST /v1/volunteers, core/volunteer_keys.hpp).
struct VolunteerKeyRow {
  std::string key_id, shelter_id, name, role, device_id;  // device_id: the kiosk that registered it
  std::string public_key;                                 // raw 32 bytes
  std::string vouched_by;                                 // the lead who signed for it, or "enrolment", or "first lead"
  bool revoked = false;
};

// A backend's credential storage: no rules, only rows. Each call is atomic.
class CredentialRepo {
 public:
  virtual ~CredentialRepo() = default;
  virtual Status insert_enrolment(const EnrolmentRow& row) = 0;
  virtual Result<std::optional<EnrolmentRow>> find_enrolment(const std::string& code_hash) = 0;
  // Marks the code used if it is not yet (false: it was, meanwhile) and, if
  // so, replaces every kiosk token of token.device_id by `token`, marks the
  // device's signing keys revoked and stores `key` (if any) as its key.
  virtual Result<bool> redeem_enrolment(const std::string& code_hash, const TokenRow& token,
                                        const std::optional<signing::TrustedKey>& key) = 0;
  virtual Status insert_token(const TokenRow& token) = 0;
  virtual Result<std::optional<TokenRow>> find_token(const std::string& token_hash) = 0;
  virtual Status delete_token(const std::string& token_hash, const std::string& kind) = 0;
  // Stores the account (replacing one of that name) and its API token.
  virtual Status insert_user(const UserRow& user, const TokenRow& token) = 0;
  virtual Result<std::optional<UserRow>> find_user(const std::string& name) = 0;
  // Deletes a device's kiosk tokens and unused enrolment codes, and marks its
  // signing keys revoked; returns how many.
  virtual Result<int> delete_device_credentials(const std::string& device_id) = 0;
  // Signing keys (table signing_key): a city card key is added; a key is
  // marked revoked (returns 0 or 1); every key, revoked ones too.
  virtual Status insert_key(const signing::TrustedKey& key, std::int64_t created) = 0;
  virtual Result<int> revoke_key(const std::string& key_id) = 0;
  virtual Result<std::vector<signing::TrustedKey>> list_keys() = 0;
  // Deletes an account's API token, sessions and password; returns how many.
  virtual Result<int> delete_user_credentials(const std::string& name) = 0;
  // Volunteers' keys (table volunteer_key; revoke_key marks them too).
  virtual Status insert_volunteer_key(const VolunteerKeyRow& row, std::int64_t created) = 0;
  virtual Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) = 0;
};

// The rules, for both backends.
class Credentials {
 public:
  explicit Credentials(CredentialRepo& repo) : repo_(repo) {}
  // A single-use code for one device of one shelter, valid for `hours`;
  // role "hub" enrols a shelter hub (Principal::is_hub), "" a kiosk.
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours,
                                       const std::string& role = "");
  // Trades a code for the device's token. The code must be unused, unexpired
  // and made for this device; the device's earlier tokens stop working (a
  // replacement tablet enrolled under a lost one's id shuts the lost one out).
  // `public_key` (hex, may be empty) becomes the device's pass-signing key;
  // its earlier keys are kept, revoked.
  // `lead` (name and raw public key, may be empty): the volunteer key of
  // the shelter lead named at enrolment, vouched for by the code.
  Result<Principal> enrol(const std::string& code, const std::string& device_id, const std::string& public_key,
                          std::string& token_out, const std::pair<std::string, std::string>& lead = {});
  // A volunteer's key, registered by kiosk `p` for its shelter. Accepted
  // when `vouch` is a lead's signature of volunteer_statement by a key of
  // that lead registered at the shelter, or, unvouched, for the shelter's
  // first lead. Registering a key again is a no-op; a revoked one is refused.
  Status register_volunteer(const Principal& p, const std::string& name, const std::string& role,
                            const std::string& public_key, const std::string& vouched_by, const std::string& vouch);
  Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) {
    return repo_.volunteer_keys(shelter_id);
  }
  // The city's card key (public half; the office that prints cards keeps the
  // secret): added to the keys every kiosk trusts. Returns its key id.
  Result<std::string> add_card_key(const std::string& public_key);
  // Headquarters' box key (public half, X25519; core/sealing.hpp): kiosks
  // seal USB exports and backups to it. Earlier headquarters keys are marked
  // revoked, so kiosks seal to the newest only. Returns its key id.
  Result<std::string> add_hq_key(const std::string& public_key);
  // A kiosk a shelter hub enrolled while the city was out of reach
  // (POST /v1/hub/report): its pass-signing key (raw) becomes trusted as a
  // device of the hub's shelter. Refused for a device the city knows at
  // another shelter, or with another key it did not get from a hub.
  // Returns false when the key was known already.
  Result<bool> adopt_device_key(const Principal& hub, const std::string& device_id, const std::string& public_key);
  // Marks a key revoked (a card key, or a device key without the device).
  Result<int> revoke_key(const std::string& key_id);
  Result<std::vector<signing::TrustedKey>> keys() { return repo_.list_keys(); }
  // A headquarters account; returns its token (valid kApiTokenDays). Adding
  // an account again (a new role or password) first ends every credential
  // of the old one: its API token and its sessions.
  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password);
  // Dashboard sign-in: a session token valid for kSessionHours.
  // Sign-in in three steps, so that the password hash (slow on purpose)
  // runs outside a backend's lock (ServerStore::login): the account, the
  // check (the same cost for an unknown name: no probing by timing), then
  // a session token valid for kSessionHours.
  Result<std::optional<UserRow>> find_account(const std::string& name) { return repo_.find_user(name); }
  Result<std::string> open_session(const UserRow& user);
  Result<TokenCheck> authenticate(const std::string& token);
  // Sign-out: this dashboard session stops working.
  Status end_session(const std::string& token);
  // Every credential of a device (device_id) or an account (user_name: API
  // token, sessions, password) stops working; returns how many were revoked.
  Result<int> revoke(const std::string& device_id, const std::string& user_name);

 private:
  CredentialRepo& repo_;
};

std::string hash_secret(const std::string& secret);  // BLAKE2b-256, hex
std::string random_token();                          // 32 random bytes, hex
std::string random_code();                           // 10 characters without look-alikes (0/O, 1/I/L)
// Argon2id (libsodium crypto_pwhash_str), interactive limits.
Result<std::string> hash_password(const std::string& password);
bool password_matches(const std::string& hash, const std::string& password);
// password_matches for an account, or, for none (or one without a
// password), a check as slow that always fails.
bool account_password_matches(const std::optional<UserRow>& account, const std::string& password);
// Makes the dummy hash now (the server's start), so that the first sign-in
// with an unknown name does not pay for making it.
void prepare_sign_in();
// Checks a new headquarters account and hashes its password ("" when it has
// none: API token only).
Result<std::string> new_user_password_hash(const std::string& name, const std::string& role,
                                           const std::string& password);

}  // namespace shelter::sync
