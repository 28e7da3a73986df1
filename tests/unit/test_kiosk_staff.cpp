// The kiosk's staff sign-in without a window: named volunteers with their
// own PINs, the lockout kept in the store across a restart, the demo's
// built-in lead, and a lead enrolling and removing volunteers on screen.
#include <catch2/catch.hpp>

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/pin.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/controller.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;
using ui::Intent;
using ui::Screen;
using Clock = std::chrono::steady_clock;

namespace {

struct Kiosk {
  TempDir dir;
  kiosk::Config cfg;
  std::unique_ptr<Store> store;
  std::unique_ptr<kiosk::Controller> c;
  Clock::time_point now = Clock::now();
  explicit Kiosk(kiosk::Config config = {}) : cfg(std::move(config)) {
    store = Store::open(dir.file("k.db")).value();
    REQUIRE(store->init_identity("tama-01", "tama-01-a", "Tama").ok());
    restart();
  }
  // A new kiosk process on the same file.
  void restart() {
    c.reset();
    store = Store::open(dir.file("k.db")).value();
    c = std::make_unique<kiosk::Controller>(*store, cfg);
    now = Clock::now();
  }
  void tap(Intent::Kind k, std::string text = {}, int n = 0) { c->apply(Intent{k, std::move(text), n}, now); }
  void pin(const std::string& digits) {
    for (char d : digits) tap(Intent::PinDigit, std::string(1, d));
    tap(Intent::PinSubmit);
  }
  void wait(int seconds) {
    now += std::chrono::seconds(seconds);
    c->tick(now);
  }
  const ui::ViewModel& vm() { return c->vm(); }
  const ui::StaffVm& staff() { return c->vm().staff; }
};

void enrol_team(Store& s) {
  REQUIRE(add_volunteer(s, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  REQUIRE(add_volunteer(s, "伊藤", "975310", VolunteerRole::Volunteer, "Sato").ok());
}

}  // namespace

TEST_CASE("with nobody enrolled staff mode stays closed and says how to set it up", "[kiosk][staff]") {
  kiosk::Config cfg;
  cfg.staff_pin_hash = hash_pin("2468");  // an old config's shared PIN: no longer opens anything
  Kiosk k(cfg);
  k.tap(Intent::OpenStaff);
  REQUIRE(k.vm().screen == Screen::StaffPin);
  CHECK(k.staff().not_set_up);
  CHECK(k.staff().old_shared_pin);
  CHECK_FALSE(k.staff().demo);
  for (const char* p : {"0000", "2468"}) {
    k.pin(p);
    CHECK(k.vm().screen == Screen::StaffPin);
    CHECK(k.staff().pin_entry.empty());
  }
  k.tap(Intent::ChooseVolunteer, "demo");  // not a name on the list: ignored
  k.pin("0000");
  CHECK(k.vm().screen == Screen::StaffPin);
  CHECK(k.staff().signed_in.empty());
  // Once a lead is enrolled (shelterctl, while the kiosk runs), it opens.
  REQUIRE(add_volunteer(*k.store, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  k.tap(Intent::Cancel);
  k.tap(Intent::OpenStaff);
  CHECK_FALSE(k.staff().not_set_up);
  CHECK(k.staff().who == "Sato");  // the only name is chosen already
  k.pin("246813");
  CHECK(k.vm().screen == Screen::Staff);
}

TEST_CASE("each volunteer signs in with their own PIN and staff events carry their name", "[kiosk][staff]") {
  Kiosk k;
  enrol_team(*k.store);
  k.tap(Intent::NoCard);
  k.tap(Intent::Key, "ア");
  k.tap(Intent::SetConsent, {}, 1);
  k.tap(Intent::SubmitWalkIn);
  k.tap(Intent::Finish);
  k.tap(Intent::OpenStaff);
  REQUIRE(k.staff().volunteers.size() == 2);
  CHECK(k.staff().volunteers[0].name == "Sato");
  CHECK(k.staff().volunteers[0].lead);
  CHECK(k.staff().who.empty());
  k.pin("975310");  // no name chosen: the keypad types nothing
  CHECK(k.vm().notice->key == "staff.choose_name");
  CHECK(k.staff().tries_left == 5);
  k.tap(Intent::ChooseVolunteer, "伊藤");
  k.pin("246813");  // Sato's PIN is not 伊藤's
  CHECK(k.vm().screen == Screen::StaffPin);
  CHECK(k.vm().notice->key == "staff.pin_wrong");
  CHECK(k.staff().tries_left == 4);
  k.pin("975310");
  REQUIRE(k.vm().screen == Screen::Staff);
  CHECK(k.staff().signed_in == "伊藤");
  CHECK_FALSE(k.staff().lead);
  CHECK(k.staff().tries_left == 5);
  CHECK(read_lockout(*k.store).value().failures == 0);  // a right PIN clears the count
  // A volunteer who is not a lead has no team tab.
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Team));
  CHECK(k.staff().tab == ui::StaffTab::Search);
  k.tap(Intent::VolunteerForm, {}, 1);
  CHECK_FALSE(k.staff().new_volunteer.open);
  REQUIRE(k.staff().results.size() == 1);
  k.tap(Intent::OpenPerson, k.staff().results[0].person_id);
  k.tap(Intent::SetPresence, "out");
  auto history = k.store->person_events(k.staff().results[0].person_id).value();
  CHECK(history.front().author == "self");
  CHECK(history.back().author == "staff:伊藤");
  // Leaving staff mode signs out: the next one chooses their name again.
  k.tap(Intent::LeaveStaff);
  CHECK(k.staff().signed_in.empty());
  k.tap(Intent::OpenStaff);
  CHECK(k.staff().who.empty());
}

TEST_CASE("the sign-in lockout grows and a restart does not reset it", "[kiosk][staff]") {
  Kiosk k;
  enrol_team(*k.store);
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  k.pin("111111");
  CHECK(k.staff().tries_left == 4);
  k.restart();  // the tries left survive a restart
  k.tap(Intent::OpenStaff);
  CHECK(k.staff().tries_left == 4);
  k.tap(Intent::ChooseVolunteer, "Sato");
  for (int i = 0; i < 4; ++i) k.pin("111111");
  k.c->tick(k.now);
  CHECK(k.staff().locked_seconds == 60);
  CHECK(k.vm().notice->key == "staff.pin_locked_notice");
  // The kiosk is restarted (or the power pulled): still locked.
  k.restart();
  k.c->tick(k.now);
  CHECK(k.staff().locked_seconds > 55);
  CHECK(k.staff().locked_seconds <= 60);
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  k.pin("246813");  // even the right PIN waits
  CHECK(k.vm().screen == Screen::StaffPin);
  k.wait(61);
  CHECK(k.staff().locked_seconds == 0);
  // Waiting that long, the screen went back to the welcome screen.
  auto again = [&] {
    k.tap(Intent::OpenStaff);
    k.tap(Intent::ChooseVolunteer, "Sato");
  };
  again();
  for (int i = 0; i < 5; ++i) k.pin("111111");
  CHECK(k.staff().locked_seconds == 300);  // the second lock: 5 min
  k.wait(301);
  again();
  for (int i = 0; i < 5; ++i) k.pin("111111");
  CHECK(k.staff().locked_seconds == 1800);  // then 30 min
  k.wait(1801);
  again();
  k.pin("111111");
  CHECK(k.staff().tries_left == 4);
  k.pin("246813");
  REQUIRE(k.vm().screen == Screen::Staff);
  auto l = read_lockout(*k.store).value();
  CHECK(l.locks == 0);  // a right PIN: the next lock is a minute again
  CHECK(l.failures == 0);
}

TEST_CASE("a store that cannot be written still locks sign-in", "[kiosk][staff]") {
  Kiosk k;
  enrol_team(*k.store);
  REQUIRE(k.store->db().exec("PRAGMA query_only = 1").ok());
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  for (int i = 0; i < 5; ++i) k.pin("111111");
  k.c->tick(k.now);
  CHECK(k.staff().locked_seconds == 60);
  k.wait(61);
  k.pin("246813");
  CHECK(k.vm().screen == Screen::Staff);
}

TEST_CASE("a lead enrols a volunteer with a name and a PIN typed twice, and removes one", "[kiosk][staff]") {
  Kiosk k;
  enrol_team(*k.store);
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  k.pin("246813");
  REQUIRE(k.staff().lead);
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Team));
  REQUIRE(k.staff().tab == ui::StaffTab::Team);
  CHECK(k.staff().volunteers.size() == 2);
  k.tap(Intent::VolunteerForm, {}, 1);
  REQUIRE(k.staff().new_volunteer.open);
  k.tap(Intent::VolunteerNext);  // no name yet
  CHECK(k.vm().notice->key == "staff.team_bad_name");
  for (const char* key : {"伊", "藤"}) k.tap(Intent::Key, key);
  k.tap(Intent::VolunteerNext);
  CHECK(k.vm().notice->key == "staff.team_name_taken");
  k.tap(Intent::Backspace);
  k.tap(Intent::Backspace);
  for (const char* key : {"ヤ", "マ", "ダ"}) k.tap(Intent::Key, key);
  k.tap(Intent::VolunteerNext);
  REQUIRE(k.staff().new_volunteer.step == ui::NewVolunteerStep::Pin);
  k.pin("1234");  // too short: PinSubmit is not this keypad's ok, VolunteerNext is
  k.tap(Intent::VolunteerNext);
  CHECK(k.vm().notice->key == "staff.team_bad_pin");
  CHECK(k.staff().new_volunteer.pin.empty());
  for (char d : std::string("123456")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::VolunteerNext);
  CHECK(k.vm().notice->key == "staff.team_bad_pin");  // a run of digits
  for (char d : std::string("864209")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::VolunteerLead, {}, 1);
  k.tap(Intent::VolunteerNext);
  REQUIRE(k.staff().new_volunteer.step == ui::NewVolunteerStep::PinAgain);
  for (char d : std::string("864208")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::VolunteerNext);
  CHECK(k.vm().notice->key == "staff.team_pin_mismatch");
  REQUIRE(k.staff().new_volunteer.step == ui::NewVolunteerStep::Pin);
  for (int pass = 0; pass < 2; ++pass) {
    for (char d : std::string("864209")) k.tap(Intent::PinDigit, std::string(1, d));
    k.tap(Intent::VolunteerNext);
  }
  CHECK(k.vm().notice->key == "staff.team_added");
  CHECK_FALSE(k.staff().new_volunteer.open);
  auto v = find_volunteer(*k.store, "ヤマダ").value();
  REQUIRE(v.has_value());
  CHECK(v->role == VolunteerRole::Lead);
  CHECK(v->enrolled_by == "Sato");
  CHECK(pin_matches(v->pin_hash, "864209"));
  CHECK(k.staff().volunteers.size() == 3);

