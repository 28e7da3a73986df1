#include "core/projection.hpp"

#include <algorithm>
#include <iterator>

namespace shelter {

namespace {
template <typename It>
It lower_bound_name(It first, It last, std::string_view name) {
  return std::lower_bound(first, last, name, [](const auto& f, std::string_view n) { return f.first < n; });
}
}  // namespace

FieldMap::iterator FieldMap::find(std::string_view name) {
  auto it = lower_bound_name(fields_.begin(), fields_.end(), name);
  return it != fields_.end() && it->first == name ? it : fields_.end();
}

FieldMap::const_iterator FieldMap::find(std::string_view name) const {
  auto it = lower_bound_name(fields_.begin(), fields_.end(), name);
  return it != fields_.end() && it->first == name ? it : fields_.end();
}

std::pair<FieldMap::iterator, bool> FieldMap::emplace(std::string name, FieldValue value) {
  auto it = lower_bound_name(fields_.begin(), fields_.end(), name);
  if (it != fields_.end() && it->first == name) return {it, false};
  const auto at = it - fields_.begin();              // reserving moves the elements
  if (fields_.capacity() == 0) fields_.reserve(16);  // every field a person usually has, in one allocation
  return {fields_.emplace(fields_.begin() + at, std::move(name), std::move(value)), true};
}

std::vector<std::string> PersonState::apply(const Event& e) {
  std::vector<std::string> changed;
  apply(e, &changed);
  return changed;
}

void PersonState::apply(const Event& e, std::vector<std::string>* changed) {
  const auto stamp = std::make_shared<const Stamp>(Stamp{e.effective_hlc(), e.device_id, e.id});
  // A registration's fields (reg:...) keep the earliest write: a later
  // card of the same person must not replace what was registered first.
  const bool registration = e.type == EventType::Registered;
  bool merge_changed = false;
  for_each_field_write(e, [&](std::string_view name, std::string_view value) {
    auto it = fields.find(name);
    if (it == fields.end()) {
      fields.emplace(std::string(name), FieldValue{std::string(value), stamp});
    } else if (registration ? *stamp < *it->second.stamp : *it->second.stamp < *stamp) {
      it->second.value.assign(value);
      it->second.stamp = stamp;
    } else {
      return;
    }
    if (name == field::kMergedInto) merge_changed = true;
    if (changed) changed->emplace_back(name);
  });
  if (merge_changed) hidden = !merged_into().empty();
}

const std::string& PersonState::get(std::string_view name) const {
  static const std::string kEmpty;
  auto it = fields.find(name);
  if (it != fields.end()) return it->second.value;
  if (!is_registration_field(name)) return kEmpty;
  // Any direct write of a field beats its registration.
  std::string registered(field::kRegisteredPrefix);
  registered += name;
  it = fields.find(registered);
  return it == fields.end() ? kEmpty : it->second.value;
}

bool PersonState::has_details() const {
  for (const auto& [name, value] : fields)
    if (name.starts_with(field::kRegisteredPrefix) || is_registration_field(name)) return true;
  return false;
}

Presence PersonState::presence() const {
  const std::string& where = get(field::kWhere);
  if (where.empty()) return Presence::None;
  return parse_presence(status_at(where)).value_or(Presence::None);
}

std::string PersonState::shelter_id() const {
  return get(field::kWhere);
}

const std::string& PersonState::status_at(const std::string& shelter_id) const {
  std::string name;
  name.reserve(field::kStatusPrefix.size() + shelter_id.size());
  name.append(field::kStatusPrefix).append(shelter_id);
  return get(name);
}

StayType PersonState::stay() const {
  return parse_stay(get(field::kStay)).value_or(StayType::Shelter);
}
HouseholdId PersonState::household_id() const {
  return get(field::kHousehold);
}
PersonId PersonState::merged_into() const {
  return get(field::kMergedInto);
}

PersonInfo PersonState::info() const {
  PersonInfo info;
  apply_person_fields(
      [&](std::string_view name) -> const std::string* {
        auto it = fields.find(name);
        if (it != fields.end()) return &it->second.value;
        std::string registered(field::kRegisteredPrefix);
        registered += name;
        it = fields.find(registered);
        return it == fields.end() ? nullptr : &it->second.value;
      },
      info);
  return info;
}

Hlc PersonState::updated_hlc() const {
  Hlc h = 0;
  for (const auto& [name, value] : fields) h = std::max(h, value.stamp->hlc);
  return h;
}

std::vector<CountKey> count_contributions(const PersonState& p) {
  std::vector<CountKey> out;
  if (p.hidden) return out;
  const Presence presence = p.presence();
  if (presence != Presence::Out && presence != Presence::Present) return out;
  const std::string shelter = p.shelter_id();
  // The household's pets go with the member who holds them, at that
  // member's shelter, while they are there (present or out for now).
  if (const std::string& pets = p.get(field::kPets); !pets.empty()) {
    const Pets parsed = parse_pets(pets).value_or(Pets{});
    for (size_t k = 0; k < vocab::kPetKinds.size(); ++k)
      if (parsed.count[k] > 0)
        out.push_back({shelter, "pet", std::string(vocab::kPetKinds[k]) + "=" + std::to_string(parsed.count[k])});
  }
  if (presence == Presence::Out) {
    out.push_back({shelter, "out", ""});
    return out;
  }
  // The fields PersonInfo would parse, read as info() reads them (an absent
  // field reads as "", which parses to the same defaults).
  const Sex sex = parse_sex(p.get(field::kSex)).value_or(Sex::Unknown);
  const BirthDate birth = parse_birth(p.get(field::kBirth)).value_or(BirthDate{});
  const std::uint16_t needs = parse_needs(p.get(field::kNeeds)).value_or(0);
  out.reserve(out.size() + 4 + kNeedCount);
  out.push_back({shelter, "present", ""});
  out.push_back({shelter, "sex", std::string(to_string(sex))});
  out.push_back({shelter, "birth", to_string(birth)});
  out.push_back({shelter, "stay", std::string(to_string(p.stay()))});
  for (int bit = 0; bit < kNeedCount; ++bit)
    if (needs & (1u << bit)) out.push_back({shelter, "need", std::string(need_name(bit))});
  return out;
}

std::vector<HouseholdKey> household_contributions(const PersonState& p) {
  if (p.hidden || p.presence() != Presence::Present) return {};
  return {household_key(p.shelter_id(), p.get(field::kHousehold), p.id)};
}

HouseholdKey household_key(const std::string& shelter_id, const std::string& household_id,
                           const std::string& person_id) {
  return {shelter_id, household_id.empty() ? "person:" + person_id : household_id};
}

namespace {
template <typename Key>
void diff_sorted(std::vector<Key> before, std::vector<Key> after, std::vector<Key>& removed, std::vector<Key>& added) {
  // Neither list repeats a key, so against an empty side there is nothing to match.
  if (before.empty() || after.empty()) {
    removed = std::move(before);
    added = std::move(after);
    return;
  }
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(removed));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
}
}  // namespace

