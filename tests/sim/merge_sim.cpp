// Long: one simulation (world, actions, invariants) meant to be read top to bottom.
// The seeded merge simulation (FoundationDB style, in one process): N
// shelters x M kiosks and one server (SQLite, or PostgreSQL with --pg).
// Each seed generates a list of actions: check-ins by card, pass and form;
// out/back/leave; corrections; merges and undos; moves between shelters;
// clocks set hours wrong both ways; database files copied back from older
// copies; USB exports imported at another kiosk or at headquarters; links
// down; requests and replies lost, duplicated and replayed late; the
// server killed and reopened. After healing (links up, every daemon run to
// quiescence) it checks:
//   - nothing acknowledged is lost, and no (device, seq) holds two events;
//   - the result does not depend on delivery order (two shuffled replays
//     and a rebuild give byte-identical projections);
//   - every kiosk equals the server, person by person and count by count;
//   - each person is counted at one shelter at most, and the counts equal a
//     recount;
//   - each person's whereabouts equal a reference model of what the kiosks
//     recorded in real time (persons stamped by a clock that was wrong and
//     not yet corrected are left out: no rule can order those by real time).
// A failing seed is reduced to a minimal list of actions, printed.
//
// usage: merge_sim [--seeds 1-200] [--actions 120] [--pg URL] [--verbose]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "core/usb_export.hpp"
#include "sync/protocol.hpp"
#include "tests/sim/sim.hpp"

using namespace shelter;
using namespace shelter::sim;

