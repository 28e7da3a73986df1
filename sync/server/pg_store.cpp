// The PostgreSQL backend: for a city that outgrows one machine. Several
// server processes may share one database. The merge is core/'s: each
// person's fields are folded by PersonState::apply and the counts moved by
// count_delta, exactly as the kiosk's SQLite store does, inside one
// transaction per batch.
//
// Feed positions: an event's `pos` is taken from a one-row counter as the
// last statement of the transaction, so the counter's row lock orders
// positions by commit; a reader's cursor never skips a row that commits
// later with a smaller number (the classic bigserial pitfall).
#include <pqxx/pqxx>

#include <chrono>
#include <ctime>

#include "core/projection.hpp"
#include "sync/server/server.hpp"

namespace shelter::sync {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS event(
  id TEXT PRIMARY KEY, pos BIGINT UNIQUE, type TEXT NOT NULL, person_id TEXT NOT NULL,
  household_id TEXT NOT NULL, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL, device_seq BIGINT NOT NULL,
  author TEXT NOT NULL, hlc BIGINT NOT NULL, body TEXT NOT NULL, UNIQUE(device_id, device_seq));
CREATE INDEX IF NOT EXISTS event_shelter_pos ON event(shelter_id, pos);
CREATE INDEX IF NOT EXISTS event_person ON event(person_id);
CREATE TABLE IF NOT EXISTS feed_counter(one INT PRIMARY KEY CHECK (one = 1), n BIGINT NOT NULL);
INSERT INTO feed_counter VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS person_field(
  person_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc BIGINT NOT NULL,
  device_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY(person_id, field));
CREATE INDEX IF NOT EXISTS person_field_value ON person_field(field, value);
CREATE TABLE IF NOT EXISTS count_cell(
  shelter_id TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, n INT NOT NULL CHECK (n > 0),
  PRIMARY KEY(shelter_id, dim, key));
CREATE TABLE IF NOT EXISTS household_presence(
  shelter_id TEXT NOT NULL, household_id TEXT NOT NULL, n INT NOT NULL CHECK (n > 0),
  PRIMARY KEY(shelter_id, household_id));
CREATE TABLE IF NOT EXISTS auth_enrolment(
  code_hash TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  expires BIGINT NOT NULL, used BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS auth_token(
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  name TEXT NOT NULL, role TEXT NOT NULL, created BIGINT NOT NULL);
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

Event read_event(const pqxx::row& r) {
  Event e;
  e.id = r["id"].c_str();
  e.type = parse_event_type(r["type"].c_str()).value_or(EventType::Arrived);
  e.person_id = r["person_id"].c_str();
  e.household_id = r["household_id"].c_str();
  e.shelter_id = r["shelter_id"].c_str();
  e.device_id = r["device_id"].c_str();
  e.device_seq = r["device_seq"].as<std::int64_t>();
  e.author = r["author"].c_str();
  e.hlc = static_cast<Hlc>(r["hlc"].as<std::int64_t>());
  e.body = nlohmann::json::parse(r["body"].c_str(), nullptr, false);
  return e;
}

// libpqxx reports errors by exception; the rest of the program by Result.
template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::broken_connection& e) {
    return fail(std::string(what) + ": database connection lost: " + e.what());
  } catch (const std::exception& e) {
    return fail(std::string(what) + ": " + e.what());
  }
}

class PgServerStore final : public ServerStore {
 public:
  explicit PgServerStore(std::string url) : url_(std::move(url)) {}

  Status connect() {
    return guarded("connect to PostgreSQL", [&]() -> Status {
      conn_ = std::make_unique<pqxx::connection>(url_);
      pqxx::work w(*conn_);
      w.exec("SELECT pg_advisory_xact_lock(8470)");  // one schema creator at a time
      w.exec(kSchema);
      w.commit();
      return {};
    });
  }

  Result<PushReply> push(const PushRequest& request) override {
    std::lock_guard lock(mu_);
    return guarded("store batch", [&]() -> Result<PushReply> {
      pqxx::work w(*conn_);
      PushReply reply;
      std::vector<std::string> inserted;
      for (const Event& e : request.events) {
        auto r = w.exec_params(
            "INSERT INTO event(id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body) "
            "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING RETURNING id",
            e.id, std::string(to_string(e.type)), e.person_id, e.household_id, e.shelter_id, e.device_id,
            e.device_seq, e.author, static_cast<std::int64_t>(e.hlc), e.body.dump());
        reply.acknowledged.push_back(e.id);
        if (r.empty()) continue;  // already stored: a repeated batch
        inserted.push_back(e.id);
        project(w, e);
      }
      if (!inserted.empty()) {
        // Last: positions under the counter's row lock, in commit order.
        auto r = w.exec_params("UPDATE feed_counter SET n = n + $1 WHERE one = 1 RETURNING n",
                               static_cast<std::int64_t>(inserted.size()));
        std::int64_t pos = r[0][0].as<std::int64_t>() - static_cast<std::int64_t>(inserted.size());
        for (const auto& id : inserted) w.exec_params("UPDATE event SET pos = $1 WHERE id = $2", ++pos, id);
      }
      w.commit();
      reply.new_events = static_cast<int>(inserted.size());
      reply.server_time_ms = now_ms();
      return reply;
    });
  }

  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override {
    std::lock_guard lock(mu_);
    return guarded("read shelter feed", [&]() -> Result<PullReply> {
      pqxx::read_transaction w(*conn_);
      auto rows = w.exec_params(
          "SELECT * FROM event WHERE pos > $1 AND (shelter_id = $2 OR person_id IN "
          "(SELECT person_id FROM event WHERE shelter_id = $2)) ORDER BY pos LIMIT $3",
          after, shelter_id, limit + 1);
      PullReply reply;
      reply.next_cursor = after;
      for (const auto& row : rows) {
        if (static_cast<int>(reply.events.size()) == limit) {
          reply.more = true;
          break;
        }
        reply.events.push_back(read_event(row));
        reply.next_cursor = row["pos"].as<std::int64_t>();
      }
      reply.server_time_ms = now_ms();
      return reply;
    });
  }

