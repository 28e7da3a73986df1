// The seeded plans of the merge simulation (merge_sim.hpp).
#include <cstdio>
#include <random>
#include <sstream>

#include "tests/sim/merge_sim.hpp"

namespace shelter::sim::merge {

namespace {
constexpr const char* kKindNames[] = {"card",      "pass",          "walk-in",       "out",          "back",
                                      "leave",     "correct",       "merge",         "unmerge",      "sync",
                                      "link-down", "link-up",       "clock-jump",    "server-crash", "snapshot",
                                      "restore",   "usb-to-kiosk",  "usb-to-server", "relay",        "hub-down",
                                      "hub-up",    "hub-link-down", "hub-link-up",   "hub-crash"};

bool is_hub_action(Kind k) {
  return k >= Kind::Relay;
}
}  // namespace

std::string Action::text() const {
  std::ostringstream o;
  o << "+" << tick / 1000 << "s " << kKindNames[static_cast<int>(kind)];
  if (is_hub_action(kind)) {
    o << " hub=" << hub_device(shelter_index(kiosk));
    return o.str();
  }
  o << " kiosk=" << device_of(kiosk);
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

Plan make_plan(std::uint64_t seed, int n_actions, bool hubs) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  auto hex = [&] {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return std::string(buf);
  };
  Plan plan;
  plan.city_token.fill(true);
  std::vector<int> hub_kiosks;  // kiosks of shelters with a hub
  if (hubs) {
    // From a generator of its own, so the people stay those of the seed.
    std::mt19937_64 hub_rng(seed ^ 0x9e3779b97f4a7c15ull);
    auto hub_pick = [&](int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(hub_rng)); };
    for (int s = 0; s < kShelters; ++s) plan.hub[static_cast<size_t>(s)] = hub_pick(3) != 0;
    if (!plan.hub[0] && !plan.hub[1] && !plan.hub[2]) plan.hub[static_cast<size_t>(hub_pick(kShelters))] = true;
    for (int k = 0; k < kKiosks; ++k)
      if (plan.hub[static_cast<size_t>(shelter_index(k))]) {
        plan.city_token[static_cast<size_t>(k)] = hub_pick(2) != 0;
        hub_kiosks.push_back(k);
      }
  }
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
  std::vector<std::pair<Kind, int>> weights = {
      {Kind::Card, 10},    {Kind::Pass, 12},      {Kind::WalkIn, 8},     {Kind::Out, 8},         {Kind::Back, 6},
      {Kind::Leave, 4},    {Kind::Correct, 6},    {Kind::Merge, 4},      {Kind::Unmerge, 2},     {Kind::Sync, 22},
      {Kind::LinkDown, 3}, {Kind::LinkUp, 3},     {Kind::ClockJump, 2},  {Kind::ServerCrash, 1}, {Kind::Snapshot, 3},
      {Kind::Restore, 3},  {Kind::UsbToKiosk, 2}, {Kind::UsbToServer, 1}};
  if (hubs)
    weights.insert(weights.end(), {{Kind::Relay, 10},
                                   {Kind::HubDown, 2},
                                   {Kind::HubUp, 3},
                                   {Kind::HubLinkDown, 3},
                                   {Kind::HubLinkUp, 3},
                                   {Kind::HubCrash, 1}});
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
    // A hub action names a kiosk of a shelter with a hub: that hub.
    if (is_hub_action(a.kind)) a.kiosk = hub_kiosks[static_cast<size_t>(a.kiosk) % hub_kiosks.size()];
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

}  // namespace shelter::sim::merge