namespace {

constexpr int kShelters = 3, kKiosksPerShelter = 2, kKiosks = kShelters * kKiosksPerShelter;
constexpr std::int64_t kHour = 3600'000;

std::string shelter_of(int k) {
  return "s" + std::to_string(k / kKiosksPerShelter);
}
std::string device_of(int k) {
  return shelter_of(k) + "-k" + std::to_string(k % kKiosksPerShelter);
}

enum class Kind {
  Card,
  Pass,
  WalkIn,
  Out,
  Back,
  Leave,
  Correct,
  Merge,
  Unmerge,
  Sync,
  LinkDown,
  LinkUp,
  ClockJump,
  ServerCrash,
  Snapshot,
  Restore,
  UsbToKiosk,
  UsbToServer
};
constexpr const char* kKindNames[] = {"card",      "pass",         "walk-in",      "out",          "back",
                                      "leave",     "correct",      "merge",        "unmerge",      "sync",
                                      "link-down", "link-up",      "clock-jump",   "server-crash", "snapshot",
                                      "restore",   "usb-to-kiosk", "usb-to-server"};

struct Action {
  Kind kind = Kind::Sync;
  int kiosk = 0, other = 0;  // other: a second kiosk, person or household
  int person = 0;
  std::int64_t value = 0;    // clock error, phone number
  std::int64_t tick = 1000;  // real ms before the action
  std::string text() const {
    std::ostringstream o;
    o << "+" << tick / 1000 << "s " << kKindNames[static_cast<int>(kind)] << " kiosk=" << device_of(kiosk);
    switch (kind) {
      case Kind::Card:
        o << " household=" << other;
        break;
      case Kind::Pass:
      case Kind::WalkIn:
      case Kind::Out:
      case Kind::Back:
      case Kind::Leave:
      case Kind::Unmerge:
        o << " person=" << person;
        break;
      case Kind::Correct:
        o << " person=" << person << " phone=" << value;
        break;
      case Kind::Merge:
        o << " person=" << person << " into=" << other;
        break;
      case Kind::ClockJump:
        o << " error=" << value / kHour << "h";
        break;
      case Kind::UsbToKiosk:
        o << " to=" << device_of(other);
        break;
      default:
        break;
    }
    return o.str();
  }
};

struct Household {
  HouseholdId id;
  std::vector<int> members;  // person indexes
};

struct Plan {
  std::vector<PersonId> persons;
  std::vector<PersonInfo> infos;
  std::vector<Household> households;
  std::vector<Action> actions;
};

// The actions of one seed. Indexes may name persons nobody has met yet, or
// ask for what a kiosk does not allow: the run skips those, as a kiosk
// refuses them, so any sub-list of a plan is a plan too (for reduction).
Plan make_plan(std::uint64_t seed, int n_actions) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  auto hex = [&] {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return std::string(buf);
  };
  Plan plan;
  auto new_person = [&] {
    PersonInfo info;
    const int i = static_cast<int>(plan.persons.size());
    info.name = "避難者" + std::to_string(i);
    info.reading = "ヒナンシャ";
    info.birth = parse_birth(std::to_string(1930 + pick(90))).value();
    info.sex = pick(2) ? Sex::Female : Sex::Male;
    info.needs = static_cast<std::uint16_t>(pick(4) == 0 ? 1u << pick(kNeedCount) : 0u);
    plan.persons.push_back(hex());
    plan.infos.push_back(info);
    return i;
  };
  for (int h = 0; h < 8; ++h) {
    Household hh{hex(), {}};
    for (int m = 1 + pick(3); m > 0; --m) hh.members.push_back(new_person());
    plan.households.push_back(hh);
  }
  const int walk_ins = 12;
  for (int i = 0; i < walk_ins; ++i) new_person();
  const int people = static_cast<int>(plan.persons.size());
  // Weights: mostly check-ins, status changes and syncs; faults now and then.
  const std::pair<Kind, int> weights[] = {
      {Kind::Card, 10},    {Kind::Pass, 12},      {Kind::WalkIn, 8},     {Kind::Out, 8},         {Kind::Back, 6},
      {Kind::Leave, 4},    {Kind::Correct, 6},    {Kind::Merge, 4},      {Kind::Unmerge, 2},     {Kind::Sync, 22},
      {Kind::LinkDown, 3}, {Kind::LinkUp, 3},     {Kind::ClockJump, 2},  {Kind::ServerCrash, 1}, {Kind::Snapshot, 3},
      {Kind::Restore, 3},  {Kind::UsbToKiosk, 2}, {Kind::UsbToServer, 1}};
  int total = 0;
  for (const auto& [k, w] : weights) total += w;
  for (int i = 0; i < n_actions; ++i) {
    int r = pick(total);
    Action a;
    for (const auto& [k, w] : weights) {
      if (r < w) {
        a.kind = k;
        break;
      }
      r -= w;
    }
    a.kiosk = pick(kKiosks);
    a.person = pick(1000);  // resolved when the action runs (known_by), but for cards and walk-ins
    a.tick = 1000 + pick(120) * 1000;
    switch (a.kind) {
      case Kind::Card:
        a.other = pick(static_cast<int>(plan.households.size()));
        break;
      case Kind::WalkIn:
        a.person = people - walk_ins + pick(walk_ins);
        break;
      case Kind::Merge:
        a.other = pick(1000);
        break;
      case Kind::Correct:
        a.value = 1000 + pick(9000);
        break;
      case Kind::ClockJump:
        a.value = (pick(3) == 0 ? 0 : (pick(2) ? 1 : -1) * (1 + pick(5)) * kHour);
        break;
      case Kind::UsbToKiosk:  // to the other kiosk of the same shelter
        a.other = (a.kiosk / kKiosksPerShelter) * kKiosksPerShelter + (a.kiosk + 1) % kKiosksPerShelter;
        break;
      default:
        break;
    }
    plan.actions.push_back(a);
  }
  return plan;
}

struct RunResult {
  std::optional<std::string> failure;
  std::int64_t events = 0;  // events recorded by kiosks
  std::string stats;        // what the run exercised
};

class Run {
 public:
  Run(const Plan& plan, std::uint64_t seed, const std::string& pg, const std::string& dir)
      : plan_(plan), pg_(pg), dir_(dir), net_rng_(seed * 7919 + 1) {}