  // Removing takes two taps; oneself cannot be removed.
  k.tap(Intent::RemoveVolunteer, "Sato", 1);
  CHECK(k.vm().notice->key == "staff.team_not_self");
  k.tap(Intent::RemoveVolunteer, "伊藤", 0);
  CHECK(k.staff().remove_asked == "伊藤");
  CHECK(find_volunteer(*k.store, "伊藤").value().has_value());
  k.tap(Intent::RemoveVolunteer, "伊藤", 1);
  CHECK(k.vm().notice->key == "staff.team_removed");
  CHECK_FALSE(find_volunteer(*k.store, "伊藤").value().has_value());
  CHECK(k.staff().volunteers.size() == 2);

  // The new lead signs in with the PIN chosen on screen.
  k.tap(Intent::LeaveStaff);
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "ヤマダ");
  k.pin("864209");
  CHECK(k.staff().signed_in == "ヤマダ");
  CHECK(k.staff().lead);
}

TEST_CASE("the demo's lead signs in with 0000 only when the config says demo", "[kiosk][staff]") {
  kiosk::Config demo;
  demo.demo = true;
  Kiosk k(demo);
  k.tap(Intent::OpenStaff);
  CHECK(k.staff().demo);
  CHECK_FALSE(k.staff().not_set_up);
  REQUIRE(k.staff().volunteers.size() == 1);
  CHECK(k.staff().volunteers[0].name == "demo");
  k.pin("0000");
  REQUIRE(k.vm().screen == Screen::Staff);
  CHECK(k.staff().signed_in == "demo");
  CHECK(k.staff().lead);
  // The demo lead enrols others with real PINs only. It is stored itself,
  // with a key the demo server registers, but opens nothing outside the demo.
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Team));
  k.tap(Intent::VolunteerForm, {}, 1);
  k.tap(Intent::Key, "A");
  k.tap(Intent::VolunteerNext);
  for (int pass = 0; pass < 2; ++pass) {
    for (char d : std::string("0000")) k.tap(Intent::PinDigit, std::string(1, d));
    k.tap(Intent::VolunteerNext);
  }
  CHECK(k.vm().notice->key == "staff.team_bad_pin");  // 0000 is the demo's alone
  REQUIRE(list_volunteers(*k.store).value().size() == 1);
  CHECK(list_volunteers(*k.store).value()[0].enrolled_by == kDemoLeadMark);

  // The same store without the demo flag: 0000 opens nothing.
  k.cfg.demo = false;
  k.restart();
  k.tap(Intent::OpenStaff);
  CHECK(k.staff().not_set_up);
  k.pin("0000");
  CHECK(k.vm().screen == Screen::StaffPin);
}

