// The store's queries: persons, counts, the log and feeds for sync, refused
// events, duplicates, and the dumps tests compare.
#include <algorithm>
#include <set>
#include <tuple>

#include "core/name_match.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/store_internal.hpp"

namespace shelter {

using store_detail::kEventColumns;
using store_detail::read_event;

Result<std::vector<RefusedEvent>> Store::refused_events() {
  auto q = db_->prepare("SELECT id, code, reason, at, reissued_as FROM refused_event ORDER BY at, id");
  if (!q) return q.error().context("read refused events");
  return (*q)
      ->rows<RefusedEvent>([](sql::Stmt& r) {
        return RefusedEvent{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)};
      })
      .context("read refused events");
}

Result<std::vector<std::pair<std::int64_t, Event>>> Store::pushable_after(std::int64_t after_seq, int limit,
                                                                          std::int64_t* scanned_to, bool from_hub) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!q) return q.error().context("read events to push");
  (*q)->bind(1, after_seq).bind(2, limit);
  std::vector<std::pair<std::int64_t, Event>> out;
  *scanned_to = after_seq;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        *scanned_to = r.i64(0);
        const bool own = r.text(6) == device_id_;
        const bool relayed = (r.text(12) == "import" || (from_hub && r.text(12) == "hub")) && r.text(5) == shelter_id_;
        if (!own && !relayed) return {};
        auto e = read_event(r);
        if (!e) return e.error();
        e->clamp = 0;  // the server sets clamps; it never takes one from a kiosk
        out.emplace_back(*scanned_to, std::move(e).value());
        return {};
      });
      !st)
    return st.error().context("read events to push");
  return out;
}

Result<std::vector<std::pair<std::int64_t, Event>>> Store::origin_after(const std::string& origin,
                                                                        std::int64_t after_seq, int limit,
                                                                        std::int64_t* scanned_to) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE seq > ?1 AND origin = ?2 ORDER BY seq LIMIT ?3");
  if (!q) return q.error().context("read events of origin " + origin);
  (*q)->bind(1, after_seq).bind(2, origin).bind(3, limit);
  std::vector<std::pair<std::int64_t, Event>> out;
  *scanned_to = after_seq;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        *scanned_to = r.i64(0);
        e->clamp = 0;  // the receiving server sets its own clamps
        out.emplace_back(*scanned_to, std::move(e).value());
        return {};
      });
      !st)
    return st.error().context("read events of origin " + origin);
  return out;
}

Result<std::int64_t> Store::origin_count(const std::string& origin, std::int64_t after_seq) {
  auto q = db_->prepare("SELECT count(*) FROM event WHERE seq > ?1 AND origin = ?2");
  if (!q) return q.error().context("count events of origin " + origin);
  (*q)->bind(1, after_seq).bind(2, origin);
  if (auto r = (*q)->step(); !r) return r.error().context("count events of origin " + origin);
  return (*q)->i64(0);
}

Result<std::int64_t> Store::pushable_count(std::int64_t after_seq) {
  auto q = db_->prepare(
      "SELECT count(*) FROM event WHERE seq > ?1 AND (device_id = ?2 OR "
      "(origin = 'import' AND shelter_id = ?3))");
  if (!q) return q.error().context("count events to push");
  (*q)->bind(1, after_seq).bind(2, device_id_).bind(3, shelter_id_);
  if (auto r = (*q)->step(); !r) return r.error().context("count events to push");
  return (*q)->i64(0);
}

Result<std::int64_t> Store::sync_pushed_seq() {
  return meta_int(kSyncPushedSeqMeta);
}

Result<std::int64_t> Store::unsynced_count() {
  auto pushed = sync_pushed_seq();
  if (!pushed) return pushed.error();
  auto to_hub = meta_int(kHubPushedSeqMeta);
  if (!to_hub) return to_hub.error();
  return pushable_count(std::max(*pushed, *to_hub));
}