  RunResult go(const std::vector<Action>& actions) {
    RunResult out;
    auto s = Server::open(dir_, pg_, clock_);
    if (!s) return fail_with(s.error().message);
    server_ = std::move(s).value();
    for (int k = 0; k < kKiosks; ++k) {
      kiosks_.push_back(std::make_unique<Kiosk>(dir_, shelter_of(k), device_of(k), clock_, 0));
      if (auto st = kiosks_.back()->open(); !st) return fail_with("open " + device_of(k) + ": " + st.error().message);
      if (auto st = kiosks_.back()->enrol(*server_); !st) return fail_with("enrol: " + st.error().message);
    }
    for (const Action& a : actions) {
      clock_.now += a.tick;
      if (auto st = apply(a); !st) return fail_with(a.text() + ": " + st.error().message);
    }
    if (auto f = heal_and_check()) return fail_with(*f);
    out.events = recorded_events_;
    out.stats = stats_;
    return out;
  }

 private:
  RunResult fail_with(const std::string& why) {
    RunResult r;
    r.failure = why;
    r.events = recorded_events_;
    return r;
  }

  Kiosk& k(int i) { return *kiosks_[static_cast<size_t>(i)]; }
  const PersonId& id(int p) const { return plan_.persons[static_cast<size_t>(p)]; }
  bool knows(Kiosk& kiosk, const PersonId& person) {
    auto r = kiosk.store().person(person);
    return r && r->has_value();
  }

  // Records what a kiosk decided, and notes it for the reference model.
  Status record(Kiosk& kiosk, const std::vector<NewEvent>& drafts) {
    if (drafts.empty()) return {};
    auto events = kiosk.store().record(drafts);
    if (!events) return events.error();
    for (const Event& e : *events) {
      ++recorded_events_;
      if (e.type == EventType::Arrived || e.type == EventType::WentOut || e.type == EventType::CameBack ||
          e.type == EventType::Left)
        reference_[e.person_id].push_back({clock_.now, e.type, e.shelter_id});
      // A stamp that is not real time cannot be ordered by real time.
      const std::int64_t off = hlc_millis(e.hlc) - clock_.now;
      if (off > 2000 || off < -2000) tainted_.insert(e.person_id);
    }
    return {};
  }

  // The person an action picks: among those the kiosk knows (staff pick
  // from the roster), or, for a pass, among everyone who has checked in
  // anywhere (the holder walks up). Resolved when the action runs, so the
  // action stays meaningful when reduction removes earlier ones.
  PersonId known_by(Kiosk& kiosk, int index) {
    PersonQuery q;
    q.include_merged = true;
    q.limit = 1'000'000;
    auto all = kiosk.store().persons(q);
    if (!all || all->empty()) return {};
    std::vector<PersonId> ids;
    for (const auto& p : *all) ids.push_back(p.id);
    std::sort(ids.begin(), ids.end());
    return ids[static_cast<size_t>(index) % ids.size()];
  }

