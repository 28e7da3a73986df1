// The invariants the merge simulation checks after healing (merge_sim.hpp).
#include <algorithm>
#include <filesystem>
#include <functional>
#include <iterator>
#include <sstream>

#include "tests/sim/merge_sim.hpp"

namespace shelter::sim::merge {

namespace {

std::string brief(const PersonRecord& p) {
  return p.id + " " + p.shelter_id + " " + std::string(to_string(p.presence)) + " " + p.household_id + " " +
         std::string(to_string(p.stay)) + " " + p.info.name + " " + p.info.phone + " " + p.merged_into;
}

// One event per (device, seq) in a log.
std::optional<std::string> one_per_seq(const std::string& where, const std::map<std::string, Event>& log) {
  std::map<std::pair<std::string, std::int64_t>, std::string> keys;
  for (const auto& [id, e] : log)
    if (auto [it, fresh] = keys.emplace(std::make_pair(e.device_id, e.device_seq), id); !fresh)
      return "[doubled] " + where + ": device " + e.device_id + " seq " + std::to_string(e.device_seq) + " holds " +
             it->second + " and " + id;
  return std::nullopt;
}

// A node (kiosk or hub) equals the server: every person it knows as a
// replay of the server's log has them, and its shelter's counts. Its
// incremental projections equal a fold of its own log from scratch.
// `who`: "[kiosk] s0-k1", "[hub] s0-hub".
// `story`: what every node holds about a person, for the message.
std::optional<std::string> same_as_server(const std::string& who, Store& s, const std::string& shelter, Store& replay,
                                          const std::function<std::string(const PersonId&)>& story) {
  auto incremental = s.projection_dump();
  if (!incremental) return incremental.error().message;
  if (auto st = s.rebuild_projections(); !st) return who + ": rebuild: " + st.error().message;
  if (const std::string folded = s.projection_dump().value(); folded != *incremental) {
    // The first line that differs, to see which projection went wrong.
    std::istringstream a(*incremental), b(folded);
    std::string la, lb;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) {
    }
    return who + "'s projections differ from a fold of its own log:\n    kept:   " + la + "\n    folded: " + lb;
  }
  PersonQuery q;
  q.limit = 1'000'000;
  q.include_merged = true;
  auto mine = s.persons(q);
  if (!mine) return mine.error().message;
  for (const auto& p : *mine) {
    auto theirs = replay.person(p.id);
    if (!theirs || !theirs->has_value()) return who + " knows " + p.id + ", the server does not";
    if (!(**theirs == p))
      return who + " differs from the server on " + p.id + ": " + brief(p) + " @" + hlc_to_string(p.updated_hlc) +
             " vs " + brief(**theirs) + " @" + hlc_to_string((*theirs)->updated_hlc) + story(p.id);
  }
  auto mine_counts = s.counts(shelter);
  auto theirs_counts = replay.counts(shelter);
  if (!mine_counts || !theirs_counts || !(*mine_counts == *theirs_counts)) {
    std::string why = who + "'s counts at " + shelter + " differ from the server's";
    if (mine_counts && theirs_counts)
      why += ": present " + std::to_string(mine_counts->present) + "/" + std::to_string(theirs_counts->present) +
             ", out " + std::to_string(mine_counts->out) + "/" + std::to_string(theirs_counts->out) + ", households " +
             std::to_string(mine_counts->households) + "/" + std::to_string(theirs_counts->households);
    return why;
  }
  return std::nullopt;
}

// The server's log replayed in two shuffled delivery orders, and rebuilt:
// one result, which is returned.
Result<std::unique_ptr<Store>> replay_in_two_orders(const std::string& dir, std::vector<Event> events,
                                                    std::string& failure) {
  std::string dumps[2];
  std::unique_ptr<Store> replay;
  for (int order = 0; order < 2; ++order) {
    const std::string path = dir + "/replay" + std::to_string(order) + ".db";
    std::filesystem::remove(path);
    auto s = Store::open(path);
    if (!s) return s.error();
    std::mt19937_64 shuffle_rng(order + 11);
    std::shuffle(events.begin(), events.end(), shuffle_rng);
    for (size_t i = 0; i < events.size();) {
      const size_t n = 1 + shuffle_rng() % 40;
      std::vector<Event> batch(events.begin() + static_cast<std::ptrdiff_t>(i),
                               events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + n)));
      if (auto r = (*s)->apply_remote(batch); !r) return r.error();
      i += n;
    }
    auto d = (*s)->projection_dump();
    if (!d) return d.error();
    dumps[order] = *d;
    replay = std::move(s).value();
  }
  if (dumps[0] != dumps[1]) failure = "[order] two delivery orders give different projections";
  if (auto st = replay->rebuild_projections(); !st) return st.error();
  auto rebuilt = replay->projection_dump();
  if (!rebuilt || *rebuilt != dumps[0]) failure = "[order] a rebuild differs from the incremental fold";
  return replay;
}

}  // namespace

