// The embedded server store: core's SQLite Store (the same merge as a
// kiosk's) plus the server's own tables; writes serialised by one mutex.
#include <algorithm>
#include <mutex>

#include "core/sqlite.hpp"
#include "sync/server/district_list.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

namespace {

// Credential rows in the server's SQLite file (the rules: auth.cpp).
class SqliteCredentialRepo final : public CredentialRepo {
 public:
  explicit SqliteCredentialRepo(sql::Db& db) : db_(db) {}
  Status migrate() {
    return db_.exec(R"sql(
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
  }

  Status insert_enrolment(const EnrolmentRow& r) override {
    auto q =
        db_.prepare("INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires, used) VALUES(?,?,?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, r.code_hash)
        .bind(2, r.shelter_id)
        .bind(3, r.device_id)
        .bind(4, r.expires)
        .bind(5, std::int64_t{r.used});
    return (*q)->run();
  }

  Result<std::optional<EnrolmentRow>> find_enrolment(const std::string& code_hash) override {
    auto q = db_.prepare("SELECT shelter_id, device_id, expires, used FROM auth_enrolment WHERE code_hash = ?");
    if (!q) return q.error();
    (*q)->bind(1, code_hash);
    auto row = (*q)->step();
    if (!row) return row.error();
    std::optional<EnrolmentRow> out;
    if (*row) out = EnrolmentRow{code_hash, (*q)->text(0), (*q)->text(1), (*q)->i64(2), (*q)->i64(3) != 0};
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

class SqliteServerStore final : public ServerStore {
 public:
  explicit SqliteServerStore(std::unique_ptr<Store> store)
      : store_(std::move(store)), repo_(store_->db()), auth_(repo_) {}
  Status migrate() {
    if (auto st = repo_.migrate(); !st) return st;
    return store_->db().exec(R"sql(
CREATE TABLE IF NOT EXISTS shelter_info(id TEXT PRIMARY KEY, name TEXT NOT NULL, capacity INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS district_list(one INTEGER PRIMARY KEY CHECK (one = 1), sealed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_status(
  device_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, last_push_ms INTEGER, last_pull_ms INTEGER,
  clock_skew_ms INTEGER, future_events INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
-- Transfers since a time: arrivals by effective stamp (transfers()).
CREATE INDEX IF NOT EXISTS event_arrival_time ON event((CASE WHEN clamp <> 0 THEN clamp ELSE hlc END))
  WHERE type = 'arrived';
)sql");
  }

  Result<std::optional<std::int64_t>> note_contact(const DeviceContact& c) override {
    std::lock_guard lock(mu_);
    auto& db = store_->db();
    auto prev = db.prepare("SELECT clock_skew_ms FROM device_status WHERE device_id = ?");
    if (!prev) return prev.error();
    (*prev)->bind(1, c.device_id);
    auto row = (*prev)->step();
    if (!row) return row.error().context("device status");
    std::optional<std::int64_t> before;
    if (*row && !(*prev)->is_null(0)) before = (*prev)->i64(0);
    auto q = db.prepare(
        "INSERT INTO device_status VALUES(?1, ?2, CASE WHEN ?3 THEN ?4 END, CASE WHEN ?3 THEN NULL ELSE ?4 END, ?5, "
        "?6) "
        "ON CONFLICT(device_id) DO UPDATE SET shelter_id = ?2, "
        "last_push_ms = CASE WHEN ?3 THEN ?4 ELSE last_push_ms END, "
        "last_pull_ms = CASE WHEN ?3 THEN last_pull_ms ELSE ?4 END, "
        "clock_skew_ms = coalesce(?5, clock_skew_ms), future_events = future_events + ?6");
    if (!q) return q.error();
    (*q)->bind(1, c.device_id).bind(2, c.shelter_id).bind(3, std::int64_t{c.push}).bind(4, c.at_ms);
    if (c.clock_skew_ms)
      (*q)->bind(5, *c.clock_skew_ms);
    else
      (*q)->bind_null(5);
    (*q)->bind(6, std::int64_t{c.future_events});
    if (auto r = (*q)->step(); !r) return r.error().context("device status");
    return before;
  }

  Result<std::vector<DeviceStatus>> devices() override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare(
        "SELECT device_id, shelter_id, last_push_ms, last_pull_ms, clock_skew_ms, future_events FROM device_status "
        "ORDER BY shelter_id, device_id");
    if (!q) return q.error();
    std::vector<DeviceStatus> out;
    auto opt = [&](int col) { return (*q)->is_null(col) ? std::optional<std::int64_t>() : (*q)->i64(col); };
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("devices");
      if (!*row) break;
      out.push_back({(*q)->text(0), (*q)->text(1), opt(2), opt(3), opt(4), (*q)->i64(5)});
    }
    return out;
  }

  Result<std::vector<SearchHit>> search_consenting(const std::string& text) override {
    std::lock_guard lock(mu_);
    PersonQuery q;
    q.text = text;
    q.limit = 200;
    auto people = store_->persons(q);
    if (!people) return people.error();
    std::vector<SearchHit> out;
    for (const auto& p : *people)
      if (p.info.consent) out.push_back({p.id, p.info.name, p.info.reading, p.info.birth, p.shelter_id, p.presence});
    return out;
  }

  Result<std::vector<PersonRecord>> persons(bool consenting_only) override {
    std::lock_guard lock(mu_);
    PersonQuery q;
    q.limit = 10'000'000;
    auto all = store_->persons(q);
    if (!all) return all.error();
    if (consenting_only)
      all->erase(std::remove_if(all->begin(), all->end(), [](const PersonRecord& p) { return !p.info.consent; }),
                 all->end());
    return all;
  }

  Result<std::vector<DuplicateCandidate>> duplicates() override {
    std::lock_guard lock(mu_);
    auto pairs = store_->possible_duplicates();
    if (!pairs) return pairs.error();
    std::vector<DuplicateCandidate> out;
    for (const auto& pair : *pairs) {
      auto a = store_->person(pair.a);
      auto b = store_->person(pair.b);
      if (!a || !b) return (!a ? a.error() : b.error()).context("read duplicates");
      if (a->has_value() && b->has_value()) out.push_back({std::move(**a), std::move(**b)});
    }
    return out;
  }

  Result<std::vector<TimelineRow>> timeline(std::int64_t since_ms) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare(
        "SELECT shelter_id, ((hlc >> 16) / 3600000) * 3600000 AS hour, sum(type = 'arrived'), sum(type = 'left') "
        "FROM event WHERE type IN ('arrived', 'left') AND (hlc >> 16) >= ?1 GROUP BY shelter_id, hour "
        "ORDER BY hour, shelter_id");
    if (!q) return q.error();
    (*q)->bind(1, since_ms);
    std::vector<TimelineRow> out;
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("timeline");
      if (!*row) break;
      out.push_back({(*q)->text(0), (*q)->i64(1), (*q)->i64(2), (*q)->i64(3)});
    }
    return out;
  }

  // Each person's arrivals in the fold's order, and LAG for the shelter of
  // the arrival before (pg/store.cpp has the same query). When few persons
  // arrived since the time (days into an emergency), only their arrivals
  // are read (index event_arrival_time); when many did, one pass over every
  // arrival is cheaper than a lookup per person (docs/performance.md).
  Result<std::vector<Transfer>> transfers(std::int64_t since_ms) override {
    std::lock_guard lock(mu_);
    const auto since = static_cast<std::int64_t>(make_hlc(since_ms, 0));
    auto sizes = store_->db().prepare(
        "SELECT count(*), coalesce(sum((CASE WHEN clamp <> 0 THEN clamp ELSE hlc END) >= ?1), 0) FROM event "
        "INDEXED BY event_arrival_time WHERE type = 'arrived'");
    if (!sizes) return sizes.error();
    (*sizes)->bind(1, since);
    if (auto r = (*sizes)->step(); !r) return r.error().context("transfers");
    const bool few = 2 * (*sizes)->i64(1) < (*sizes)->i64(0);
    (*sizes)->reset();
    auto q = store_->db().prepare(
        std::string("WITH arrival AS (SELECT person_id, shelter_id, device_id, id, CASE WHEN clamp <> 0 THEN clamp "
                    "ELSE hlc END AS eff, lag(shelter_id) OVER (PARTITION BY person_id ORDER BY CASE WHEN clamp <> 0 "
                    "THEN clamp ELSE hlc END, device_id, id) AS prev FROM event WHERE type = 'arrived'") +
        (few ? " AND person_id IN (SELECT person_id FROM event WHERE type = 'arrived' AND (CASE WHEN clamp <> 0 "
               "THEN clamp ELSE hlc END) >= ?1)"
             : "") +
        ") SELECT a.person_id, coalesce(p.name, ''), a.prev, a.shelter_id, a.eff >> 16, a.device_id, a.id "
        "FROM arrival a LEFT JOIN person p ON p.person_id = a.person_id WHERE a.prev <> a.shelter_id AND a.eff >= ?1 "
        "ORDER BY a.eff DESC, a.device_id DESC, a.id DESC");
    if (!q) return q.error();
    (*q)->bind(1, since);
    std::vector<Transfer> out;
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("transfers");
      if (!*row) break;
      out.push_back(
          {(*q)->text(0), (*q)->text(1), (*q)->text(2), (*q)->text(3), (*q)->i64(4), (*q)->text(5), (*q)->text(6)});
    }
    return out;
  }

  Result<std::vector<ShelterInfo>> shelters() override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT id, name, capacity FROM shelter_info ORDER BY id");
    if (!q) return q.error();
    std::vector<ShelterInfo> out;
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("shelters");
      if (!*row) break;
      out.push_back({(*q)->text(0), (*q)->text(1), static_cast<int>((*q)->i64(2))});
    }
    return out;
  }