  Status apply(const Action& a) {
    Kiosk& kiosk = k(a.kiosk);
    PersonId p = a.person < static_cast<int>(plan_.persons.size()) ? id(a.person) : PersonId{};
    switch (a.kind) {
      case Kind::Out:
      case Kind::Back:
      case Kind::Leave:
      case Kind::Correct:
      case Kind::Merge:
      case Kind::Unmerge:
        p = known_by(kiosk, a.person);
        if (p.empty()) return {};
        break;
      case Kind::Pass: {
        if (met_.empty()) return {};
        auto it = met_.begin();
        std::advance(it, a.person % static_cast<int>(met_.size()));
        p = *it;
        break;
      }
      default:
        break;
    }
    switch (a.kind) {
      case Kind::Card: {
        const Household& hh = plan_.households[static_cast<size_t>(a.other)];
        qr::HouseholdCard card;
        card.household_id = hh.id;
        std::vector<size_t> chosen;
        for (int m : hh.members) {
          card.members.push_back({id(m), plan_.infos[static_cast<size_t>(m)]});
          chosen.push_back(chosen.size());
          met_.insert(id(m));
        }
        auto drafts = card_arrivals(kiosk.store(), card, chosen, "shelter", "self");
        if (!drafts) return drafts.error();
        return record(kiosk, *drafts);
      }
      case Kind::WalkIn: {
        if (met_.count(p)) return {};  // a walk-in is someone new
        met_.insert(p);
        return record(kiosk, {NewEvent{EventType::Arrived, p, "", "", "staff:sim", {{"stay", "shelter"}}},
                              NewEvent{EventType::Registered, p, "", "", "staff:sim",
                                       person_body(plan_.infos[static_cast<size_t>(a.person)])}});
      }
      case Kind::Pass: {
        auto action = pass_action(kiosk.store(), qr::Pass{p, "", "", {}}, "self");
        if (!action) return action.error();
        return record(kiosk, {action->event});
      }
      case Kind::Out:
      case Kind::Back:
      case Kind::Leave: {
        const EventType t = a.kind == Kind::Out    ? EventType::WentOut
                            : a.kind == Kind::Back ? EventType::CameBack
                                                   : EventType::Left;
        auto e = presence_event(kiosk.store(), p, t, "staff:sim");
        if (!e) return {};  // the kiosk says why not: moved, not here, already out...
        return record(kiosk, {*e});
      }
      case Kind::Correct:
        if (!knows(kiosk, p)) return {};
        return record(kiosk,
                      {NewEvent{EventType::Corrected, p, "", "", "staff:sim", {{"phone", std::to_string(a.value)}}}});
      case Kind::Merge: {
        const PersonId into = known_by(kiosk, a.other);
        if (into == p || !knows(kiosk, p) || !knows(kiosk, into)) return {};
        return record(kiosk, {NewEvent{EventType::Merged, p, "", "", "staff:sim", {{"into", into}}}});
      }
      case Kind::Unmerge: {
        auto r = kiosk.store().person(p);
        if (!r || !r->has_value() || (*r)->merged_into.empty()) return {};
        return record(kiosk, {NewEvent{EventType::Merged, p, "", "", "staff:sim", {{"into", ""}}}});
      }
      case Kind::Sync: {
        NetFaults f{0.08, 0.08, 0.05, 0.05};
        (void)kiosk.sync(*server_, f, net_rng_);  // errors are the faults; the next round retries
        return {};
      }
      case Kind::LinkDown:
        kiosk.link_up = false;
        return {};
      case Kind::LinkUp:
        kiosk.link_up = true;
        return {};
      case Kind::ClockJump:
        kiosk.clock_error = a.value;
        return {};
      case Kind::ServerCrash:
        return server_->restart();
      case Kind::Snapshot: {
        kiosk.close();
        std::filesystem::copy_file(kiosk.path(), kiosk.path() + ".old",
                                   std::filesystem::copy_options::overwrite_existing);
        return kiosk.open();
      }
      case Kind::Restore: {
        // The tablet's disk died and a plain copy of an older file goes in.
        // Only when everything it wrote reached the server: otherwise the
        // events lost with the disk are lost for real, which no merge rule
        // can bring back.
        if (!std::filesystem::exists(kiosk.path() + ".old")) return {};
        auto backlog = kiosk.store().unsynced_count();
        if (!backlog) return backlog.error();
        if (*backlog > 0) return {};
        kiosk.close();
        std::filesystem::copy_file(kiosk.path() + ".old", kiosk.path(),
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::remove(kiosk.path() + "-wal");
        std::filesystem::remove(kiosk.path() + "-shm");
        return kiosk.open();
      }
      case Kind::UsbToKiosk: {
        // Sealed to headquarters: the other kiosk queues it, its daemon relays it.
        size_t n = 0;
        auto file = make_sealed_export(kiosk.store(), false, n);
        if (!file) return file.error();
        auto queued = queue_for_relay(k(a.other).store(), *file);
        if (!queued) return queued.error();
        return {};
      }
      case Kind::UsbToServer: {
        size_t n = 0;
        auto file = make_sealed_export(kiosk.store(), false, n);
        if (!file) return file.error();
        auto keys = server_->store().keys();
        if (!keys) return keys.error();
        auto parsed = sync::open_sealed_export(server_->store().hq_secret(), *keys, *file);
        if (!parsed) return parsed.error().context("headquarters opens the file");
        auto r = sync::import_usb_at_server(server_->store(), *parsed, clock_.now);
        if (!r) return r.error().context("headquarters import");
        server_->acknowledged.insert(r->acknowledged.begin(), r->acknowledged.end());
        return {};
      }
    }
    return {};
  }

  std::optional<std::string> heal_and_check() {
    for (int i = 0; i < kKiosks; ++i) k(i).link_up = true;
    if (auto st = server_->restart(); !st) return "[heal] " + st.error().message;
    // Every daemon runs until nothing moves: what one kiosk pushes, the
    // others pull on the next round.
    for (int round = 0; round < 3; ++round)
      for (int i = 0; i < kKiosks; ++i) {
        clock_.now += 1000;
        auto r = k(i).sync(*server_, NetFaults{}, net_rng_);
        if (!r) return "[heal] sync " + device_of(i) + ": " + r.error().message;
        if (round == 2 && r->backlog != 0)
          return "[heal] " + device_of(i) + " still has " + std::to_string(r->backlog) + " event(s) to push";
      }

    std::vector<std::string> shelters;
    for (int s = 0; s < kShelters; ++s) shelters.push_back("s" + std::to_string(s));
    auto log = server_log(*server_, clock_, dir_, shelters);
    if (!log) return "[audit] " + log.error().message;

    // Nothing acknowledged is lost; one event per (device, seq).
    for (const auto& id : server_->acknowledged)
      if (!log->count(id)) return "[lost] acknowledged event " + id + " is not on the server";
    std::map<std::pair<std::string, std::int64_t>, std::string> keys;
    for (const auto& [id, e] : *log)
      if (auto [it, fresh] = keys.emplace(std::make_pair(e.device_id, e.device_seq), id); !fresh)
        return "[doubled] device " + e.device_id + " seq " + std::to_string(e.device_seq) + " holds " + it->second +
               " and " + id;

    // The same events in two delivery orders, and a rebuild: one result.
    std::vector<Event> events;
    for (const auto& [id, e] : *log) events.push_back(e);
    std::string dumps[2];
    std::unique_ptr<Store> replay;
    for (int order = 0; order < 2; ++order) {
      const std::string path = dir_ + "/replay" + std::to_string(order) + ".db";
      std::filesystem::remove(path);
      auto s = Store::open(path);
      if (!s) return "[replay] " + s.error().message;
      std::mt19937_64 shuffle_rng(order + 11);
      std::shuffle(events.begin(), events.end(), shuffle_rng);
      for (size_t i = 0; i < events.size();) {
        const size_t n = 1 + shuffle_rng() % 40;
        std::vector<Event> batch(events.begin() + static_cast<std::ptrdiff_t>(i),
                                 events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + n)));
        if (auto r = (*s)->apply_remote(batch); !r) return "[replay] " + r.error().message;
        i += n;
      }
      auto d = (*s)->projection_dump();
      if (!d) return "[replay] " + d.error().message;
      dumps[order] = *d;
      replay = std::move(s).value();
    }
    if (dumps[0] != dumps[1]) return "[order] two delivery orders give different projections";
    if (auto st = replay->rebuild_projections(); !st) return "[order] rebuild: " + st.error().message;
    auto rebuilt = replay->projection_dump();
    if (!rebuilt || *rebuilt != dumps[0]) return "[order] a rebuild differs from the incremental fold";

