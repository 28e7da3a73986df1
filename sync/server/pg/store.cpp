// The PostgreSQL ServerStore's read models (the feed, counts, search,
// exports, devices), the server's small tables and credentials.
#include "sync/server/pg/pg.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/name_match.hpp"
#include "core/volunteer_keys.hpp"

namespace shelter::sync::pg {

namespace {

PersonRecord record_of(const PersonState& p) {
  PersonRecord rec;
  rec.id = p.id;
  rec.info = p.info();
  rec.merged_into = p.merged_into();
  rec.household_id = p.get(field::kHousehold);
  rec.shelter_id = p.shelter_id();
  rec.presence = p.presence();
  rec.stay = p.stay();
  return rec;
}

// Persons linked by merges, both ways (Store::shelter_feed_after).
constexpr const char* kMergeEdges =
    "edges(x, y) AS (SELECT person_id COLLATE \"C\", (body::json->>'into') COLLATE \"C\" FROM event "
    "WHERE type = 'merged' AND body::json->>'into' <> '' UNION ALL SELECT (body::json->>'into') COLLATE \"C\", "
    "person_id COLLATE \"C\" FROM event WHERE type = 'merged' AND body::json->>'into' <> '')";

}  // namespace

Result<PullReply> PgServerStore::pull(const std::string& shelter_id, std::int64_t after, int limit) {
  return pool_.with_conn("read shelter feed", [&](pqxx::connection& conn) -> Result<PullReply> {
    pqxx::read_transaction w(conn);
    std::vector<std::pair<std::int64_t, Event>> page;
    // As Store::shelter_feed_after: with the persons merged with them.
    for (const auto& row : w.exec_params(
             std::string("WITH RECURSIVE ") + kMergeEdges +
                 ", linked(p) AS (SELECT y FROM edges WHERE x IN (SELECT person_id FROM event WHERE "
                 "shelter_id = $2) UNION SELECT e.y FROM edges e JOIN linked l ON e.x = l.p) "
                 "SELECT * FROM event WHERE pos > $1 AND (shelter_id = $2 OR person_id IN "
                 "(SELECT person_id FROM event WHERE shelter_id = $2) OR person_id IN (SELECT p FROM linked)) "
                 "ORDER BY pos LIMIT $3",
             after, shelter_id, limit + 1))
      page.emplace_back(row["pos"].as<std::int64_t>(), read_event(row));
    // Persons entering the feed in this page: their events stored before.
    return feed_reply(std::move(page), limit, after, [&](const std::vector<PersonId>& persons) {
      std::vector<Event> out;
      for (const auto& row : w.exec_params(
               std::string("WITH RECURSIVE ") + kMergeEdges +
                   ", linked(p) AS (SELECT value COLLATE \"C\" FROM json_array_elements_text($3::json) UNION "
                   "SELECT e.y FROM edges e JOIN linked l ON e.x = l.p) "
                   "SELECT * FROM event e WHERE e.pos <= $2 AND e.person_id IN (SELECT p FROM linked) AND NOT EXISTS "
                   "(SELECT 1 FROM event f WHERE f.person_id = e.person_id AND f.shelter_id = $1 AND f.pos <= $2) "
                   "ORDER BY e.pos",
               shelter_id, after, nlohmann::json(persons).dump()))
        out.push_back(read_event(row));
      return Result<std::vector<Event>>(std::move(out));
    });
  });
}

Result<std::optional<std::int64_t>> PgServerStore::note_contact(const DeviceContact& c) {
  return pool_.with_conn("device status", [&](pqxx::connection& conn) -> Result<std::optional<std::int64_t>> {
    pqxx::work w(conn);
    std::optional<std::int64_t> before;
    auto prev = w.exec_params("SELECT clock_skew_ms FROM device_status WHERE device_id = $1", c.device_id);
    if (!prev.empty() && !prev[0][0].is_null()) before = prev[0][0].as<std::int64_t>();
    w.exec_params(
        "INSERT INTO device_status VALUES($1, $2, CASE WHEN $3 THEN $4::bigint END, "
        "CASE WHEN $3 THEN NULL ELSE $4::bigint END, $5, $6) "
        "ON CONFLICT(device_id) DO UPDATE SET shelter_id = $2, "
        "last_push_ms = CASE WHEN $3 THEN $4::bigint ELSE device_status.last_push_ms END, "
        "last_pull_ms = CASE WHEN $3 THEN device_status.last_pull_ms ELSE $4::bigint END, "
        "clock_skew_ms = coalesce($5, device_status.clock_skew_ms), "
        "future_events = device_status.future_events + $6",
        c.device_id, c.shelter_id, c.push, c.at_ms, c.clock_skew_ms, c.future_events);
    w.commit();
    return before;
  });
}

Result<std::vector<DeviceStatus>> PgServerStore::devices() {
  return pool_.with_conn("devices", [&](pqxx::connection& conn) -> Result<std::vector<DeviceStatus>> {
    pqxx::read_transaction w(conn);
    std::vector<DeviceStatus> out;
    auto opt = [](const pqxx::field& f) { return f.is_null() ? std::optional<std::int64_t>() : f.as<std::int64_t>(); };
    for (const auto& r : w.exec("SELECT device_id, shelter_id, last_push_ms, last_pull_ms, clock_skew_ms, "
                                "future_events FROM device_status ORDER BY shelter_id, device_id"))
      out.push_back({r[0].c_str(), r[1].c_str(), opt(r[2]), opt(r[3]), opt(r[4]), r[5].as<std::int64_t>()});
    return out;
  });
}

Result<std::vector<ShelterCounts>> PgServerStore::counts(const std::string& shelter_id) {
  return pool_.with_conn("read counts", [&](pqxx::connection& conn) -> Result<std::vector<ShelterCounts>> {
    pqxx::read_transaction w(conn);
    std::vector<std::string> shelters;
    if (shelter_id.empty()) {
      for (const auto& r : w.exec("SELECT DISTINCT shelter_id FROM count_cell ORDER BY shelter_id"))
        shelters.emplace_back(r[0].c_str());
    } else {
      shelters.push_back(shelter_id);
    }
    std::vector<ShelterCounts> out;
    const BirthDate today = today_utc();
    for (const auto& s : shelters) {
      ShelterCounts c;
      c.shelter_id = s;
      for (const auto& r : w.exec_params("SELECT dim, key, n FROM count_cell WHERE shelter_id = $1", s))
        add_count_cell(c, r[0].c_str(), r[1].c_str(), r[2].as<int>(), today);
      c.households =
          w.exec_params("SELECT count(DISTINCT household_key) FROM person WHERE present_at = $1", s)[0][0].as<int>();
      out.push_back(std::move(c));
    }
    return out;
  });
}

Result<std::vector<SearchHit>> PgServerStore::search_consenting(const std::string& text) {
  return pool_.with_conn("search", [&](pqxx::connection& conn) -> Result<std::vector<SearchHit>> {
    pqxx::read_transaction w(conn);
    auto rows = w.exec_params(
        "SELECT person_id, state FROM person WHERE strpos(name, $1) > 0 OR strpos(reading, $1) > 0"
        " OR ($2 <> '' AND (strpos(replace(replace(name, ' ', ''), '\xE3\x80\x80', ''), $2) > 0"
        "  OR strpos(replace(replace(reading, ' ', ''), '\xE3\x80\x80', ''), $2) > 0))"
        " OR ($3 <> '' AND strpos(match_key, $3) > 0) LIMIT 200",
        text, without_spaces(text), search_kana_key(text));
    std::vector<SearchHit> out;
    for (const auto& r : rows) {
      const PersonState p = state_from_json(r[0].c_str(), r[1].c_str());
      const PersonInfo info = p.info();
      if (!info.consent || p.hidden) continue;
      out.push_back({p.id, info.name, info.reading, info.birth, p.shelter_id(), p.presence()});
    }
    return out;
  });
}

Result<std::vector<PersonRecord>> PgServerStore::persons(bool consenting_only) {
  return pool_.with_conn("read persons", [&](pqxx::connection& conn) -> Result<std::vector<PersonRecord>> {
    pqxx::read_transaction w(conn);
    std::vector<PersonRecord> out;
    for (const auto& r : w.exec("SELECT person_id, state FROM person ORDER BY person_id")) {
      const PersonState p = state_from_json(r[0].c_str(), r[1].c_str());
      if (p.hidden) continue;
      PersonRecord rec = record_of(p);
      if (consenting_only && !rec.info.consent) continue;
      out.push_back(std::move(rec));
    }
    return out;
  });
}

// As the SQLite store's (Store::possible_duplicates): the persons of keys
// two persons share (index person_match_key), then core's birth rule and
// the dismissals over those few.
Result<std::vector<DuplicateCandidate>> PgServerStore::duplicates() {
  return pool_.with_conn("duplicates", [&](pqxx::connection& conn) -> Result<std::vector<DuplicateCandidate>> {
    pqxx::read_transaction w(conn);
    std::map<PersonId, PersonRecord> records;
    std::vector<MatchRow> rows;
    for (const auto& r :
         w.exec("SELECT person_id, state, match_key FROM person WHERE match_key IN (SELECT match_key FROM person "
                "WHERE match_key <> '' GROUP BY match_key HAVING count(*) > 1) ORDER BY match_key, person_id")) {
      const PersonState p = state_from_json(r[0].c_str(), r[1].c_str());
      if (p.hidden) continue;
      PersonRecord rec = record_of(p);
      if (rec.info.birth.year == 0) continue;
      rows.push_back({rec.id, r[2].c_str(), std::string(to_string(rec.info.birth))});
      records.emplace(rec.id, std::move(rec));
    }
    std::set<std::pair<PersonId, PersonId>> dismissed;
    if (!rows.empty())
      for (const auto& r : w.exec("SELECT person_id, body::json->>'other' FROM event WHERE type = 'not_duplicate'")) {
        std::string a = r[0].c_str(), b = r[1].is_null() ? "" : r[1].c_str();
        if (b < a) std::swap(a, b);
        dismissed.emplace(std::move(a), std::move(b));
      }
    std::vector<DuplicateCandidate> out;
    for (const auto& [a, b] : match_pairs(rows, [&](const PersonId&x, const PersonId&y) {
           return dismissed.count({x, y}) > 0;
         }))
      out.push_back({records.at(a), records.at(b)});
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return std::tie(x.a.id, x.b.id) < std::tie(y.a.id, y.b.id); });
    return out;
  });
}

