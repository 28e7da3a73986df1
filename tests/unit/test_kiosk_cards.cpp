// Household cards at the kiosk (docs/security.md, "A forged household card
// or pass"): only a city-signed card's ids name persons, and its details
// apply only to a new person; staff approve what differs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/qr_payload.hpp"
#include "core/signing.hpp"
#include "kiosk_helpers.hpp"

using namespace shelter;
using shelter::test::card_text;
using shelter::test::Kiosk;
using ui::Intent;
using ui::Screen;

TEST_CASE("a card of a known person writes status only; staff approve its other details", "[kiosk][card-rule]") {
  kiosk::Config demo;
  demo.demo = true;
  Kiosk k(demo);
  const qr::HouseholdCard card = *qr::parse(card_text()).card;
  const PersonId known = card.members[0].person_id;
  // The person registered at shelter tama-02 under another name, without
  // consent; this kiosk learnt it from its feed.
  auto remote = [&](EventType type, Hlc hlc, nlohmann::json body) {
    Event e;
    e.type = type;
    e.device_id = "tama-02-a";
    e.hlc = hlc;
    e.id = make_event_id(e.device_id, hlc);
    e.person_id = known;
    e.household_id = card.household_id;
    e.shelter_id = "tama-02";
    e.device_seq = static_cast<std::int64_t>(hlc & 0xff) + 1;
    e.author = "self";
    e.body = std::move(body);
    return e;
  };
  const Hlc t = make_hlc(1'700'000'000'000, 0);
  REQUIRE(k.store
              ->apply_remote({remote(EventType::Arrived, t, {{"stay", "shelter"}}),
                              remote(EventType::Registered, t + 1, {{"name", "旧姓 花子"}, {"consent", "0"}})})
              .ok());
  // A card the city signed: its ids name persons.
  const auto city = signing::generate();
  REQUIRE(k.store->set_trusted_keys({{"card", city.key_id(), "", "", city.public_key, false}}).ok());
  REQUIRE(k.c->on_scan(*qr::encode_card(card, qr::signer_for(city))));
  REQUIRE(k.c->card_city_signed());
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().screen == Screen::Done);
  k.tap(Intent::Finish);
  // Arrived here (a transfer), details unchanged: the card's registration
  // of a known person does not apply.
  auto p = k.store->person(known);
  CHECK((*p)->shelter_id == "tama-01");
  CHECK((*p)->info.name == "旧姓 花子");
  CHECK_FALSE((*p)->info.consent);

  k.tap(Intent::OpenStaff);
  for (const char* d : {"0", "0", "0", "0"}) k.tap(Intent::PinDigit, d);
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().screen == Screen::Staff);
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Duplicates));
  REQUIRE(k.vm().staff.card_differences.size() == 1);  // the new members' registrations applied
  const auto& row = k.vm().staff.card_differences[0];
  CHECK(row.name == "旧姓 花子");
  const bool shows_name = std::any_of(row.fields.begin(), row.fields.end(), [&](const auto& f) {
    return f[0] == "name" && f[1] == "旧姓 花子" && f[2] == card.members[0].info.name;
  });
  CHECK(shows_name);
  const std::string id = row.event_id;
  k.tap(Intent::ApproveCard, id);
  CHECK(k.vm().notice->key == "staff.card_approved");
  CHECK(k.vm().staff.card_differences.empty());
  p = k.store->person(known);
  CHECK((*p)->info == card.members[0].info);
  auto history = k.store->person_events(known);
  CHECK(history->back().type == EventType::Corrected);
  CHECK(history->back().author == "staff:demo");
  // Settled: a later change does not bring the card back.
  k.tap(Intent::ApproveCard, id);
  CHECK(k.store->person_events(known)->size() == history->size());
}

TEST_CASE("an unsigned card only creates new persons", "[kiosk][card-rule]") {
  Kiosk k;
  const qr::HouseholdCard card = *qr::parse(card_text()).card;
  const PersonId known = card.members[0].person_id;
  // Someone with this id is registered here already.
  REQUIRE(k.store
              ->record({NewEvent{EventType::Arrived, known, "", "", "self", {{"stay", "shelter"}}},
                        NewEvent{EventType::Registered, known, "", "", "self", {{"name", "本人"}, {"consent", "0"}}}})
              .ok());
  REQUIRE(k.c->on_scan(card_text()));  // not signed by the city
  CHECK_FALSE(k.c->card_city_signed());
  REQUIRE(k.vm().scan.members.size() == 4);
  for (const auto& m : k.vm().scan.members) {
    CHECK(m.person_id != known);
    CHECK_FALSE(m.already_here);
  }
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().screen == Screen::Done);
  k.tap(Intent::Finish);
  // The known person is as they were; the card's members are four new persons.
  auto p = k.store->person(known);
  CHECK((*p)->info.name == "本人");
  CHECK(k.store->person_events(known)->size() == 2);
  CHECK(k.store->counts("tama-01")->present == 5);
  // The same card again at this kiosk: the same new persons, all here.
  REQUIRE(k.c->on_scan(card_text()));
  CHECK(k.vm().notice->key == "scan.all_here");
  CHECK(k.store->counts("tama-01")->present == 5);
}
