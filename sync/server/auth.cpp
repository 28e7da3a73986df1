#include "sync/server/auth.hpp"

#include <sodium.h>

#include <ctime>

#include "core/model.hpp"
#include "core/volunteer_keys.hpp"
#include "core/volunteers.hpp"

namespace shelter::sync {

std::string random_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

// Read aloud over a phone: no look-alikes.
std::string random_code() {
  static constexpr char kAlphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  std::string code;
  for (int i = 0; i < 10; ++i) code += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return code;
}

namespace {

std::int64_t now_s() {
  return static_cast<std::int64_t>(std::time(nullptr));
}
constexpr std::int64_t kSessionSeconds = std::int64_t{kSessionHours} * 3600;

}  // namespace

std::string hash_secret(const std::string& secret) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

Result<std::string> hash_password(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return fail("hash password: out of memory");
  return std::string(out);
}

bool is_role(const std::string& role) {
  return role == "counts" || role == "search" || role == "roster";
}

bool role_allows(const std::string& role, const std::string& needed) {
  auto rank = [](const std::string& r) { return r == "roster" ? 3 : r == "search" ? 2 : r == "counts" ? 1 : 0; };
  // An unknown role holds nothing, and an unknown permission is held by nobody.
  return rank(role) != 0 && rank(needed) != 0 && rank(role) >= rank(needed);
}

bool password_matches(const std::string& hash, const std::string& password) {
  return !hash.empty() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<std::string> new_user_password_hash(const std::string& name, const std::string& role,
                                           const std::string& password) {
  if (name.empty() || name.size() > 64 || !is_valid_utf8(name)) return fail("a user name is 1 to 64 characters");
  if (!is_role(role)) return fail("role must be counts, search or roster");
  if (password.empty()) return std::string();
  if (password.size() < 10) return fail("a password has at least 10 characters");
  if (password.size() > 200) return fail("a password has at most 200 characters");
  return hash_password(password);
}

Result<std::string> Credentials::create_enrolment(const std::string& shelter_id, const std::string& device_id,
                                                  int hours, const std::string& role) {
  if (!role.empty() && role != Principal::kHubRole) return fail("a device's role is a kiosk or a hub");
  if (!is_valid_slug(shelter_id)) return fail("shelter id must be 1-32 of a-z 0-9 - _");
  if (!is_valid_slug(device_id)) return fail("device id must be 1-32 of a-z 0-9 - _");
  if (hours < 1 || hours > 24 * 90) return fail("a code is valid for 1 hour to 90 days");
  const std::string code = random_code();
  if (auto st = repo_.insert_enrolment({hash_secret(code), shelter_id, device_id, now_s() + hours * 3600, false, role});
      !st)
    return st.error().context("create enrolment code");
  return code;
}

Result<Principal> Credentials::enrol(const std::string& code, const std::string& device_id,
                                     const std::string& public_key, std::string& token_out,
                                     const std::pair<std::string, std::string>& lead) {
  if (!lead.first.empty()) {
    if (auto st = check_volunteer_name(lead.first); !st) return st.error().context("enrol: lead");
    if (lead.second.size() != signing::kPublicKeyBytes) return fail("enrol: the lead's public key is 32 bytes");
  }
  std::optional<signing::TrustedKey> key;
  if (!public_key.empty()) {
    auto raw = signing::from_hex(public_key, signing::kPublicKeyBytes);
    if (!raw) return raw.error().context("enrol: public_key");
    key = signing::TrustedKey{"device", signing::key_id(*raw), device_id, "", *raw, false};
  }
  const std::string code_hash = hash_secret(code);
  auto row = repo_.find_enrolment(code_hash);
  if (!row) return row.error();
  if (!*row) return fail("enrol: unknown code");
  const EnrolmentRow& e = **row;
  if (e.used) return fail("enrol: this code was already used");
  if (e.expires < now_s()) return fail("enrol: this code has expired");
  if (e.device_id != device_id) return fail("enrol: this code is for device " + e.device_id);
  Principal p;
  p.shelter_id = e.shelter_id;
  p.device_id = e.device_id;
  p.role = e.role;
  std::string token = random_token();
  if (key) key->shelter_id = p.shelter_id;
  auto redeemed = repo_.redeem_enrolment(
      code_hash, {hash_secret(token), "kiosk", p.shelter_id, p.device_id, "", e.role, now_s()}, key);
  if (!redeemed) return redeemed.error();
  if (!*redeemed) return fail("enrol: this code was already used");  // by a request in between
  if (!lead.first.empty()) {
    const VolunteerKeyRow row{
        signing::key_id(lead.second), p.shelter_id, lead.first, "lead", p.device_id, lead.second, "enrolment", false};
    if (auto st = repo_.insert_volunteer_key(row, now_s()); !st) return st.error().context("enrol: lead key");
  }
  token_out = std::move(token);
  return p;
}

Status Credentials::register_volunteer(const Principal& p, const std::string& name, const std::string& role,
                                       const std::string& public_key, const std::string& vouched_by,
                                       const std::string& vouch) {
  if (auto st = check_volunteer_name(name); !st) return st;
  if (role != "lead" && role != "volunteer") return fail("a volunteer's role is lead or volunteer");
  if (public_key.size() != signing::kPublicKeyBytes) return fail("a public key is 32 bytes");
  auto keys = repo_.volunteer_keys(p.shelter_id);
  if (!keys) return keys.error();
  const std::string id = signing::key_id(public_key);
  bool any_lead = false;
  for (const auto& k : *keys) {
    if (k.key_id == id) {
      if (k.revoked) return fail("this key was revoked");  // no name: the reason is logged
      if (k.name == name && k.role == role) return {};     // registered before
      return fail("this key is registered for another volunteer or role");
    }
    any_lead |= k.role == "lead" && !k.revoked;
  }
  std::string by;
  if (p.is_hub() && vouched_by == Principal::kHubRole && vouch.empty()) {
    // A shelter hub relays the keys its kiosks registered with it: it
    // checked their vouches itself (the same rules), so it vouches for them.
    by = "hub " + p.device_id;
  } else if (vouch.empty()) {
    if (any_lead || role != "lead")
      return fail("not vouched for: a lead of shelter " + p.shelter_id + " adds volunteers in staff mode");
    by = "first lead";
  } else {
    const std::string statement = volunteer_statement(p.shelter_id, name, role, public_key);
    for (const auto& k : *keys)
      if (!k.revoked && k.role == "lead" && k.name == vouched_by && signing::verify(k.public_key, statement, vouch))
        by = vouched_by;
    if (by.empty()) return fail("the vouch is not a signature of a lead of shelter " + p.shelter_id);
  }
  return repo_.insert_volunteer_key({id, p.shelter_id, name, role, p.device_id, public_key, by, false}, now_s());
}

Result<bool> Credentials::adopt_device_key(const Principal& hub, const std::string& device_id,
                                           const std::string& public_key) {
  if (!hub.is_hub()) return fail("only a shelter hub registers the kiosks it enrolled");
  if (!is_valid_slug(device_id)) return fail("device id must be 1-32 of a-z 0-9 - _");
  if (public_key.size() != signing::kPublicKeyBytes) return fail("a public key is 32 bytes");
  auto keys = repo_.list_keys();
  if (!keys) return keys.error();
  const std::string id = signing::key_id(public_key);
  for (const auto& k : *keys) {
    if (k.kind != "device" || k.device_id != device_id) continue;
    if (k.shelter_id != hub.shelter_id) return fail("device " + device_id + " is enrolled at another shelter");
    if (k.key_id == id) {
      if (k.revoked) return fail("this key of device " + device_id + " was revoked");
      return false;
    }
    if (!k.revoked) return fail("device " + device_id + " is enrolled at the city with another key");
  }
  if (hub.device_id == device_id) return fail("a hub is not one of its own kiosks");
  const signing::TrustedKey key{"device", id, device_id, hub.shelter_id, public_key, false};
  if (auto st = repo_.insert_key(key, now_s()); !st) return st.error().context("adopt device key");
  return true;
}

Result<std::string> Credentials::add_card_key(const std::string& public_key) {
  if (public_key.size() != signing::kPublicKeyBytes) return fail("card key: a public key is 32 bytes");
  const signing::TrustedKey key{"card", signing::key_id(public_key), "", "", public_key, false};
  if (auto st = repo_.insert_key(key, now_s()); !st) return st.error().context("card key");
  return key.key_id;
}

Result<std::string> Credentials::add_hq_key(const std::string& public_key) {
  if (public_key.size() != signing::kPublicKeyBytes) return fail("headquarters key: a public key is 32 bytes");
  const signing::TrustedKey key{"hq", signing::key_id(public_key), "", "", public_key, false};
  auto all = repo_.list_keys();
  if (!all) return all.error().context("headquarters key");
  for (const auto& k : *all)
    if (k.kind == "hq" && !k.revoked && k.key_id != key.key_id)
      if (auto n = repo_.revoke_key(k.key_id); !n) return n.error().context("headquarters key");
  if (auto st = repo_.insert_key(key, now_s()); !st) return st.error().context("headquarters key");
  return key.key_id;
}

Result<int> Credentials::revoke_key(const std::string& key_id) {
  if (!signing::is_key_id(key_id)) return fail("revoke: a key id is 16 hex digits");
  auto n = repo_.revoke_key(key_id);
  if (!n) return n.error().context("revoke");
  if (*n == 0) return fail("revoke: no key " + key_id);
  return n;
}

Result<std::string> Credentials::add_user(const std::string& name, const std::string& role,
                                          const std::string& password) {
  auto pw_hash = new_user_password_hash(name, role, password);
  if (!pw_hash) return pw_hash.error();
  // A changed role or password must not live on in an earlier token.
  if (auto old = repo_.delete_user_credentials(name); !old) return old.error().context("add user");
  const std::string token = random_token();
  if (auto st = repo_.insert_user({name, role, *pw_hash}, {hash_secret(token), "hq", "", "", name, role, now_s()}); !st)
    return st.error().context("add user");
  return token;
}

namespace {
// A hash of a password nobody knows, made once with the same cost.
const std::string& dummy_hash() {
  static const std::string dummy = [] {
    auto h = hash_password(random_token());
    return h ? *h : std::string();
  }();
  return dummy;
}
}  // namespace

void prepare_sign_in() {
  (void)dummy_hash();
}

bool account_password_matches(const std::optional<UserRow>& account, const std::string& password) {
  const std::string& dummy = dummy_hash();
  if (!account || account->password_hash.empty()) {
    (void)password_matches(dummy, password);
    return false;
  }
  return password_matches(account->password_hash, password);
}

Result<std::string> Credentials::open_session(const UserRow& user) {
  const std::string token = random_token();
  if (auto st = repo_.insert_token({hash_secret(token), "session", "", "", user.name, user.role, now_s()}); !st)
    return st.error().context("sign in");
  return token;
}

Result<TokenCheck> Credentials::authenticate(const std::string& token) {
  if (token.empty()) return TokenCheck{{}, "missing credentials"};
  auto row = repo_.find_token(hash_secret(token));
  if (!row) return row.error();
  if (!*row) return TokenCheck{{}, "unknown credentials"};
  const TokenRow& t = **row;
  if (t.kind == "session" && t.created + kSessionSeconds < now_s())
    return TokenCheck{{}, "session expired: sign in again"};
  if (t.kind == "hq" && t.created + std::int64_t{kApiTokenDays} * 86400 < now_s())
    return TokenCheck{{}, "API token expired: ask for a new one (shelter-server add-user)"};
  Principal p;
  p.kind = t.kind == "kiosk" ? Principal::Kind::Kiosk : Principal::Kind::Headquarters;
  p.shelter_id = t.shelter_id;
  p.device_id = t.device_id;
  p.name = t.name;
  p.role = t.role;
  return TokenCheck{p, ""};
}

Status Credentials::end_session(const std::string& token) {
  if (auto st = repo_.delete_token(hash_secret(token), "session"); !st) return st.error().context("sign out");
  return {};
}

Result<int> Credentials::revoke(const std::string& device_id, const std::string& user_name) {
  if (device_id.empty() == user_name.empty()) return fail("revoke: name a device or a user");
  auto n = device_id.empty() ? repo_.delete_user_credentials(user_name) : repo_.delete_device_credentials(device_id);
  if (!n) return n.error().context("revoke");
  return n;
}

}  // namespace shelter::sync
