// The household's pets on the kiosk: the walk-in's pets page writes them on
// the first person, staff change them with +/- as a correction by the
// volunteer signed in, and the staff counts show them.
#include <catch2/catch.hpp>

#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk_helpers.hpp"

using namespace shelter;
using shelter::test::Kiosk;
using ui::Intent;
using ui::Screen;

namespace {

// A walk-in of `names`, the first answering the pets page with `more` taps
// of + per kind (then next).
void walk_in(Kiosk& k, const std::vector<std::string>& names, const std::vector<int>& more) {
  k.tap(Intent::NoCard);
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) k.tap(Intent::AddFamilyMember);
    k.tap(Intent::Key, names[i]);
    k.tap(Intent::NextStep);
    k.tap(Intent::SetBirthYear, {}, 0);
    k.tap(Intent::SetSex, "");
    k.tap(Intent::NextStep);
    k.tap(Intent::SetConsent, {}, 1);
    if (i == 0) {
      REQUIRE(k.vm().walkin.step == ui::WalkInStep::Pets);
      for (size_t kind = 0; kind < more.size(); ++kind)
        for (int n = 0; n < more[kind]; ++n) k.tap(Intent::PetMore, {}, static_cast<int>(kind));
      k.tap(Intent::NextStep);
      REQUIRE(k.vm().walkin.step == ui::WalkInStep::Address);
      k.tap(Intent::SkipStep);
      k.tap(Intent::SkipStep);
    }
    REQUIRE(k.vm().walkin.step == ui::WalkInStep::Review);
  }
  k.tap(Intent::SubmitWalkIn);
  REQUIRE(k.vm().screen == Screen::Done);
  k.tap(Intent::Finish);
}

PersonRecord find(Kiosk& k, const std::string& name) {
  PersonQuery q;
  q.text = name;
  auto people = k.store->persons(q);
  REQUIRE(people.ok());
  REQUIRE(people->size() == 1);
  return people->front();
}

}  // namespace

TEST_CASE("the walk-in asks for pets once and writes them on the first person", "[kiosk][pets]") {
  Kiosk k;
  REQUIRE(k.vm().pet_kinds == std::vector<std::string>{"dog", "cat", "other"});
  k.tap(Intent::NoCard);
  // The counts stay within 0..20 whatever is tapped.
  k.tap(Intent::Key, "A");
  k.tap(Intent::NextStep);
  k.tap(Intent::SetBirthYear, {}, 0);
  k.tap(Intent::SetSex, "");
  k.tap(Intent::NextStep);
  k.tap(Intent::SetConsent, {}, 1);
  REQUIRE(k.vm().walkin.step == ui::WalkInStep::Pets);
  k.tap(Intent::PetFewer, {}, 0);
  for (int i = 0; i < 25; ++i) k.tap(Intent::PetMore, {}, 1);
  k.tap(Intent::PetMore, {}, 7);  // no such kind: nothing
  CHECK(k.vm().walkin.pets == std::vector<int>{0, 20, 0});
  k.tap(Intent::NoPets);  // changed their mind: none, on to the address
  CHECK(k.vm().walkin.pets == std::vector<int>{0, 0, 0});
  CHECK(k.vm().walkin.step == ui::WalkInStep::Address);
  k.tap(Intent::EditPets);  // the review's pets button comes back here
  CHECK(k.vm().walkin.step == ui::WalkInStep::Pets);
  k.tap(Intent::Cancel);
  CHECK(k.events() == 0);

  walk_in(k, {"ヤマダ", "ハナ"}, {2, 0, 1});
  const PersonRecord first = find(k, "ヤマダ"), second = find(k, "ハナ");
  auto events = k.store->person_events(first.id);
  REQUIRE(events.ok());
  CHECK(events->front().type == EventType::Arrived);
  CHECK(events->front().body.value("pets", "") == "dog=2,cat=0,other=1");
  auto second_events = k.store->person_events(second.id);  // kept: a range-for over *temporary would dangle
  for (const auto& e : *second_events) CHECK_FALSE(e.body.contains("pets"));
  auto c = k.store->counts("tama-01");
  CHECK(c->by_pet["dog"] == 2);
  CHECK(c->by_pet["other"] == 1);

  // A household without pets writes none.
  walk_in(k, {"スズキ"}, {});
  auto suzuki_events = k.store->person_events(find(k, "スズキ").id);
  for (const auto& e : *suzuki_events) CHECK_FALSE(e.body.contains("pets"));
}