TEST_CASE("staff correct a name typed in katakana to its kanji by conversion", "[kiosk][staff][names]") {
  Kiosk k;
  enrol_team(*k.store);
  k.tap(Intent::NoCard);
  for (const char* key : {"ヤ", "マ", "タ", "゛"}) k.tap(Intent::Key, key);
  k.tap(Intent::NextStep);
  k.tap(Intent::SetConsent, {}, 1);
  k.tap(Intent::SubmitWalkIn);
  k.tap(Intent::Finish);
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  k.pin("246813");
  REQUIRE(k.vm().screen == Screen::Staff);
  k.tap(Intent::StaffSearch);
  REQUIRE(k.staff().results.size() == 1);
  k.tap(Intent::OpenPerson, k.staff().results[0].person_id);
  k.tap(Intent::BeginEdit, "name");
  REQUIRE(k.vm().entry.keyboard == ui::Keyboard::Kana);
  for (int i = 0; i < 3; ++i) k.tap(Intent::Backspace);  // the box starts with ヤマダ
  for (const char* key : {"ヤ", "マ", "タ", "゛"}) k.tap(Intent::Key, key);
  k.tap(Intent::Convert);
  REQUIRE(k.vm().entry.converting());
  k.tap(Intent::SaveEdit);  // takes the conversion as it stands, then saves
  REQUIRE(k.staff().person);
  CHECK(k.staff().person->fields.at("name") == "山田");
  CHECK(k.staff().person->fields.at("reading") == "ヤマダ");  // the reading is its own field, unchanged
}

