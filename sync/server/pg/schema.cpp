// The PostgreSQL schema: its creation, the upgrade of a database an earlier
// server wrote, and the refold when core's fold rules change.
#include "sync/server/pg/pg.hpp"

#include <map>

namespace shelter::sync::pg {

namespace {

// Ids and count keys are ASCII and compared in bytes (COLLATE "C"), so
// their indexes stay fast in a database made with a Japanese locale, where
// the default collation made every comparison a collation lookup (merge
// 14 % slower on an ICU ja-JP database). A database made by an earlier
// server keeps its columns as they were; nothing depends on their order.
//
// Households present are counted when asked, from the index of persons
// present by shelter (person.present_at and household_key: the household
// each present person counts in, core's household_contributions), not
// kept as a counter per household: that counter cost each batch a probe
// and a row for every household it touched, a third of the merge when
// every arrival is a household of its own (docs/performance.md).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS event(
  id TEXT COLLATE "C" PRIMARY KEY, pos BIGINT UNIQUE, type TEXT NOT NULL, person_id TEXT COLLATE "C" NOT NULL,
  household_id TEXT COLLATE "C" NOT NULL, shelter_id TEXT COLLATE "C" NOT NULL, device_id TEXT COLLATE "C" NOT NULL,
  device_seq BIGINT NOT NULL, author TEXT NOT NULL, hlc BIGINT NOT NULL, body TEXT NOT NULL,
  UNIQUE(device_id, device_seq));
CREATE INDEX IF NOT EXISTS event_shelter_pos ON event(shelter_id, pos);
CREATE INDEX IF NOT EXISTS event_person ON event(person_id);
CREATE TABLE IF NOT EXISTS feed_counter(one INT PRIMARY KEY CHECK (one = 1), n BIGINT NOT NULL);
INSERT INTO feed_counter VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS person(
  person_id TEXT COLLATE "C" PRIMARY KEY, state TEXT NOT NULL, name TEXT NOT NULL, reading TEXT NOT NULL,
  present_at TEXT COLLATE "C", household_key TEXT COLLATE "C");
CREATE TABLE IF NOT EXISTS count_cell(
  shelter_id TEXT COLLATE "C" NOT NULL, dim TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL,
  n INT NOT NULL CHECK (n >= 0), PRIMARY KEY(shelter_id, dim, key));
CREATE TABLE IF NOT EXISTS auth_enrolment(
  code_hash TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  expires BIGINT NOT NULL, used BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS auth_token(
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, shelter_id TEXT NOT NULL, device_id TEXT NOT NULL,
  name TEXT NOT NULL, role TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS hq_user(name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shelter_info(id TEXT PRIMARY KEY, name TEXT NOT NULL, capacity INT NOT NULL);
CREATE TABLE IF NOT EXISTS district_list(one INT PRIMARY KEY CHECK (one = 1), sealed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_status(
  device_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, last_push_ms BIGINT, last_pull_ms BIGINT,
  clock_skew_ms BIGINT, future_events BIGINT NOT NULL DEFAULT 0);
-- Event::clamp (docs/protocol.md, "Clocks"); merges looked up by persons
-- whose visibility a merge moves (merge_visibility).
ALTER TABLE event ADD COLUMN IF NOT EXISTS clamp BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS event_merged ON event(person_id) WHERE type = 'merged';
-- Transfers since a time: arrivals by effective stamp (transfers()).
CREATE INDEX IF NOT EXISTS event_arrival_time ON event((CASE WHEN clamp <> 0 THEN clamp ELSE hlc END))
  WHERE type = 'arrived';
CREATE TABLE IF NOT EXISTS schema_info(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
-- Duplicate candidates (core/name_match.hpp): each person's match key,
-- filled by the refold (kFoldVersion 4), and the dismissals staff made.
ALTER TABLE person ADD COLUMN IF NOT EXISTS match_key TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS person_match_key ON person(match_key) WHERE match_key <> '';
CREATE INDEX IF NOT EXISTS event_not_duplicate ON event(person_id) WHERE type = 'not_duplicate';
-- Events refused by the write rule (core/write_rules.hpp), kept so that a
-- copy relayed later gets the same answer.
CREATE TABLE IF NOT EXISTS refused_event(id TEXT PRIMARY KEY, code TEXT NOT NULL, reason TEXT NOT NULL);
-- Public keys that sign passes (one per enrolled device; earlier ones kept,
-- revoked) and city cards, and headquarters' box keys (kind 'hq', the
-- newest not revoked) that kiosks seal USB files and backups to
-- (docs/protocol.md, "Keys").
CREATE TABLE IF NOT EXISTS signing_key(
  key_id TEXT PRIMARY KEY, kind TEXT NOT NULL, device_id TEXT NOT NULL, shelter_id TEXT NOT NULL,
  public_key TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT false, created BIGINT NOT NULL);
-- Volunteers' public keys (core/volunteer_keys.hpp): staff events are
-- checked against them.
CREATE TABLE IF NOT EXISTS volunteer_key(
  key_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, device_id TEXT NOT NULL,
  public_key TEXT NOT NULL, vouched_by TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT false, created BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS volunteer_key_shelter ON volunteer_key(shelter_id);
-- The volunteer's signature of each staff event, passed on in pulls.
CREATE TABLE IF NOT EXISTS staff_signature(event_id TEXT PRIMARY KEY, signature TEXT NOT NULL);
)sql";
// The fold the person rows follow (core's projection): rows folded by an
// earlier one are folded again from the log at start (refold_all).
// 4: person.match_key.
constexpr std::int64_t kFoldVersion = 4;

// A database from a server that kept a member count per household (in
// household_presence) gets person's household columns, filled from each
// person's state, and that table goes. Under the writers' lock (the feed
// counter's), so no batch of another server process lands in between.
void upgrade_household_counts(pqxx::work& w) {
  if (!w.exec("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
              "AND table_name = 'person' AND column_name = 'present_at'")
           .empty())
    return;
  w.exec("SELECT n FROM feed_counter WHERE one = 1 FOR UPDATE");
  w.exec("ALTER TABLE person ADD COLUMN present_at TEXT COLLATE \"C\", ADD COLUMN household_key TEXT COLLATE \"C\"");
  w.exec(
      "CREATE TEMP TABLE person_household(person_id TEXT COLLATE \"C\", present_at TEXT COLLATE \"C\", "
      "household_key TEXT COLLATE \"C\") ON COMMIT DROP");
  std::string after;  // a page at a time: a city's persons need not fit in memory at once
  for (;;) {
    auto page =
        w.exec_params("SELECT person_id, state FROM person WHERE person_id > $1 ORDER BY person_id LIMIT 5000", after);
    if (page.empty()) break;
    CopyRows rows;  // the persons who count in a household; the others keep NULL
    for (const auto& r : page)
      for (const HouseholdKey& k : household_contributions(state_from_json(r[0].c_str(), r[1].c_str())))
        rows.text(r[0].c_str()).text(k.shelter_id).text(k.household_id).end_row();
    if (!rows.empty()) copy_rows(w, "person_household", rows);
    after = page[page.size() - 1][0].c_str();
  }
  w.exec(
      "UPDATE person p SET present_at = h.present_at, household_key = h.household_key FROM person_household h "
      "WHERE p.person_id = h.person_id");
  w.exec("DROP TABLE IF EXISTS household_presence");
}

// Folds every person again from the log, by today's rules (a database
// whose rows an earlier fold wrote), a page of persons at a time, under
// the writers' lock; counts are recomputed whole.
void refold_all(pqxx::work& w) {
  w.exec("SELECT n FROM feed_counter WHERE one = 1 FOR UPDATE");
  w.exec("DELETE FROM count_cell");
  std::map<CountKey, int> counts;
  std::map<PersonId, PersonState> merged;  // written once every merge is known
  std::string after;
  for (;;) {
    auto page = w.exec_params("SELECT person_id FROM person WHERE person_id > $1 ORDER BY person_id LIMIT 2000", after);
    if (page.empty()) break;
    ArrayText ids;
    for (const auto& r : page) ids.add(r[0].c_str());
    after = page[page.size() - 1][0].c_str();
    std::map<PersonId, PersonState> states;
    for (const auto& r : w.exec_params("SELECT * FROM event WHERE person_id = ANY($1::text[])", ids.str())) {
      const Event e = read_event(r);
      PersonState& p = states[e.person_id];
      p.id = e.person_id;
      p.apply(e, nullptr);
    }
    w.exec_params("DELETE FROM person WHERE person_id = ANY($1::text[])", ids.str());
    CopyRows rows;
    for (auto& [id, p] : states) {
      if (p.fields.empty()) continue;  // only events that write no field
      if (!p.merged_into().empty()) {
        merged.emplace(id, std::move(p));
        continue;
      }
      for (const auto& k : count_contributions(p)) ++counts[k];
      person_row(rows, p);
    }
    if (!rows.empty()) copy_rows(w, "person", rows, kPersonColumns);
  }
  if (!merged.empty()) {
    MergeLinks links;
    links.into = [&](const PersonId& id) -> std::optional<PersonId> {
      if (auto it = merged.find(id); it != merged.end()) return it->second.merged_into();
      if (w.exec_params("SELECT 1 FROM person WHERE person_id = $1", id).empty()) return std::nullopt;
      return PersonId{};
    };
    links.sources = [](const PersonId&) { return std::vector<PersonId>{}; };  // every merged person is a start
    std::vector<PersonId> starts;
    for (const auto& [id, p] : merged) starts.push_back(id);
    const auto visibility = merge_visibility(starts, links);
    CopyRows rows;
    for (auto& [id, p] : merged) {
      auto v = visibility.find(id);
      p.hidden = v == visibility.end() || v->second;
      for (const auto& k : count_contributions(p)) ++counts[k];
      person_row(rows, p);
    }
    copy_rows(w, "person", rows, kPersonColumns);
  }
  CopyRows cells;
  for (const auto& [k, n] : counts) cells.text(k.shelter_id).text(k.dim).text(k.key).number(n).end_row();
  if (!cells.empty()) copy_rows(w, "count_cell", cells);
}
}  // namespace

void create_schema(pqxx::work& w) {
  w.exec("SELECT pg_advisory_xact_lock(8470)");  // one schema creator at a time
  w.exec(kSchema);
  // A code's role (a kiosk, or a shelter hub), added after the first release.
  w.exec("ALTER TABLE auth_enrolment ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT ''");
  upgrade_household_counts(w);
  w.exec(
      "CREATE INDEX IF NOT EXISTS person_present ON person(present_at) INCLUDE (household_key) "
      "WHERE present_at IS NOT NULL");
  auto fold = w.exec("SELECT value FROM schema_info WHERE key = 'fold'");
  if (fold.empty() || fold[0][0].as<std::int64_t>() < kFoldVersion) {
    refold_all(w);
    w.exec_params("INSERT INTO schema_info VALUES('fold', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
                  kFoldVersion);
  }
}

}  // namespace shelter::sync::pg