  Result<nlohmann::json> counts(const std::string& shelter_id) override {
    std::lock_guard lock(mu_);
    return guarded("read counts", [&]() -> Result<nlohmann::json> {
      pqxx::read_transaction w(*conn_);
      std::vector<std::string> shelters;
      if (shelter_id.empty()) {
        for (const auto& r : w.exec("SELECT DISTINCT shelter_id FROM count_cell ORDER BY shelter_id"))
          shelters.emplace_back(r[0].c_str());
      } else {
        shelters.push_back(shelter_id);
      }
      nlohmann::json out = nlohmann::json::array();
      const BirthDate today = today_utc();
      for (const auto& s : shelters) {
        ShelterCounts c;
        c.shelter_id = s;
        for (const auto& r : w.exec_params("SELECT dim, key, n FROM count_cell WHERE shelter_id = $1", s))
          add_count_cell(c, r[0].c_str(), r[1].c_str(), r[2].as<int>(), today);
        c.households = w.exec_params("SELECT count(*) FROM household_presence WHERE shelter_id = $1", s)[0][0].as<int>();
        out.push_back({{"shelter", s},          {"present", c.present},  {"out", c.out},
                       {"households", c.households}, {"by_sex", c.by_sex}, {"by_age_band", c.by_age_band},
                       {"by_need", c.by_need}, {"by_stay", c.by_stay}});
      }
      return out;
    });
  }

