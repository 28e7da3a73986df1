// The PostgreSQL merge: group commit of pushed batches, each group in one
// transaction, folded by core's PersonState::apply and count_delta exactly
// as the kiosk's SQLite store does.
//
// Feed positions: a batch first reserves its positions from a one-row
// counter, whose row lock it then holds until commit, so positions are in
// commit order and a reader's cursor never skips a row that commits later
// with a smaller number (the classic bigserial pitfall). Duplicates leave
// gaps, which cursors do not mind. The same lock serialises batches from
// all server processes, so the read-fold-write of persons and counts below
// never races with another process's.
#include "core/write_rules.hpp"
#include "sync/server/pg/pg.hpp"

#include <deque>
#include <future>
#include <map>
#include <set>

namespace shelter::sync::pg {

namespace {

using Outcome = PgServerStore::Outcome;
using Outcomes = PgServerStore::Outcomes;

// Moves the counters of `table` by the deltas COPYed into its temporary
// twin in_<table> (key columns, then n). Rises are upserts (a missing row
// starts at its delta); falls update existing rows (a CHECK (n >= 0) is
// tested on the row offered to INSERT, so a negative value must never be
// offered), and rows that fall to 0 go. Prepared per connection, as
// rise_<table>, fall_<table> and drop_<table>.
void prepare_counter_moves(pqxx::connection& c, const std::string& table, const std::vector<std::string>& keys) {
  std::string cols, match;
  for (const auto& k : keys) {
    cols += (cols.empty() ? "" : ", ") + k;
    match += " AND t." + k + " = i." + k;
  }
  c.prepare("rise_" + table, "INSERT INTO " + table + " AS t SELECT * FROM in_" + table + " WHERE n > 0 ON CONFLICT (" +
                                 cols + ") DO UPDATE SET n = t.n + EXCLUDED.n");
  c.prepare("fall_" + table, "UPDATE " + table + " t SET n = t.n + i.n FROM in_" + table + " i WHERE i.n < 0" + match);
  c.prepare("drop_" + table, "DELETE FROM " + table + " t USING in_" + table + " i WHERE i.n < 0 AND t.n = 0" + match);
}
void move_counts(pqxx::work& w, const std::string& table, bool rises, bool falls) {
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
Stored load_stored(pqxx::work& w, const std::vector<const Event*>& events, bool by_id) {
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
// core's fold (PersonState::apply) of new events over the stored persons;
// the counts move by the net difference of each person before and after.
Projection project(const std::map<std::string, PersonState>& before, const std::vector<const Event*>& events) {
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
    if (!was && now.fields.empty()) continue;        // only events that write no field (not_duplicate)
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
void write_projection(pqxx::work& w, const Projection& change) {
  if (!change.added.empty()) copy_rows(w, "person", change.added, kPersonColumns);
  if (!change.updated.empty()) {
    copy_rows(w, "in_person", change.updated, kPersonColumns);
    w.exec_prepared("update_persons");
  }
  if (!change.cells.empty()) copy_rows(w, "in_count_cell", change.cells);
  move_counts(w, "count_cell", change.cell_rises, change.cell_falls);
}

// Merge visibility over the persons linked to `changed` by merges
// (core's merge_visibility); each whose visibility moves is rewritten and
// moves the counts. Merges are rare, so plain statements do.
void settle_merges(pqxx::work& w, const std::vector<PersonId>& changed) {
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
      w.exec_params(
          "INSERT INTO count_cell VALUES($1, $2, $3, 1) ON CONFLICT (shelter_id, dim, key) "
          "DO UPDATE SET n = count_cell.n + 1",
          k.shelter_id, k.dim, k.key);
    const auto keys = household_contributions(after);
    w.exec_params("UPDATE person SET state = $2, present_at = $3, household_key = $4 WHERE person_id = $1", id,
                  state_json(after), keys.empty() ? std::optional<std::string>() : keys.front().shelter_id,
                  keys.empty() ? std::optional<std::string>() : keys.front().household_id);
  }
}

// The batch's transaction (see push): what became of each event.
Outcomes store_events(pqxx::connection& conn, const std::vector<const Event*>& events, bool by_id, std::int64_t now) {
  pqxx::work w(conn);
  // Each statement below looks up a batch's keys (a few thousand at most)
  // in tables that grow to millions of rows: index lookups. PostgreSQL's
  // default costs (random_page_cost 4) made it read the whole table into
  // a hash instead (13 ms against 3.5 ms for 2000 keys at 40 000
  // rows, and growing with the table), and share the lookups among
  // parallel workers that took 10-15 ms to start.
  w.exec(
      "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
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
  std::deque<Event> clamped;                                    // copies of fresh events with the clamp set
  std::set<std::pair<std::string_view, std::int64_t>> claimed;  // (device, seq) of fresh events
  std::map<std::string, std::int64_t> next_seq;                 // devices with a seq conflict
  const Hlc limit = make_hlc(now + kFutureSlackMs, 0);
  bool merges = false;
  // Each person's state as the batch goes, for the write rule (core's
  // kiosk_write_refusal, as Store::admit applies it on SQLite).
  // An arrival without details is refused only for its author, and most of
  // a batch is such arrivals: a person's state is folded only when one of
  // their other events is checked, from the stored state and their earlier
  // events in this batch, once each.
  struct SoFar {
    PersonState state;
    size_t applied = 0;  // of `earlier`
  };
  std::unordered_map<std::string_view, std::vector<const Event*>> earlier;
  std::unordered_map<std::string_view, SoFar> so_far;
  // Earlier write-rule refusals of these events are given again.
  std::unordered_map<std::string, std::pair<std::string, std::string>> refused_before;
  {
    ArrayText ids;
    for (const Event* e : events) ids.add(e->id);
    for (const auto& r :
         w.exec_params("SELECT id, code, reason FROM refused_event WHERE id = ANY($1::text[])", ids.str()))
      refused_before.emplace(r[0].c_str(), std::make_pair(std::string(r[1].c_str()), std::string(r[2].c_str())));
  }
  std::vector<std::pair<const Event*, const Admission*>> refused_now;
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
    if (auto it = refused_before.find(e->id); it != refused_before.end()) {
      a.kind = Admission::Kind::Refused;
      a.code = it->second.first;
      a.reason = it->second.second;
      continue;
    }
    std::optional<WriteRefusal> refusal;
    if (e->type != EventType::Arrived || carries_details(*e)) {
      auto [it, first_seen] = so_far.try_emplace(e->person_id);
      SoFar& f = it->second;
      if (first_seen) {
        if (auto b = before.persons.find(e->person_id); b != before.persons.end()) f.state = b->second;
        f.state.id = e->person_id;
      }
      if (auto mine = earlier.find(e->person_id); mine != earlier.end())
        for (; f.applied < mine->second.size(); ++f.applied) f.state.apply(*mine->second[f.applied], nullptr);
      refusal = kiosk_write_refusal(*e, f.state.fields.empty() ? nullptr : &f.state);
    } else {
      refusal = author_refusal(*e);
    }
    if (refusal) {
      a.kind = Admission::Kind::Refused;
      a.code = std::move(refusal->code);
      a.reason = std::move(refusal->reason);
      refused_now.emplace_back(e, &a);
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
    earlier[e->person_id].push_back(stored);
    fresh.push_back(stored);
  }
  for (const auto& [e, a] : refused_now)
    w.exec_params("INSERT INTO refused_event VALUES($1, $2, $3) ON CONFLICT (id) DO NOTHING", e->id, a->code,
                  a->reason);
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
                 "seq is " +
                 std::to_string(a.expected_seq);
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
}  // namespace

void prepare_session(pqxx::connection& c) {
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
  n.exec(
      "CREATE TEMP TABLE in_person (LIKE person) ON COMMIT DELETE ROWS; "
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
  c.prepare(
      "load_stored",
      event_cols +
          "FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(d, lo, hi) "
          "JOIN event e ON e.device_id = r.d AND e.device_seq BETWEEN r.lo AND r.hi UNION ALL " +
          event_cols + "FROM unnest($4::text[]) AS k(id) JOIN event e ON e.id = k.id UNION ALL " + event_cols +
          "FROM unnest($6::text[], $7::bigint[]) AS q(d, s) "
          "JOIN event e ON e.device_id = q.d AND e.device_seq = q.s "
          "UNION ALL SELECT 'p', p.person_id, p.state, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
          "FROM unnest($5::text[]) AS k(id) JOIN person p ON p.person_id = k.id");
  c.prepare(
      "update_persons",
      "UPDATE person p SET state = i.state, name = i.name, reading = i.reading, present_at = i.present_at, "
      "household_key = i.household_key, match_key = i.match_key FROM in_person i WHERE p.person_id = i.person_id");
  prepare_counter_moves(c, "count_cell", {"shelter_id", "dim", "key"});
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
Result<PushReply> PgServerStore::push(const PushRequest& request, std::int64_t now) {
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
std::vector<Result<PushReply>> PgServerStore::store_group(const std::vector<PendingPush*>& group) {
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
  auto stored = pool_.with_conn("store batch", [&](pqxx::connection& conn) -> Result<Outcomes> {
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
}  // namespace shelter::sync::pg