PersonRecord Store::read_person_row(sql::Stmt& s) {
  PersonRecord r;
  r.id = s.text(0);
  r.household_id = s.text(1);
  r.shelter_id = s.text(2);
  r.presence = parse_presence(s.text(3)).value_or(Presence::None);
  r.stay = parse_stay(s.text(4)).value_or(StayType::Shelter);
  r.info.name = s.text(5);
  r.info.reading = s.text(6);
  r.info.sex = parse_sex(s.text(7)).value_or(Sex::Unknown);
  r.info.birth = parse_birth(s.text(8)).value_or(BirthDate{});
  r.info.address = s.text(9);
  r.info.phone = s.text(10);
  r.info.needs = static_cast<std::uint16_t>(s.i64(11));
  r.info.needs_other = s.text(12);
  r.info.consent = s.i64(13) != 0;
  r.merged_into = s.text(14);
  r.updated_hlc = s.u64(15);
  return r;
}

static constexpr const char* kPersonColumns =
    "person_id, household_id, shelter_id, presence, stay, name, reading, sex, birth, address, phone, needs, "
    "needs_other, consent, merged_into, updated_hlc";

Result<std::optional<PersonRecord>> Store::person(const PersonId& id) {
  auto q = db_->prepare(std::string("SELECT ") + kPersonColumns + " FROM person WHERE person_id = ?1");
  if (!q) return q.error().context("read person");
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("read person");
  if (!*row) return std::optional<PersonRecord>{};
  return std::optional<PersonRecord>(read_person_row(**q));
}

Result<std::vector<PersonRecord>> Store::persons(const PersonQuery& query) {
  auto q = db_->prepare(std::string("SELECT ") + kPersonColumns +
                        " FROM person WHERE (?1 = '' OR shelter_id = ?1) AND (?2 = '*' OR presence = ?2)"
                        " AND (?3 = '' OR instr(name, ?3) > 0 OR instr(reading, ?3) > 0"
                        "  OR (?7 <> '' AND (instr(replace(replace(name, ' ', ''), '\xE3\x80\x80', ''), ?7) > 0"
                        "   OR instr(replace(replace(reading, ' ', ''), '\xE3\x80\x80', ''), ?7) > 0))"
                        "  OR (?8 <> '' AND instr(match_key, ?8) > 0))"
                        " AND (?4 OR hidden = 0) AND (?6 = '' OR household_id = ?6)"
                        " ORDER BY reading, name, person_id LIMIT ?5");
  if (!q) return q.error().context("list persons");
  (*q)->bind(1, query.shelter_id)
      .bind(2, query.presence ? std::string(to_string(*query.presence)) : std::string("*"))
      .bind(3, query.text)
      .bind(4, query.include_merged ? 1 : 0)
      .bind(5, query.limit)
      .bind(6, query.household_id)
      .bind(7, query.text.empty() ? std::string() : without_spaces(query.text))
      .bind(8, query.text.empty() ? std::string() : search_kana_key(query.text));
  std::vector<PersonRecord> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(read_person_row(r)); }); !st)
    return st.error().context("list persons");
  return out;
}

Result<Store::HouseholdPets> Store::household_pets(const PersonId& person) {
  auto q = db_->prepare(
      "SELECT f.person_id, f.value FROM person_field f JOIN person p ON p.person_id = f.person_id "
      "WHERE f.field = ?2 AND p.hidden = 0 AND (p.person_id = ?1 OR p.household_id = "
      "(SELECT household_id FROM person WHERE person_id = ?1 AND household_id != '')) "
      "ORDER BY f.hlc DESC, f.device_id DESC, f.event_id DESC LIMIT 1");
  if (!q) return q.error().context("read household pets");
  (*q)->bind(1, person).bind(2, std::string(field::kPets));
  auto row = (*q)->step();
  if (!row) return row.error().context("read household pets");
  if (!*row) return HouseholdPets{person, ""};
  return HouseholdPets{(*q)->text(0), (*q)->text(1)};
}

