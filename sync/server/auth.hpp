#pragma once
// Who may talk to the server. Kiosks enrol once with a one-time code made by
// an administrator and then hold their own token; headquarters users hold
// tokens with a role. Only hashes of codes and tokens are stored.
#include <optional>
#include <string>

#include "core/result.hpp"

namespace shelter::sql {
class Db;
}

namespace shelter::sync {

// How long a dashboard sign-in lasts.
inline constexpr int kSessionHours = 12;

struct Principal {
  enum class Kind { Kiosk, Headquarters } kind = Kind::Kiosk;
  std::string shelter_id, device_id;  // kiosks
  std::string name, role;             // headquarters: role "counts" or "search"
};

// What a bearer token is worth: its holder, or why it is refused (missing,
// unknown, expired). A store that cannot answer returns an error instead, so
// a database outage is "try again" (503), never "your token is bad" (401).
struct TokenCheck {
  std::optional<Principal> principal;
  std::string refused;
};

class Auth {
 public:
  explicit Auth(sql::Db& db) : db_(db) {}
  Status migrate();
  // A single-use code for one device of one shelter, valid for `hours`.
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours);
  // Trades a code for the device's token. The code must be unused, unexpired
  // and made for this device; the device's earlier tokens stop working (a
  // replacement tablet enrolled under a lost one's id shuts the lost one out).
  Result<Principal> enrol(const std::string& code, const std::string& device_id, std::string& token_out);
  // A headquarters account; returns its token. role: "counts" (numbers only)
  // or "search" (also 安否 search over persons who consented).
  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password);
  Result<std::string> login(const std::string& name, const std::string& password);
  Result<TokenCheck> authenticate(const std::string& token);
  // Sign-out: this dashboard session stops working.
  Status end_session(const std::string& token);
  // Every credential of a device (device_id) or an account (user_name: API
  // token, sessions, password) stops working; returns how many were revoked.
  Result<int> revoke(const std::string& device_id, const std::string& user_name);

 private:
  sql::Db& db_;
};

std::string hash_secret(const std::string& secret);  // BLAKE2b-256, hex
std::string random_token();  // 32 random bytes, hex
std::string random_code();   // 10 characters without look-alikes (0/O, 1/I/L)
// Argon2id (libsodium crypto_pwhash_str), interactive limits.
Result<std::string> hash_password(const std::string& password);
bool password_matches(const std::string& hash, const std::string& password);
// Checks a new headquarters account (both backends) and hashes its password
// ("" when it has none: API token only).
Result<std::string> new_user_password_hash(const std::string& name, const std::string& role,
                                           const std::string& password);

}  // namespace shelter::sync
