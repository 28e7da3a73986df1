// The embedded server store: core's SQLite Store (the same merge as a
// kiosk's) plus the server's own tables; writes serialised by one mutex.
#include <algorithm>
#include <mutex>

#include "core/sqlite.hpp"
#include "sync/server/district_list.hpp"
#include "sync/server/sqlite_credentials.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

namespace {

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
  Result<bool> adopt_device_key(const Principal& hub, const std::string& device_id,
                                const std::string& public_key) override {
    std::lock_guard lock(mu_);
    return auth_.adopt_device_key(hub, device_id, public_key);
  }
  Result<std::vector<signing::TrustedKey>> keys() override {
    std::lock_guard lock(mu_);
    return auth_.keys();
  }
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id, int hours,
                                       const std::string& role) override {
    std::lock_guard lock(mu_);
    return auth_.create_enrolment(shelter_id, device_id, hours, role);
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

  bool has_local_store() const override { return true; }
  Status with_local_store(const std::function<Status(Store&)>& f) override {
    std::lock_guard lock(mu_);
    return f(*store_);
  }
  Result<PushReply> push(const PushRequest& request, std::int64_t now) override {
    std::lock_guard lock(mu_);
    // A shelter hub (hub_relay.cpp keeps "hub_shelter" in meta) leaves the
    // write rules and the clamps to the city, which knows more than it does.
    auto hub = store_->meta("hub_shelter");
    if (!hub) return hub.error().context("store batch");
    auto admitted = store_->admit(request.events, now, kFutureSlackMs, !hub->has_value());
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
