// The seeded merge simulation (FoundationDB style, in one process): N
// shelters x M kiosks and one server (SQLite, or PostgreSQL with --pg).
// Each seed generates a list of actions (merge_sim_plan.cpp): check-ins by
// card, pass and form; out/back/leave; corrections; merges and undos; moves
// between shelters; clocks set hours wrong both ways; database files copied
// back from older copies; USB exports imported at another kiosk or at
// headquarters; links down; requests and replies lost, duplicated and
// replayed late; the server killed and reopened. With --hubs some shelters
// have a hub (sync/server/hub_relay.hpp) that their kiosks sync with while
// it is up, falling back to the city when they hold a city token; hubs
// relay through the same faulty network, go down, lose their city link and
// are killed. After healing (links up, every daemon and relay run to
// quiescence) it checks (merge_sim_check.cpp):
//   - nothing acknowledged (by the city or a hub) is lost, and no (device,
//     seq) holds two events;
//   - the result does not depend on delivery order (two shuffled replays
//     and a rebuild give byte-identical projections);
//   - every kiosk, and every hub, equals the server, person by person and
//     count by count;
//   - each person is counted at one shelter at most, and the counts equal a
//     recount;
//   - each person's whereabouts equal a reference model of what the kiosks
//     recorded in real time (persons stamped by a clock that was wrong and
//     not yet corrected are left out: no rule can order those by real time).
// A failing seed is reduced to a minimal list of actions, printed.
//
// usage: merge_sim [--seeds 1-200] [--actions 120] [--pg URL] [--hubs] [--no-reduce]
// [--verbose]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "core/usb_export.hpp"
#include "sync/protocol.hpp"
#include "tests/sim/merge_sim.hpp"

using namespace shelter;
using namespace shelter::sim;
using namespace shelter::sim::merge;

namespace {

struct RunResult {
  std::optional<std::string> failure;
  std::int64_t events = 0;  // events recorded by kiosks
  std::string stats;        // what the run exercised
};

class Run {
 public:
  Run(const Plan& plan, std::uint64_t seed, const std::string& pg, const std::string& dir, bool hubs)
      : plan_(plan), pg_(pg), hubs_(hubs), net_rng_(seed * 7919 + 1) {
    w_.dir = dir;
  }

  RunResult go(const std::vector<Action>& actions) {
    RunResult out;
    auto s = Server::open(w_.dir, pg_, w_.clock);
    if (!s) return fail_with(s.error().message);
    w_.city = std::move(s).value();
    for (int sh = 0; hubs_ && sh < kShelters; ++sh) {
      if (!plan_.hub[static_cast<size_t>(sh)]) continue;
      auto h = Hub::open(w_.dir + "/" + hub_device(sh), "s" + std::to_string(sh), hub_device(sh), w_.clock, *w_.city);
      if (!h) return fail_with("open " + hub_device(sh) + ": " + h.error().message);
      w_.hubs[static_cast<size_t>(sh)] = std::move(h).value();
      // Set up with the city in reach, its relay loop runs at once: the
      // city's keys (headquarters' too) are the hub's before any kiosk
      // enrols there.
      if (auto r = w_.hubs[static_cast<size_t>(sh)]->relay(NetFaults{}, net_rng_); !r)
        return fail_with("relay " + hub_device(sh) + ": " + r.error().message);
    }
    for (int i = 0; i < kKiosks; ++i) {
      w_.kiosks.push_back(std::make_unique<Kiosk>(w_.dir, shelter_of(i), device_of(i), w_.clock, 0));
      Kiosk& kiosk = *w_.kiosks.back();
      if (auto st = kiosk.open(); !st) return fail_with("open " + device_of(i) + ": " + st.error().message);
      if (city_token(i))
        if (auto st = kiosk.enrol(*w_.city); !st) return fail_with("enrol: " + st.error().message);
      if (Hub* hub = hub_of(i))
        if (auto st = kiosk.enrol(hub->server(), true); !st) return fail_with("enrol at hub: " + st.error().message);
    }
    for (const Action& a : actions) {
      w_.clock.now += a.tick;
      if (auto st = apply(a); !st) return fail_with(a.text() + ": " + st.error().message);
    }
    if (auto f = heal()) return fail_with(*f);
    if (auto f = check_invariants(w_, out.stats)) return fail_with(*f);
    out.events = recorded_events_;
    return out;
  }

