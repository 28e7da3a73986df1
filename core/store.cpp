// The store's writes and its fold: recording local events, and the
// projections (persons, counts, merge visibility) kept in the same
// transaction as the log. Sync's writes: store_sync.cpp.
#include "core/store.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/name_match.hpp"
#include "core/sqlite.hpp"
#include "core/store_internal.hpp"

namespace shelter {

namespace store_detail {

Result<Event> read_event(sql::Stmt& s) {
  Event e;
  e.id = s.text(1);
  auto type = parse_event_type(s.text(2));
  if (!type) return fail("event " + e.id + ": unknown type in log");
  e.type = *type;
  e.person_id = s.text(3);
  e.household_id = s.text(4);
  e.shelter_id = s.text(5);
  e.device_id = s.text(6);
  e.device_seq = s.i64(7);
  e.author = s.text(8);
  e.hlc = s.u64(9);
  e.body = nlohmann::json::parse(s.text(10), nullptr, false);
  if (e.body.is_discarded()) return fail("event " + e.id + ": unreadable body in log");
  e.clamp = s.u64(11);
  return e;
}

}  // namespace store_detail

using store_detail::kEventColumns;
using store_detail::read_event;

Result<bool> Store::insert_event(const Event& e, const std::string& origin) {
  auto q = db_->prepare(
      "INSERT INTO event(id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body, "
      "clamp, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(id) DO NOTHING");
  if (!q) return q.error();
  (*q)->bind(1, e.id)
      .bind(2, to_string(e.type))
      .bind(3, e.person_id)
      .bind(4, e.household_id)
      .bind(5, e.shelter_id)
      .bind(6, e.device_id)
      .bind(7, e.device_seq)
      .bind(8, e.author)
      .bind(9, e.hlc)
      .bind(10, e.body.dump())
      .bind(11, e.clamp)
      .bind(12, origin);
  if (auto st = (*q)->run(); !st) return st.error().context("append event " + e.id);
  return db_->changes() > 0;
}

Result<bool> Store::event_exists(const std::string& id) {
  auto q = db_->prepare("SELECT 1 FROM event WHERE id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("look up event");
  const bool found = *row;
  q->reset();
  return found;
}

Result<std::optional<Event>> Store::stored_event(const std::string& id) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("look up event");
  if (!*row) return std::optional<Event>{};
  auto e = read_event(**q);
  if (!e) return e.error();
  return std::optional<Event>(std::move(e).value());
}

// The latest stamp (as the merge compares them) of any event about `id`.
Result<Hlc> Store::person_floor(const PersonId& id) {
  auto q = db_->prepare(
      "SELECT coalesce(max(CASE WHEN clamp <> 0 THEN clamp ELSE hlc END), 0) FROM event "
      "WHERE person_id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  if (auto r = (*q)->step(); !r) return r.error();
  const Hlc floor = (*q)->u64(0);
  q->reset();
  return floor;
}

Status Store::load_clock_offset() {
  auto offset = meta(kClockOffsetMeta);
  if (!offset) return offset.error().context("clock offset");
  if (!offset->has_value()) return {};
  try {
    clock_.set_offset_ms(std::stoll(**offset));
  } catch (const std::exception&) {
    // A damaged value must not stop check-in: keep the last good offset.
  }
  return {};
}

// Where this device's log ends, read under the write lock: another process
// on the same device (shelterctl beside the kiosk) may have written since
// this one last did.
Status Store::resume_own_log() {
  auto q = db_->prepare("SELECT device_seq, hlc FROM event WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, device_id_);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::int64_t next = 1;
  if (*row) {
    next = (*q)->i64(0) + 1;
    clock_.resume_after((*q)->u64(1));
  }
  q->reset();
  auto floor = meta(kDeviceSeqFloorMeta);
  if (!floor) return floor.error();
  if (floor->has_value()) {
    try {
      next = std::max<std::int64_t>(next, std::stoll(**floor));
    } catch (const std::exception&) {
      return fail(std::string(kDeviceSeqFloorMeta) + " is not a number");
    }
  }
  next_device_seq_ = std::max(next_device_seq_, next);
  return {};
}

Result<std::vector<Event>> Store::record(const std::vector<NewEvent>& drafts) {
  if (device_id_.empty()) return fail("record: this store has no device identity (run `shelterctl init`)");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("record");
  auto events = record_locked(drafts);
  if (!events) return events.error();
  if (auto st = (*tx)->commit(); !st) return st.error().context("record");
  next_device_seq_ += static_cast<std::int64_t>(events->size());
  return events;
}

// record() inside the caller's transaction; next_device_seq_ is moved on by
// the caller once it commits.
Result<std::vector<Event>> Store::record_locked(const std::vector<NewEvent>& drafts) {
  if (auto st = resume_own_log(); !st) return st.error().context("record: own log");
  // The daemon's latest clock correction; each event is then stamped after
  // every event this store knows about its person (pulled by the daemon in
  // another process), so "after" means after for each person even when
  // clocks disagree.
  if (auto st = load_clock_offset(); !st) return st.error().context("record: clock");
  std::vector<Event> events;
  events.reserve(drafts.size());
  std::int64_t seq = next_device_seq_;
  std::map<PersonId, Hlc> floors;  // persons of this batch: their latest stamp, ours included
  for (const NewEvent& d : drafts) {
    auto floor = floors.find(d.person_id);
    if (floor == floors.end()) {
      auto known = person_floor(d.person_id);
      if (!known) return known.error().context("record: clock");
      floor = floors.emplace(d.person_id, *known).first;
    }
    Event e;
    e.type = d.type;
    e.person_id = d.person_id;
    e.household_id = d.household_id;
    e.shelter_id = d.shelter_id.empty() ? shelter_id_ : d.shelter_id;
    e.device_id = device_id_;
    e.device_seq = seq++;
    e.author = d.author;
    e.hlc = d.stamp_after != 0 ? d.stamp_after + 1 : clock_.now_after(floor->second);
    e.id = make_event_id(device_id_, e.hlc);
    // A stamp passed to get after a far-ahead floor is not adopted by the
    // clock, so the clock may hand it out again later: ids stay unique.
    for (;;) {
      auto taken = event_exists(e.id);
      if (!taken) return taken.error().context("record");
      bool in_batch = false;
      for (const Event& o : events) in_batch |= o.id == e.id;
      if (!*taken && !in_batch) break;
      e.hlc = d.stamp_after != 0 ? e.hlc + 1 : clock_.now_after(e.hlc);
      e.id = make_event_id(device_id_, e.hlc);
    }
    floor->second = std::max(floor->second, e.hlc);
    e.body = d.body.is_null() ? nlohmann::json::object() : d.body;  // `{}` in C++ makes a JSON null
    if (auto st = validate(e); !st) return st.error().context("record");
    events.push_back(std::move(e));
  }
  for (const Event& e : events) {
    auto inserted = insert_event(e, "");
    if (!inserted) return inserted.error().context("record");
    // Never acknowledge what was not stored.
    if (!*inserted) return fail("record: event " + e.id + " already exists; try again");
    for (const StaffKey& signer : signers_) {
      if (e.author != signer.author) continue;
      auto q = db_->prepare("INSERT INTO staff_signature(event_id, signature) VALUES(?1, ?2)");
      if (!q) return q.error().context("record: sign");
      (*q)->bind(1, e.id).bind(2, signing::to_hex(signing::sign(signer.pair, staff_event_message(e))));
      if (auto st = (*q)->run(); !st) return st.error().context("record: sign " + e.id);
      break;
    }
    if (auto st = project(e); !st) return st.error().context("record: project " + e.id);
  }
  return events;
}

Status Store::keep_staff_signatures(const std::map<std::string, std::string>& signatures) {
  if (signatures.empty()) return {};
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("keep signatures");
  auto q = db_->prepare("INSERT INTO staff_signature(event_id, signature) VALUES(?1, ?2) ON CONFLICT DO NOTHING");
  if (!q) return q.error().context("keep signatures");
  for (const auto& [id, sig] : signatures) {
    (*q)->bind(1, id).bind(2, signing::to_hex(sig));
    if (auto st = (*q)->run(); !st) return st.error().context("keep signatures");
  }
  return (*tx)->commit().context("keep signatures");
}

Result<std::map<std::string, std::string>> Store::staff_signatures(const std::vector<Event>& events) {
  std::map<std::string, std::string> out;
  auto q = db_->prepare("SELECT signature FROM staff_signature WHERE event_id = ?1");
  if (!q) return q.error().context("read signatures");
  for (const Event& e : events) {
    if (volunteer_of(e.author).empty()) continue;
    (*q)->bind(1, e.id);
    auto row = (*q)->step();
    if (!row) return row.error().context("read signatures");
    if (*row) {
      auto sig = signing::from_hex((*q)->text(0), signing::kSignatureBytes);
      if (sig) out[e.id] = std::move(*sig);
    }
    (*q)->reset();
  }
  return out;
}

Result<Event> Store::record(const NewEvent& draft) {
  auto r = record(std::vector<NewEvent>{draft});
  if (!r) return r.error();
  return std::move(r->front());
}

Result<std::optional<PersonState>> Store::load_state(const PersonId& id) {
  auto q = db_->prepare("SELECT field, value, hlc, device_id, event_id FROM person_field WHERE person_id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  PersonState p;
  p.id = id;
  bool any = false;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) {
        any = true;
        p.fields.emplace(r.text(0), FieldValue{r.text(1), Stamp{r.u64(2), r.text(3), r.text(4)}});
      });
      !st)
    return st.error().context("load person");
  if (!any) return std::optional<PersonState>{};
  auto h = db_->prepare("SELECT hidden FROM person WHERE person_id = ?1");
  if (!h) return h.error();
  (*h)->bind(1, id);
  auto row = (*h)->step();
  if (!row) return row.error().context("load person");
  p.hidden = *row && (*h)->i64(0) != 0;
  h->reset();
  return std::optional<PersonState>(std::move(p));
}

Status Store::save_person(const PersonState& p, const std::vector<std::string>& changed_fields) {
  auto f = db_->prepare(
      "INSERT OR REPLACE INTO person_field(person_id, field, value, hlc, device_id, event_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!f) return f.error();
  for (const std::string& name : changed_fields) {
    const FieldValue& v = p.fields.find(name)->second;
    (*f)->bind(1, p.id)
        .bind(2, name)
        .bind(3, v.value)
        .bind(4, v.stamp->hlc)
        .bind(5, v.stamp->device_id)
        .bind(6, v.stamp->event_id);
    if (auto st = (*f)->run(); !st) return st.error().context("save person field");
  }
  auto q = db_->prepare(
      "INSERT OR REPLACE INTO person(person_id, household_id, shelter_id, presence, stay, name, reading, sex, birth, "
      "address, phone, needs, needs_other, consent, merged_into, updated_hlc, hidden, match_key) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
  if (!q) return q.error();
  const PersonInfo info = p.info();
  (*q)->bind(1, p.id)
      .bind(2, p.household_id())
      .bind(3, p.shelter_id())
      .bind(4, to_string(p.presence()))
      .bind(5, to_string(p.stay()))
      .bind(6, info.name)
      .bind(7, info.reading)
      .bind(8, to_string(info.sex))
      .bind(9, to_string(info.birth))
      .bind(10, info.address)
      .bind(11, info.phone)
      .bind(12, static_cast<int>(info.needs))
      .bind(13, info.needs_other)
      .bind(14, info.consent ? 1 : 0)
      .bind(15, p.merged_into())
      .bind(16, p.updated_hlc())
      .bind(17, p.hidden ? 1 : 0)
      .bind(18, person_match_key(info.name, info.reading));
  return (*q)->run().context("save person");
}

Status Store::adjust_counts(const PersonState* before, const PersonState& after) {
  const CountDelta delta = count_delta(before, after);
  if (delta.empty()) return {};
  const auto& removed = delta.removed;
  const auto& added = delta.added;
  const auto& hh_removed = delta.households_removed;
  const auto& hh_added = delta.households_added;

  auto dec = db_->prepare("UPDATE count_cell SET n = n - 1 WHERE shelter_id = ?1 AND dim = ?2 AND key = ?3 AND n > 1");
  auto del = db_->prepare("DELETE FROM count_cell WHERE shelter_id = ?1 AND dim = ?2 AND key = ?3 AND n = 1");
  auto inc = db_->prepare(
      "INSERT INTO count_cell(shelter_id, dim, key, n) VALUES(?1, ?2, ?3, 1) "
      "ON CONFLICT(shelter_id, dim, key) DO UPDATE SET n = n + 1");
  if (!dec || !del || !inc) return fail(db_->errmsg()).context("adjust counts");
  for (const CountKey& k : removed) {
    (*dec)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
    if (auto st = (*dec)->run(); !st) return st.error().context("adjust counts");
    if (db_->changes() == 0) {
      (*del)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
      if (auto st = (*del)->run(); !st) return st.error().context("adjust counts");
    }
  }
  for (const CountKey& k : added) {
    (*inc)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
    if (auto st = (*inc)->run(); !st) return st.error().context("adjust counts");
  }

  auto hdec =
      db_->prepare("UPDATE household_presence SET n = n - 1 WHERE shelter_id = ?1 AND household_id = ?2 AND n > 1");
  auto hdel = db_->prepare("DELETE FROM household_presence WHERE shelter_id = ?1 AND household_id = ?2 AND n = 1");
  auto hinc = db_->prepare(
      "INSERT INTO household_presence(shelter_id, household_id, n) VALUES(?1, ?2, 1) "
      "ON CONFLICT(shelter_id, household_id) DO UPDATE SET n = n + 1");
  if (!hdec || !hdel || !hinc) return fail(db_->errmsg()).context("adjust household counts");
  for (const HouseholdKey& k : hh_removed) {
    (*hdec)->bind(1, k.shelter_id).bind(2, k.household_id);
    if (auto st = (*hdec)->run(); !st) return st.error().context("adjust household counts");
    if (db_->changes() == 0) {
      (*hdel)->bind(1, k.shelter_id).bind(2, k.household_id);
      if (auto st = (*hdel)->run(); !st) return st.error().context("adjust household counts");
    }
  }
  for (const HouseholdKey& k : hh_added) {
    (*hinc)->bind(1, k.shelter_id).bind(2, k.household_id);
    if (auto st = (*hinc)->run(); !st) return st.error().context("adjust household counts");
  }
  return {};
}

Status Store::project(const Event& e) {
  auto loaded = load_state(e.person_id);
  if (!loaded) return loaded.error();
  return project(e, std::move(*loaded));
}

Status Store::project(const Event& e, std::optional<PersonState> before) {
  PersonState after = before ? *before : PersonState{e.person_id, {}, false};
  const std::vector<std::string> changed = after.apply(e);
  return store_state(before, after, changed);
}

// Saves a person's new state, moves the counts, and settles merge
// visibility when merged_into changed.
Status Store::store_state(const std::optional<PersonState>& before, const PersonState& after,
                          const std::vector<std::string>& changed) {
  if (changed.empty()) return {};
  if (auto st = save_person(after, changed); !st) return st;
  if (auto st = adjust_counts(before ? &*before : nullptr, after); !st) return st;
  if (std::find(changed.begin(), changed.end(), field::kMergedInto) != changed.end()) return settle_merges({after.id});
  return {};
}

// Merge visibility over the persons linked to `changed` (merge_visibility):
// each whose visibility moves is saved and moves the counts.
Status Store::settle_merges(const std::vector<PersonId>& changed) {
  auto into_q = db_->prepare("SELECT merged_into FROM person WHERE person_id = ?1");
  auto from_q = db_->prepare("SELECT person_id FROM person WHERE merged_into = ?1 AND merged_into <> ''");
  if (!into_q || !from_q) return fail(db_->errmsg()).context("settle merges");
  std::optional<Error> failed;
  MergeLinks links;
  links.into = [&](const PersonId& id) -> std::optional<PersonId> {
    (*into_q)->bind(1, id);
    auto row = (*into_q)->step();
    std::optional<PersonId> out;
    if (!row)
      failed = row.error();
    else if (*row)
      out = (*into_q)->text(0);
    (*into_q)->reset();
    return out;
  };
  links.sources = [&](const PersonId& id) {
    std::vector<PersonId> out;
    (*from_q)->bind(1, id);
    for (;;) {
      auto row = (*from_q)->step();
      if (!row) failed = row.error();
      if (!row || !*row) break;
      out.push_back((*from_q)->text(0));
    }
    (*from_q)->reset();
    return out;
  };
  const auto visibility = merge_visibility(changed, links);
  if (failed) return failed->context("settle merges");
  for (const auto& [id, hidden] : visibility) {
    auto state = load_state(id);
    if (!state) return state.error().context("settle merges");
    if (!state->has_value() || (*state)->hidden == hidden) continue;
    PersonState after = **state;
    after.hidden = hidden;
    if (auto st = save_person(after, {}); !st) return st.error().context("settle merges");
    if (auto st = adjust_counts(&**state, after); !st) return st.error().context("settle merges");
  }
  return {};
}

Status Store::refold_person(const PersonId& id) {
  auto before = load_state(id);
  if (!before) return before.error().context("refold person");
  auto events = person_events(id);
  if (!events) return events.error().context("refold person");
  auto refused = db_->prepare("SELECT r.id FROM refused_event r JOIN event e ON e.id = r.id WHERE e.person_id = ?1");
  if (!refused) return refused.error().context("refold person");
  (*refused)->bind(1, id);
  std::set<std::string> left_out;
  if (auto st = (*refused)->each_row([&](sql::Stmt& r) { left_out.insert(r.text(0)); }); !st)
    return st.error().context("refold person");
  refused->reset();
  PersonState after{id, {}, before->has_value() && (*before)->hidden};
  for (const Event& e : *events)
    if (!left_out.count(e.id)) after.apply(e, nullptr);
  std::vector<std::string> changed;
  for (const auto& [name, v] : after.fields) changed.push_back(name);
  const bool merge_moved = !before->has_value() || (*before)->merged_into() != after.merged_into();
  if (!merge_moved && before->has_value()) after.hidden = (*before)->hidden;
  // Fields only the events left out had written go (the person row too,
  // when none is left): the state is exactly the fold.
  auto drop = db_->prepare("DELETE FROM person_field WHERE person_id = ?1");
  auto drop_row = db_->prepare("DELETE FROM person WHERE person_id = ?1");
  if (!drop || !drop_row) return fail(db_->errmsg()).context("refold person");
  if (auto st = (*drop)->bind(1, id).run(); !st) return st.error().context("refold person");
  if (after.fields.empty()) {
    if (auto st = (*drop_row)->bind(1, id).run(); !st) return st.error().context("refold person");
    return adjust_counts(before->has_value() ? &**before : nullptr, after).context("refold person");
  }
  if (auto st = save_person(after, changed); !st) return st.error().context("refold person");
  if (auto st = adjust_counts(before->has_value() ? &**before : nullptr, after); !st)
    return st.error().context("refold person");
  if (merge_moved) return settle_merges({id});
  return {};
}

Status Store::rebuild_projections() {
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("rebuild projections");
  if (auto st = rebuild_locked(); !st) return st.error().context("rebuild projections");
  return (*tx)->commit().context("rebuild projections");
}

Status Store::rebuild_locked() {
  if (auto st = db_->exec("DELETE FROM person_field; DELETE FROM person; DELETE FROM count_cell;"
                          " DELETE FROM household_presence;");
      !st)
    return st;
  // Fold one person at a time (the log sorted by person), so memory stays
  // bounded by the largest person's history, not by the log. Persons merged
  // into someone are counted at the end, once every merge is known
  // (merge_visibility); there are few of them.
  // Own events the server refused are not folded (note_refused).
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE id NOT IN (SELECT id FROM refused_event) ORDER BY person_id");
  if (!q) return q.error();
  std::map<CountKey, int> counts;
  std::map<HouseholdKey, int> households;
  std::map<PersonId, PersonState> merged;
  std::optional<PersonState> current;
  std::vector<std::string> all_fields;
  auto count = [&](const PersonState& p) {
    for (auto& k : count_contributions(p)) ++counts[k];
    for (auto& k : household_contributions(p)) ++households[k];
  };
  auto flush = [&]() -> Status {
    if (current && current->fields.empty()) current.reset();  // only events that write no field
    if (!current) return {};
    all_fields.clear();
    for (const auto& [name, v] : current->fields) all_fields.push_back(name);
    if (auto st = save_person(*current, all_fields); !st) return st;
    if (current->merged_into().empty())
      count(*current);
    else
      merged.emplace(current->id, std::move(*current));
    current.reset();
    return {};
  };
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        if (current && current->id != e->person_id) {
          if (auto st = flush(); !st) return st;
        }
        if (!current) current = PersonState{e->person_id, {}, false};
        (void)current->apply(*e);
        return {};
      });
      !st)
    return st.error();
  if (auto st = flush(); !st) return st;
  q->reset();
  if (!merged.empty()) {
    MergeLinks links;
    links.into = [&](const PersonId& id) -> std::optional<PersonId> {
      auto it = merged.find(id);
      if (it != merged.end()) return it->second.merged_into();
      auto known = person(id);
      if (!known || !known->has_value()) return std::nullopt;
      return (*known)->merged_into;
    };
    links.sources = [&](const PersonId&) { return std::vector<PersonId>{}; };  // every merged person is a start
    std::vector<PersonId> starts;
    for (const auto& [id, p] : merged) starts.push_back(id);
    const auto visibility = merge_visibility(starts, links);
    for (auto& [id, p] : merged) {
      auto v = visibility.find(id);
      p.hidden = v == visibility.end() || v->second;
      if (auto st = save_person(p, {}); !st) return st;
      count(p);
    }
  }
  auto ins = db_->prepare("INSERT INTO count_cell(shelter_id, dim, key, n) VALUES(?1, ?2, ?3, ?4)");
  if (!ins) return ins.error();
  for (const auto& [k, n] : counts) {
    (*ins)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key).bind(4, n);
    if (auto st = (*ins)->run(); !st) return st;
  }
  auto hins = db_->prepare("INSERT INTO household_presence(shelter_id, household_id, n) VALUES(?1, ?2, ?3)");
  if (!hins) return hins.error();
  for (const auto& [k, n] : households) {
    (*hins)->bind(1, k.shelter_id).bind(2, k.household_id).bind(3, n);
    if (auto st = (*hins)->run(); !st) return st;
  }
  return {};
}

}  // namespace shelter