namespace {

std::int64_t timegm_ms(int y, int mo, int d, int h, int mi) {
  std::tm utc{};
  utc.tm_year = y - 1900;
  utc.tm_mon = mo - 1;
  utc.tm_mday = d;
  utc.tm_hour = h;
  utc.tm_min = mi;
  return static_cast<std::int64_t>(timegm(&utc)) * 1000;
}

// A UTC stamp as the sync tab shows it: local time, to the minute.
std::string local_minute(int y, int mo, int d, int h, int mi) {
  const std::time_t t = static_cast<std::time_t>(timegm_ms(y, mo, d, h, mi) / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M", &local);
  return out;
}

}  // namespace

TEST_CASE("the sync tab shows this tablet ↔ hub ↔ city when the kiosk has a hub", "[kiosk][staff][hub]") {
  Kiosk k;
  enrol_team(*k.store);
  REQUIRE(k.store->set_meta("sync_state", "ok 2026-12-04 03:00:10Z (sent 1, received 0)").ok());
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  k.pin("246813");
  REQUIRE(k.vm().screen == Screen::Staff);
  const int sync_tab = static_cast<int>(ui::StaffTab::Sync);
  k.tap(Intent::StaffTabOpen, {}, sync_tab);
  // No hub: the one line as before, in the ok colour.
  CHECK_FALSE(k.staff().has_hub);
  CHECK(k.staff().link_city.health == ui::LinkHealth::Ok);
  CHECK(k.staff().link_city.when == local_minute(2026, 12, 4, 3, 0));

  // The sync daemon found the hub; the hub cannot reach the city; the
  // direct line failed earlier (written as shelter-sync writes them).
  REQUIRE(k.store->set_meta("hub_sync_state", "ok 2026-12-04 03:10:05Z (sent 2, received 5)").ok());
  const std::int64_t relayed_ms = timegm_ms(2026, 12, 4, 2, 55);
  REQUIRE(k.store
              ->set_meta("hub_city_link",
                         nlohmann::json{{"hub", "tama-01-hub"},
                                        {"state", "error 2026-12-04 03:09:59Z: hub report: connection refused"},
                                        {"last_relay", relayed_ms},
                                        {"waiting", 42}}
                             .dump())
              .ok());
  REQUIRE(
      k.store->set_meta("sync_state", "error 2026-12-04 03:05:00Z: push: timed out; last success 2026-12-04 03:00:10Z")
          .ok());
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Counts));
  k.tap(Intent::StaffTabOpen, {}, sync_tab);
  const auto& s = k.staff();
  REQUIRE(s.has_hub);
  CHECK(s.link_hub.health == ui::LinkHealth::Ok);
  CHECK(s.link_hub.when == local_minute(2026, 12, 4, 3, 10));
  CHECK(s.link_hub.detail.empty());
  CHECK(s.link_hub.waiting == -1);
  CHECK(s.link_hub_city.health == ui::LinkHealth::Error);
  CHECK(s.link_hub_city.when == local_minute(2026, 12, 4, 3, 9));
  CHECK(s.link_hub_city.detail == "hub report: connection refused");
  CHECK(s.link_hub_city.last_ok == local_minute(2026, 12, 4, 2, 55));  // the last relay
  CHECK(s.link_hub_city.waiting == 42);
  CHECK(s.link_city.health == ui::LinkHealth::Error);
  CHECK(s.link_city.when == local_minute(2026, 12, 4, 3, 5));
  CHECK(s.link_city.detail == "push: timed out");
  CHECK(s.link_city.last_ok == local_minute(2026, 12, 4, 3, 0));
}