Result<std::vector<PersonId>> Store::person_ids_with_prefix(const std::string& prefix, int limit) {
  auto q = db_->prepare(
      "SELECT person_id FROM person WHERE substr(person_id, 1, length(?1)) = ?1 ORDER BY person_id LIMIT ?2");
  if (!q) return q.error().context("find person");
  (*q)->bind(1, prefix).bind(2, limit);
  std::vector<PersonId> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(r.text(0)); }); !st)
    return st.error().context("find person");
  return out;
}

Result<ShelterCounts> Store::counts(const std::string& shelter_id, const BirthDate& today) {
  ShelterCounts c;
  c.shelter_id = shelter_id;
  auto q = db_->prepare("SELECT dim, key, n FROM count_cell WHERE shelter_id = ?1");
  if (!q) return q.error().context("read counts");
  (*q)->bind(1, shelter_id);
  if (auto st = (*q)->each_row(
          [&](sql::Stmt& r) { add_count_cell(c, r.text(0), r.text(1), static_cast<int>(r.i64(2)), today); });
      !st)
    return st.error().context("read counts");
  auto h = db_->prepare("SELECT count(*) FROM household_presence WHERE shelter_id = ?1");
  if (!h) return h.error().context("read counts");
  (*h)->bind(1, shelter_id);
  if (auto r = (*h)->step(); !r) return r.error().context("read counts");
  c.households = static_cast<int>((*h)->i64(0));
  return c;
}

Result<std::vector<std::string>> Store::shelters_with_counts() {
  auto q = db_->prepare("SELECT DISTINCT shelter_id FROM count_cell ORDER BY shelter_id");
  if (!q) return q.error().context("list shelters");
  std::vector<std::string> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(r.text(0)); }); !st)
    return st.error().context("list shelters");
  return out;
}

Result<std::vector<Event>> Store::person_events(const PersonId& id) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE person_id = ?1 ORDER BY hlc, device_id, id");
  if (!q) return q.error().context("read audit trail");
  (*q)->bind(1, id);
  std::vector<Event> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        out.push_back(std::move(e).value());
        return {};
      });
      !st)
    return st.error().context("read audit trail");
  return out;
}

namespace {
// Rows of kEventColumns with their log position, for the log readers below.
Result<std::vector<std::pair<std::int64_t, Event>>> read_positioned_events(sql::Stmt& q, const char* what) {
  std::vector<std::pair<std::int64_t, Event>> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error().context(what);
    if (!*row) break;
    auto e = read_event(q);
    if (!e) return e.error().context(what);
    out.emplace_back(q.i64(0), std::move(e).value());
  }
  return out;
}
}  // namespace

Result<std::vector<std::pair<std::int64_t, Event>>> Store::events_after(std::int64_t after_seq, int limit) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!q) return q.error().context("read events");
  (*q)->bind(1, after_seq).bind(2, limit);
  return read_positioned_events(**q, "read events");
}

// Persons linked by merges, both ways (merged events name the other record
// in body.into; an undo names ""). Merges are rare: a small set.
static constexpr const char* kMergeEdges =
    "edges(x, y) AS (SELECT person_id, json_extract(body, '$.into') FROM event WHERE type = 'merged' "
    "AND json_extract(body, '$.into') <> '' UNION ALL SELECT json_extract(body, '$.into'), person_id FROM event "
    "WHERE type = 'merged' AND json_extract(body, '$.into') <> '')";