 private:
  RunResult fail_with(const std::string& why) {
    RunResult r;
    r.failure = why;
    r.events = recorded_events_;
    return r;
  }

  Kiosk& k(int i) { return *w_.kiosks[static_cast<size_t>(i)]; }
  Hub* hub_of(int kiosk) { return w_.hubs[static_cast<size_t>(shelter_index(kiosk))].get(); }
  bool city_token(int kiosk) const { return plan_.city_token[static_cast<size_t>(kiosk)]; }
  const PersonId& id(int p) const { return plan_.persons[static_cast<size_t>(p)]; }
  bool knows(Kiosk& kiosk, const PersonId& person) {
    auto r = kiosk.store().person(person);
    return r && r->has_value();
  }

  // One round of the kiosk's daemon (sync/daemon/main.cpp): the hub first,
  // the city only when the hub does not answer and the kiosk holds a city
  // token.
  Result<sync::SyncReport> daemon_round(int i, const NetFaults& faults) {
    Result<sync::SyncReport> r = fail("not enrolled with the hub or the city");
    if (Hub* hub = hub_of(i)) r = hub->up ? k(i).sync(hub->server(), faults, net_rng_, true) : fail("hub down");
    if (!r && city_token(i)) r = k(i).sync(*w_.city, faults, net_rng_);
    return r;
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
        w_.reference[e.person_id].push_back({w_.clock.now, e.type, e.shelter_id});
      // A stamp that is not real time cannot be ordered by real time.
      const std::int64_t off = hlc_millis(e.hlc) - w_.clock.now;
      if (off > 2000 || off < -2000) w_.tainted.insert(e.person_id);
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

  // The faults of every request of a daemon round or a relay.
  static NetFaults faulty() { return NetFaults{0.08, 0.08, 0.05, 0.05}; }

  Status apply_to_hub(const Action& a) {
    Hub* hub = hub_of(a.kiosk);
    if (!hub) return {};
    switch (a.kind) {
      case Kind::Relay:
        (void)hub->relay(faulty(), net_rng_);  // errors are the faults; the next round retries
        return {};
      case Kind::HubDown:
        hub->up = false;
        return {};
      case Kind::HubUp:
        hub->up = true;
        return {};
      case Kind::HubLinkDown:
        hub->link_up = false;
        return {};
      case Kind::HubLinkUp:
        hub->link_up = true;
        return {};
      case Kind::HubCrash:  // kill -9: the relay object is made afresh every round anyway
        return hub->server().restart();
      default:
        return {};
    }
  }

  Status apply(const Action& a) {
    if (a.kind >= Kind::Relay) return apply_to_hub(a);
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
      case Kind::Sync:
        (void)daemon_round(a.kiosk, faulty());  // errors are the faults; the next round retries
        return {};
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
        return w_.city->restart();
      case Kind::Snapshot: {
        kiosk.close();
        std::filesystem::copy_file(kiosk.path(), kiosk.path() + ".old",
                                   std::filesystem::copy_options::overwrite_existing);
        return kiosk.open();
      }
      case Kind::Restore: {
        // The tablet's disk died and a plain copy of an older file goes in.
        // Only when everything it wrote reached the server (or its hub):
        // otherwise the events lost with the disk are lost for real, which
        // no merge rule can bring back.
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
        auto keys = w_.city->store().keys();
        if (!keys) return keys.error();
        // A kiosk enrolled at its hub is known to the city once the hub has
        // reported it; before that headquarters cannot open its file.
        if (std::none_of(keys->begin(), keys->end(),
                         [&](const signing::TrustedKey& key) { return key.device_id == kiosk.device(); }))
          return {};
        auto parsed = sync::open_sealed_export(w_.city->store().hq_secret(), *keys, *file);
        if (!parsed) return parsed.error().context("headquarters opens the file");
        auto r = sync::import_usb_at_server(w_.city->store(), *parsed, w_.clock.now);
        if (!r) return r.error().context("headquarters import");
        w_.city->acknowledged.insert(r->acknowledged.begin(), r->acknowledged.end());
        return {};
      }
      default:
        return {};
    }
  }

