#pragma once
// The kiosk's controller on a real store file, for the controller tests:
// a card's text from the fixtures, and a kiosk that taps intents.
#include <catch2/catch.hpp>

#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>

#include "core/store.hpp"
#include "kiosk/app/controller.hpp"
#include "test_support.hpp"

namespace shelter::test {

inline std::string card_text() {
  std::ifstream in(std::string(SHELTER_TEST_DATA) + "/qr/card.txt");
  std::string t;
  std::getline(in, t);
  return t;
}

struct Kiosk {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<kiosk::Controller> c;
  explicit Kiosk(kiosk::Config cfg = {}) {
    auto s = Store::open(dir.file("k.db"));
    REQUIRE(s.ok());
    store = std::move(s).value();
    REQUIRE(store->init_identity("tama-01", "tama-01-a", "Tama").ok());
    c = std::make_unique<kiosk::Controller>(*store, cfg);
  }
  void tap(ui::Intent::Kind k, std::string text = {}, int n = 0) { c->apply(ui::Intent{k, std::move(text), n}); }
  std::int64_t events() { return *store->event_count(); }
  const ui::ViewModel& vm() { return c->vm(); }
  // One person through the walk-in form, as typed on the kana keyboard,
  // checked in and back at the welcome.
  void walk_in(std::initializer_list<const char*> name_keys, int birth_year, const char* sex = "F") {
    tap(ui::Intent::NoCard);
    for (const char* key : name_keys) tap(ui::Intent::Key, key);
    tap(ui::Intent::NextStep);
    tap(ui::Intent::SetBirthYear, {}, birth_year);
    tap(ui::Intent::SetSex, sex);
    tap(ui::Intent::NextStep);
    tap(ui::Intent::SetConsent, {}, 1);
    tap(ui::Intent::SubmitWalkIn);
    REQUIRE(vm().screen == ui::Screen::Done);
    tap(ui::Intent::Finish);
  }
};

}  // namespace shelter::test
