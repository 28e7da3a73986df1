// The duplicates tab without a window: a walk-in and a card of the same
// person shown side by side, and "not the same person" remembered.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/checkin.hpp"
#include "kiosk_helpers.hpp"
#include "store_helpers.hpp"

using namespace shelter;
using test::Kiosk;
using ui::Intent;
using ui::Screen;

namespace {
void walk_in_yamada(Kiosk& k) {
  k.walk_in({"ヤ", "マ", "ダ", "ハ", "ナ", "コ"}, 1950);
}

void sign_in_demo(Kiosk& k) {
  k.tap(Intent::OpenStaff);
  for (const char* d : {"0", "0", "0", "0"}) k.tap(Intent::PinDigit, d);
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().screen == Screen::Staff);
}

const ui::DuplicateVm::Field& row(const ui::DuplicateVm& d, const std::string& label) {
  auto it = std::find_if(d.fields.begin(), d.fields.end(), [&](const auto& f) { return f.label == label; });
  REQUIRE(it != d.fields.end());
  return *it;
}
}  // namespace

TEST_CASE("a walk-in and a card of one person side by side; not the same person is remembered", "[kiosk][staff]") {
  kiosk::Config demo;
  demo.demo = true;
  Kiosk k(demo);
  walk_in_yamada(k);
  PersonInfo card;
  card.name = "山田 花子";
  card.reading = "やまだ はなこ";
  card.sex = Sex::Female;
  card.birth = *parse_birth("1950-04-01");
  const PersonId card_id = new_id();
  REQUIRE(k.store->record(test::arrival(card_id, new_id(), card)).ok());

  sign_in_demo(k);
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Duplicates));
  REQUIRE(k.vm().staff.duplicates.size() == 1);
  const ui::DuplicateVm d = k.vm().staff.duplicates[0];
  const bool card_left = d.a.person_id == card_id;
  const auto& birth = row(d, "staff.dup_birth");
  CHECK((card_left ? birth.a : birth.b) == "1950-04-01");
  CHECK((card_left ? birth.b : birth.a) == "1950");
  CHECK(row(d, "staff.dup_sex").a == "female");
  CHECK(row(d, "staff.dup_presence").values == "presence.");

  // Out of range: nothing happens.
  const auto before = k.events();
  k.tap(Intent::NotDuplicate, {}, 5);
  CHECK(k.events() == before);

  k.tap(Intent::NotDuplicate, {}, 0);
  CHECK(k.vm().notice->key == "staff.dup_dismissed");
  CHECK(k.vm().staff.duplicates.empty());
  REQUIRE(k.events() == before + 1);
  auto log = k.store->person_events(std::min(d.a.person_id, d.b.person_id)).value();
  CHECK(log.back().type == EventType::NotDuplicate);
  CHECK(log.back().author == "staff:demo");
  CHECK(log.back().body["other"] == std::max(d.a.person_id, d.b.person_id));

  // Another tab and back: still dismissed; both persons still counted.
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Counts));
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Duplicates));
  CHECK(k.vm().staff.duplicates.empty());
  CHECK(k.store->counts("tama-01")->present == 2);
}

TEST_CASE("keep left merges the right person into the left one", "[kiosk][staff]") {
  kiosk::Config demo;
  demo.demo = true;
  Kiosk k(demo);
  walk_in_yamada(k);
  walk_in_yamada(k);
  sign_in_demo(k);
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Duplicates));
  REQUIRE(k.vm().staff.duplicates.size() == 1);
  const ui::DuplicateVm d = k.vm().staff.duplicates[0];
  k.tap(Intent::Merge, d.b.person_id, 0);  // what the "keep left" button emits
  CHECK(k.vm().notice->key == "staff.merged");
  CHECK(k.store->person(d.b.person_id).value()->merged_into == d.a.person_id);
  CHECK(k.vm().staff.duplicates.empty());
  // A person not of the pair is refused.
  k.tap(Intent::Merge, "0123456789abcdef", 0);
  CHECK(k.store->counts("tama-01")->present == 1);
}