Result<std::vector<std::pair<std::int64_t, Event>>> Store::shelter_feed_after(const std::string& shelter_id,
                                                                              std::int64_t after_seq, int limit) {
  // A shelter needs its own events and every later event about a person who
  // was ever there (a move to shelter B must reach shelter A's kiosks), and
  // about the persons merged with them, wherever those were: which record of
  // a merge chain stays visible depends on every merge in it
  // (merge_visibility), so every node that counts one of them must know all.
  auto q = db_->prepare(std::string("WITH RECURSIVE ") + kMergeEdges +
                        ", linked(p) AS (SELECT y FROM edges WHERE x IN (SELECT person_id FROM event WHERE "
                        "shelter_id = ?2) UNION SELECT e.y FROM edges e JOIN linked l ON e.x = l.p) "
                        "SELECT " +
                        kEventColumns +
                        " FROM event WHERE seq > ?1 AND (shelter_id = ?2 OR person_id IN "
                        "(SELECT person_id FROM event WHERE shelter_id = ?2) OR person_id IN linked) ORDER BY seq "
                        "LIMIT ?3");
  if (!q) return q.error().context("read shelter feed");
  (*q)->bind(1, after_seq).bind(2, shelter_id).bind(3, limit);
  return read_positioned_events(**q, "read shelter feed");
}

Result<std::vector<std::pair<std::int64_t, Event>>> Store::feed_backfill(const std::string& shelter_id,
                                                                         std::int64_t after_seq,
                                                                         const std::vector<PersonId>& persons) {
  // The persons of the page and those merged with them (a merge in the page
  // can link in a person whose events all lie before the cursor).
  auto q = db_->prepare(std::string("WITH RECURSIVE ") + kMergeEdges +
                        ", linked(p) AS (SELECT value FROM json_each(?3) UNION SELECT e.y FROM edges e JOIN linked l "
                        "ON e.x = l.p) SELECT " +
                        kEventColumns +
                        " FROM event e WHERE e.seq <= ?2 AND e.person_id IN linked"
                        " AND NOT EXISTS (SELECT 1 FROM event f WHERE f.person_id = e.person_id AND f.shelter_id = ?1"
                        " AND f.seq <= ?2) ORDER BY e.seq");
  if (!q) return q.error().context("read feed backfill");
  (*q)->bind(1, shelter_id).bind(2, after_seq).bind(3, nlohmann::json(persons).dump());
  return read_positioned_events(**q, "read feed backfill");
}

Result<std::int64_t> Store::event_count() {
  auto q = db_->prepare("SELECT count(*) FROM event");
  if (!q) return q.error();
  if (auto r = (*q)->step(); !r) return r.error().context("count events");
  return (*q)->i64(0);
}

// Settled differences are remembered in meta, one key each: they are few,
// and a key needs no schema change.
static std::string settled_key(const std::string& event_id) {
  return "card_settled:" + event_id;
}

Result<std::vector<CardDifference>> Store::card_differences() {
  auto q = db_->prepare(
      "SELECT id, person_id, body FROM event WHERE type = 'registered' AND shelter_id = ?1 AND NOT EXISTS "
      "(SELECT 1 FROM meta WHERE key = 'card_settled:' || event.id) ORDER BY seq");
  if (!q) return q.error().context("read card differences");
  (*q)->bind(1, shelter_id_);
  struct Row {
    std::string id, person, body;
  };
  auto rows = (*q)->rows<Row>([](sql::Stmt& r) { return Row{r.text(0), r.text(1), r.text(2)}; });
  if (!rows) return rows.error().context("read card differences");
  std::vector<CardDifference> out;
  for (const auto& row : *rows) {
    const nlohmann::json card = nlohmann::json::parse(row.body, nullptr, false);
    if (!card.is_object()) continue;
    // A registration that applied (the person's first, before any direct
    // write) is no difference: later changes are staff corrections.
    auto state = load_state(row.person);
    if (!state) return state.error().context("read card differences");
    if (!state->has_value()) continue;
    bool applied = true;
    for (const auto& [k, v] : card.items()) {
      auto reg = (*state)->fields.find(std::string(field::kRegisteredPrefix) + k);
      auto direct = (*state)->fields.find(k);
      if (reg == (*state)->fields.end() || reg->second.stamp->event_id != row.id ||
          (direct != (*state)->fields.end() && direct->second.stamp->hlc < reg->second.stamp->hlc))
        applied = false;
    }
    if (applied) continue;
    auto rec = person(row.person);
    if (!rec) return rec.error().context("read card differences");
    if (!rec->has_value()) continue;
    const nlohmann::json stored = person_body((*rec)->info);
    CardDifference d{row.id, row.person, (*rec)->info.name, {}};
    for (const auto& [k, v] : card.items()) {
      const std::string now = stored.value(k, "");
      if (v.is_string() && v.get<std::string>() != now) d.fields.push_back({k, now, v.get<std::string>()});
    }
    if (!d.fields.empty()) out.push_back(std::move(d));
  }
  return out;
}