    // The server's own records and counts are the replay's.
    auto server_persons = server_->store().persons(false);
    if (!server_persons) return "[server] " + server_persons.error().message;
    PersonQuery all;
    all.limit = 1'000'000;
    auto replay_persons = replay->persons(all);
    if (!replay_persons) return "[replay] " + replay_persons.error().message;
    auto brief = [](const PersonRecord& p) {
      return p.id + " " + p.shelter_id + " " + std::string(to_string(p.presence)) + " " + p.household_id + " " +
             std::string(to_string(p.stay)) + " " + p.info.name + " " + p.info.phone + " " + p.merged_into;
    };
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
    auto counts = server_->store().counts("");
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

    // Every kiosk equals the server, and its incremental projections a
    // fold of its own log from scratch.
    for (int i = 0; i < kKiosks; ++i) {
      Store& s = k(i).store();
      auto incremental = s.projection_dump();
      if (!incremental) return incremental.error().message;
      if (auto st = s.rebuild_projections(); !st) return "[kiosk] rebuild: " + st.error().message;
      if (s.projection_dump().value() != *incremental)
        return "[kiosk] " + device_of(i) + "'s projections differ from a fold of its own log";
      PersonQuery q = all;
      q.include_merged = true;
      auto mine = s.persons(q);
      if (!mine) return mine.error().message;
      for (const auto& p : *mine) {
        auto theirs = replay->person(p.id);
        if (!theirs || !theirs->has_value())
          return "[kiosk] " + device_of(i) + " knows " + p.id + ", the server does not";
        if (!(**theirs == p))
          return "[kiosk] " + device_of(i) + " differs from the server on " + p.id + ": " + brief(p) + " @" +
                 hlc_to_string(p.updated_hlc) + " vs " + brief(**theirs) + " @" + hlc_to_string((*theirs)->updated_hlc);
      }
      auto mine_counts = s.counts(k(i).shelter());
      auto theirs_counts = replay->counts(k(i).shelter());
      if (!mine_counts || !theirs_counts || !(*mine_counts == *theirs_counts)) {
        std::string why = "[kiosk] " + device_of(i) + "'s counts differ from the server's";
        if (mine_counts && theirs_counts)
          why += ": present " + std::to_string(mine_counts->present) + "/" + std::to_string(theirs_counts->present) +
                 ", out " + std::to_string(mine_counts->out) + "/" + std::to_string(theirs_counts->out) +
                 ", households " + std::to_string(mine_counts->households) + "/" +
                 std::to_string(theirs_counts->households);
        return why;
      }
      const auto& c = server_counts[k(i).shelter()];
      if (c.households != mine_counts->households)
        return "[kiosk] " + device_of(i) + "'s households differ from the server's";
    }