Result<std::vector<TimelineRow>> PgServerStore::timeline(std::int64_t since_ms) {
  return pool_.with_conn("timeline", [&](pqxx::connection& conn) -> Result<std::vector<TimelineRow>> {
    pqxx::read_transaction w(conn);
    std::vector<TimelineRow> out;
    for (const auto& r : w.exec_params(
             "SELECT shelter_id, ((hlc >> 16) / 3600000) * 3600000 AS hour, count(*) FILTER (WHERE type = 'arrived'), "
             "count(*) FILTER (WHERE type = 'left') FROM event WHERE type IN ('arrived', 'left') AND (hlc >> 16) >= $1 "
             "GROUP BY shelter_id, hour ORDER BY hour, shelter_id",
             since_ms))
      out.push_back({r[0].c_str(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()});
    return out;
  });
}

// As the SQLite store's: persons with an arrival since the time (index
// event_arrival_time), LAG over each one's arrivals in the fold's order.
Result<std::vector<Transfer>> PgServerStore::transfers(std::int64_t since_ms) {
  return pool_.with_conn("transfers", [&](pqxx::connection& conn) -> Result<std::vector<Transfer>> {
    pqxx::read_transaction w(conn);
    std::vector<Transfer> out;
    for (const auto& r : w.exec_params(
             "WITH arrival AS (SELECT person_id, shelter_id, device_id, id, CASE WHEN clamp <> 0 THEN clamp ELSE "
             "hlc END AS eff, lag(shelter_id) OVER (PARTITION BY person_id ORDER BY CASE WHEN clamp <> 0 THEN clamp "
             "ELSE hlc END, device_id, id) AS prev FROM event WHERE type = 'arrived' AND person_id IN (SELECT "
             "person_id FROM event WHERE type = 'arrived' AND (CASE WHEN clamp <> 0 THEN clamp ELSE hlc END) >= $1)) "
             "SELECT a.person_id, coalesce(p.name, ''), a.prev, a.shelter_id, a.eff >> 16, a.device_id, a.id "
             "FROM arrival a LEFT JOIN person p ON p.person_id = a.person_id WHERE a.prev <> a.shelter_id AND "
             "a.eff >= $1 ORDER BY a.eff DESC, a.device_id DESC, a.id DESC",
             static_cast<std::int64_t>(make_hlc(since_ms, 0))))
      out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].as<std::int64_t>(), r[5].c_str(),
                     r[6].c_str()});
    return out;
  });
}

