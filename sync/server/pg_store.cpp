// The PostgreSQL backend: for a city that outgrows one machine. Several
// server processes may share one database, each with a small pool of
// connections (reads run in parallel; batches are written one transaction
// at a time, batches that arrive meanwhile together in the next one; a
// connection that broke is dropped and a new one made for the next
// request). The merge is core/'s: each person's fields are folded by
// PersonState::apply and the counts moved by count_delta, exactly as the
// kiosk's SQLite store does, inside one transaction per batch.
//
// Feed positions: a batch first reserves its positions from a one-row
// counter, whose row lock it then holds until commit, so positions are in
// commit order and a reader's cursor never skips a row that commits later
// with a smaller number (the classic bigserial pitfall). Duplicates leave
// gaps, which cursors do not mind. The same lock serialises batches from
// all server processes, so the read-fold-write of persons and counts below
// never races with another process's.
//
// A person's projected state is one row (the fields with their stamps as
// compact JSON, see state_json): a batch of arrivals writes one row per
// person, not one per field. Rows go in by COPY, written by pg_copy.hpp.
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <optional>
#include <condition_variable>
#include <ctime>
#include <future>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/json_text.hpp"
#include "core/projection.hpp"
#include "sync/server/pg_copy.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

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
CREATE TABLE IF NOT EXISTS device_status(
  device_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, last_push_ms BIGINT, last_pull_ms BIGINT,
  clock_skew_ms BIGINT, future_events BIGINT NOT NULL DEFAULT 0);
-- Event::clamp (docs/protocol.md, "Clocks"); merges looked up by persons
-- whose visibility a merge moves (merge_visibility).
ALTER TABLE event ADD COLUMN IF NOT EXISTS clamp BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS event_merged ON event(person_id) WHERE type = 'merged';
CREATE TABLE IF NOT EXISTS schema_info(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
)sql";
// Persons linked by merges, both ways (Store::shelter_feed_after).
constexpr const char* kMergeEdges =
    "edges(x, y) AS (SELECT person_id COLLATE \"C\", (body::json->>'into') COLLATE \"C\" FROM event "
    "WHERE type = 'merged' AND body::json->>'into' <> '' UNION ALL SELECT (body::json->>'into') COLLATE \"C\", "
    "person_id COLLATE \"C\" FROM event WHERE type = 'merged' AND body::json->>'into' <> '')";
// The fold the person rows follow (core's projection): rows folded by an
// earlier one are folded again from the log at start (refold_all).
constexpr std::int64_t kFoldVersion = 3;

// A PostgreSQL array literal ("{...}"), built element by element.
class ArrayText {
 public:
  ArrayText& add(std::string_view text) {
    comma();
    text_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  ArrayText& add(std::int64_t n) {
    comma();
    text_ += std::to_string(n);
    return *this;
  }
  std::string str() const { return text_ + '}'; }

 private:
  void comma() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_ = "{";
};

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
  e.clamp = static_cast<Hlc>(r["clamp"].as<std::int64_t>());
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
  struct PendingPush {  // a batch waiting for its group's transaction
    const PushRequest* request;
    std::int64_t now_ms;
    std::optional<Result<PushReply>> reply;  // set by whichever thread wrote its group
  };
  // What the group's transaction made of one event id.
  struct Outcome {
    Admission admission;
    bool reported_new = false;  // counted as new in one batch's reply already
  };
  using Outcomes = std::unordered_map<std::string_view, Outcome>;

 public:
  explicit PgServerStore(std::string url) : url_(std::move(url)) {}

  // The first connection creates the schema; each connection then has its
  // own temporary tables.
  Status connect() {
    return guarded("connect to PostgreSQL", [&]() -> Status {
      auto c = std::make_unique<pqxx::connection>(url_);
      pqxx::work w(*c);
      w.exec("SELECT pg_advisory_xact_lock(8470)");  // one schema creator at a time
      w.exec(kSchema);
      upgrade_household_counts(w);
      w.exec("CREATE INDEX IF NOT EXISTS person_present ON person(present_at) INCLUDE (household_key) "
             "WHERE present_at IS NOT NULL");
      auto fold = w.exec("SELECT value FROM schema_info WHERE key = 'fold'");
      if (fold.empty() || fold[0][0].as<std::int64_t>() < kFoldVersion) {
        refold_all(w);
        w.exec_params("INSERT INTO schema_info VALUES('fold', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
                      kFoldVersion);
      }
      w.commit();
      prepare_session(*c);
      idle_.push_back(std::move(c));
      open_ = 1;
      return {};
    });
  }

