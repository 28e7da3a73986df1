#pragma once
// The fold from events to current state. Pure functions, no storage: the
// store runs them incrementally per event and in bulk when rebuilding, so
// both paths give the same rows.
//
// Merge rule: each field keeps the write with the greatest stamp
// (HLC, device id, event id); a registration's fields (reg:...) keep the
// least. Both are total orders on writes, so the result does not depend on
// the order or the number of times events are applied.
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "core/model.hpp"

namespace shelter {

struct Stamp {
  Hlc hlc = 0;
  std::string device_id;
  std::string event_id;
  auto operator<=>(const Stamp&) const = default;
};

// A field's value and the write that set it. The fields one event wrote
// share one Stamp: a server folding thousands of events per batch would
// otherwise copy each event's id into every field.
struct FieldValue {
  std::string value;
  std::shared_ptr<const Stamp> stamp;  // never null
  FieldValue(std::string v, std::shared_ptr<const Stamp> s) : value(std::move(v)), stamp(std::move(s)) {}
  FieldValue(std::string v, Stamp s) : value(std::move(v)), stamp(std::make_shared<const Stamp>(std::move(s))) {}
  bool operator==(const FieldValue& o) const { return value == o.value && *stamp == *o.stamp; }
};

// A person's fields by name, in name order. A flat vector rather than a
// std::map: a person has about a dozen fields, and a server folds thousands
// of persons per batch, where a node per field was most of the cost.
class FieldMap {
 public:
  using value_type = std::pair<std::string, FieldValue>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  iterator begin() { return fields_.begin(); }
  iterator end() { return fields_.end(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  iterator find(std::string_view name);
  const_iterator find(std::string_view name) const;
  // Adds the field unless it is there (then returns it, unchanged), as std::map does.
  std::pair<iterator, bool> emplace(std::string name, FieldValue value);
  bool operator==(const FieldMap&) const = default;

 private:
  std::vector<value_type> fields_;
};

struct PersonState {
  PersonId id;
  FieldMap fields;
  // Whether a merge hides this record from lists and counts. Not a field:
  // it depends on other persons' merges too (two opposite merges make a
  // cycle, whose smallest id stays visible; see merge_visibility). apply()
  // sets it to "merged into someone" whenever merged_into changes; a store
  // then settles it over the merge chain and keeps it with the state.
  bool hidden = false;

  // Applies the event's writes; returns the names of fields whose value or
  // stamp changed (empty: the event lost every comparison or was a repeat).
  std::vector<std::string> apply(const Event& e);
  // The same fold; the names changed go to *changed when it is not null.
  void apply(const Event& e, std::vector<std::string>* changed);

  // "" when never written. A person field not written directly reads its
  // registration (field::kRegisteredPrefix).
  const std::string& get(std::string_view field) const;
  // Whether any of the person's details (name, consent, ...; written
  // directly or registered) are known: the server's "known person".
  bool has_details() const;
  // The status at the shelter of the latest arrival (None: never arrived).
  Presence presence() const;
  std::string shelter_id() const;  // the shelter of the latest arrival
  // The status this shelter recorded last ("" = none): a person who moved
  // to B after an out or leave at A shows at A as "moved to B".
  const std::string& status_at(const std::string& shelter_id) const;
  StayType stay() const;
  HouseholdId household_id() const;
  PersonId merged_into() const;
  PersonInfo info() const;
  Hlc updated_hlc() const;  // greatest stamp over all fields
};

// One cell of the per-shelter counts: (shelter, dimension, key) -> persons.
// Dimensions: "present" (key ""), "out" (key ""), "sex" (M/F/X/""),
// "birth" (the birth string: age bands are computed at read time, because
// they change with the date), "need" (need name), "stay" (shelter/car/home),
// "pet" ("kind=count": the holder of a household's pets adds one cell per
// kind they hold, so a cell's n is the number of holders with that count).
struct CountKey {
  std::string shelter_id, dim, key;
  auto operator<=>(const CountKey&) const = default;
};

// What this person adds to the counts: nothing while hidden by a merge or
// once left; "out" while out; every dimension while present. The pets they
// hold for their household count while they are present or out.
std::vector<CountKey> count_contributions(const PersonState& p);

// The household a present person makes present at their shelter, if any:
// (shelter, household id). A person without a household counts as one.
struct HouseholdKey {
  std::string shelter_id, household_id;
  auto operator<=>(const HouseholdKey&) const = default;
};
// The key of a household at a shelter; a person without a household counts
// as one of their own.
HouseholdKey household_key(const std::string& shelter_id, const std::string& household_id,
                           const std::string& person_id);
std::vector<HouseholdKey> household_contributions(const PersonState& p);

// Counts of one shelter as headquarters and staff read them.
struct ShelterCounts {
  std::string shelter_id;
  int present = 0;                         // persons present now
  int out = 0;                             // registered here, out for now
  int households = 0;                      // households with at least one member present
  std::map<std::string, int> by_sex;       // "M", "F", "X", "" (unknown)
  std::map<std::string, int> by_age_band;  // "0-5" ... "75+", "unknown"
  std::map<std::string, int> by_need;      // need name -> persons present with it
  std::map<std::string, int> by_stay;      // shelter/car/home
  std::map<std::string, int> by_pet;       // pet kind -> animals (vocab::kPetKinds)
  bool operator==(const ShelterCounts&) const = default;
};

// The JSON every writer of counts uses (the server's /v1/counts, shelterctl
// counts --json): {"shelter", and vocab::kCountKeys}. "pets" is an object of
// every kind in vocab::kPetKinds (0 when none) plus "total".
nlohmann::json counts_to_json(const ShelterCounts& c);
nlohmann::json pets_json(const ShelterCounts& c);

// How a change of one person moves the stored counts: cells and households
// to decrement and to increment. Both stores apply exactly this.
struct CountDelta {
  std::vector<CountKey> removed, added;
  std::vector<HouseholdKey> households_removed, households_added;
  bool empty() const {
    return removed.empty() && added.empty() && households_removed.empty() && households_added.empty();
  }
};
CountDelta count_delta(const PersonState* before, const PersonState& after);

// Adds one stored count cell (dim, key, n) to `c`; age bands from birth
// strings are computed against `today`. Both server backends and the kiosk
// store read their cells through this.
void add_count_cell(ShelterCounts& c, const std::string& dim, const std::string& key, int n, const BirthDate& today);

// Which records a set of merges hides. A record merged into another is
// hidden; following merged_into from it leads to the visible record. Two
// volunteers merging the same pair in opposite directions (or longer
// circles) make a cycle: its member with the smallest id stays visible, so
// a chain always ends in exactly one visible record, whatever order the
// merges arrive in. `into` gives a person's merged_into (nullopt: the store
// does not know the person, which ends the chain there); `sources` the
// persons whose merged_into names a person.
struct MergeLinks {
  std::function<std::optional<PersonId>(const PersonId&)> into;
  std::function<std::vector<PersonId>(const PersonId&)> sources;
};
// The visibility (true: hidden) of every person whose visibility a change
// of `changed`'s merged_into can move: the persons linked to them by merges.
std::map<PersonId, bool> merge_visibility(const std::vector<PersonId>& changed, const MergeLinks& links);

}  // namespace shelter
