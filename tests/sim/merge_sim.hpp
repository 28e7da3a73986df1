#pragma once
// The seeded merge simulation (merge_sim.cpp): its plans (merge_sim_plan.cpp)
// and the invariants checked after healing (merge_sim_check.cpp).
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/sim.hpp"

namespace shelter::sim::merge {

constexpr int kShelters = 3, kKiosksPerShelter = 2, kKiosks = kShelters * kKiosksPerShelter;
constexpr std::int64_t kHour = 3600'000;

inline int shelter_index(int k) {
  return k / kKiosksPerShelter;
}
inline std::string shelter_of(int k) {
  return "s" + std::to_string(shelter_index(k));
}
inline std::string device_of(int k) {
  return shelter_of(k) + "-k" + std::to_string(k % kKiosksPerShelter);
}
inline std::string hub_device(int shelter) {
  return "s" + std::to_string(shelter) + "-hub";
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
  UsbToServer,
  // With --hubs only; each names the hub of the kiosk's shelter (none: skipped).
  Relay,
  HubDown,
  HubUp,
  HubLinkDown,
  HubLinkUp,
  HubCrash
};

struct Action {
  Kind kind = Kind::Sync;
  int kiosk = 0, other = 0;  // other: a second kiosk, person or household
  int person = 0;
  std::int64_t value = 0;    // clock error, phone number
  std::int64_t tick = 1000;  // real ms before the action
  std::string text() const;
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
  // With --hubs: the shelters with a hub, and the kiosks there that also
  // hold a city token (every kiosk of a shelter without a hub does).
  std::array<bool, kShelters> hub{};
  std::array<bool, kKiosks> city_token{};
};

// The actions of one seed. Indexes may name persons nobody has met yet, or
// ask for what a kiosk does not allow: the run skips those, as a kiosk
// refuses them, so any sub-list of a plan is a plan too (for reduction).
// Without hubs a seed gives the same plan as before hubs existed.
Plan make_plan(std::uint64_t seed, int n_actions, bool hubs);

// Everything a run made, healed, for the checks.
struct World {
  std::string dir;
  WorldClock clock;
  std::unique_ptr<Server> city;
  std::array<std::unique_ptr<Hub>, kShelters> hubs;  // null: that shelter has none
  std::vector<std::unique_ptr<Kiosk>> kiosks;
  // What the kiosks recorded in real time, and who was stamped by a wrong clock.
  std::map<PersonId, std::vector<Recorded>> reference;
  std::set<PersonId> tainted;
};

// The invariants of merge_sim.cpp's header, and with hubs each hub's fold
// equal to the city's for its shelter. nullopt when they hold ("stats" says
// what the run exercised), else "[tag] what failed".
std::optional<std::string> check_invariants(World& w, std::string& stats);

}  // namespace shelter::sim::merge