Result<std::vector<ShelterInfo>> PgServerStore::shelters() {
  return pool_.with_conn("shelters", [&](pqxx::connection& conn) -> Result<std::vector<ShelterInfo>> {
    pqxx::read_transaction w(conn);
    std::vector<ShelterInfo> out;
    for (const auto& r : w.exec("SELECT id, name, capacity FROM shelter_info ORDER BY id"))
      out.push_back({r[0].c_str(), r[1].c_str(), r[2].as<int>()});
    return out;
  });
}

Status PgServerStore::set_shelter(const std::string& id, const std::string& name, int capacity) {
  if (auto st = check_shelter(id, name, capacity); !st) return st;
  return pool_.with_conn("set shelter", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    w.exec_params("INSERT INTO shelter_info VALUES($1,$2,$3) ON CONFLICT (id) DO UPDATE SET name = $2, capacity = $3",
                  id, name, capacity);
    w.commit();
    return {};
  });
}

Status PgServerStore::put_district_list(const std::string& sealed) {
  return pool_.with_conn("district list", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    w.exec_params("INSERT INTO district_list VALUES(1, $1) ON CONFLICT (one) DO UPDATE SET sealed = $1", sealed);
    w.commit();
    return {};
  });
}

Result<std::string> PgServerStore::district_list() {
  return pool_.with_conn("district list", [&](pqxx::connection& conn) -> Result<std::string> {
    pqxx::read_transaction w(conn);
    auto rows = w.exec("SELECT sealed FROM district_list");
    return rows.empty() ? std::string() : std::string(rows[0][0].c_str());
  });
}

