// The merge rules of docs/protocol.md at the level of one store: a store
// written under the earlier fold is folded again by today's rules, and
// merge chains always keep exactly one visible record.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <map>
#include <random>

#include "core/projection.hpp"
#include "core/store.hpp"
#include "test_support.hpp"

using namespace shelter;

namespace {

// Schema 2, as the kiosks of the last release made it.
constexpr const char* kSchema2 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- The append-only log. seq is this store's own log position (the order
-- events arrived here), used by export and sync cursors.
CREATE TABLE event(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  person_id TEXT NOT NULL,
  household_id TEXT NOT NULL,
  shelter_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  device_seq INTEGER NOT NULL,
  author TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  body TEXT NOT NULL,
  UNIQUE(device_id, device_seq)
);
CREATE INDEX event_person ON event(person_id);
CREATE TRIGGER event_no_update BEFORE UPDATE ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- Projections: rebuildable from the log at any time.
CREATE TABLE person_field(
  person_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
  hlc INTEGER NOT NULL, device_id TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY(person_id, field)
) WITHOUT ROWID;
CREATE TABLE person(
  person_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, shelter_id TEXT NOT NULL,
  presence TEXT NOT NULL, stay TEXT NOT NULL, name TEXT NOT NULL, reading TEXT NOT NULL,
  sex TEXT NOT NULL, birth TEXT NOT NULL, address TEXT NOT NULL, phone TEXT NOT NULL,
  needs INTEGER NOT NULL, needs_other TEXT NOT NULL, consent INTEGER NOT NULL,
  merged_into TEXT NOT NULL, updated_hlc INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX person_shelter ON person(shelter_id, presence);
CREATE INDEX person_household ON person(household_id);
CREATE INDEX person_reading_birth ON person(reading, birth);
CREATE TABLE count_cell(
  shelter_id TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL CHECK(n > 0),
  PRIMARY KEY(shelter_id, dim, key)
) WITHOUT ROWID;
CREATE TABLE household_presence(
  shelter_id TEXT NOT NULL, household_id TEXT NOT NULL, n INTEGER NOT NULL CHECK(n > 0),
  PRIMARY KEY(shelter_id, household_id)
) WITHOUT ROWID;

CREATE INDEX event_shelter_seq ON event(shelter_id, seq);
)sql";

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  REQUIRE(rc == SQLITE_OK);
}

std::string old_event(const std::string& device, int seq, Hlc hlc, const std::string& type, const std::string& person,
                      const std::string& shelter, const std::string& body) {
  return "INSERT INTO event(id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body) "
         "VALUES('" +
         make_event_id(device, hlc) + "', '" + type + "', '" + person + "', '', '" + shelter + "', '" + device + "', " +
         std::to_string(seq) + ", 'self', " + std::to_string(hlc) + ", '" + body + "');";
}

}  // namespace

TEST_CASE("a store written under the earlier fold is folded again by today's rules", "[merge-rules]") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  const PersonId p = "00000000000000a1";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    exec(db, kSchema2);
    exec(db, "INSERT INTO meta VALUES('device_id', 'a-1'), ('shelter_id', 'shelter-a'), ('shelter_name', 'A');");
    // Arrived at A, then at B; then A, not knowing, recorded a leave, and
    // the old kiosk put it under the person's shelter then (A).
    exec(db,
         old_event("a-1", 1, make_hlc(1'000'000, 0), "arrived", p, "shelter-a", R"({"name":"Abe","stay":"shelter"})"));
    exec(db, old_event("b-1", 1, make_hlc(2'000'000, 0), "arrived", p, "shelter-b", R"({"stay":"shelter"})"));
    exec(db, old_event("a-1", 2, make_hlc(3'000'000, 0), "left", p, "shelter-a", "{}"));
    // The old projection said: left A, counted nowhere.
    exec(db, "INSERT INTO person_field VALUES('" + p + "', 'presence', 'left shelter-a', " +
                 std::to_string(make_hlc(3'000'000, 0)) + ", 'a-1', '" + make_event_id("a-1", make_hlc(3'000'000, 0)) +
                 "');");
    exec(db, "PRAGMA user_version = 2;");
    sqlite3_close(db);
  }
  auto store = Store::open(path);
  REQUIRE(store.ok());
  auto person = (*store)->person(p);
  REQUIRE(person.ok());
  REQUIRE(person->has_value());
  CHECK((*person)->shelter_id == "shelter-b");
  CHECK((*person)->presence == Presence::Present);
  CHECK((*person)->info.name == "Abe");
  CHECK((*store)->counts("shelter-b")->present == 1);
  CHECK((*store)->counts("shelter-a")->present == 0);
  const std::string migrated = (*store)->projection_dump().value();
  REQUIRE((*store)->rebuild_projections().ok());
  CHECK((*store)->projection_dump().value() == migrated);
  // The server's copy of an own event whose seq a copied-back file reused
  // can be kept beside it now.
  Event server_copy;
  server_copy.type = EventType::CameBack;
  server_copy.person_id = p;
  server_copy.shelter_id = "shelter-a";
  server_copy.device_id = "a-1";
  server_copy.device_seq = 2;
  server_copy.author = "self";
  server_copy.hlc = make_hlc(4'000'000, 0);
  server_copy.id = make_event_id("a-1", server_copy.hlc);
  CHECK((*store)->apply_remote({server_copy}).value() == 1);
}

TEST_CASE("every chain of merges keeps exactly one visible record, whatever the cycles", "[merge-rules]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 500; ++round) {
    const int n = 2 + static_cast<int>(rng() % 7);
    std::map<PersonId, PersonId> into;
    std::vector<PersonId> ids;
    for (int i = 0; i < n; ++i) ids.push_back("000000000000000" + std::string(1, "0123456789abcdef"[i]));
    for (const auto& id : ids) {
      const int t = static_cast<int>(rng() % (n + 1));
      into[id] = t == n || ids[static_cast<size_t>(t)] == id ? "" : ids[static_cast<size_t>(t)];
    }
    MergeLinks links;
    links.into = [&](const PersonId& id) -> std::optional<PersonId> { return into.at(id); };
    links.sources = [&](const PersonId& id) {
      std::vector<PersonId> out;
      for (const auto& [a, b] : into)
        if (b == id) out.push_back(a);
      return out;
    };
    const auto hidden = merge_visibility(ids, links);
    REQUIRE(hidden.size() == ids.size());
    // Components of the merge graph (each record has at most one merge out).
    std::map<PersonId, PersonId> parent;
    for (const auto& id : ids) parent[id] = id;
    std::function<PersonId(const PersonId&)> find = [&](const PersonId& x) {
      return parent[x] == x ? x : parent[x] = find(parent[x]);
    };
    for (const auto& [a, b] : into)
      if (!b.empty()) parent[find(a)] = find(b);
    std::map<PersonId, int> visible_per_component;
    for (const auto& id : ids) visible_per_component[find(id)] += hidden.at(id) ? 0 : 1;
    for (const auto& [root, visible] : visible_per_component) CHECK(visible == 1);
    // The same answer from any starting point.
    for (const auto& id : ids) CHECK(merge_visibility({id}, links).at(id) == hidden.at(id));
  }
}