  // A database from a server that kept a member count per household (in
  // household_presence) gets person's household columns, filled from each
  // person's state, and that table goes. Under the writers' lock (the feed
  // counter's), so no batch of another server process lands in between.
  static void upgrade_household_counts(pqxx::work& w) {
    if (!w.exec("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'person' AND column_name = 'present_at'")
             .empty())
      return;
    w.exec("SELECT n FROM feed_counter WHERE one = 1 FOR UPDATE");
    w.exec("ALTER TABLE person ADD COLUMN present_at TEXT COLLATE \"C\", ADD COLUMN household_key TEXT COLLATE \"C\"");
    w.exec("CREATE TEMP TABLE person_household(person_id TEXT COLLATE \"C\", present_at TEXT COLLATE \"C\", "
           "household_key TEXT COLLATE \"C\") ON COMMIT DROP");
    std::string after;  // a page at a time: a city's persons need not fit in memory at once
    for (;;) {
      auto page = w.exec_params("SELECT person_id, state FROM person WHERE person_id > $1 ORDER BY person_id LIMIT 5000",
                                after);
      if (page.empty()) break;
      CopyRows rows;  // the persons who count in a household; the others keep NULL
      for (const auto& r : page)
        for (const HouseholdKey& k : household_contributions(state_from_json(r[0].c_str(), r[1].c_str())))
          rows.text(r[0].c_str()).text(k.shelter_id).text(k.household_id).end_row();
      if (!rows.empty()) copy_rows(w, "person_household", rows);
      after = page[page.size() - 1][0].c_str();
    }
    w.exec("UPDATE person p SET present_at = h.present_at, household_key = h.household_key FROM person_household h "
           "WHERE p.person_id = h.person_id");
    w.exec("DROP TABLE IF EXISTS household_presence");
  }

  // The COPY fields present_at and household_key of p's person row: the
  // household p counts in while present at a shelter, else NULL NULL.
  static CopyRows& household_columns(CopyRows& row, const PersonState& p) {
    const std::vector<HouseholdKey> keys = household_contributions(p);  // one at most: a person is at one shelter
    if (keys.empty()) return row.null().null();
    return row.text(keys.front().shelter_id).text(keys.front().household_id);
  }
  // p's whole person row (kPersonColumns).
  static void person_row(CopyRows& rows, const PersonState& p) {
    household_columns(rows.text(p.id).text(state_json(p)).text(p.get(field::kName)).text(p.get(field::kReading)), p)
        .end_row();
  }

  // Merge visibility over the persons linked to `changed` by merges
  // (core's merge_visibility); each whose visibility moves is rewritten and
  // moves the counts. Merges are rare, so plain statements do.
  static void settle_merges(pqxx::work& w, const std::vector<PersonId>& changed) {
    auto state_of = [&](const PersonId& id) -> std::optional<PersonState> {
      auto r = w.exec_params("SELECT state FROM person WHERE person_id = $1", id);
      if (r.empty()) return std::nullopt;
      return state_from_json(id, r[0][0].c_str());
    };
    MergeLinks links;
    links.into = [&](const PersonId& id) -> std::optional<PersonId> {
      auto p = state_of(id);
      if (!p) return std::nullopt;
      return p->merged_into();
    };
    links.sources = [&](const PersonId& id) {
      std::vector<PersonId> out;
      for (const auto& r : w.exec_params("SELECT DISTINCT e.person_id, p.state FROM event e JOIN person p ON "
                                         "p.person_id = e.person_id WHERE e.type = 'merged' AND e.body LIKE $1",
                                         "%\"" + id + "\"%"))
        if (state_from_json(r[0].c_str(), r[1].c_str()).merged_into() == id) out.emplace_back(r[0].c_str());
      return out;
    };
    for (const auto& [id, hidden] : merge_visibility(changed, links)) {
      auto before = state_of(id);
      if (!before || before->hidden == hidden) continue;
      PersonState after = *before;
      after.hidden = hidden;
      const CountDelta d = count_delta(&*before, after);
      for (const auto& k : d.removed) {
        w.exec_params("UPDATE count_cell SET n = n - 1 WHERE shelter_id = $1 AND dim = $2 AND key = $3", k.shelter_id,
                      k.dim, k.key);
        w.exec_params("DELETE FROM count_cell WHERE shelter_id = $1 AND dim = $2 AND key = $3 AND n = 0", k.shelter_id,
                      k.dim, k.key);
      }
      for (const auto& k : d.added)
        w.exec_params("INSERT INTO count_cell VALUES($1, $2, $3, 1) ON CONFLICT (shelter_id, dim, key) "
                      "DO UPDATE SET n = count_cell.n + 1",
                      k.shelter_id, k.dim, k.key);
      const auto keys = household_contributions(after);
      w.exec_params("UPDATE person SET state = $2, present_at = $3, household_key = $4 WHERE person_id = $1", id,
                    state_json(after), keys.empty() ? std::optional<std::string>() : keys.front().shelter_id,
                    keys.empty() ? std::optional<std::string>() : keys.front().household_id);
    }
  }

