// Credential rows in PostgreSQL (the rules: auth.cpp).
#include "sync/server/pg/pg.hpp"

namespace shelter::sync::pg {

namespace {

std::optional<TokenRow> token_row(const std::string& token_hash, const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return TokenRow{token_hash,      r[0][0].c_str(), r[0][1].c_str(),           r[0][2].c_str(),
                  r[0][3].c_str(), r[0][4].c_str(), r[0][5].as<std::int64_t>()};
}

void insert_token_row(pqxx::work& w, const TokenRow& t) {
  w.exec_params("INSERT INTO auth_token VALUES($1, $2, $3, $4, $5, $6, $7)", t.token_hash, t.kind, t.shelter_id,
                t.device_id, t.name, t.role, t.created);
}

void insert_key_row(pqxx::work& w, const signing::TrustedKey& k, std::int64_t created) {
  w.exec_params(
      "INSERT INTO signing_key(key_id, kind, device_id, shelter_id, public_key, revoked, created) "
      "VALUES($1, $2, $3, $4, $5, false, $6) ON CONFLICT (key_id) DO UPDATE SET kind = $2, device_id = $3, "
      "shelter_id = $4, revoked = false",
      k.key_id, k.kind, k.device_id, k.shelter_id, signing::to_hex(k.public_key), created);
}

pqxx::result revoke_device_keys(pqxx::work& w, const std::string& device_id) {
  return w.exec_params("UPDATE signing_key SET revoked = true WHERE kind = 'device' AND device_id = $1 AND NOT revoked",
                       device_id);
}

}  // namespace

Status PgCredentialRepo::insert_enrolment(const EnrolmentRow& r) {
  return pool_.with_conn("create enrolment code", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    w.exec_params(
        "INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires, used, role) "
        "VALUES($1,$2,$3,$4,$5,$6)",
        r.code_hash, r.shelter_id, r.device_id, r.expires, r.used, r.role);
    w.commit();
    return {};
  });
}

Result<std::optional<EnrolmentRow>> PgCredentialRepo::find_enrolment(const std::string& code_hash) {
  return pool_.with_conn("enrol", [&](pqxx::connection& conn) -> Result<std::optional<EnrolmentRow>> {
    pqxx::read_transaction w(conn);
    auto r = w.exec_params("SELECT shelter_id, device_id, expires, used, role FROM auth_enrolment WHERE code_hash = $1",
                           code_hash);
    if (r.empty()) return std::optional<EnrolmentRow>();
    return std::optional<EnrolmentRow>(EnrolmentRow{code_hash, r[0][0].c_str(), r[0][1].c_str(),
                                                    r[0][2].as<std::int64_t>(), r[0][3].as<bool>(), r[0][4].c_str()});
  });
}

Result<bool> PgCredentialRepo::redeem_enrolment(const std::string& code_hash, const TokenRow& token,
                                                const std::optional<signing::TrustedKey>& key) {
  return pool_.with_conn("enrol", [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work w(conn);
    // The row lock makes a second redemption of the code wait, then find it used.
    auto marked = w.exec_params("UPDATE auth_enrolment SET used = true WHERE code_hash = $1 AND NOT used", code_hash);
    if (marked.affected_rows() == 0) return false;
    w.exec_params("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = $1", token.device_id);
    insert_token_row(w, token);
    revoke_device_keys(w, token.device_id);
    if (key) insert_key_row(w, *key, token.created);
    w.commit();
    return true;
  });
}

Status PgCredentialRepo::insert_token(const TokenRow& token) {
  return pool_.with_conn("store token", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    insert_token_row(w, token);
    w.commit();
    return {};
  });
}

Result<std::optional<TokenRow>> PgCredentialRepo::find_token(const std::string& token_hash) {
  return pool_.with_conn("authenticate", [&](pqxx::connection& conn) -> Result<std::optional<TokenRow>> {
    pqxx::read_transaction w(conn);
    return token_row(token_hash,
                     w.exec_params("SELECT kind, shelter_id, device_id, name, role, created FROM auth_token "
                                   "WHERE token_hash = $1",
                                   token_hash));
  });
}

Status PgCredentialRepo::delete_token(const std::string& token_hash, const std::string& kind) {
  return pool_.with_conn("sign out", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    w.exec_params("DELETE FROM auth_token WHERE token_hash = $1 AND kind = $2", token_hash, kind);
    w.commit();
    return {};
  });
}

Status PgCredentialRepo::insert_user(const UserRow& user, const TokenRow& token) {
  return pool_.with_conn("add user", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    insert_token_row(w, token);
    w.exec_params("INSERT INTO hq_user VALUES($1,$2,$3) ON CONFLICT (name) DO UPDATE SET role = $2, password_hash = $3",
                  user.name, user.role, user.password_hash);
    w.commit();
    return {};
  });
}