  Result<nlohmann::json> search_consenting(const std::string& text) override {
    std::lock_guard lock(mu_);
    return guarded("search", [&]() -> Result<nlohmann::json> {
      pqxx::read_transaction w(*conn_);
      auto rows = w.exec_params(
          "SELECT DISTINCT person_id FROM person_field WHERE field IN ('name', 'reading') AND "
          "strpos(value, $1) > 0 LIMIT 200",
          text);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : rows) {
        PersonState p = load(w, r[0].c_str());
        const PersonInfo info = p.info();
        if (!info.consent || !p.merged_into().empty()) continue;
        out.push_back({{"name", info.name}, {"reading", info.reading}, {"shelter", p.shelter_id()},
                       {"presence", to_string(p.presence())}});
      }
      return out;
    });
  }

  Result<Principal> authenticate(const std::string& token) override {
    if (token.empty()) return fail("missing credentials");
    std::lock_guard lock(mu_);
    return guarded("authenticate", [&]() -> Result<Principal> {
      pqxx::read_transaction w(*conn_);
      auto r = w.exec_params("SELECT kind, shelter_id, device_id, name, role FROM auth_token WHERE token_hash = $1",
                             hash_secret(token));
      if (r.empty()) return fail("unknown credentials");
      Principal p;
      p.kind = std::string(r[0][0].c_str()) == "kiosk" ? Principal::Kind::Kiosk : Principal::Kind::Headquarters;
      p.shelter_id = r[0][1].c_str();
      p.device_id = r[0][2].c_str();
      p.name = r[0][3].c_str();
      p.role = r[0][4].c_str();
      return p;
    });
  }

  Result<Principal> enrol(const std::string& code, const std::string& device_id, std::string& token_out) override {
    std::lock_guard lock(mu_);
    return guarded("enrol", [&]() -> Result<Principal> {
      pqxx::work w(*conn_);
      auto r = w.exec_params(
          "SELECT shelter_id, device_id, expires, used FROM auth_enrolment WHERE code_hash = $1 FOR UPDATE",
          hash_secret(code));
      if (r.empty()) return fail("enrol: unknown code");
      Principal p;
      p.shelter_id = r[0][0].c_str();
      p.device_id = r[0][1].c_str();
      if (r[0][3].as<bool>()) return fail("enrol: this code was already used");
      if (r[0][2].as<std::int64_t>() < now_s()) return fail("enrol: this code has expired");
      if (p.device_id != device_id) return fail("enrol: this code is for device " + p.device_id);
      w.exec_params("UPDATE auth_enrolment SET used = true WHERE code_hash = $1", hash_secret(code));
      token_out = random_token();
      w.exec_params("INSERT INTO auth_token VALUES($1, 'kiosk', $2, $3, '', '', $4)", hash_secret(token_out),
                    p.shelter_id, p.device_id, now_s());
      w.commit();
      return p;
    });
  }

  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id,
                                       int hours) override {
    if (!is_valid_slug(shelter_id) || !is_valid_slug(device_id)) return fail("shelter and device ids must be slugs");
    if (hours < 1 || hours > 24 * 90) return fail("a code is valid for 1 hour to 90 days");
    std::lock_guard lock(mu_);
    return guarded("create enrolment code", [&]() -> Result<std::string> {
      const std::string code = random_code();
      pqxx::work w(*conn_);
      w.exec_params("INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires) VALUES($1,$2,$3,$4)",
                    hash_secret(code), shelter_id, device_id, now_s() + hours * 3600);
      w.commit();
      return code;
    });
  }

  Result<std::string> add_user(const std::string& name, const std::string& role) override {
    if (name.empty() || name.size() > 64) return fail("a user name is 1 to 64 characters");
    if (role != "counts" && role != "search") return fail("role must be counts or search");
    std::lock_guard lock(mu_);
    return guarded("add user", [&]() -> Result<std::string> {
      const std::string token = random_token();
      pqxx::work w(*conn_);
      w.exec_params("INSERT INTO auth_token VALUES($1, 'hq', '', '', $2, $3, $4)", hash_secret(token), name, role,
                    now_s());
      w.commit();
      return token;
    });
  }

 private:
  static PersonState load(pqxx::transaction_base& w, const std::string& person_id) {
    PersonState p;
    p.id = person_id;
    for (const auto& r : w.exec_params(
             "SELECT field, value, hlc, device_id, event_id FROM person_field WHERE person_id = $1", person_id))
      p.fields.emplace(r[0].c_str(), FieldValue{r[1].c_str(), Stamp{static_cast<Hlc>(r[2].as<std::int64_t>()),
                                                                     r[3].c_str(), r[4].c_str()}});
    return p;
  }

  // The kiosk's project(), on PostgreSQL. The advisory lock serialises
  // server processes working on the same person.
  static void project(pqxx::work& w, const Event& e) {
    w.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", e.person_id);
    PersonState before = load(w, e.person_id);
    const bool existed = !before.fields.empty();
    PersonState after = before;
    const auto changed = after.apply(e);
    if (changed.empty()) return;
    for (const auto& f : changed) {
      const FieldValue& v = after.fields.at(f);
      w.exec_params(
          "INSERT INTO person_field VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT (person_id, field) DO UPDATE SET "
          "value = EXCLUDED.value, hlc = EXCLUDED.hlc, device_id = EXCLUDED.device_id, event_id = EXCLUDED.event_id",
          e.person_id, f, v.value, static_cast<std::int64_t>(v.stamp.hlc), v.stamp.device_id, v.stamp.event_id);
    }
    const CountDelta d = count_delta(existed ? &before : nullptr, after);
    for (const auto& k : d.removed)
      if (w.exec_params("DELETE FROM count_cell WHERE shelter_id=$1 AND dim=$2 AND key=$3 AND n = 1 RETURNING n",
                        k.shelter_id, k.dim, k.key)
              .empty())
        w.exec_params("UPDATE count_cell SET n = n - 1 WHERE shelter_id=$1 AND dim=$2 AND key=$3", k.shelter_id, k.dim,
                      k.key);
    for (const auto& k : d.added)
      w.exec_params("INSERT INTO count_cell VALUES($1,$2,$3,1) ON CONFLICT (shelter_id, dim, key) DO UPDATE SET "
                    "n = count_cell.n + 1",
                    k.shelter_id, k.dim, k.key);
    for (const auto& k : d.households_removed)
      if (w.exec_params("DELETE FROM household_presence WHERE shelter_id=$1 AND household_id=$2 AND n = 1 RETURNING n",
                        k.shelter_id, k.household_id)
              .empty())
        w.exec_params("UPDATE household_presence SET n = n - 1 WHERE shelter_id=$1 AND household_id=$2", k.shelter_id,
                      k.household_id);
    for (const auto& k : d.households_added)
      w.exec_params("INSERT INTO household_presence VALUES($1,$2,1) ON CONFLICT (shelter_id, household_id) DO UPDATE "
                    "SET n = household_presence.n + 1",
                    k.shelter_id, k.household_id);
  }

  std::string url_;
  std::mutex mu_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

Result<std::unique_ptr<ServerStore>> open_pg_server_store(const std::string& url) {
  auto store = std::make_unique<PgServerStore>(url);
  if (auto st = store->connect(); !st) return st.error();
  return std::unique_ptr<ServerStore>(std::move(store));
}

}  // namespace shelter::sync
