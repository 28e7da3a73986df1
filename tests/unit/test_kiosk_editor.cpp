// Staff mode's typed editor: each field edited with controls that can only
// produce valid values (needs as toggles, yes/no, sex, stay, birth by the
// walk-in's buttons), and the audit trail with local times, the author's
// name and old -> new values.
#include <catch2/catch.hpp>

#include <map>

#include "core/volunteers.hpp"
#include "kiosk_helpers.hpp"

using namespace shelter;
using shelter::test::Kiosk;
using ui::Intent;
using ui::Screen;

namespace {

// Staff mode, signed in as the lead Sato, with the first person found open.
void sign_in_and_open_first(Kiosk& k) {
  REQUIRE(add_volunteer(*k.store, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  for (char d : std::string("246813")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().screen == Screen::Staff);
  k.tap(Intent::StaffSearch);
  REQUIRE_FALSE(k.vm().staff.results.empty());
  k.tap(Intent::OpenPerson, k.vm().staff.results[0].person_id);
  REQUIRE(k.vm().staff.person);
}

// A walk-in ヤマダ (1953, F, consent yes), then staff mode signed in as the
// lead Sato, with her record open.
void walk_in_and_open(Kiosk& k) {
  k.walk_in({"ヤ", "マ", "タ", "゛"}, 1953);
  sign_in_and_open_first(k);
}

}  // namespace

TEST_CASE("out, back and leave for the whole household in one step", "[kiosk][staff]") {
  Kiosk k;
  REQUIRE(k.c->on_scan(shelter::test::card_text()));
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().screen == Screen::Done);
  REQUIRE(k.vm().done.passes.size() == 4);  // a pass for each member
  k.tap(Intent::Finish);
  sign_in_and_open_first(k);
  CHECK(k.vm().staff.person->household_here == 4);
  auto presence = [&] {
    std::map<std::string, int> n;
    auto people = k.store->persons(PersonQuery{});  // kept: a range-for over *temporary would dangle
    for (const auto& p : *people) ++n[std::string(to_string(p.presence))];
    return n;
  };
  k.tap(Intent::SetPresence, "out");  // only them
  CHECK(presence() == std::map<std::string, int>{{"out", 1}, {"present", 3}});
  k.tap(Intent::SetPresence, "out", 1);  // the others too; the one out already is skipped
  CHECK(k.vm().notice->key == "staff.household_saved");
  CHECK(k.vm().notice->detail == "3");
  CHECK(presence() == std::map<std::string, int>{{"out", 4}});
  k.tap(Intent::SetPresence, "back", 1);
  CHECK(presence() == std::map<std::string, int>{{"present", 4}});
  k.tap(Intent::SetPresence, "leave", 1);
  CHECK(presence() == std::map<std::string, int>{{"left", 4}});
}

namespace {

std::string stored(Kiosk& k, const std::string& field) {
  const auto& f = k.vm().staff.person->fields;
  auto it = f.find(field);
  return it == f.end() ? "" : it->second;
}

}  // namespace

TEST_CASE("staff edit needs with toggles, in core's order", "[kiosk][staff]") {
  Kiosk k;
  walk_in_and_open(k);
  k.tap(Intent::BeginEdit, "needs");
  CHECK(k.vm().staff.edit_field == "needs");
  k.tap(Intent::ToggleEditNeed, {}, 6);   // allergy
  k.tap(Intent::ToggleEditNeed, {}, 2);   // infant
  k.tap(Intent::ToggleEditNeed, {}, 0);   // illness ...
  k.tap(Intent::ToggleEditNeed, {}, 0);   // ... and off again
  k.tap(Intent::ToggleEditNeed, {}, 99);  // no such need: nothing
  CHECK(k.vm().staff.edit_value == "infant,allergy");
  k.tap(Intent::SaveEdit);
  CHECK(k.vm().notice->key == "staff.saved");
  CHECK(stored(k, "needs") == "infant,allergy");
  PersonQuery q;
  auto people = k.store->persons(q);
  REQUIRE(people->size() == 1);
  CHECK(needs_to_string((*people)[0].info.needs) == "infant,allergy");
}

TEST_CASE("choice fields take only the values their buttons offer", "[kiosk][staff]") {
  Kiosk k;
  walk_in_and_open(k);
  const std::int64_t before = k.events();
  k.tap(Intent::BeginEdit, "sex");
  k.tap(Intent::SetEditValue, "Q");  // not a sex the buttons offer
  CHECK(k.vm().staff.edit_value == "F");
  k.tap(Intent::SetEditValue, "X");
  k.tap(Intent::SaveEdit);
  CHECK(stored(k, "sex") == "X");
  k.tap(Intent::BeginEdit, "consent");
  k.tap(Intent::SetEditValue, "yes");  // the stored form is 1 / 0
  CHECK(k.vm().staff.edit_value == "1");
  k.tap(Intent::SetEditValue, "0");
  k.tap(Intent::SaveEdit);
  CHECK(stored(k, "consent") == "0");
  k.tap(Intent::BeginEdit, "stay");
  k.tap(Intent::SetEditValue, "tent");
  k.tap(Intent::SetEditValue, "car");
  k.tap(Intent::SaveEdit);
  CHECK(stored(k, "stay") == "car");
  // Birth by decade and year, as on the walk-in; the decade starts at the
  // stored year's.
  k.tap(Intent::BeginEdit, "birth");
  CHECK(k.vm().staff.edit_decade == 1950);
  k.tap(Intent::EditBirthDecade, {}, 1940);
  k.tap(Intent::SetEditValue, "19x8");
  CHECK(k.vm().staff.edit_value == "1953");
  k.tap(Intent::SetEditValue, "1948");
  k.tap(Intent::SaveEdit);
  CHECK(stored(k, "birth") == "1948");
  // Cancel leaves the record as it was.
  k.tap(Intent::BeginEdit, "sex");
  k.tap(Intent::SetEditValue, "M");
  k.tap(Intent::BeginEdit);
  CHECK(k.vm().staff.edit_field.empty());
  CHECK(stored(k, "sex") == "X");
  CHECK(k.events() == before + 4);
}

TEST_CASE("the audit trail says when, who and what changed from what", "[kiosk][staff]") {
  Kiosk k;
  walk_in_and_open(k);
  k.tap(Intent::BeginEdit, "consent");
  k.tap(Intent::SetEditValue, "0");
  k.tap(Intent::SaveEdit);
  const auto& h = k.vm().staff.person->history;
  REQUIRE(h.size() >= 2);  // the walk-in's registration and arrival, then the correction
  CHECK(h.front().author == "self");
  CHECK(h.front().changes.empty());
  const ui::HistoryEntry& c = h.back();
  CHECK(c.type == "corrected");
  CHECK(c.author == "Sato");  // the name, not "staff:Sato"
  REQUIRE(c.changes.size() == 1);
  CHECK(c.changes[0] == std::array<std::string, 3>{"consent", "1", "0"});
  // Local time, to the minute: "2026-12-04 09:15".
  CHECK(c.when.size() == 16);
  CHECK(c.when[4] == '-');
  CHECK(c.when[10] == ' ');
  CHECK(c.when[13] == ':');
}
