#include "core/projection.hpp"

#include <algorithm>
#include <iterator>

namespace shelter {

std::vector<std::string> PersonState::apply(const Event& e) {
  std::vector<std::string> changed;
  const Stamp stamp{e.hlc, e.device_id, e.id};
  for (auto& [name, value] : field_writes(e)) {
    auto it = fields.find(name);
    if (it == fields.end()) {
      fields.emplace(name, FieldValue{std::move(value), stamp});
      changed.push_back(name);
    } else if (it->second.stamp < stamp) {
      it->second = FieldValue{std::move(value), stamp};
      changed.push_back(name);
    }
  }
  return changed;
}

const std::string& PersonState::get(std::string_view name) const {
  static const std::string kEmpty;
  auto it = fields.find(name);
  return it == fields.end() ? kEmpty : it->second.value;
}

Presence PersonState::presence() const {
  const std::string& p = get(field::kPresence);
  return parse_presence(p.substr(0, p.find(' '))).value_or(Presence::None);
}

std::string PersonState::shelter_id() const {
  const std::string& p = get(field::kPresence);
  const size_t sp = p.find(' ');
  return sp == std::string::npos ? std::string{} : p.substr(sp + 1);
}

StayType PersonState::stay() const { return parse_stay(get(field::kStay)).value_or(StayType::Shelter); }
HouseholdId PersonState::household_id() const { return get(field::kHousehold); }
PersonId PersonState::merged_into() const { return get(field::kMergedInto); }

PersonInfo PersonState::info() const {
  PersonInfo info;
  nlohmann::json body = nlohmann::json::object();
  for (const auto& [name, value] : fields)
    if (is_person_field(name)) body[name] = value.value;
  apply_body(body, info);
  return info;
}

Hlc PersonState::updated_hlc() const {
  Hlc h = 0;
  for (const auto& [name, value] : fields) h = std::max(h, value.stamp.hlc);
  return h;
}

std::vector<CountKey> count_contributions(const PersonState& p) {
  std::vector<CountKey> out;
  if (!p.merged_into().empty()) return out;
  const Presence presence = p.presence();
  const std::string shelter = p.shelter_id();
  if (presence == Presence::Out) {
    out.push_back({shelter, "out", ""});
  } else if (presence == Presence::Present) {
    const PersonInfo info = p.info();
    out.push_back({shelter, "present", ""});
    out.push_back({shelter, "sex", std::string(to_string(info.sex))});
    out.push_back({shelter, "birth", to_string(info.birth)});
    out.push_back({shelter, "stay", std::string(to_string(p.stay()))});
    for (int bit = 0; bit < kNeedCount; ++bit)
      if (info.needs & (1u << bit)) out.push_back({shelter, "need", std::string(need_name(bit))});
  }
  return out;
}

std::vector<HouseholdKey> household_contributions(const PersonState& p) {
  if (!p.merged_into().empty() || p.presence() != Presence::Present) return {};
  const HouseholdId hh = p.household_id();
  return {HouseholdKey{p.shelter_id(), hh.empty() ? "person:" + p.id : hh}};
}

namespace {
template <typename Key>
void diff_sorted(std::vector<Key> before, std::vector<Key> after, std::vector<Key>& removed, std::vector<Key>& added) {
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

void add_count_cell(ShelterCounts& c, const std::string& dim, const std::string& key, int n, const BirthDate& today) {
  if (dim == "present") c.present = n;
  else if (dim == "out") c.out = n;
  else if (dim == "sex") c.by_sex[key] += n;
  else if (dim == "need") c.by_need[key] += n;
  else if (dim == "stay") c.by_stay[key] += n;
  else if (dim == "birth") c.by_age_band[std::string(to_string(age_band(parse_birth(key).value_or(BirthDate{}), today)))] += n;
}

}  // namespace shelter