TEST_CASE("staff change a household's pets on its holder, as the volunteer", "[kiosk][pets]") {
  Kiosk k;
  REQUIRE(add_volunteer(*k.store, "佐藤 花子", "246813", VolunteerRole::Volunteer, "test").ok());
  walk_in(k, {"ヤマダ", "ハナ"}, {1, 0, 0});
  const PersonRecord holder = find(k, "ヤマダ"), member = find(k, "ハナ");
  k.tap(Intent::OpenStaff);
  for (char d : std::string("246813")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().screen == Screen::Staff);

  // Opened from the other member: the household's pets all the same.
  k.tap(Intent::OpenPerson, member.id);
  REQUIRE(k.vm().staff.person);
  CHECK(k.vm().staff.person->pets == std::vector<int>{1, 0, 0});
  const auto before = k.events();
  k.tap(Intent::SavePets);  // nothing changed: nothing written
  CHECK(k.events() == before);
  k.tap(Intent::EditPets, {}, 1);
  CHECK(k.vm().staff.person->pets_editing);
  k.tap(Intent::PetMore, {}, 2);
  k.tap(Intent::EditPets, {}, 0);  // cancelled: the draft goes
  CHECK_FALSE(k.vm().staff.person->pets_editing);
  CHECK(k.vm().staff.person->pets_draft == std::vector<int>{1, 0, 0});
  k.tap(Intent::EditPets, {}, 1);
  k.tap(Intent::PetMore, {}, 1);
  k.tap(Intent::PetFewer, {}, 0);
  k.tap(Intent::PetFewer, {}, 0);  // not below 0
  CHECK(k.vm().staff.person->pets_draft == std::vector<int>{0, 1, 0});
  CHECK(k.vm().staff.person->pets == std::vector<int>{1, 0, 0});  // unsaved
  k.tap(Intent::SavePets);
  CHECK(k.vm().notice->key == "staff.pets_saved");
  CHECK(k.events() == before + 1);
  CHECK(k.vm().staff.person->pets == std::vector<int>{0, 1, 0});
  CHECK_FALSE(k.vm().staff.person->pets_editing);  // saved: back to the record
  // One correction, on the member who held them, by the volunteer.
  auto events = k.store->person_events(holder.id);
  REQUIRE(events.ok());
  const Event& e = events->back();
  CHECK(e.type == EventType::Corrected);
  CHECK(e.author == "staff:佐藤 花子");
  CHECK(e.body == nlohmann::json{{"pets", "dog=0,cat=1,other=0"}});
  auto c = k.store->counts("tama-01");
  CHECK(c->by_pet["dog"] == 0);
  CHECK(c->by_pet["cat"] == 1);

  // The counts tab lists them per kind and in all.
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Counts));
  const auto& rows = k.vm().staff.counts;
  auto row = [&](const std::string& key) {
    for (const auto& [k2, n] : rows)
      if (k2 == key) return n;
    return -1;
  };
  CHECK(row("counts.pet.cat") == 1);
  CHECK(row("counts.pet.dog") == 0);
  CHECK(row("counts.pets") == 1);

  // Back to none: an empty value, and nothing counted.
  k.tap(Intent::OpenPerson, holder.id);
  k.tap(Intent::PetFewer, {}, 1);
  k.tap(Intent::SavePets);
  CHECK(k.store->person_events(holder.id)->back().body == nlohmann::json{{"pets", ""}});
  CHECK(k.store->counts("tama-01")->by_pet["cat"] == 0);
}

TEST_CASE("pets pass to a member who stays when their holder has left", "[kiosk][pets]") {
  Kiosk k;
  REQUIRE(add_volunteer(*k.store, "佐藤 花子", "246813", VolunteerRole::Volunteer, "test").ok());
  walk_in(k, {"ヤマダ", "ハナ"}, {0, 2, 0});
  const PersonRecord holder = find(k, "ヤマダ"), member = find(k, "ハナ");
  REQUIRE(k.store->record(NewEvent{EventType::Left, holder.id, "", "", "self", {}}).ok());
  CHECK(k.store->counts("tama-01")->by_pet["cat"] == 0);  // gone with the holder
  k.tap(Intent::OpenStaff);
  for (char d : std::string("246813")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::PinSubmit);
  k.tap(Intent::OpenPerson, member.id);
  REQUIRE(k.vm().staff.person->pets == std::vector<int>{0, 2, 0});
  k.tap(Intent::PetFewer, {}, 1);
  k.tap(Intent::SavePets);
  CHECK(k.vm().notice->key == "staff.pets_saved");
  CHECK(k.store->person_events(holder.id)->back().body == nlohmann::json{{"pets", ""}});
  CHECK(k.store->person_events(member.id)->back().body == nlohmann::json{{"pets", "dog=0,cat=1,other=0"}});
  CHECK(k.store->counts("tama-01")->by_pet["cat"] == 1);
  CHECK(k.store->household_pets(holder.id)->holder == member.id);
}