Status Store::settle_card_difference(const std::string& event_id) {
  return set_meta(settled_key(event_id), "1").context("settle card difference");
}

Result<std::set<std::pair<PersonId, PersonId>>> Store::dismissed_duplicates() {
  // Either order in the event: the pair is kept as (smaller, larger).
  auto q = db_->prepare(
      "SELECT person_id, json_extract(body, '$.other') FROM event WHERE type = 'not_duplicate'"
      " AND id NOT IN (SELECT id FROM refused_event)");
  if (!q) return q.error().context("read dismissed duplicates");
  std::set<std::pair<PersonId, PersonId>> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) {
        std::string a = r.text(0), b = r.text(1);
        if (b < a) std::swap(a, b);
        out.emplace(std::move(a), std::move(b));
      });
      !st)
    return st.error().context("read dismissed duplicates");
  return out;
}

Result<std::vector<DuplicatePair>> Store::possible_duplicates() {
  // Only keys two visible persons share (index person_match_key); the
  // birth rule and dismissals are applied to those few (match_pairs).
  auto q = db_->prepare(
      "SELECT person_id, match_key, birth FROM person WHERE hidden = 0 AND birth <> '' AND match_key IN"
      " (SELECT match_key FROM person WHERE match_key <> '' AND hidden = 0 AND birth <> ''"
      "  GROUP BY match_key HAVING count(*) > 1)"
      " ORDER BY match_key, person_id");
  if (!q) return q.error().context("find duplicates");
  std::vector<MatchRow> rows;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { rows.push_back({r.text(0), r.text(1), r.text(2)}); }); !st)
    return st.error().context("find duplicates");
  std::vector<DuplicatePair> out;
  if (rows.empty()) return out;
  auto dismissed = dismissed_duplicates();
  if (!dismissed) return dismissed.error();
  for (auto& [a, b] : match_pairs(rows, [&](const PersonId&x, const PersonId&y) {
         return dismissed->count({x, y}) > 0;
       }))
    out.push_back({std::move(a), std::move(b)});
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return std::tie(x.a, x.b) < std::tie(y.a, y.b); });
  return out;
}

Result<std::string> Store::projection_dump() {
  static constexpr const char* kQueries[] = {
      "SELECT 'person_field', person_id, field, value, hlc, device_id, event_id FROM person_field "
      "ORDER BY person_id, field",
      "SELECT 'person', * FROM person ORDER BY person_id",
      "SELECT 'count_cell', * FROM count_cell ORDER BY shelter_id, dim, key",
      "SELECT 'household_presence', * FROM household_presence ORDER BY shelter_id, household_id",
  };
  std::string out;
  for (const char* sql_text : kQueries) {
    auto q = db_->prepare(sql_text);
    if (!q) return q.error().context("dump projections");
    if (auto st = (*q)->each_row([&](sql::Stmt& r) {
          for (int c = 0; c < r.columns(); ++c) {
            if (c) out += '|';
            out += r.text(c);
          }
          out += '\n';
        });
        !st)
      return st.error().context("dump projections");
  }
  return out;
}

Result<std::string> Store::integrity_check() {
  auto q = db_->prepare("PRAGMA integrity_check");
  if (!q) return q.error().context("integrity check");
  std::string out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) {
        if (!out.empty()) out += '\n';
        out += r.text(0);
      });
      !st)
    return st.error().context("integrity check");
  return out;
}

}  // namespace shelter
