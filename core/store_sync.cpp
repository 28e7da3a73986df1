// The store's side of sync: applying events from the feed or a USB file,
// the server's admission of a push (duplicates, conflicts, clamps), learning
// clamps, and keeping the refusals of this device's events for staff.
#include <algorithm>
#include <set>

#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/store_internal.hpp"
#include "core/write_rules.hpp"

namespace shelter {

using store_detail::kEventColumns;
using store_detail::read_event;

Result<int> Store::apply_remote(const std::vector<Event>& events, const std::string& origin) {
  for (const Event& e : events)
    if (auto st = validate(e); !st) return st.error().context("apply remote events");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("apply remote events");
  // A refusal can come before its event: a hub's refusals are read apart
  // from its feed's pages. Such an event is kept and, as everywhere, left
  // out of the fold.
  auto refused = db_->prepare("SELECT 1 FROM refused_event WHERE id = ?1");
  if (!refused) return refused.error().context("apply remote events");
  int added = 0;
  std::vector<std::pair<std::string, Hlc>> clamps;
  for (const Event& e : events) {
    auto inserted = insert_event(e, origin);
    if (!inserted) return inserted.error().context("apply remote events");
    if (!*inserted) {
      if (e.clamp != 0) clamps.emplace_back(e.id, e.clamp);  // learnt with a later copy of the event
      continue;
    }
    ++added;
    (*refused)->bind(1, e.id);
    auto was_refused = (*refused)->step();
    if (!was_refused) return was_refused.error().context("apply remote events");
    (*refused)->reset();
    if (*was_refused) continue;
    if (auto st = project(e); !st) return st.error().context("apply remote events: project " + e.id);
  }
  if (!clamps.empty())
    if (auto st = apply_clamps(clamps); !st) return st.error().context("apply remote events");
  if (auto st = (*tx)->commit(); !st) return st.error().context("apply remote events");
  for (const Event& e : events) clock_.observe(e.effective_hlc());
  return added;  // own events among them move the next seq on at the next record (resume_own_log)
}

Result<std::vector<Admission>> Store::admit(const std::vector<Event>& events, std::int64_t now_ms,
                                            std::int64_t future_slack_ms, bool judge) {
  for (const Event& e : events)
    if (auto st = validate(e); !st) return st.error().context("admit events");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("admit events");
  auto holder = db_->prepare("SELECT id FROM event WHERE device_id = ?1 AND device_seq = ?2 LIMIT 1");
  auto last = db_->prepare("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = ?1");
  // A write-rule refusal depends on the person's state when the event came,
  // so it is kept and given again: a copy relayed later (USB) is refused
  // too, and every node leaves the event out alike.
  auto verdict = db_->prepare("SELECT code, reason FROM refused_event WHERE id = ?1");
  auto keep = db_->prepare("INSERT INTO refused_event(id, code, reason, at, reissued_as) VALUES(?1, ?2, ?3, ?4, '')");
  if (!holder || !last || !verdict || !keep) return fail(db_->errmsg()).context("admit events");
  const Hlc limit = make_hlc(now_ms + future_slack_ms, 0);
  std::vector<Admission> out;
  out.reserve(events.size());
  for (const Event& in : events) {
    Admission a;
    auto stored = stored_event(in.id);
    if (!stored) return stored.error().context("admit events");
    if (stored->has_value()) {
      if ((*stored)->same_content(in)) {
        a.kind = Admission::Kind::Duplicate;
        a.clamp = (*stored)->clamp;
      } else {
        a.kind = Admission::Kind::Refused;
        a.code = "conflict";
        a.reason = "event " + in.id + " is stored already with other content";
      }
      out.push_back(std::move(a));
      continue;
    }
    (*holder)->bind(1, in.device_id).bind(2, in.device_seq);
    auto row = (*holder)->step();
    if (!row) return row.error().context("admit events");
    // A hub leaves a taken seq to the city too: the city may hold this
    // event and not the one the hub has at that seq (a kiosk database
    // copied back from an older file, synced with the city while the hub
    // was down). The city's seq_taken reaches the kiosk through the hub.
    const bool taken = *row && judge;
    (*holder)->reset();
    if (taken) {
      (*last)->bind(1, in.device_id);
      if (auto r = (*last)->step(); !r) return r.error().context("admit events");
      a.kind = Admission::Kind::Refused;
      a.code = "seq_taken";
      a.expected_seq = (*last)->i64(0) + 1;
      (*last)->reset();
      a.reason = "device " + in.device_id + " seq " + std::to_string(in.device_seq) +
                 " is another event's on the server (a database copied back from an older file?); the next "
                 "free seq is " +
                 std::to_string(a.expected_seq);
      out.push_back(std::move(a));
      continue;
    }
    (*verdict)->bind(1, in.id);
    auto given = (*verdict)->step();
    if (!given) return given.error().context("admit events");
    if (*given) {
      a.kind = Admission::Kind::Refused;
      a.code = (*verdict)->text(0);
      a.reason = (*verdict)->text(1);
      (*verdict)->reset();
      out.push_back(std::move(a));
      continue;
    }
    (*verdict)->reset();
    auto before = load_state(in.person_id);
    if (!before) return before.error().context("admit events");
    if (auto refusal =
            judge ? kiosk_write_refusal(in, before->has_value() ? &**before : nullptr) : author_refusal(in)) {
      a.kind = Admission::Kind::Refused;
      a.code = std::move(refusal->code);
      a.reason = std::move(refusal->reason);
      (*keep)->bind(1, in.id).bind(2, a.code).bind(3, a.reason).bind(4, utc_now("%Y-%m-%dT%H:%M:%SZ"));
      if (auto st = (*keep)->run(); !st) return st.error().context("admit events: keep refusal");
      (*keep)->reset();
      out.push_back(std::move(a));
      continue;
    }
    Event e = in;
    // A hub sets no clamp: the city's, set when the hub relays the event,
    // comes back to the hub and its kiosks, so every node has one clamp.
    e.clamp = judge && e.hlc > limit ? limit : 0;
    auto inserted = insert_event(e, "push");
    if (!inserted) return inserted.error().context("admit events");
    if (auto st = project(e, std::move(*before)); !st) return st.error().context("admit events: project " + e.id);
    a.clamp = e.clamp;
    out.push_back(std::move(a));
  }
  if (auto st = (*tx)->commit(); !st) return st.error().context("admit events");
  return out;
}

Status Store::apply_clamps(const std::vector<std::pair<std::string, Hlc>>& clamps) {
  std::unique_ptr<sql::Tx> tx;
  if (db_->autocommit()) {
    auto t = sql::Tx::begin(*db_);
    if (!t) return t.error().context("apply clamps");
    tx = std::move(t).value();
  }
  auto q = db_->prepare("UPDATE event SET clamp = ?2 WHERE id = ?1 AND clamp = 0 AND ?2 < hlc RETURNING person_id");
  if (!q) return q.error().context("apply clamps");
  std::vector<PersonId> persons;
  for (const auto& [id, clamp] : clamps) {
    if (clamp == 0) continue;
    (*q)->bind(1, id).bind(2, clamp);
    auto row = (*q)->step();
    if (!row) return row.error().context("apply clamps");
    if (*row) persons.push_back((*q)->text(0));
    (*q)->reset();
  }
  std::sort(persons.begin(), persons.end());
  persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
  for (const PersonId& p : persons)
    if (auto st = refold_person(p); !st) return st.error().context("apply clamps");
  if (tx)
    if (auto st = tx->commit(); !st) return st.error().context("apply clamps");
  return {};
}

Status Store::note_refused(const std::string& id, const std::string& code, const std::string& reason, bool reissue,
                           std::int64_t seq_floor) {
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("note refused event");
  auto seen = db_->prepare("SELECT 1 FROM refused_event WHERE id = ?1");
  if (!seen) return seen.error();
  (*seen)->bind(1, id);
  auto row = (*seen)->step();
  if (!row) return row.error().context("note refused event");
  if (*row) return {};
  seen->reset();
  std::string copy_id;
  std::int64_t recorded = 0;
  auto original = stored_event(id);
  if (!original) return original.error().context("note refused event");
  const bool own = original->has_value() && (*original)->device_id == device_id_;
  if (own && !reissue && code == "not_this_shelter") {
    auto early = judged_without_own_history(**original);
    if (!early) return early.error().context("note refused event");
    reissue = *early;
  }
  if (own && reissue) {
    if (seq_floor > 0) {
      auto floor = meta(kDeviceSeqFloorMeta);
      if (!floor) return floor.error();
      std::int64_t kept = 0;
      if (floor->has_value()) kept = std::atoll((*floor)->c_str());
      if (seq_floor > kept)
        if (auto st = set_meta(kDeviceSeqFloorMeta, std::to_string(seq_floor)); !st) return st;
    }
    const Event& o = **original;
    auto earlier = recorded_copy_of(o);
    if (!earlier) return earlier.error().context("note refused event");
    copy_id = *earlier;
    if (copy_id.empty()) {
      // The copy keeps the original's place in time: it is the same action.
      NewEvent copy{o.type, o.person_id, o.household_id, o.shelter_id, o.author, o.body, o.hlc};
      auto events = record_locked({copy});
      if (!events) return events.error().context("note refused event: record it again");
      copy_id = events->front().id;
      recorded = 1;
    }
  }
  auto q = db_->prepare("INSERT INTO refused_event(id, code, reason, at, reissued_as) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!q) return q.error();
  (*q)->bind(1, id).bind(2, code).bind(3, reason).bind(4, utc_now("%Y-%m-%dT%H:%M:%SZ")).bind(5, copy_id);
  if (auto st = (*q)->run(); !st) return st.error().context("note refused event");
  // The server will never have it: the person is folded here without it,
  // as everywhere else (the log keeps it, and staff see it).
  if (original->has_value())
    if (auto st = refold_person((*original)->person_id); !st) return st.error().context("note refused event");
  if (auto st = (*tx)->commit(); !st) return st.error().context("note refused event");
  next_device_seq_ += recorded;
  return {};
}

// Refused as not at this shelter while an earlier own event (the arrival
// here) was missing from the server's history: refused as seq_taken or
// conflict and recorded again after `o` (a database copied back from an
// older file). The judgement was on a history this kiosk never had, so `o`
// is recorded again too, after that copy, and judged once more. A copy
// comes after every copy made so far, so this ends.
Result<bool> Store::judged_without_own_history(const Event& o) {
  auto q = db_->prepare(
      "SELECT 1 FROM refused_event r JOIN event y ON y.id = r.id JOIN event c ON c.id = r.reissued_as "
      "WHERE r.code IN ('seq_taken', 'conflict') AND y.device_id = ?1 AND y.device_seq < ?2 "
      "AND c.device_seq > ?2 LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, device_id_).bind(2, o.device_seq);
  return (*q)->step();
}

// A copy of `o` recorded before this database was copied back from an
// older file, come back with the feed: the same change, in the same
// millisecond, not refused. The change arrived; a second copy would take
// the first one's id with another seq (a conflict).
Result<std::string> Store::recorded_copy_of(const Event& o) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE device_id = ?1 AND person_id = ?2 AND type = ?3 AND hlc > ?4 AND hlc < ?5"
                        " AND id NOT IN (SELECT id FROM refused_event) ORDER BY hlc");
  if (!q) return q.error();
  (*q)->bind(1, device_id_).bind(2, o.person_id).bind(3, std::string(to_string(o.type)));
  (*q)->bind(4, static_cast<std::int64_t>(o.hlc))
      .bind(5, static_cast<std::int64_t>(make_hlc(hlc_millis(o.hlc) + 1, 0)));
  std::string found;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        if (found.empty() && e->household_id == o.household_id && e->shelter_id == o.shelter_id &&
            e->author == o.author && e->body == o.body)
          found = e->id;
        return {};
      });
      !st)
    return st.error();
  return found;
}

}  // namespace shelter