  // Every link up, every server restarted, then every daemon and relay run
  // until a round moves nothing: what one kiosk pushes, the others pull on
  // a later round, through the city and their hubs.
  std::optional<std::string> heal() {
    for (int i = 0; i < kKiosks; ++i) k(i).link_up = true;
    if (auto st = w_.city->restart(); !st) return "[heal] " + st.error().message;
    for (int s = 0; s < kShelters; ++s)
      if (auto& hub = w_.hubs[static_cast<size_t>(s)]) {
        hub->up = hub->link_up = true;
        if (auto st = hub->server().restart(); !st) return "[heal] " + hub_device(s) + ": " + st.error().message;
      }
    constexpr int kMaxRounds = 12;
    for (int round = 0;; ++round) {
      if (round == kMaxRounds) return "[heal] still moving after " + std::to_string(kMaxRounds) + " rounds";
      std::int64_t moved = 0;
      for (int i = 0; i < kKiosks; ++i) {
        w_.clock.now += 1000;
        auto r = daemon_round(i, NetFaults{});
        if (!r) return "[heal] sync " + device_of(i) + ": " + r.error().message;
        moved += r->pushed + r->refused + r->pulled + r->relayed_files;
      }
      for (int s = 0; s < kShelters; ++s)
        if (auto& hub = w_.hubs[static_cast<size_t>(s)]) {
          w_.clock.now += 1000;
          auto r = hub->relay(NetFaults{}, net_rng_);
          if (!r) return "[heal] relay " + hub_device(s) + ": " + r.error().message;
          moved += r->pushed + r->refused + r->pulled + r->kiosks_registered;
        }
      if (moved == 0 && round >= 1) break;
    }
    for (int i = 0; i < kKiosks; ++i) {
      auto backlog = k(i).store().unsynced_count();
      if (!backlog) return "[heal] " + backlog.error().message;
      if (*backlog != 0)
        return "[heal] " + device_of(i) + " still has " + std::to_string(*backlog) + " event(s) to push";
    }
    for (int s = 0; s < kShelters; ++s)
      if (auto& hub = w_.hubs[static_cast<size_t>(s)]) {
        auto link = sync::hub_link_state(hub->server().store());
        if (!link) return "[heal] " + link.error().message;
        if (link->waiting != 0)
          return "[heal] " + hub_device(s) + " still has " + std::to_string(link->waiting) + " event(s) to relay";
      }
    return std::nullopt;
  }