  // Folds every person again from the log, by today's rules (a database
  // whose rows an earlier fold wrote), a page of persons at a time, under
  // the writers' lock; counts are recomputed whole.
  static void refold_all(pqxx::work& w) {
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

  // A batch in a handful of statements, whatever its size: take the
  // counter's lock; read which events are stored already and the persons'
  // states (one query); COPY the new events straight into `event` while
  // another thread folds them over the persons (core's PersonState::apply;
  // the counts move by the net difference between each person's state
  // before and after); COPY new persons into `person`, changed ones and the
  // counter deltas through temporary tables; commit.
  //
  // Group commit: batches are written one transaction at a time (the feed
  // counter's lock), so while one commits, the batches that arrive queue up
  // and the next transaction takes all of them (up to kMaxGroupEvents). With
  // many kiosks pushing small batches, one slow transaction no longer makes
  // a queue that only grows.
  Result<PushReply> push(const PushRequest& request, std::int64_t now) override {
    PendingPush me{&request, now, {}};
    std::unique_lock lock(group_mu_);
    waiting_.push_back(&me);
    group_cv_.wait(lock, [&] { return me.reply.has_value() || !writing_; });
    if (me.reply) return std::move(*me.reply);
    writing_ = true;  // this thread writes the next group, its own batch first
    std::vector<PendingPush*> group;
    size_t events = 0;
    auto it = std::find(waiting_.begin(), waiting_.end(), &me);
    group.push_back(&me);
    events += request.events.size();
    waiting_.erase(it);
    while (!waiting_.empty() && events + waiting_.front()->request->events.size() <= kMaxGroupEvents) {
      events += waiting_.front()->request->events.size();
      group.push_back(waiting_.front());
      waiting_.erase(waiting_.begin());
    }
    lock.unlock();
    auto replies = store_group(group);
    lock.lock();
    for (size_t i = 0; i < group.size(); ++i) group[i]->reply = std::move(replies[i]);
    writing_ = false;
    group_cv_.notify_all();
    return std::move(*me.reply);
  }

  // One transaction for several batches; one reply per batch (the same
  // error for all if the transaction fails: each daemon retries its own).
  // An event refused (a conflict) is refused alone: the other events of its
  // batch and the other batches of the group are stored all the same.
  std::vector<Result<PushReply>> store_group(const std::vector<PendingPush*>& group) {
    // Ids are views into the requests, which outlive this call.
    std::vector<const Event*> events;  // each id once, in arrival order
    std::unordered_map<std::string_view, const Event*> first;
    first.reserve(kMaxGroupEvents);
    std::int64_t now = 0;
    for (const PendingPush* p : group) {
      now = std::max(now, p->now_ms);
      for (const Event& e : p->request->events)
        if (first.emplace(e.id, &e).second) events.push_back(&e);
    }
    auto stored = with_conn("store batch", [&](pqxx::connection& conn) -> Result<Outcomes> {
      try {
        return store_events(conn, events, false, now);
      } catch (const pqxx::unique_violation&) {
        return store_events(conn, events, true, now);  // an event stored under another seq: see load_stored
      }
    });
    std::vector<Result<PushReply>> replies;
    for (const PendingPush* p : group) {
      if (!stored) {
        replies.emplace_back(stored.error());
        continue;
      }
      PushReply reply;
      for (const Event& e : p->request->events) {
        Outcome& o = stored->at(e.id);
        const Event* f = first.at(e.id);
        if (f != &e && !f->same_content(e)) {
          reply.refused.push_back({e.id, "conflict", "event " + e.id + " was sent twice with other content", 0});
          continue;
        }
        const Admission& a = o.admission;
        if (a.kind == Admission::Kind::Refused) {
          reply.refused.push_back({e.id, a.code, a.reason, a.expected_seq});
          continue;
        }
        reply.acknowledged.push_back(e.id);
        if (a.kind == Admission::Kind::Stored && !o.reported_new) {
          ++reply.new_events;  // new once, for the first batch that carried it
          o.reported_new = true;
        }
        if (a.clamp != 0) reply.clamped.emplace_back(e.id, a.clamp);
      }
      reply.server_time_ms = p->now_ms;
      replies.emplace_back(std::move(reply));
    }
    return replies;
  }

  // The batch's transaction (see push): what became of each event.
  static Outcomes store_events(pqxx::connection& conn, const std::vector<const Event*>& events, bool by_id,
                               std::int64_t now) {
    pqxx::work w(conn);
    // Each statement below looks up a batch's keys (a few thousand at most)
    // in tables that grow to millions of rows: index lookups. PostgreSQL's
    // default costs (random_page_cost 4) made it read the whole table into
    // a hash instead (13 ms against 3.5 ms for 2000 keys at 40 000
    // rows, and growing with the table), and share the lookups among
    // parallel workers that took 10-15 ms to start.
    w.exec("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
           "SET LOCAL max_parallel_workers_per_gather = 0");
    auto reserved = w.exec_prepared("reserve_positions", static_cast<std::int64_t>(events.size()));
    std::int64_t pos = reserved[0][0].as<std::int64_t>() - static_cast<std::int64_t>(events.size());
    // Every writer of `event` and `person` holds the counter's lock taken
    // above, so what this reads stays true until commit: the events not
    // yet stored can be copied straight into the table, and the persons'
    // states folded here.
    Stored before = load_stored(w, events, by_id);
    Outcomes out;
    out.reserve(events.size());
    std::vector<const Event*> fresh;
    std::deque<Event> clamped;  // copies of fresh events with the clamp set
    std::set<std::pair<std::string_view, std::int64_t>> claimed;  // (device, seq) of fresh events
    std::map<std::string, std::int64_t> next_seq;                        // devices with a seq conflict
    const Hlc limit = make_hlc(now + kFutureSlackMs, 0);
    bool merges = false;
    for (const Event* e : events) {
      Admission& a = out[e->id].admission;
      if (auto it = before.events.find(e->id); it != before.events.end()) {
        if (it->second.same_content(*e)) {
          a.kind = Admission::Kind::Duplicate;
          a.clamp = it->second.clamp;
        } else {
          a.kind = Admission::Kind::Refused;
          a.code = "conflict";
          a.reason = "event " + e->id + " is stored already with other content";
        }
        continue;
      }
      if (before.seqs.count({e->device_id, e->device_seq}) || claimed.count({e->device_id, e->device_seq})) {
        a.kind = Admission::Kind::Refused;
        a.code = "seq_taken";
        next_seq.emplace(e->device_id, 0);
        continue;
      }
      claimed.emplace(e->device_id, e->device_seq);
      const Event* stored = e;
      if (e->hlc > limit) {
        clamped.push_back(*e);
        clamped.back().clamp = limit;
        stored = &clamped.back();
        a.clamp = limit;
      }
      merges |= stored->type == EventType::Merged;
      fresh.push_back(stored);
    }
    if (!next_seq.empty()) {
      for (auto& [device, seq] : next_seq)
        seq = w.exec_params("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = $1", device)[0][0]
                  .as<std::int64_t>();
      for (const auto& [device, seq] : claimed)
        if (auto it = next_seq.find(std::string(device)); it != next_seq.end()) it->second = std::max(it->second, seq);
      for (const Event* e : events) {
        Admission& a = out[e->id].admission;
        if (a.kind != Admission::Kind::Refused || a.code != "seq_taken") continue;
        a.expected_seq = next_seq.at(e->device_id) + 1;
        a.reason = "device " + e->device_id + " seq " + std::to_string(e->device_seq) +
                   " is another event's on the server (a database copied back from an older file?); the next free "
                   "seq is " + std::to_string(a.expected_seq);
      }
    }
    if (!fresh.empty()) {
      // The fold runs on another thread while this one streams the events
      // and PostgreSQL takes them in: the two cores work at once.
      auto folded = std::async(std::launch::async, [&] { return project(before.persons, fresh); });
      CopyStream copy(w, "event");
      for (const Event* e : fresh) {
        event_row(copy.rows(), *e, ++pos);
        copy.end_row();
      }
      copy.complete();
      write_projection(w, folded.get());
      if (merges) {
        std::vector<PersonId> changed;
        for (const Event* e : fresh)
          if (e->type == EventType::Merged) changed.push_back(e->person_id);
        settle_merges(w, changed);
      }
    }
    w.commit();
    return out;
  }

  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override {
    return with_conn("read shelter feed", [&](pqxx::connection& conn) -> Result<PullReply> {
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

  Result<std::optional<std::int64_t>> note_contact(const DeviceContact& c) override {
    return with_conn("device status", [&](pqxx::connection& conn) -> Result<std::optional<std::int64_t>> {
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

  Result<std::vector<DeviceStatus>> devices() override {
    return with_conn("devices", [&](pqxx::connection& conn) -> Result<std::vector<DeviceStatus>> {
      pqxx::read_transaction w(conn);
      std::vector<DeviceStatus> out;
      auto opt = [](const pqxx::field& f) {
        return f.is_null() ? std::optional<std::int64_t>() : f.as<std::int64_t>();
      };
      for (const auto& r : w.exec("SELECT device_id, shelter_id, last_push_ms, last_pull_ms, clock_skew_ms, "
                                  "future_events FROM device_status ORDER BY shelter_id, device_id"))
        out.push_back({r[0].c_str(), r[1].c_str(), opt(r[2]), opt(r[3]), opt(r[4]), r[5].as<std::int64_t>()});
      return out;
    });
  }

  Result<std::vector<ShelterCounts>> counts(const std::string& shelter_id) override {
    return with_conn("read counts", [&](pqxx::connection& conn) -> Result<std::vector<ShelterCounts>> {
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

  Result<std::vector<SearchHit>> search_consenting(const std::string& text) override {
    return with_conn("search", [&](pqxx::connection& conn) -> Result<std::vector<SearchHit>> {
      pqxx::read_transaction w(conn);
      auto rows = w.exec_params(
          "SELECT person_id, state FROM person WHERE strpos(name, $1) > 0 OR strpos(reading, $1) > 0 LIMIT 200", text);
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

  Result<std::vector<PersonRecord>> persons(bool consenting_only) override {
    return with_conn("read persons", [&](pqxx::connection& conn) -> Result<std::vector<PersonRecord>> {
      pqxx::read_transaction w(conn);
      std::vector<PersonRecord> out;
      for (const auto& r : w.exec("SELECT person_id, state FROM person ORDER BY person_id")) {
        const PersonState p = state_from_json(r[0].c_str(), r[1].c_str());
        PersonRecord rec;
        rec.id = p.id;
        rec.info = p.info();
        rec.merged_into = p.merged_into();
        if (p.hidden || (consenting_only && !rec.info.consent)) continue;
        rec.household_id = p.get(field::kHousehold);
        rec.shelter_id = p.shelter_id();
        rec.presence = p.presence();
        rec.stay = p.stay();
        out.push_back(std::move(rec));
      }
      return out;
    });
  }

  Result<std::vector<TimelineRow>> timeline(std::int64_t since_ms) override {
    return with_conn("timeline", [&](pqxx::connection& conn) -> Result<std::vector<TimelineRow>> {
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

  Result<std::vector<ShelterInfo>> shelters() override {
    return with_conn("shelters", [&](pqxx::connection& conn) -> Result<std::vector<ShelterInfo>> {
      pqxx::read_transaction w(conn);
      std::vector<ShelterInfo> out;
      for (const auto& r : w.exec("SELECT id, name, capacity FROM shelter_info ORDER BY id"))
        out.push_back({r[0].c_str(), r[1].c_str(), r[2].as<int>()});
      return out;
    });
  }

  Status set_shelter(const std::string& id, const std::string& name, int capacity) override {
    if (auto st = check_shelter(id, name, capacity); !st) return st;
    return with_conn("set shelter", [&](pqxx::connection& conn) -> Status {
      pqxx::work w(conn);
      w.exec_params("INSERT INTO shelter_info VALUES($1,$2,$3) ON CONFLICT (id) DO UPDATE SET name = $2, capacity = $3",
                    id, name, capacity);
      w.commit();
      return {};
    });
  }

  Result<std::string> login(const std::string& name, const std::string& password) override {
    return with_conn("sign in", [&](pqxx::connection& conn) -> Result<std::string> {
      pqxx::work w(conn);
      auto r = w.exec_params("SELECT role, password_hash FROM hq_user WHERE name = $1", name);
      if (r.empty() || !password_matches(r[0][1].c_str(), password)) return fail("wrong name or password");
      const std::string token = random_token();
      w.exec_params("INSERT INTO auth_token VALUES($1, 'session', '', '', $2, $3, $4)", hash_secret(token), name,
                    std::string(r[0][0].c_str()), now_s());
      w.commit();
      return token;
    });
  }

  Result<std::int64_t> last_device_seq(const std::string& device_id) override {
    return with_conn("last device seq", [&](pqxx::connection& conn) -> Result<std::int64_t> {
      pqxx::read_transaction w(conn);
      return w.exec_params("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = $1", device_id)[0][0]
          .as<std::int64_t>();
    });
  }

  Status end_session(const std::string& token) override {
    return with_conn("sign out", [&](pqxx::connection& conn) -> Status {
      pqxx::work w(conn);
      w.exec_params("DELETE FROM auth_token WHERE token_hash = $1 AND kind = 'session'", hash_secret(token));
      w.commit();
      return {};
    });
  }

  Result<int> revoke(const std::string& device_id, const std::string& user_name) override {
    if (device_id.empty() == user_name.empty()) return fail("revoke: name a device or a user");
    return with_conn("revoke", [&](pqxx::connection& conn) -> Result<int> {
      pqxx::work w(conn);
      pqxx::result a, b;
      if (device_id.empty()) {
        a = w.exec_params("DELETE FROM auth_token WHERE kind IN ('hq', 'session') AND name = $1", user_name);
        b = w.exec_params("DELETE FROM hq_user WHERE name = $1", user_name);
      } else {
        a = w.exec_params("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = $1", device_id);
        b = w.exec_params("DELETE FROM auth_enrolment WHERE device_id = $1 AND NOT used", device_id);
      }
      w.commit();
      return static_cast<int>(a.affected_rows() + b.affected_rows());
    });
  }

  Result<TokenCheck> authenticate(const std::string& token) override {
    if (token.empty()) return TokenCheck{{}, "missing credentials"};
    return with_conn("authenticate", [&](pqxx::connection& conn) -> Result<TokenCheck> {
      pqxx::read_transaction w(conn);
      auto r = w.exec_params(
          "SELECT kind, shelter_id, device_id, name, role, created FROM auth_token WHERE token_hash = $1",
          hash_secret(token));
      if (r.empty()) return TokenCheck{{}, "unknown credentials"};
      Principal p;
      p.kind = std::string(r[0][0].c_str()) == "kiosk" ? Principal::Kind::Kiosk : Principal::Kind::Headquarters;
      p.shelter_id = r[0][1].c_str();
      p.device_id = r[0][2].c_str();
      p.name = r[0][3].c_str();
      p.role = r[0][4].c_str();
      if (std::string(r[0][0].c_str()) == "session" && r[0][5].as<std::int64_t>() + kSessionHours * 3600 < now_s())
        return TokenCheck{{}, "session expired: sign in again"};
      return TokenCheck{p, ""};
    });
  }

  Result<Principal> enrol(const std::string& code, const std::string& device_id, std::string& token_out) override {
    return with_conn("enrol", [&](pqxx::connection& conn) -> Result<Principal> {
      pqxx::work w(conn);
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
      w.exec_params("DELETE FROM auth_token WHERE kind = 'kiosk' AND device_id = $1", p.device_id);
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
    return with_conn("create enrolment code", [&](pqxx::connection& conn) -> Result<std::string> {
      const std::string code = random_code();
      pqxx::work w(conn);
      w.exec_params("INSERT INTO auth_enrolment(code_hash, shelter_id, device_id, expires) VALUES($1,$2,$3,$4)",
                    hash_secret(code), shelter_id, device_id, now_s() + hours * 3600);
      w.commit();
      return code;
    });
  }

  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password) override {
    auto pw_hash = new_user_password_hash(name, role, password);
    if (!pw_hash) return pw_hash.error();
    return with_conn("add user", [&](pqxx::connection& conn) -> Result<std::string> {
      const std::string token = random_token();
      pqxx::work w(conn);
      w.exec_params("INSERT INTO auth_token VALUES($1, 'hq', '', '', $2, $3, $4)", hash_secret(token), name, role,
                    now_s());
      w.exec_params("INSERT INTO hq_user VALUES($1,$2,$3) ON CONFLICT (name) DO UPDATE SET role = $2, password_hash = $3",
                    name, role, *pw_hash);
      w.commit();
      return token;
    });
  }

 private:
  // A person's fields with their stamps, each stamp written once (the
  // fields of one event share it):
  //   {"s": [[hlc, device], [hlc, device, event id], ...],
  //    "f": {"field": "value", "field": ["value", stamp index], ...}}
  // A stamp leaves out its event id when the id is the usual
  // "<device>.<hlc>", and a field its index when it is 0, so that a new
  // person's row is about the size of the arrival that made it.
  static std::string state_json(const PersonState& p) {
    std::vector<const Stamp*> stamps;
    std::string f;
    f.reserve(320);
    for (const auto& [name, v] : p.fields) {
      size_t i = 0;
      while (i < stamps.size() && stamps[i] != v.stamp.get() && !(*stamps[i] == *v.stamp)) ++i;
      if (i == stamps.size()) stamps.push_back(v.stamp.get());
      f += f.empty() ? '{' : ',';
      append_json_string(f, name);
      f += ':';
      if (i == 0) {
        append_json_string(f, v.value);
      } else {
        f += '[';
        append_json_string(f, v.value);
        f += ',';
        f += std::to_string(i);
        f += ']';
      }
    }
    std::string out = "{\"s\":[";
    for (const Stamp* t : stamps) {
      out += out.back() == '[' ? "[" : ",[";
      out += std::to_string(static_cast<std::int64_t>(t->hlc));
      out += ',';
      append_json_string(out, t->device_id);
      if (!is_event_id_of(t->event_id, t->device_id, t->hlc)) {
        out += ',';
        append_json_string(out, t->event_id);
      }
      out += ']';
    }
    out += "],\"f\":";
    out += f.empty() ? "{}" : f + "}";
    if (p.hidden) out += ",\"h\":1";  // PersonState::hidden, kept with the state
    out += '}';
    return out;
  }
  // Also reads the first form, {"field": [value, hlc, device, event id]}.
  static PersonState state_from_json(const std::string& id, const std::string& text) {
    PersonState p;
    p.id = id;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("f") && j["f"].is_object()) {
      std::vector<std::shared_ptr<const Stamp>> stamps;
      for (const auto& s : j.at("s")) {
        Stamp t{static_cast<Hlc>(s.at(0).get<std::int64_t>()), s.at(1).get<std::string>(), {}};
        t.event_id = s.size() > 2 ? s.at(2).get<std::string>() : make_event_id(t.device_id, t.hlc);
        stamps.push_back(std::make_shared<const Stamp>(std::move(t)));
      }
      for (auto it = j["f"].begin(); it != j["f"].end(); ++it) {
        const bool plain = it.value().is_string();
        p.fields.emplace(it.key(), FieldValue{plain ? it.value().get<std::string>() : it.value().at(0).get<std::string>(),
                                              stamps.at(plain ? 0 : it.value().at(1).get<size_t>())});
      }
      p.hidden = j.contains("h");
    } else if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it)
        p.fields.emplace(it.key(), FieldValue{it.value().at(0).get<std::string>(),
                                              Stamp{static_cast<Hlc>(it.value().at(1).get<std::int64_t>()),
                                                    it.value().at(2).get<std::string>(),
                                                    it.value().at(3).get<std::string>()}});
    }
    return p;
  }

  // Moves the counters of `table` by the deltas COPYed into its temporary
  // twin in_<table> (key columns, then n). Rises are upserts (a missing row
  // starts at its delta); falls update existing rows (a CHECK (n >= 0) is
  // tested on the row offered to INSERT, so a negative value must never be
  // offered), and rows that fall to 0 go. Prepared per connection, as
  // rise_<table>, fall_<table> and drop_<table>.
  static void prepare_counter_moves(pqxx::connection& c, const std::string& table,
                                    const std::vector<std::string>& keys) {
    std::string cols, match;
    for (const auto& k : keys) {
      cols += (cols.empty() ? "" : ", ") + k;
      match += " AND t." + k + " = i." + k;
    }
    c.prepare("rise_" + table, "INSERT INTO " + table + " AS t SELECT * FROM in_" + table +
                                   " WHERE n > 0 ON CONFLICT (" + cols + ") DO UPDATE SET n = t.n + EXCLUDED.n");
    c.prepare("fall_" + table, "UPDATE " + table + " t SET n = t.n + i.n FROM in_" + table + " i WHERE i.n < 0" + match);
    c.prepare("drop_" + table,
              "DELETE FROM " + table + " t USING in_" + table + " i WHERE i.n < 0 AND t.n = 0" + match);
  }
  static void move_counts(pqxx::work& w, const std::string& table, bool rises, bool falls) {
    if (rises) w.exec_prepared("rise_" + table);
    if (falls) {
      w.exec_prepared("fall_" + table);
      w.exec_prepared("drop_" + table);
    }
  }

  // Which of these events are stored already (whole, to tell a repeat from
  // a conflict), which of their (device, seq) keys are taken, and their
  // persons' states, in one round trip.
  //
  // A device's events come in runs of seqs, so the stored ones are found by
  // one range scan of (device_id, device_seq) per device instead of an
  // index probe per event id; a device whose seqs in the batch are spread
  // thin (a USB import of what is left) is probed by id and by (device,
  // seq). The range finds every event stored under those seqs; an event
  // stored under its id but another seq is not found that way, and its COPY
  // then fails on the primary key: store_group then repeats the batch with
  // `by_id`, every event probed both ways.
  // Keys go in sorted, so neighbouring probes touch neighbouring index pages.
  struct Stored {
    std::unordered_map<std::string, Event> events;
    std::set<std::pair<std::string, std::int64_t>> seqs;  // (device, seq) keys taken
    std::map<std::string, PersonState> persons;
  };
  static Stored load_stored(pqxx::work& w, const std::vector<const Event*>& events, bool by_id) {
    struct Run {
      std::int64_t lo, hi;
      size_t n;
    };
    std::map<std::string_view, Run> runs;
    if (!by_id)
      for (const Event* e : events) {
        auto [it, fresh] = runs.try_emplace(e->device_id, Run{e->device_seq, e->device_seq, 0});
        it->second.lo = std::min(it->second.lo, e->device_seq);
        it->second.hi = std::max(it->second.hi, e->device_seq);
        ++it->second.n;
      }
    auto dense = [](const Run& r) { return static_cast<std::uint64_t>(r.hi - r.lo) < 2 * r.n + 16; };
    ArrayText devices, los, his, pair_devices, pair_seqs;
    for (const auto& [device, r] : runs)
      if (dense(r)) {
        devices.add(device);
        los.add(r.lo);
        his.add(r.hi);
      }
    std::vector<std::string_view> ids, persons;
    Stored out;
    for (const Event* e : events) {
      persons.push_back(e->person_id);
      auto run = runs.find(e->device_id);
      if (run == runs.end() || !dense(run->second)) {
        ids.push_back(e->id);
        pair_devices.add(e->device_id);
        pair_seqs.add(e->device_seq);
      }
    }
    auto array = [](std::vector<std::string_view>& keys) {
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      ArrayText out;
      for (std::string_view k : keys) out.add(k);
      return out.str();
    };
    out.events.reserve(events.size());
    for (const auto& r : w.exec_prepared("load_stored", devices.str(), los.str(), his.str(), array(ids), array(persons),
                                         pair_devices.str(), pair_seqs.str())) {
      if (r["k"].c_str()[0] == 'p') {
        out.persons[r["id"].c_str()] = state_from_json(r["id"].c_str(), r["state"].c_str());
        continue;
      }
      Event e = read_event(r);
      out.seqs.emplace(e.device_id, e.device_seq);
      out.events.emplace(e.id, std::move(e));
    }
    return out;
  }
  // What a batch changes in the projections: persons to add and to update
  // (COPY rows in kPersonColumns) and how far each count cell moves (COPY
  // rows: key columns, delta).
  struct Projection {
    CopyRows added, updated, cells;
    bool cell_rises = false, cell_falls = false;
  };
  static inline const std::vector<std::string> kPersonColumns = {"person_id", "state",      "name",
                                                                 "reading",   "present_at", "household_key"};

  // core's fold (PersonState::apply) of new events over the stored persons;
  // the counts move by the net difference of each person before and after.
  static Projection project(const std::map<std::string, PersonState>& before,
                            const std::vector<const Event*>& events) {
    std::map<std::string, PersonState> after;
    for (const Event* e : events) {
      auto [it, added] = after.try_emplace(e->person_id);
      if (added) {
        auto stored = before.find(e->person_id);
        if (stored != before.end()) it->second = stored->second;
        it->second.id = e->person_id;
      }
      it->second.apply(*e, nullptr);
    }
    Projection out;
    std::map<CountKey, int> cells;
    for (const auto& [id, now] : after) {
      auto old = before.find(id);
      const PersonState* was = old == before.end() ? nullptr : &old->second;
      if (was && was->fields == now.fields) continue;  // every write lost or repeated
      person_row(was ? out.updated : out.added, now);
      const CountDelta d = count_delta(was, now);
      for (const auto& k : d.removed) --cells[k];
      for (const auto& k : d.added) ++cells[k];
    }
    for (const auto& [k, d] : cells)
      if (d) {
        out.cells.text(k.shelter_id).text(k.dim).text(k.key).number(d).end_row();
        (d > 0 ? out.cell_rises : out.cell_falls) = true;
      }
    return out;
  }

  // A person without a row gets one by COPY; the others are updated from a
  // temporary table; count cells move through a temporary table too.
  static void write_projection(pqxx::work& w, const Projection& change) {
    if (!change.added.empty()) copy_rows(w, "person", change.added, kPersonColumns);
    if (!change.updated.empty()) {
      copy_rows(w, "in_person", change.updated, kPersonColumns);
      w.exec_prepared("update_persons");
    }
    if (!change.cells.empty()) copy_rows(w, "in_count_cell", change.cells);
    move_counts(w, "count_cell", change.cell_rises, change.cell_falls);
  }

  static void prepare_session(pqxx::connection& c) {
    // Changed persons and count deltas arrive here by COPY (the fastest way
    // into PostgreSQL), then move into the real tables in one statement
    // each. LIKE leaves out the CHECK (n >= 0): deltas may be negative.
    pqxx::nontransaction n(c);
    n.exec("SET client_encoding TO 'UTF8'");  // what CopyRows and every string here assume
    // A prepared statement keeps its generic plan until the table is
    // analysed again, and a plan made while `event` was small probes by
    // sequential scan: on a fresh database each batch's load grew with the
    // table (1 -> 37 ms a batch over 100k events, quadratic in a catch-up
    // that outruns autovacuum). Planned on every execution, with the table's
    // size at that moment, the probes stay index lookups; the parse is still
    // done once.
    n.exec("SET plan_cache_mode TO force_custom_plan");
    n.exec("CREATE TEMP TABLE in_person (LIKE person) ON COMMIT DELETE ROWS; "
           "CREATE TEMP TABLE in_count_cell (LIKE count_cell) ON COMMIT DELETE ROWS");
    // Each batch runs these; parsed once per connection, planned at each
    // execution (plan_cache_mode above).
    c.prepare("reserve_positions", "UPDATE feed_counter SET n = n + $1 WHERE one = 1 RETURNING n");
    // Arrays: $1, $2, $3 devices and their seq ranges; $4 event ids, $5
    // person ids (sorted, each once). Rows: (event id, NULL) or (person id,
    // state).
    // Rows: ('e', the stored event's columns) or ('p', person id, state).
    const std::string event_cols =
        "SELECT 'e'::text AS k, e.id, NULL::text AS state, e.type, e.person_id, e.household_id, e.shelter_id, "
        "e.device_id, e.device_seq, e.author, e.hlc, e.body, e.clamp ";
    c.prepare("load_stored",
              event_cols + "FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(d, lo, hi) "
              "JOIN event e ON e.device_id = r.d AND e.device_seq BETWEEN r.lo AND r.hi UNION ALL " +
              event_cols + "FROM unnest($4::text[]) AS k(id) JOIN event e ON e.id = k.id UNION ALL " +
              event_cols + "FROM unnest($6::text[], $7::bigint[]) AS q(d, s) "
              "JOIN event e ON e.device_id = q.d AND e.device_seq = q.s "
              "UNION ALL SELECT 'p', p.person_id, p.state, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
              "FROM unnest($5::text[]) AS k(id) JOIN person p ON p.person_id = k.id");
    c.prepare("update_persons",
              "UPDATE person p SET state = i.state, name = i.name, reading = i.reading, present_at = i.present_at, "
              "household_key = i.household_key FROM in_person i WHERE p.person_id = i.person_id");
    prepare_counter_moves(c, "count_cell", {"shelter_id", "dim", "key"});
  }

  // Runs f on a pooled connection (made on demand, up to kPoolSize; waits
  // for one otherwise). A connection that broke is not given back. When an
  // idle connection turns out dead (PostgreSQL restarted, or an admin ended
  // the backend while it sat in the pool) f runs once more on a new one:
  // such a connection fails at its first statement, before anything commits.
  template <typename F>
  auto with_conn(const char* what, F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    std::unique_ptr<pqxx::connection> c;
    {
      std::unique_lock lock(mu_);
      free_.wait(lock, [&] { return !idle_.empty() || open_ < kPoolSize; });
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    bool reused = c != nullptr;
    bool broken = false;
    auto attempt = [&]() -> decltype(f(*c)) {
      try {
        broken = false;
        if (!c) {
          c = std::make_unique<pqxx::connection>(url_);
          prepare_session(*c);
        }
        return f(*c);
      } catch (const pqxx::broken_connection&) {
        broken = true;
        throw;
      }
    };
    auto result = guarded(what, attempt);
    if (broken && reused) {
      c.reset();
      result = guarded(what, attempt);
    }
    std::lock_guard lock(mu_);
    if (c && !broken && c->is_open()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
    free_.notify_one();
    return result;
  }

  static constexpr int kPoolSize = 8;  // cpp-httplib's worker threads
  static constexpr size_t kMaxGroupEvents = 4 * kMaxBatchEvents;
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<PendingPush*> waiting_;
  bool writing_ = false;
  std::string url_;
  std::mutex mu_;
  std::condition_variable free_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
};

}  // namespace

Result<std::unique_ptr<ServerStore>> open_pg_server_store(const std::string& url) {
  auto store = std::make_unique<PgServerStore>(url);
  if (auto st = store->connect(); !st) return st.error();
  return std::unique_ptr<ServerStore>(std::move(store));
}

}  // namespace shelter::sync