Result<std::optional<UserRow>> PgCredentialRepo::find_user(const std::string& name) {
  return pool_.with_conn("sign in", [&](pqxx::connection& conn) -> Result<std::optional<UserRow>> {
    pqxx::read_transaction w(conn);
    auto r = w.exec_params("SELECT role, password_hash FROM hq_user WHERE name = $1", name);
    if (r.empty()) return std::optional<UserRow>();
    return std::optional<UserRow>(UserRow{name, r[0][0].c_str(), r[0][1].c_str()});
  });
}

Result<int> PgCredentialRepo::delete_device_credentials(const std::string& device_id) {
  return pool_.with_conn("revoke", [&](pqxx::connection& conn) -> Result<int> {
    pqxx::work w(conn);
    auto a = w.exec_params("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = $1", device_id);
    auto b = w.exec_params("DELETE FROM auth_enrolment WHERE device_id = $1 AND NOT used", device_id);
    auto c = revoke_device_keys(w, device_id);
    w.commit();
    return static_cast<int>(a.affected_rows() + b.affected_rows() + c.affected_rows());
  });
}

Result<int> PgCredentialRepo::delete_user_credentials(const std::string& name) {
  return pool_.with_conn("revoke", [&](pqxx::connection& conn) -> Result<int> {
    pqxx::work w(conn);
    auto a = w.exec_params("DELETE FROM auth_token WHERE kind IN ('hq', 'session') AND name = $1", name);
    auto b = w.exec_params("DELETE FROM hq_user WHERE name = $1", name);
    w.commit();
    return static_cast<int>(a.affected_rows() + b.affected_rows());
  });
}

Status PgCredentialRepo::insert_key(const signing::TrustedKey& key, std::int64_t created) {
  return pool_.with_conn("store key", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    insert_key_row(w, key, created);
    w.commit();
    return {};
  });
}

Result<int> PgCredentialRepo::revoke_key(const std::string& key_id) {
  return pool_.with_conn("revoke key", [&](pqxx::connection& conn) -> Result<int> {
    pqxx::work w(conn);
    auto r = w.exec_params("UPDATE signing_key SET revoked = true WHERE key_id = $1", key_id);
    auto v = w.exec_params("UPDATE volunteer_key SET revoked = true WHERE key_id = $1", key_id);
    w.commit();
    return static_cast<int>(r.affected_rows() + v.affected_rows());
  });
}

Result<std::vector<signing::TrustedKey>> PgCredentialRepo::list_keys() {
  return pool_.with_conn("keys", [&](pqxx::connection& conn) -> Result<std::vector<signing::TrustedKey>> {
    pqxx::read_transaction w(conn);
    std::vector<signing::TrustedKey> out;
    for (const auto& r : w.exec("SELECT kind, key_id, device_id, shelter_id, public_key, revoked FROM signing_key "
                                "ORDER BY kind COLLATE \"C\", key_id COLLATE \"C\"")) {
      auto pub = signing::from_hex(r[4].c_str(), signing::kPublicKeyBytes);
      if (!pub) return pub.error().context(std::string("key ") + r[1].c_str());
      out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), *pub, r[5].as<bool>()});
    }
    return out;
  });
}

Status PgCredentialRepo::insert_volunteer_key(const VolunteerKeyRow& k, std::int64_t created) {
  return pool_.with_conn("volunteer key", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    w.exec_params(
        "INSERT INTO volunteer_key(key_id, shelter_id, name, role, device_id, public_key, vouched_by, revoked, "
        "created) VALUES($1, $2, $3, $4, $5, $6, $7, false, $8) ON CONFLICT (key_id) DO NOTHING",
        k.key_id, k.shelter_id, k.name, k.role, k.device_id, signing::to_hex(k.public_key), k.vouched_by, created);
    w.commit();
    return {};
  });
}

Result<std::vector<VolunteerKeyRow>> PgCredentialRepo::volunteer_keys(const std::string& shelter_id) {
  return pool_.with_conn("volunteer keys", [&](pqxx::connection& conn) -> Result<std::vector<VolunteerKeyRow>> {
    pqxx::read_transaction w(conn);
    std::vector<VolunteerKeyRow> out;
    for (const auto& r : w.exec_params("SELECT key_id, shelter_id, name, role, device_id, public_key, vouched_by, "
                                       "revoked FROM volunteer_key WHERE shelter_id = $1 "
                                       "ORDER BY name COLLATE \"C\", key_id COLLATE \"C\"",
                                       shelter_id)) {
      auto pub = signing::from_hex(r[5].c_str(), signing::kPublicKeyBytes);
      if (!pub) return pub.error().context(std::string("volunteer key ") + r[0].c_str());
      out.push_back(
          {r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), *pub, r[6].c_str(), r[7].as<bool>()});
    }
    return out;
  });
}

}  // namespace shelter::sync::pg
