#pragma once
// The SQLite server store's credential rows (the rules: auth.cpp); only
// sqlite_store.cpp includes this.
#include "core/sqlite.hpp"
#include "sync/server/auth.hpp"

namespace shelter::sync {

// Credential rows in the server's SQLite file (the rules: auth.cpp).
class SqliteCredentialRepo final : public CredentialRepo {
 public:
  explicit SqliteCredentialRepo(sql::Db& db) : db_(db) {}
  Status migrate() {
    auto st = db_.exec(R"sql(
CREATE TABLE IF NOT EXISTS hq_user(name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_enrolment(
  code_hash TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_token(
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  name TEXT NOT NULL, role TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signing_key(
  key_id TEXT PRIMARY KEY, kind TEXT NOT NULL, device_id TEXT NOT NULL, shelter_id TEXT NOT NULL,
  public_key TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS volunteer_key(
  key_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, device_id TEXT NOT NULL,
  public_key TEXT NOT NULL, vouched_by TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS volunteer_key_shelter ON volunteer_key(shelter_id);
)sql");
    if (!st) return st;
    // A code's role (a kiosk, or a shelter hub), added after the first release.
    return db_.add_column_if_missing("auth_enrolment", "role", "TEXT NOT NULL DEFAULT ''");
  }

  Status insert_enrolment(const EnrolmentRow& r) override {
    auto q = db_.prepare(
        "INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires, used, role) VALUES(?,?,?,?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, r.code_hash)
        .bind(2, r.shelter_id)
        .bind(3, r.device_id)
        .bind(4, r.expires)
        .bind(5, std::int64_t{r.used})
        .bind(6, r.role);
    return (*q)->run();
  }

  Result<std::optional<EnrolmentRow>> find_enrolment(const std::string& code_hash) override {
    auto q = db_.prepare("SELECT shelter_id, device_id, expires, used, role FROM auth_enrolment WHERE code_hash = ?");
    if (!q) return q.error();
    (*q)->bind(1, code_hash);
    auto row = (*q)->step();
    if (!row) return row.error();
    std::optional<EnrolmentRow> out;
    if (*row)
      out = EnrolmentRow{code_hash, (*q)->text(0), (*q)->text(1), (*q)->i64(2), (*q)->i64(3) != 0, (*q)->text(4)};
    (*q)->reset();
    return out;
  }

  Result<bool> redeem_enrolment(const std::string& code_hash, const TokenRow& token,
                                const std::optional<signing::TrustedKey>& key) override {
    auto tx = sql::Tx::begin(db_);
    if (!tx) return tx.error();
    auto mark = db_.prepare("UPDATE auth_enrolment SET used = 1 WHERE code_hash = ? AND used = 0");
    if (!mark) return mark.error();
    (*mark)->bind(1, code_hash);
    if (auto st = (*mark)->run(); !st) return st.error();
    if (db_.changes() == 0) return false;
    auto old = db_.prepare("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = ?");
    if (!old) return old.error();
    (*old)->bind(1, token.device_id);
    if (auto st = (*old)->run(); !st) return st.error();
    if (auto st = insert_token(token); !st) return st.error();
    if (auto st = revoke_device_keys(token.device_id); !st) return st.error();
    if (key)
      if (auto st = insert_key(*key, token.created); !st) return st.error();
    if (auto st = (*tx)->commit(); !st) return st.error();
    return true;
  }

  Status insert_key(const signing::TrustedKey& k, std::int64_t created) override {
    auto q = db_.prepare(
        "INSERT INTO signing_key(key_id, kind, device_id, shelter_id, public_key, revoked, created) "
        "VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6) ON CONFLICT(key_id) DO UPDATE SET kind = ?2, device_id = ?3, "
        "shelter_id = ?4, revoked = 0");
    if (!q) return q.error();
    (*q)->bind(1, k.key_id).bind(2, k.kind).bind(3, k.device_id).bind(4, k.shelter_id);
    (*q)->bind(5, signing::to_hex(k.public_key)).bind(6, created);
    return (*q)->run();
  }

  Result<int> revoke_key(const std::string& key_id) override {
    return change_all({"UPDATE signing_key SET revoked = 1 WHERE key_id = ?",
                       "UPDATE volunteer_key SET revoked = 1 WHERE key_id = ?"},
                      key_id);
  }

  Status insert_volunteer_key(const VolunteerKeyRow& k, std::int64_t created) override {
    auto q = db_.prepare(
        "INSERT INTO volunteer_key(key_id, shelter_id, name, role, device_id, public_key, vouched_by, revoked, "
        "created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8) ON CONFLICT(key_id) DO NOTHING");
    if (!q) return q.error();
    (*q)->bind(1, k.key_id).bind(2, k.shelter_id).bind(3, k.name).bind(4, k.role).bind(5, k.device_id);
    (*q)->bind(6, signing::to_hex(k.public_key)).bind(7, k.vouched_by).bind(8, created);
    return (*q)->run();
  }

  Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) override {
    auto q = db_.prepare(
        "SELECT key_id, shelter_id, name, role, device_id, public_key, vouched_by, revoked FROM volunteer_key "
        "WHERE shelter_id = ?1 ORDER BY name, key_id");
    if (!q) return q.error();
    (*q)->bind(1, shelter_id);
    return (*q)->rows<VolunteerKeyRow>([](sql::Stmt& s) -> Result<VolunteerKeyRow> {
      auto pub = signing::from_hex(s.text(5), signing::kPublicKeyBytes);
      if (!pub) return pub.error().context("volunteer key " + s.text(0));
      return VolunteerKeyRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), *pub, s.text(6), s.i64(7) != 0};
    });
  }

  Result<std::vector<signing::TrustedKey>> list_keys() override {
    auto q = db_.prepare(
        "SELECT kind, key_id, device_id, shelter_id, public_key, revoked FROM signing_key ORDER BY kind, key_id");
    if (!q) return q.error();
    return (*q)->rows<signing::TrustedKey>([](sql::Stmt& s) -> Result<signing::TrustedKey> {
      auto pub = signing::from_hex(s.text(4), signing::kPublicKeyBytes);
      if (!pub) return pub.error().context("key " + s.text(1));
      return signing::TrustedKey{s.text(0), s.text(1), s.text(2), s.text(3), *pub, s.i64(5) != 0};
    });
  }

  Status insert_token(const TokenRow& t) override {
    auto q = db_.prepare(
        "INSERT INTO auth_token(token_hash, kind, shelter_id, device_id, name, role, created) VALUES(?,?,?,?,?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, t.token_hash).bind(2, t.kind).bind(3, t.shelter_id).bind(4, t.device_id).bind(5, t.name);
    (*q)->bind(6, t.role).bind(7, t.created);
    return (*q)->run();
  }

  Result<std::optional<TokenRow>> find_token(const std::string& token_hash) override {
    auto q =
        db_.prepare("SELECT kind, shelter_id, device_id, name, role, created FROM auth_token WHERE token_hash = ?");
    if (!q) return q.error();
    (*q)->bind(1, token_hash);
    auto row = (*q)->step();
    if (!row) return row.error();
    std::optional<TokenRow> out;
    if (*row)
      out =
          TokenRow{token_hash, (*q)->text(0), (*q)->text(1), (*q)->text(2), (*q)->text(3), (*q)->text(4), (*q)->i64(5)};
    (*q)->reset();
    return out;
  }

  Status delete_token(const std::string& token_hash, const std::string& kind) override {
    auto q = db_.prepare("DELETE FROM auth_token WHERE token_hash = ? AND kind = ?");
    if (!q) return q.error();
    (*q)->bind(1, token_hash).bind(2, kind);
    return (*q)->run();
  }

  Status insert_user(const UserRow& user, const TokenRow& token) override {
    auto tx = sql::Tx::begin(db_);
    if (!tx) return tx.error();
    if (auto st = insert_token(token); !st) return st;
    auto q = db_.prepare("INSERT OR REPLACE INTO hq_user(name, role, password_hash) VALUES(?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, user.name).bind(2, user.role).bind(3, user.password_hash);
    if (auto st = (*q)->run(); !st) return st;
    return (*tx)->commit();
  }

  Result<std::optional<UserRow>> find_user(const std::string& name) override {
    auto q = db_.prepare("SELECT role, password_hash FROM hq_user WHERE name = ?");
    if (!q) return q.error();
    (*q)->bind(1, name);
    auto row = (*q)->step();
    if (!row) return row.error();
    std::optional<UserRow> out;
    if (*row) out = UserRow{name, (*q)->text(0), (*q)->text(1)};
    (*q)->reset();
    return out;
  }

  Result<int> delete_device_credentials(const std::string& device_id) override {
    return change_all({"DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = ?",
                       "DELETE FROM auth_enrolment WHERE device_id = ? AND used = 0", kRevokeDeviceKeys},
                      device_id);
  }
  Result<int> delete_user_credentials(const std::string& name) override {
    return change_all(
        {"DELETE FROM auth_token WHERE kind IN ('hq', 'session') AND name = ?", "DELETE FROM hq_user WHERE name = ?"},
        name);
  }

 private:
  static constexpr const char* kRevokeDeviceKeys =
      "UPDATE signing_key SET revoked = 1 WHERE kind = 'device' AND device_id = ? AND revoked = 0";
  Status revoke_device_keys(const std::string& device_id) {
    auto q = db_.prepare(kRevokeDeviceKeys);
    if (!q) return q.error();
    (*q)->bind(1, device_id);
    return (*q)->run();
  }

  // Deletes (or updates) of one key in one transaction; the rows they changed.
  Result<int> change_all(std::initializer_list<const char*> statements, const std::string& key) {
    auto tx = sql::Tx::begin(db_);
    if (!tx) return tx.error();
    int n = 0;
    for (const char* text : statements) {
      auto q = db_.prepare(text);
      if (!q) return q.error();
      (*q)->bind(1, key);
      if (auto st = (*q)->run(); !st) return st.error();
      n += static_cast<int>(db_.changes());
    }
    if (auto st = (*tx)->commit(); !st) return st.error();
    return n;
  }

  sql::Db& db_;
};

}  // namespace shelter::sync