  const Plan& plan_;
  std::string pg_;
  bool hubs_;
  std::mt19937_64 net_rng_;
  World w_;
  std::set<PersonId> met_;
  std::int64_t recorded_events_ = 0;
};

struct Options {
  std::string pg;
  bool hubs = false;
  bool reduce = true;  // --no-reduce: only say which seeds fail
};

RunResult run_once(const Plan& plan, std::uint64_t seed, const Options& o, const std::vector<Action>& actions) {
  const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  const std::string dir = std::string(base) + "/merge-sim-" + std::to_string(::getpid()) + "-" + std::to_string(seed);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  RunResult r;
  {
    Run run(plan, seed, o.pg, dir, o.hubs);
    r = run.go(actions);
  }
  std::filesystem::remove_all(dir);
  return r;
}

// The kind of a failure: its "[tag]", and whether a hub's kiosks folded
// events the city refused (check_invariants says so).
std::string tag_of(const std::string& failure) {
  const bool after_refusal = failure.find("acknowledged by a hub were refused by the city)") != std::string::npos;
  return failure.substr(0, failure.find(']') + 1) + (after_refusal ? " after refusal" : "");
}

// Removes actions while the run still fails the same way (ddmin, by halving
// chunks).
std::vector<Action> reduce(const Plan& plan, std::uint64_t seed, const Options& o, std::vector<Action> actions,
                           const std::string& tag) {
  for (size_t chunk = actions.size() / 2; chunk >= 1; chunk /= 2) {
    for (size_t i = 0; i < actions.size();) {
      std::vector<Action> fewer = actions;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i),
                  fewer.begin() + static_cast<std::ptrdiff_t>(std::min(actions.size(), i + chunk)));
      const auto r = run_once(plan, seed, o, fewer);
      if (r.failure && tag_of(*r.failure) == tag)
        actions = std::move(fewer);
      else
        i += chunk;
    }
    if (chunk == 1) break;
  }
  return actions;
}

// Which shelters have a hub, and which of their kiosks hold a city token.
std::string hub_layout(const Plan& plan) {
  std::string out;
  for (int s = 0; s < kShelters; ++s) {
    if (!plan.hub[static_cast<size_t>(s)]) continue;
    out += (out.empty() ? "" : "; ") + hub_device(s) + " (kiosks";
    for (int i = s * kKiosksPerShelter; i < (s + 1) * kKiosksPerShelter; ++i)
      out += " " + device_of(i) + (plan.city_token[static_cast<size_t>(i)] ? "+city" : "");
    out += ")";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t first = 1, last = 100;
  int n_actions = 120;
  Options o;
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
      o.pg = argv[++i];
    } else if (a == "--hubs") {
      o.hubs = true;
    } else if (a == "--no-reduce") {
      o.reduce = false;
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      std::cerr << "usage: merge_sim [--seeds A-B] [--actions N] [--pg URL] [--hubs] [--no-reduce] "
                   "[--verbose]\n";
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
    const Plan plan = make_plan(seed, n_actions, o.hubs);
    const RunResult r = run_once(plan, seed, o, plan.actions);
    events += r.events;
    quiet.str("");
    if (!r.failure) {
      if (verbose) std::cout << "seed " << seed << ": ok, " << r.events << " events recorded; " << r.stats << "\n";
      continue;
    }
    ++failed;
    std::cout << "seed " << seed << " FAILED: " << *r.failure << "\n";
    if (o.hubs) std::cout << "  hubs: " << hub_layout(plan) << "\n";
    if (!o.reduce) continue;
    const auto minimal = reduce(plan, seed, o, plan.actions, tag_of(*r.failure));
    const RunResult again = run_once(plan, seed, o, minimal);
    std::cout << "  minimal reproduction (" << minimal.size() << " of " << plan.actions.size()
              << " actions; merge_sim --seeds " << seed << " --actions " << n_actions << (o.hubs ? " --hubs" : "")
              << "):\n";
    for (const auto& a : minimal) std::cout << "    " << a.text() << "\n";
    std::cout << "  fails with: " << again.failure.value_or("(passes when reduced: flaky?)") << "\n";
    quiet.str("");
  }
  std::cerr.rdbuf(was);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "merge_sim: " << (last - first + 1) << " seeds x " << n_actions << " actions on "
            << (o.pg.empty() ? "SQLite" : "PostgreSQL") << (o.hubs ? " with hubs" : "") << ": " << events
            << " events recorded by kiosks in " << secs << " s ("
            << static_cast<std::int64_t>(static_cast<double>(events) / secs) << " simulated events/s)\n";
  std::cout << (last - first + 1 - static_cast<std::uint64_t>(failed)) << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}