    int refused = 0, reissued = 0, clamped = 0, hidden = 0, checked = 0;
    for (int i = 0; i < kKiosks; ++i) {
      auto list = k(i).store().refused_events();
      if (!list) return list.error().message;
      for (const auto& r : *list) {
        ++refused;
        reissued += !r.reissued_as.empty();
      }
    }
    for (const auto& [id, e] : *log) clamped += e.clamp != 0;
    hidden = static_cast<int>(replay_persons->size());
    {
      PersonQuery q = all;
      q.include_merged = true;
      auto with_merged = replay->persons(q);
      if (!with_merged) return with_merged.error().message;
      hidden = static_cast<int>(with_merged->size()) - hidden;
    }
    // Whereabouts equal the reference model of what was recorded.
    for (const auto& [person, actions] : reference_) {
      if (tainted_.count(person)) continue;
      auto got = replay->person(person);
      if (!got || !got->has_value()) return "[lost] person " + person + " is not on the server";
      const auto want = reference_whereabouts(actions);
      if ((*got)->shelter_id != want.first || (*got)->presence != want.second)
        return "[whereabouts] person " + person + " is " + std::string(to_string((*got)->presence)) + " at " +
               (*got)->shelter_id + ", the kiosks recorded " + std::string(to_string(want.second)) + " at " +
               want.first;
      ++checked;
    }
    stats_ = std::to_string(log->size()) + " events on the server, " + std::to_string(replay_persons->size()) +
             " persons, " + std::to_string(hidden) + " hidden by merges, " + std::to_string(refused) + " refused (" +
             std::to_string(reissued) + " recorded again), " + std::to_string(clamped) + " clamped, " +
             std::to_string(checked) + " whereabouts checked, " + std::to_string(tainted_.size()) + " clock-tainted";
    return std::nullopt;
  }

  const Plan& plan_;
  std::string pg_, dir_;
  WorldClock clock_;
  std::mt19937_64 net_rng_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<Kiosk>> kiosks_;
  std::set<PersonId> met_;
  std::map<PersonId, std::vector<Recorded>> reference_;
  std::set<PersonId> tainted_;
  std::int64_t recorded_events_ = 0;
  std::string stats_;
};