  Status put_district_list(const std::string& sealed) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("INSERT OR REPLACE INTO district_list VALUES(1, ?)");
    if (!q) return q.error();
    (*q)->bind(1, sealed);
    return (*q)->run();
  }
  Result<std::string> district_list() override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT sealed FROM district_list");
    if (!q) return q.error();
    auto row = (*q)->step();
    if (!row) return row.error().context("district list");
    return *row ? (*q)->text(0) : std::string();
  }
  Status set_shelter(const std::string& id, const std::string& name, int capacity) override {
    if (auto st = check_shelter(id, name, capacity); !st) return st;
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("INSERT OR REPLACE INTO shelter_info VALUES(?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, id).bind(2, name).bind(3, capacity);
    return (*q)->run();
  }
  Result<TokenCheck> authenticate(const std::string& token) override {
    std::lock_guard lock(mu_);
    return auth_.authenticate(token);
  }
  Result<Principal> enrol(const std::string& code, const std::string& device_id, const std::string& public_key,
                          std::string& token_out, const std::pair<std::string, std::string>& lead) override {
    std::lock_guard lock(mu_);
    return auth_.enrol(code, device_id, public_key, token_out, lead);
  }
  Status register_volunteer(const Principal& p, const VolunteerKey& v) override {
    std::lock_guard lock(mu_);
    return auth_.register_volunteer(p, v.name, v.role, v.public_key, v.vouched_by, v.vouch);
  }
  Result<std::vector<VolunteerKeyRow>> volunteer_keys(const std::string& shelter_id) override {
    std::lock_guard lock(mu_);
    return auth_.volunteer_keys(shelter_id);
  }
  Result<std::string> add_card_key(const std::string& public_key) override {
    std::lock_guard lock(mu_);
    return auth_.add_card_key(public_key);
  }
  Result<std::string> add_hq_key(const std::string& public_key) override {
    std::lock_guard lock(mu_);
    return auth_.add_hq_key(public_key);
  }
  Result<int> revoke_key(const std::string& key_id) override {
    std::lock_guard lock(mu_);
    return auth_.revoke_key(key_id);
  }
  Result<std::vector<signing::TrustedKey>> keys() override {
    std::lock_guard lock(mu_);
    return auth_.keys();
  }
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id,
                                       int hours) override {
    std::lock_guard lock(mu_);
    return auth_.create_enrolment(shelter_id, device_id, hours);
  }
  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password) override {
    std::lock_guard lock(mu_);
    return auth_.add_user(name, role, password);
  }
  Result<std::optional<UserRow>> find_account(const std::string& name) override {
    std::lock_guard lock(mu_);
    return auth_.find_account(name);
  }
  Result<std::string> open_session(const UserRow& user) override {
    std::lock_guard lock(mu_);
    return auth_.open_session(user);
  }
  Status end_session(const std::string& token) override {
    std::lock_guard lock(mu_);
    return auth_.end_session(token);
  }
  Result<std::int64_t> last_device_seq(const std::string& device_id) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = ?");
    if (!q) return q.error();
    (*q)->bind(1, device_id);
    if (auto r = (*q)->step(); !r) return r.error();
    return (*q)->i64(0);
  }
  Status keep_staff_signatures(const std::map<std::string, std::string>& signatures) override {
    std::lock_guard lock(mu_);
    return store_->keep_staff_signatures(signatures);
  }
  Result<std::map<std::string, std::string>> staff_signatures(const std::vector<Event>& events) override {
    std::lock_guard lock(mu_);
    return store_->staff_signatures(events);
  }
  Result<std::set<std::string>> stored_ids(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT 1 FROM event WHERE id = ?1");
    if (!q) return q.error();
    std::set<std::string> found;
    for (const auto& id : ids) {
      (*q)->bind(1, id);
      auto row = (*q)->step();
      if (!row) return row.error();
      if (*row) found.insert(id);
      (*q)->reset();
    }
    return found;
  }
  Result<int> revoke(const std::string& device_id, const std::string& user_name) override {
    std::lock_guard lock(mu_);
    return auth_.revoke(device_id, user_name);
  }

  Result<PushReply> push(const PushRequest& request, std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto admitted = store_->admit(request.events, now, kFutureSlackMs);
    if (!admitted) return admitted.error().context("store batch");
    PushReply reply;
    for (size_t i = 0; i < request.events.size(); ++i) {
      const Event& e = request.events[i];
      const Admission& a = (*admitted)[i];
      if (a.kind == Admission::Kind::Refused) {
        reply.refused.push_back({e.id, a.code, a.reason, a.expected_seq});
        continue;
      }
      reply.acknowledged.push_back(e.id);
      if (a.kind == Admission::Kind::Stored) ++reply.new_events;
      if (a.clamp != 0) reply.clamped.emplace_back(e.id, a.clamp);
    }
    reply.server_time_ms = now;
    return reply;
  }

  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override {
    std::lock_guard lock(mu_);
    auto feed = store_->shelter_feed_after(shelter_id, after, limit + 1);
    if (!feed) return feed.error();
    return feed_reply(std::move(*feed), limit, after,
                      [&](const std::vector<PersonId>& persons) -> Result<std::vector<Event>> {
                        auto rows = store_->feed_backfill(shelter_id, after, persons);
                        if (!rows) return rows.error();
                        std::vector<Event> out;
                        for (auto& [seq, e] : *rows) out.push_back(std::move(e));
                        return out;
                      });
  }

  Result<std::vector<ShelterCounts>> counts(const std::string& shelter_id) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> shelters;
    if (shelter_id.empty()) {
      auto all = store_->shelters_with_counts();
      if (!all) return all.error();
      shelters = *all;
    } else {
      shelters.push_back(shelter_id);
    }
    std::vector<ShelterCounts> out;
    for (const auto& s : shelters) {
      auto c = store_->counts(s);
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Store> store_;
  SqliteCredentialRepo repo_;
  Credentials auth_;
};

}  // namespace

Result<std::unique_ptr<ServerStore>> open_sqlite_server_store(const std::string& path) {
  auto store = Store::open(path);
  if (!store) return store.error().context("server store");
  if ((*store)->device_id().empty())
    if (auto st = (*store)->init_identity("server", "server", "Municipal server"); !st) return st.error();
  auto server = std::make_unique<SqliteServerStore>(std::move(store).value());
  if (auto st = server->migrate(); !st) return st.error().context("server store");
  // The list key beside the database file (shelter-server --list-key may
  // name another); a database in memory has none.
  if (const std::string key_path = list_key_path(path); !key_path.empty()) {
    auto key = load_or_make_list_key(key_path);
    if (!key) return key.error();
    server->set_list_key(std::move(*key));
  }
  return std::unique_ptr<ServerStore>(std::move(server));
}

}  // namespace shelter::sync
