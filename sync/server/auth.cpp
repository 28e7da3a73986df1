#include "sync/server/auth.hpp"

#include <sodium.h>

#include <ctime>

#include "core/model.hpp"
#include "core/sqlite.hpp"

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

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }
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

bool password_matches(const std::string& hash, const std::string& password) {
  return !hash.empty() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<std::string> new_user_password_hash(const std::string& name, const std::string& role,
                                           const std::string& password) {
  if (name.empty() || name.size() > 64 || !is_valid_utf8(name)) return fail("a user name is 1 to 64 characters");
  if (role != "counts" && role != "search") return fail("role must be counts or search");
  if (password.empty()) return std::string();
  if (password.size() < 10) return fail("a password has at least 10 characters");
  if (password.size() > 200) return fail("a password has at most 200 characters");
  return hash_password(password);
}

Status Auth::migrate() {
  return db_.exec(R"sql(
CREATE TABLE IF NOT EXISTS hq_user(name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_enrolment(
  code_hash TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_token(
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  name TEXT NOT NULL, role TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;
)sql");
}

Result<std::string> Auth::create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours) {
  if (!is_valid_slug(shelter_id)) return fail("shelter id must be 1-32 of a-z 0-9 - _");
  if (!is_valid_slug(device_id)) return fail("device id must be 1-32 of a-z 0-9 - _");
  if (hours < 1 || hours > 24 * 90) return fail("a code is valid for 1 hour to 90 days");
  const std::string code = random_code();
  auto q = db_.prepare("INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires) VALUES(?,?,?,?)");
  if (!q) return q.error();
  (*q)->bind(1, hash_secret(code)).bind(2, shelter_id).bind(3, device_id).bind(4, now_s() + hours * 3600);
  if (auto st = (*q)->run(); !st) return st.error().context("create enrolment code");
  return code;
}

Result<Principal> Auth::enrol(const std::string& code, const std::string& device_id, std::string& token_out) {
  auto tx = sql::Tx::begin(db_);
  if (!tx) return tx.error();
  auto q = db_.prepare("SELECT shelter_id, device_id, expires, used FROM auth_enrolment WHERE code_hash = ?");
  if (!q) return q.error();
  (*q)->bind(1, hash_secret(code));
  auto row = (*q)->step();
  if (!row) return row.error();
  if (!*row) return fail("enrol: unknown code");
  Principal p;
  p.shelter_id = (*q)->text(0);
  p.device_id = (*q)->text(1);
  const std::int64_t expires = (*q)->i64(2);
  const bool used = (*q)->i64(3) != 0;
  q->reset();
  if (used) return fail("enrol: this code was already used");
  if (expires < now_s()) return fail("enrol: this code has expired");
  if (p.device_id != device_id) return fail("enrol: this code is for device " + p.device_id);
  auto mark = db_.prepare("UPDATE auth_enrolment SET used = 1 WHERE code_hash = ?");
  if (!mark) return mark.error();
  (*mark)->bind(1, hash_secret(code));
  if (auto st = (*mark)->run(); !st) return st.error();
  auto old = db_.prepare("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = ?");
  if (!old) return old.error();
  (*old)->bind(1, p.device_id);
  if (auto st = (*old)->run(); !st) return st.error();
  token_out = random_token();
  auto ins = db_.prepare(
      "INSERT INTO auth_token(token_hash, kind, shelter_id, device_id, name, role, created) VALUES(?,'kiosk',?,?,'','',?)");
  if (!ins) return ins.error();
  (*ins)->bind(1, hash_secret(token_out)).bind(2, p.shelter_id).bind(3, p.device_id).bind(4, now_s());
  if (auto st = (*ins)->run(); !st) return st.error();
  if (auto st = (*tx)->commit(); !st) return st.error();
  return p;
}

Result<std::string> Auth::add_user(const std::string& name, const std::string& role, const std::string& password) {
  auto pw_hash = new_user_password_hash(name, role, password);
  if (!pw_hash) return pw_hash.error();
  auto tx = sql::Tx::begin(db_);
  if (!tx) return tx.error().context("add user");
  const std::string token = random_token();
  auto ins = db_.prepare(
      "INSERT INTO auth_token(token_hash, kind, shelter_id, device_id, name, role, created) VALUES(?,'hq','','',?,?,?)");
  if (!ins) return ins.error();
  (*ins)->bind(1, hash_secret(token)).bind(2, name).bind(3, role).bind(4, now_s());
  if (auto st = (*ins)->run(); !st) return st.error().context("add user");
  auto user = db_.prepare("INSERT OR REPLACE INTO hq_user(name, role, password_hash) VALUES(?,?,?)");
  if (!user) return user.error();
  (*user)->bind(1, name).bind(2, role).bind(3, *pw_hash);
  if (auto st = (*user)->run(); !st) return st.error().context("add user");
  if (auto st = (*tx)->commit(); !st) return st.error().context("add user");
  return token;
}

Result<std::string> Auth::login(const std::string& name, const std::string& password) {
  auto q = db_.prepare("SELECT role, password_hash FROM hq_user WHERE name = ?");
  if (!q) return q.error();
  (*q)->bind(1, name);
  auto row = (*q)->step();
  if (!row) return row.error();
  // One message for an unknown name and a wrong password: no account probing.
  if (!*row || !password_matches((*q)->text(1), password)) return fail("wrong name or password");
  const std::string role = (*q)->text(0);
  (*q)->reset();
  const std::string token = random_token();
  auto ins = db_.prepare(
      "INSERT INTO auth_token(token_hash, kind, shelter_id, device_id, name, role, created) "
      "VALUES(?,'session','','',?,?,?)");
  if (!ins) return ins.error();
  (*ins)->bind(1, hash_secret(token)).bind(2, name).bind(3, role).bind(4, now_s());
  if (auto st = (*ins)->run(); !st) return st.error().context("sign in");
  return token;
}

Result<TokenCheck> Auth::authenticate(const std::string& token) {
  if (token.empty()) return TokenCheck{{}, "missing credentials"};
  auto q = db_.prepare("SELECT kind, shelter_id, device_id, name, role, created FROM auth_token WHERE token_hash = ?");
  if (!q) return q.error();
  (*q)->bind(1, hash_secret(token));
  auto row = (*q)->step();
  if (!row) return row.error();
  if (!*row) return TokenCheck{{}, "unknown credentials"};
  Principal p;
  p.kind = (*q)->text(0) == "kiosk" ? Principal::Kind::Kiosk : Principal::Kind::Headquarters;
  p.shelter_id = (*q)->text(1);
  p.device_id = (*q)->text(2);
  p.name = (*q)->text(3);
  p.role = (*q)->text(4);
  if ((*q)->text(0) == "session" && (*q)->i64(5) + kSessionSeconds < now_s())
    return TokenCheck{{}, "session expired: sign in again"};
  return TokenCheck{p, ""};
}

Status Auth::end_session(const std::string& token) {
  auto q = db_.prepare("DELETE FROM auth_token WHERE token_hash = ? AND kind = 'session'");
  if (!q) return q.error().context("sign out");
  (*q)->bind(1, hash_secret(token));
  return (*q)->run();
}

Result<int> Auth::revoke(const std::string& device_id, const std::string& user_name) {
  if (device_id.empty() == user_name.empty()) return fail("revoke: name a device or a user");
  auto tx = sql::Tx::begin(db_);
  if (!tx) return tx.error().context("revoke");
  auto q = device_id.empty() ? db_.prepare("DELETE FROM auth_token WHERE kind IN ('hq', 'session') AND name = ?")
                             : db_.prepare("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = ?");
  if (!q) return q.error().context("revoke");
  (*q)->bind(1, device_id.empty() ? user_name : device_id);
  if (auto st = (*q)->run(); !st) return st.error().context("revoke");
  int n = static_cast<int>(db_.changes());
  // Unused enrolment codes for the device, or the account's password.
  auto rest = device_id.empty() ? db_.prepare("DELETE FROM hq_user WHERE name = ?")
                                : db_.prepare("DELETE FROM auth_enrolment WHERE device_id = ? AND used = 0");
  if (!rest) return rest.error().context("revoke");
  (*rest)->bind(1, device_id.empty() ? user_name : device_id);
  if (auto st = (*rest)->run(); !st) return st.error().context("revoke");
  n += static_cast<int>(db_.changes());
  if (auto st = (*tx)->commit(); !st) return st.error().context("revoke");
  return n;
}

}  // namespace shelter::sync