TEST_CASE("the sync daemon's and the hub's state lines read as links", "[kiosk][hub]") {
  using kiosk::hub_city_link_of;
  using kiosk::sync_link_of;
  CHECK(sync_link_of("").health == ui::LinkHealth::Unknown);
  CHECK(sync_link_of("").when.empty());
  // A hub that could not read its own state, and a link that says neither.
  auto odd = sync_link_of("error: database is locked");
  CHECK(odd.health == ui::LinkHealth::Error);
  CHECK(odd.when.empty());
  CHECK(odd.detail == "database is locked");
  CHECK(sync_link_of("not yet in contact with the city").health == ui::LinkHealth::Unknown);
  // An error whose message holds a colon and a semicolon.
  auto e = sync_link_of("error 2026-12-04 03:05:00Z: pull: server said 500: busy; try later");
  CHECK(e.detail == "pull: server said 500: busy; try later");
  CHECK(e.last_ok.empty());
  // The hub relayed fine: its last relay is the time shown.
  auto ok = hub_city_link_of(nlohmann::json{
      {"state", "ok 2026-12-04 03:09:59Z (relayed 3, received 0)"},
      {"last_relay", timegm_ms(2026, 12, 4, 3, 9)},
      {"waiting", 0}}.dump());
  CHECK(ok.health == ui::LinkHealth::Ok);
  CHECK(ok.when == local_minute(2026, 12, 4, 3, 9));
  CHECK(ok.waiting == 0);
  // Never relayed yet; not JSON (an older daemon's words): nothing known.
  auto fresh = hub_city_link_of(R"({"state":"","last_relay":null,"waiting":7})");
  CHECK(fresh.health == ui::LinkHealth::Unknown);
  CHECK(fresh.waiting == 7);
  CHECK(hub_city_link_of("ok 2026-12-04 03:09:59Z").health == ui::LinkHealth::Unknown);
}