namespace {
// The city's events about a person, and each kiosk's, with what it noted as
// refused: enough to see which judgement or fold went wrong.
std::string person_story(World& w, const std::map<std::string, Event>& log, const PersonId& person) {
  std::string out;
  for (const auto& [id, e] : log)
    if (e.person_id == person)
      out += "\n    city: " + id + " " + std::string(to_string(e.type)) + " at " + e.shelter_id;
  for (const auto& kiosk : w.kiosks) {
    std::map<std::string, RefusedEvent> refused;
    for (auto& r : kiosk->store().refused_events().value()) refused.emplace(r.id, r);
    for (const auto& e : kiosk->store().person_events(person).value()) {
      out += "\n    " + kiosk->device() + ": " + e.id + " " + std::string(to_string(e.type)) + " at " + e.shelter_id;
      if (auto r = refused.find(e.id); r != refused.end())
        out += " refused " + r->second.code +
               (r->second.reissued_as.empty() ? "" : " (recorded again as " + r->second.reissued_as + ")");
    }
  }
  return out;
}

std::optional<std::string> check_all(World& w, std::string& stats, int& refused_after_ack) {
  std::vector<std::string> shelters;
  for (int s = 0; s < kShelters; ++s) shelters.push_back("s" + std::to_string(s));
  auto log = server_log(*w.city, w.clock, w.dir, shelters);
  if (!log) return "[audit] " + log.error().message;
  const auto story = [&](const PersonId& person) { return person_story(w, *log, person); };

  // Nothing acknowledged is lost, by the city or by a hub; one event per
  // (device, seq).
  for (const auto& id : w.city->acknowledged)
    if (!log->count(id)) return "[lost] acknowledged event " + id + " is not on the server";
  for (int s = 0; s < kShelters; ++s) {
    auto& hub = w.hubs[static_cast<size_t>(s)];
    if (!hub) continue;
    // What the city refused of what the hub relayed (the hub keeps the reason).
    std::map<std::string, std::string> city_refused;
    auto listed = hub->server().store().with_local_store([&](Store& st) -> Status {
      auto list = st.refused_events();
      if (!list) return list.error();
      for (const auto& r : *list) city_refused[r.id] = r.code + ": " + r.reason;
      return {};
    });
    if (!listed) return "[hub] " + listed.error().message;
    for (const auto& id : hub->server().acknowledged) {
      if (log->count(id)) continue;
      auto refusal = city_refused.find(id);
      if (refusal == city_refused.end())
        return "[lost] event " + id + " acknowledged by " + hub_device(s) + " is not on the server";
      // As a push refused at the city directly: the kiosks learn it at
      // their next pull from the hub, and fold without it (checked below).
      ++refused_after_ack;
    }
  }
  if (auto f = one_per_seq("server", *log)) return f;

  // The same events in two delivery orders, and a rebuild: one result.
  std::vector<Event> events;
  for (const auto& [id, e] : *log) events.push_back(e);
  std::string order_failure;
  auto replayed = replay_in_two_orders(w.dir, events, order_failure);
  if (!replayed) return "[replay] " + replayed.error().message;
  if (!order_failure.empty()) return order_failure;
  Store& replay = **replayed;

  // The server's own records and counts are the replay's.
  auto server_persons = w.city->store().persons(false);
  if (!server_persons) return "[server] " + server_persons.error().message;
  PersonQuery all;
  all.limit = 1'000'000;
  auto replay_persons = replay.persons(all);
  if (!replay_persons) return "[replay] " + replay_persons.error().message;
  std::set<std::string> a, b;
  for (const auto& p : *server_persons) a.insert(brief(p));
  for (const auto& p : *replay_persons) b.insert(brief(p));
  if (a != b) {
    std::vector<std::string> diff;
    std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
    return "[server] the server's persons differ from a replay of its events: " + diff.front();
  }

  // Counts equal a recount, each person at one shelter at most.
  std::map<std::string, std::pair<int, int>> recount;  // shelter -> present, out
  for (const auto& p : *replay_persons) {
    if (p.presence == Presence::Present) ++recount[p.shelter_id].first;
    if (p.presence == Presence::Out) ++recount[p.shelter_id].second;
  }
  auto counts = w.city->store().counts("");
  if (!counts) return "[server] " + counts.error().message;
  std::map<std::string, ShelterCounts> server_counts;
  for (const auto& c : *counts) server_counts[c.shelter_id] = c;
  for (int s = 0; s < kShelters; ++s) server_counts.try_emplace("s" + std::to_string(s));
  for (const auto& [shelter, n] : recount) {
    const ShelterCounts c = server_counts.count(shelter) ? server_counts[shelter] : ShelterCounts{};
    if (c.present != n.first || c.out != n.second)
      return "[recount] counts at " + shelter + " are " + std::to_string(c.present) + "/" + std::to_string(c.out) +
             ", a recount says " + std::to_string(n.first) + "/" + std::to_string(n.second);
  }
  for (const auto& [shelter, c] : server_counts)
    if (!recount.count(shelter) && (c.present != 0 || c.out != 0))
      return "[recount] counts at " + shelter + " without anyone there";

  // Every kiosk equals the server.
  for (int i = 0; i < kKiosks; ++i) {
    Kiosk& kiosk = *w.kiosks[static_cast<size_t>(i)];
    if (auto f = same_as_server("[kiosk] " + device_of(i), kiosk.store(), kiosk.shelter(), replay, story)) return f;
    const auto& c = server_counts[kiosk.shelter()];
    auto mine = kiosk.store().counts(kiosk.shelter());
    if (!mine || c.households != mine->households)
      return "[kiosk] " + device_of(i) + "'s households differ from the server's";
  }
  // Every hub equals the city, its shelter's counts too, and holds one
  // event per (device, seq).
  int hubs = 0;
  for (int s = 0; s < kShelters; ++s) {
    auto& hub = w.hubs[static_cast<size_t>(s)];
    if (!hub) continue;
    ++hubs;
    std::optional<std::string> f;
    std::map<std::string, Event> hub_log;
    auto done = hub->server().store().with_local_store([&](Store& st) -> Status {
      f = same_as_server("[hub] " + hub_device(s), st, shelters[static_cast<size_t>(s)], replay, story);
      for (std::int64_t after = 0;;) {
        auto page = st.events_after(after, 5000);
        if (!page) return page.error();
        if (page->empty()) break;
        for (auto& [seq, e] : *page) {
          after = seq;
          hub_log.emplace(e.id, std::move(e));
        }
      }
      // An event the city refused stays in the hub's log, out of its fold,
      // as a kiosk keeps its own (a seq_taken one shares its seq with the
      // event the city holds).
      auto refused = st.refused_events();
      if (!refused) return refused.error();
      for (const auto& r : *refused) hub_log.erase(r.id);
      return {};
    });
    if (!done) return "[hub] " + hub_device(s) + ": " + done.error().message;
    if (f) return f;
    if (auto d = one_per_seq(hub_device(s), hub_log)) return d;
    auto hub_counts = hub->server().store().counts(shelters[static_cast<size_t>(s)]);
    if (!hub_counts) return "[hub] " + hub_counts.error().message;
    const ShelterCounts mine = hub_counts->empty() ? ShelterCounts{} : hub_counts->front();
    const ShelterCounts& city = server_counts[shelters[static_cast<size_t>(s)]];
    if (mine.present != city.present || mine.out != city.out || mine.households != city.households)
      return "[hub] " + hub_device(s) + "'s counts are " + std::to_string(mine.present) + "/" +
             std::to_string(mine.out) + "/" + std::to_string(mine.households) + ", the city's " +
             std::to_string(city.present) + "/" + std::to_string(city.out) + "/" + std::to_string(city.households);
  }

  int refused = 0, reissued = 0, clamped = 0, hidden = 0, checked = 0;
  for (int i = 0; i < kKiosks; ++i) {
    auto list = w.kiosks[static_cast<size_t>(i)]->store().refused_events();
    if (!list) return list.error().message;
    for (const auto& r : *list) {
      ++refused;
      reissued += !r.reissued_as.empty();
    }
  }
  for (const auto& [id, e] : *log) clamped += e.clamp != 0;
  {
    PersonQuery q = all;
    q.include_merged = true;
    auto with_merged = replay.persons(q);
    if (!with_merged) return with_merged.error().message;
    hidden = static_cast<int>(with_merged->size() - replay_persons->size());
  }
  // Whereabouts equal the reference model of what was recorded.
  for (const auto& [person, actions] : w.reference) {
    if (w.tainted.count(person)) continue;
    auto got = replay.person(person);
    if (!got || !got->has_value()) return "[lost] person " + person + " is not on the server";
    const auto want = reference_whereabouts(actions);
    if ((*got)->shelter_id != want.first || (*got)->presence != want.second) {
      return "[whereabouts] person " + person + " is " + std::string(to_string((*got)->presence)) + " at " +
             (*got)->shelter_id + ", the kiosks recorded " + std::string(to_string(want.second)) + " at " + want.first +
             story(person);
    }
    ++checked;
  }
  stats = std::to_string(log->size()) + " events on the server, " + std::to_string(replay_persons->size()) +
          " persons, " + std::to_string(hidden) + " hidden by merges, " + std::to_string(refused) + " refused (" +
          std::to_string(reissued) + " recorded again), " + std::to_string(clamped) + " clamped, " +
          std::to_string(checked) + " whereabouts checked, " + std::to_string(w.tainted.size()) + " clock-tainted" +
          (hubs ? ", " + std::to_string(hubs) + " hub(s), " + std::to_string(refused_after_ack) +
                      " acknowledged by a hub and refused by the city"
                : "");
  return std::nullopt;
}
}  // namespace

std::optional<std::string> check_invariants(World& w, std::string& stats) {
  int refused_after_ack = 0;
  auto f = check_all(w, stats, refused_after_ack);
  // Kiosks fold what the city refused after their hub acknowledged it:
  // said beside whatever that makes differ.
  if (f && refused_after_ack > 0)
    *f += " (" + std::to_string(refused_after_ack) + " event(s) acknowledged by a hub were refused by the city)";
  return f;
}

}  // namespace shelter::sim::merge