Result<std::int64_t> PgServerStore::last_device_seq(const std::string& device_id) {
  return pool_.with_conn("last device seq", [&](pqxx::connection& conn) -> Result<std::int64_t> {
    pqxx::read_transaction w(conn);
    return w.exec_params("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = $1", device_id)[0][0]
        .as<std::int64_t>();
  });
}

Status PgServerStore::keep_staff_signatures(const std::map<std::string, std::string>& signatures) {
  if (signatures.empty()) return {};
  return pool_.with_conn("keep signatures", [&](pqxx::connection& conn) -> Status {
    pqxx::work w(conn);
    for (const auto& [id, sig] : signatures)
      w.exec_params("INSERT INTO staff_signature(event_id, signature) VALUES($1, $2) ON CONFLICT DO NOTHING", id,
                    signing::to_hex(sig));
    w.commit();
    return {};
  });
}

Result<std::map<std::string, std::string>> PgServerStore::staff_signatures(const std::vector<Event>& events) {
  return pool_.with_conn("signatures", [&](pqxx::connection& conn) -> Result<std::map<std::string, std::string>> {
    pqxx::read_transaction w(conn);
    std::map<std::string, std::string> out;
    for (const Event& e : events) {
      if (volunteer_of(e.author).empty()) continue;
      auto r = w.exec_params("SELECT signature FROM staff_signature WHERE event_id = $1", e.id);
      if (r.empty()) continue;
      auto sig = signing::from_hex(r[0][0].c_str(), signing::kSignatureBytes);
      if (sig) out[e.id] = std::move(*sig);
    }
    return out;
  });
}

Result<std::set<std::string>> PgServerStore::stored_ids(const std::vector<std::string>& ids) {
  return pool_.with_conn("stored ids", [&](pqxx::connection& conn) -> Result<std::set<std::string>> {
    pqxx::read_transaction w(conn);
    std::set<std::string> found;
    for (const auto& id : ids)
      if (!w.exec_params("SELECT 1 FROM event WHERE id = $1", id).empty()) found.insert(id);
    return found;
  });
}

}  // namespace shelter::sync::pg

namespace shelter::sync {

Result<std::unique_ptr<ServerStore>> open_pg_server_store(const std::string& url) {
  auto store = std::make_unique<pg::PgServerStore>(url);
  if (auto st = store->connect(); !st) return st.error();
  return std::unique_ptr<ServerStore>(std::move(store));
}

}  // namespace shelter::sync