CountDelta count_delta(const PersonState* before, const PersonState& after) {
  CountDelta d;
  diff_sorted(before ? count_contributions(*before) : std::vector<CountKey>{}, count_contributions(after), d.removed,
              d.added);
  diff_sorted(before ? household_contributions(*before) : std::vector<HouseholdKey>{}, household_contributions(after),
              d.households_removed, d.households_added);
  return d;
}

nlohmann::json pets_json(const ShelterCounts& c) {
  nlohmann::json out = nlohmann::json::object();
  int total = 0;
  for (auto kind : vocab::kPetKinds) {
    auto it = c.by_pet.find(std::string(kind));
    const int n = it == c.by_pet.end() ? 0 : it->second;
    out[std::string(kind)] = n;
    total += n;
  }
  out["total"] = total;
  return out;
}

nlohmann::json counts_to_json(const ShelterCounts& c) {
  return {{"shelter", c.shelter_id},    {"present", c.present}, {"out", c.out},
          {"households", c.households}, {"by_sex", c.by_sex},   {"by_age_band", c.by_age_band},
          {"by_need", c.by_need},       {"by_stay", c.by_stay}, {"pets", pets_json(c)}};
}

namespace {
// A "pet" cell's key is "kind=count": n holders with that many of the kind.
void add_pet_cell(ShelterCounts& c, const std::string& key, int n) {
  const size_t eq = key.find('=');
  if (eq == std::string::npos) return;
  const auto pets = parse_pets(key);
  if (!pets) return;
  const int each = pets->total();
  c.by_pet[key.substr(0, eq)] += each * n;
}
}  // namespace

void add_count_cell(ShelterCounts& c, const std::string& dim, const std::string& key, int n, const BirthDate& today) {
  if (dim == "present")
    c.present = n;
  else if (dim == "out")
    c.out = n;
  else if (dim == "sex")
    c.by_sex[key] += n;
  else if (dim == "need")
    c.by_need[key] += n;
  else if (dim == "stay")
    c.by_stay[key] += n;
  else if (dim == "pet")
    add_pet_cell(c, key, n);
  else if (dim == "birth")
    c.by_age_band[std::string(to_string(age_band(parse_birth(key).value_or(BirthDate{}), today)))] += n;
}

}  // namespace shelter

namespace shelter {

std::map<PersonId, bool> merge_visibility(const std::vector<PersonId>& changed, const MergeLinks& links) {
  // Merges are rare volunteer actions and chains short; the bound keeps a
  // damaged store from making this walk the whole table.
  constexpr size_t kMaxComponent = 10000;
  std::map<PersonId, std::optional<PersonId>> into;  // the component, with each member's merged_into
  std::vector<PersonId> todo(changed.begin(), changed.end());
  while (!todo.empty() && into.size() < kMaxComponent) {
    PersonId id = std::move(todo.back());
    todo.pop_back();
    if (into.count(id)) continue;
    auto next = links.into(id);
    into.emplace(id, next);
    if (next && !next->empty()) todo.push_back(*next);
    for (auto& s : links.sources(id)) todo.push_back(std::move(s));
  }
  auto into_of = [&](const PersonId& id) -> PersonId {
    auto it = into.find(id);
    if (it != into.end()) return it->second.value_or(PersonId{});
    auto next = links.into(id);
    return next.value_or(PersonId{});
  };
  std::map<PersonId, bool> hidden;
  for (const auto& [id, next] : into) {
    if (!next) continue;  // not a person of this store
    // Follow the chain to its end or around its cycle.
    std::vector<PersonId> path{id};
    PersonId root;
    for (size_t steps = 0; steps < kMaxComponent; ++steps) {
      const PersonId n = into_of(path.back());
      if (n.empty()) {
        root = path.back();
        break;
      }
      auto seen = std::find(path.begin(), path.end(), n);
      if (seen != path.end()) {
        root = *std::min_element(seen, path.end());  // a cycle: its smallest id is the record kept
        break;
      }
      path.push_back(n);
    }
    hidden[id] = root != id;
  }
  return hidden;
}

}  // namespace shelter
