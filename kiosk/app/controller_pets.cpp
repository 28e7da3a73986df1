// The household's pets: the walk-in's pets page, staff's household pets on
// the person tab (a correction of the member holding them), and the pets in
// the staff counts. Pets are one field, "pets", on one member of the
// household (core/vocabulary.hpp, kHouseholdFields).
#include <algorithm>

#include "core/vocabulary.hpp"
#include "kiosk/app/controller.hpp"

namespace shelter::kiosk {

using ui::Intent;

namespace {

Pets pets_of(const std::vector<int>& counts) {
  Pets p;
  for (size_t k = 0; k < p.count.size() && k < counts.size(); ++k)
    p.count[k] = std::clamp(counts[k], 0, kMaxPetsPerKind);
  return p;
}

std::vector<int> counts_of(const Pets& p) {
  return {p.count.begin(), p.count.end()};
}

// One more or one fewer of kind `k`, within 0..kMaxPetsPerKind.
void step(std::vector<int>& counts, int k, int delta) {
  if (k < 0 || k >= kPetKindCount) return;
  counts.resize(vocab::kPetKinds.size(), 0);
  auto& n = counts[static_cast<size_t>(k)];
  n = std::clamp(n + delta, 0, kMaxPetsPerKind);
}

}  // namespace

ui::WalkInStep Controller::after_consent() const {
  return vm_.walkin.current == 0 ? ui::WalkInStep::Pets : ui::WalkInStep::Review;
}

std::string Controller::walkin_pets() const {
  return to_string(pets_of(vm_.walkin.pets));
}

void Controller::pets_intent(const Intent& in) {
  auto& w = vm_.walkin;
  auto& s = vm_.staff;
  const int delta = in.kind == Intent::PetMore ? 1 : -1;
  switch (in.kind) {
    case Intent::PetMore:
    case Intent::PetFewer:
      if (vm_.screen == ui::Screen::WalkIn)
        step(w.pets, in.number, delta);
      else if (vm_.screen == ui::Screen::Staff && s.person)
        step(s.person->pets_draft, in.number, delta);
      break;
    case Intent::NoPets:
      if (vm_.screen != ui::Screen::WalkIn) break;
      w.pets.assign(vocab::kPetKinds.size(), 0);
      w.step = ui::WalkInStep::Address;
      break;
    case Intent::EditPets:
      if (vm_.screen == ui::Screen::WalkIn) {
        w.step = ui::WalkInStep::Pets;
      } else if (vm_.screen == ui::Screen::Staff && s.person) {
        s.person->pets_editing = in.number == 1;
        s.person->pets_draft = s.person->pets;  // opened or cancelled: nothing changed yet
        s.show_history = false;
      }
      break;
    case Intent::SavePets:
      if (vm_.screen == ui::Screen::Staff) save_pets();
      break;
    default:
      break;
  }
}

void Controller::load_pets(ui::PersonDetail& d) {
  auto held = store_.household_pets(d.person_id);
  // A value the store holds was validated on the way in; an unreadable one
  // shows as none rather than hiding the person.
  const Pets pets = held ? parse_pets(held->pets).value_or(Pets{}) : Pets{};
  d.pets = counts_of(pets);
  d.pets_draft = d.pets;
}

void Controller::save_pets() {
  auto& s = vm_.staff;
  if (!s.person) return;
  auto held = store_.household_pets(s.person->person_id);
  if (!held) return notice("error.store", held.error().message, true);
  const std::string value = to_string(pets_of(s.person->pets_draft));
  if (value == to_string(parse_pets(held->pets).value_or(Pets{}))) return;
  // On the member already holding the household's pets, so that one record
  // says them (else the person open now). A holder who left while the
  // others stay would keep them out of the counts: they pass to the person
  // open now, and the holder's are cleared (in one commit).
  const std::string pets_field(field::kPets);
  std::vector<NewEvent> events;
  PersonId to = held->holder;
  if (to != s.person->person_id) {
    auto holder = store_.person(to);
    if (!holder) return notice("error.store", holder.error().message, true);
    const bool gone = !holder->has_value() || (*holder)->presence == Presence::Left ||
                      (*holder)->presence == Presence::None || (*holder)->shelter_id != store_.shelter_id();
    if (gone) {
      if (holder->has_value() && (*holder)->shelter_id == store_.shelter_id() && !held->pets.empty())
        events.push_back(NewEvent{EventType::Corrected, to, "", "", author(), {{pets_field, ""}}});
      to = s.person->person_id;
    }
  }
  events.push_back(NewEvent{EventType::Corrected, to, "", "", author(), {{pets_field, value}}});
  if (auto r = store_.record(events); !r) return notice("staff.edit_refused", r.error().message, true);
  open_person(s.person->person_id);
  notice("staff.pets_saved");
}

void Controller::add_pet_counts(std::vector<std::pair<std::string, int>>& rows, const ShelterCounts& c) {
  int total = 0;
  for (auto kind : vocab::kPetKinds) {
    auto it = c.by_pet.find(std::string(kind));
    const int n = it == c.by_pet.end() ? 0 : it->second;
    rows.emplace_back("counts.pet." + std::string(kind), n);
    total += n;
  }
  rows.emplace_back("counts.pets", total);
}

}  // namespace shelter::kiosk
