#include "core/checkin.hpp"

#include <algorithm>

namespace shelter {

Result<std::vector<bool>> members_already_here(Store& store, const qr::HouseholdCard& card) {
  std::vector<bool> here;
  for (const auto& m : card.members) {
    auto known = store.person(m.person_id);
    if (!known) return known.error();
    here.push_back(known->has_value() && (*known)->presence == Presence::Present &&
                   (*known)->shelter_id == store.shelter_id());
  }
  return here;
}

// The id this store gave the card's id `id` (kind "p" person, "h"
// household), made on first use.
static Result<std::string> alias_of(Store& store, const char* kind, const std::string& id) {
  const std::string key = std::string("card_alias:") + kind + ":" + id;
  auto known = store.meta(key);
  if (!known) return known.error();
  if (known->has_value()) return **known;
  std::string made = new_id();
  if (auto st = store.set_meta(key, made); !st) return st.error();
  return made;
}

Result<qr::HouseholdCard> card_as_prefill(Store& store, const qr::HouseholdCard& card) {
  qr::HouseholdCard copy = card;
  auto household = alias_of(store, "h", card.household_id);
  if (!household) return household.error().context("card pre-fill");
  copy.household_id = *household;
  for (auto& m : copy.members) {
    auto person = alias_of(store, "p", m.person_id);
    if (!person) return person.error().context("card pre-fill");
    m.person_id = *person;
  }
  return copy;
}

// The details of `info` that differ from `known` (all of them for a new
// person): what a registration of `info` proposes.
static nlohmann::json proposed_details(const PersonInfo& info, const PersonRecord* known) {
  nlohmann::json body = person_body(info);
  if (!known) return body;
  const nlohmann::json stored = person_body(known->info);
  nlohmann::json differs = nlohmann::json::object();
  for (const auto& [k, v] : body.items())
    if (stored.value(k, nlohmann::json()) != v) differs[k] = v;
  return differs;
}

Result<std::vector<NewEvent>> card_arrivals(Store& store, const qr::HouseholdCard& card,
                                            const std::vector<size_t>& chosen, const std::string& stay,
                                            const std::string& author) {
  if (!parse_stay(stay)) return fail("stay must be shelter, car or home");
  std::vector<NewEvent> events;
  for (size_t i : chosen) {
    if (i >= card.members.size()) return fail("member " + std::to_string(i + 1) + " is not on the card");
    const auto& m = card.members[i];
    auto known = store.person(m.person_id);
    if (!known) return known.error();
    if (known->has_value() && (*known)->presence == Presence::Present && (*known)->shelter_id == store.shelter_id())
      continue;
    events.push_back(NewEvent{EventType::Arrived, m.person_id, card.household_id, "", author, {{field::kStay, stay}}});
    nlohmann::json body = proposed_details(m.info, known->has_value() ? &**known : nullptr);
    if (!body.empty())
      events.push_back(NewEvent{EventType::Registered, m.person_id, card.household_id, "", author, std::move(body)});
  }
  return events;
}

std::vector<NewEvent> walkin_arrival(const PersonInfo& info, const HouseholdId& household, const std::string& stay,
                                     const std::string& author, const std::string& pets) {
  const PersonId id = new_id();
  nlohmann::json details = {{field::kName, info.name},
                            {field::kReading, info.reading},
                            {field::kSex, std::string(to_string(info.sex))},
                            {field::kBirth, to_string(info.birth)},
                            {field::kNeeds, needs_to_string(info.needs)},
                            {field::kConsent, info.consent ? "1" : "0"}};
  // Optional on the form (skipped: not sent, as a card without them).
  if (!info.address.empty()) details[field::kAddress] = info.address;
  if (!info.phone.empty()) details[field::kPhone] = info.phone;
  nlohmann::json arrival = {{field::kStay, stay}};
  if (!pets.empty()) arrival[field::kPets] = pets;
  return {NewEvent{EventType::Arrived, id, household, "", author, std::move(arrival)},
          NewEvent{EventType::Registered, id, household, "", author, std::move(details)}};
}

NewEvent merge_event(const PersonId& duplicate, const PersonId& into, const std::string& author) {
  return NewEvent{EventType::Merged, duplicate, "", "", author, {{field::kInto, into}}, 0};
}

NewEvent not_duplicate_event(const PersonId& a, const PersonId& b, const std::string& author) {
  const auto& [first, second] = std::minmax(a, b);
  return NewEvent{EventType::NotDuplicate, first, "", "", author, {{field::kOther, second}}, 0};
}

Result<NewEvent> presence_event(Store& store, const PersonId& id, EventType type, const std::string& author) {
  auto rec = store.person(id);
  if (!rec) return rec.error();
  if (!rec->has_value()) return fail("no person with id " + id);
  const PersonRecord& p = **rec;
  // Whereabouts are per shelter: a status change here says nothing about a
  // person whose latest arrival is elsewhere (docs/protocol.md).
  if (!p.shelter_id.empty() && p.shelter_id != store.shelter_id())
    return fail("person " + id + " moved to shelter " + p.shelter_id);
  const Presence now = p.presence;
  if ((type == EventType::WentOut && now != Presence::Present) ||
      (type == EventType::CameBack && now != Presence::Out) || (type == EventType::Left && now == Presence::Left))
    return fail("person " + id + " is " + std::string(now == Presence::None ? "not checked in" : to_string(now)));
  return NewEvent{type, id, "", "", author, {}};  // recorded under this device's shelter
}

Result<PassAction> pass_action(Store& store, const qr::Pass& pass, const std::string& author) {
  auto rec = store.person(pass.person_id);
  if (!rec) return rec.error();
  PassAction a;
  a.event = NewEvent{EventType::Arrived, pass.person_id, "", "", author, {}};
  if (!rec->has_value()) {
    a.kind = PassAction::Kind::ArrivedUnknown;
    a.event.household_id = pass.household_id;
    a.event.body = {{field::kStay, "shelter"}};
    return a;
  }
  const PersonRecord& p = **rec;
  a.name = p.info.name;
  const bool here = p.shelter_id == store.shelter_id();
  if (here && p.presence == Presence::Present) {
    a.kind = PassAction::Kind::WentOut;
    a.event.type = EventType::WentOut;
  } else if (here && p.presence == Presence::Out) {
    a.kind = PassAction::Kind::CameBack;
    a.event.type = EventType::CameBack;
  } else {
    a.event.body = {{field::kStay, to_string(p.stay)}};
  }
  return a;
}

}  // namespace shelter