RunResult run_once(const Plan& plan, std::uint64_t seed, const std::string& pg, const std::vector<Action>& actions) {
  const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  const std::string dir = std::string(base) + "/merge-sim-" + std::to_string(::getpid()) + "-" + std::to_string(seed);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  RunResult r;
  {
    Run run(plan, seed, pg, dir);
    r = run.go(actions);
  }
  std::filesystem::remove_all(dir);
  return r;
}

// The kind of a failure: its "[tag]".
std::string tag_of(const std::string& failure) {
  return failure.substr(0, failure.find(']') + 1);
}

// Removes actions while the run still fails the same way (ddmin, by halving
// chunks).
std::vector<Action> reduce(const Plan& plan, std::uint64_t seed, const std::string& pg, std::vector<Action> actions,
                           const std::string& tag) {
  for (size_t chunk = actions.size() / 2; chunk >= 1; chunk /= 2) {
    for (size_t i = 0; i < actions.size();) {
      std::vector<Action> fewer = actions;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i),
                  fewer.begin() + static_cast<std::ptrdiff_t>(std::min(actions.size(), i + chunk)));
      const auto r = run_once(plan, seed, pg, fewer);
      if (r.failure && tag_of(*r.failure) == tag)
        actions = std::move(fewer);
      else
        i += chunk;
    }
    if (chunk == 1) break;
  }
  return actions;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t first = 1, last = 100;
  int n_actions = 120;
  std::string pg;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds" && i + 1 < argc) {
      const std::string r = argv[++i];
      const size_t dash = r.find('-');
      first = std::stoull(r.substr(0, dash));
      last = dash == std::string::npos ? first : std::stoull(r.substr(dash + 1));
    } else if (a == "--actions" && i + 1 < argc) {
      n_actions = std::stoi(argv[++i]);
    } else if (a == "--pg" && i + 1 < argc) {
      pg = argv[++i];
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      std::cerr << "usage: merge_sim [--seeds A-B] [--actions N] [--pg URL] [--verbose]\n";
      return 2;
    }
  }
  // The server logs every refusal and enrolment; the simulation makes many.
  std::ostringstream quiet;
  std::streambuf* was = std::cerr.rdbuf(quiet.rdbuf());
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t events = 0;
  int failed = 0;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    const Plan plan = make_plan(seed, n_actions);
    const RunResult r = run_once(plan, seed, pg, plan.actions);
    events += r.events;
    quiet.str("");
    if (!r.failure) {
      if (verbose) std::cout << "seed " << seed << ": ok, " << r.events << " events recorded; " << r.stats << "\n";
      continue;
    }
    ++failed;
    std::cout << "seed " << seed << " FAILED: " << *r.failure << "\n";
    const auto minimal = reduce(plan, seed, pg, plan.actions, tag_of(*r.failure));
    const RunResult again = run_once(plan, seed, pg, minimal);
    std::cout << "  minimal reproduction (" << minimal.size() << " of " << plan.actions.size()
              << " actions; merge_sim --seeds " << seed << " --actions " << n_actions << "):\n";
    for (const auto& a : minimal) std::cout << "    " << a.text() << "\n";
    std::cout << "  fails with: " << again.failure.value_or("(passes when reduced: flaky?)") << "\n";
    quiet.str("");
  }
  std::cerr.rdbuf(was);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "merge_sim: " << (last - first + 1) << " seeds x " << n_actions << " actions on "
            << (pg.empty() ? "SQLite" : "PostgreSQL") << ": " << events << " events recorded by kiosks in " << secs
            << " s (" << static_cast<std::int64_t>(static_cast<double>(events) / secs) << " simulated events/s)\n";
  std::cout << (last - first + 1 - static_cast<std::uint64_t>(failed)) << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}
