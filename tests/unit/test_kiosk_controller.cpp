// The kiosk's controller and camera pipeline without a window: real SQLite
// files, real QR texts, the replay camera. Bad input must change nothing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/fs_util.hpp"
#include "core/pin.hpp"
#include "core/qr_payload.hpp"
#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/usb_export.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/camera/scanner.hpp"
#include "kiosk_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::card_text;
using shelter::test::Kiosk;
using shelter::test::TempDir;
using ui::Intent;
using ui::Screen;
using Clock = std::chrono::steady_clock;

TEST_CASE("a card scan shows the household, and confirming checks in the chosen members", "[kiosk]") {
  Kiosk k;
  REQUIRE(k.c->on_scan(card_text()));
  REQUIRE(k.vm().screen == Screen::ScanResult);
  REQUIRE(k.vm().scan.members.size() == 4);
  CHECK(k.vm().scan.members[2].name == "髙橋 𠮷男");
  k.tap(Intent::ToggleMember, {}, 3);  // the fourth member is not arriving now
  k.tap(Intent::SetStay, "car");
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().screen == Screen::Done);
  CHECK(k.vm().done.names.size() == 3);
  // A pass for each of the three, with their name.
  REQUIRE(k.vm().done.passes.size() == 3);
  std::set<std::string> pass_ids;
  for (size_t i = 0; i < 3; ++i) {
    const auto& p = k.vm().done.passes[i];
    CHECK(p.name == k.vm().done.names[i]);
    CHECK(p.qr_size > 0);
    auto parsed = qr::parse(p.text);
    REQUIRE(parsed.pass);
    pass_ids.insert(parsed.pass->person_id);
  }
  CHECK(pass_ids.size() == 3);
  CHECK(k.vm().done.page == 0);
  k.tap(Intent::DonePage, {}, 2);
  CHECK(k.vm().done.shown() == &k.vm().done.passes[2]);
  k.tap(Intent::DonePage, {}, 3);  // no fourth pass: stays
  CHECK(k.vm().done.page == 2);
  auto counts = k.store->counts("tama-01");
  CHECK(counts->present == 3);
  CHECK(counts->by_stay.at("car") == 3);

  // The same card again: only the fourth member is offered.
  k.tap(Intent::Finish);
  REQUIRE(k.c->on_scan(card_text()));
  REQUIRE(k.vm().screen == Screen::ScanResult);
  CHECK(k.vm().scan.members[0].already_here);
  CHECK_FALSE(k.vm().scan.members[3].already_here);
  k.tap(Intent::ConfirmArrival);
  CHECK(k.store->counts("tama-01")->present == 4);
  // And once more: everyone is here, nothing is written.
  k.tap(Intent::Finish);
  const auto before = k.events();
  k.c->on_scan(card_text());
  CHECK(k.vm().screen == Screen::Welcome);
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "scan.all_here");
  CHECK(k.events() == before);
}

TEST_CASE("foreign, damaged and tampered codes get their own message and write nothing", "[kiosk]") {
  Kiosk k;
  const std::string good = card_text();
  std::string tampered = good;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  const std::pair<std::string, std::string> cases[] = {
      {"https://example.com/", "qr.not_shelter_code"},
      {good.substr(0, good.size() - 7), "qr.truncated"},
      {tampered, "qr.bad_checksum"},
      {"SC:!!!", "qr.bad_encoding"},
  };
  for (const auto& [text, key] : cases) {
    INFO(key);
    REQUIRE(k.c->on_scan(text));
    CHECK(k.vm().screen == Screen::Welcome);
    REQUIRE(k.vm().notice);
    CHECK(k.vm().notice->key.rfind("qr.", 0) == 0);
    CHECK(k.vm().notice->error);
    CHECK(k.events() == 0);
  }
  CHECK(k.vm().notice->key == "qr.bad_encoding");
}

TEST_CASE("codes are ignored while someone is filling in the form or in staff mode", "[kiosk]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  CHECK_FALSE(k.c->on_scan(card_text()));
  CHECK(k.vm().screen == Screen::WalkIn);
}

TEST_CASE("the walk-in form registers a family in a few taps", "[kiosk]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::NextStep);  // no name yet: refused
  CHECK(k.vm().walkin.step == ui::WalkInStep::Name);
  CHECK(k.vm().notice->key == "walkin.name_needed");
  for (const char* key : {"ヤ", "マ", "タ", "゛"}) k.tap(Intent::Key, key);
  CHECK(k.vm().entry.preedit == "ヤマダ");  // kana is composed until taken, converted or not
  k.tap(Intent::NextStep);
  CHECK(k.vm().walkin.people[0].name == "ヤマダ");
  CHECK(k.vm().walkin.people[0].reading == "ヤマダ");
  k.tap(Intent::SetBirthDecade, {}, 1950);
  k.tap(Intent::SetBirthYear, {}, 1953);
  k.tap(Intent::SetSex, "F");
  k.tap(Intent::ToggleNeed, {}, 2);  // infant
  k.tap(Intent::NextStep);
  k.tap(Intent::SetConsent, {}, 1);
  CHECK(k.vm().walkin.step == ui::WalkInStep::Pets);  // the household's pets, once
  k.tap(Intent::NoPets);
  CHECK(k.vm().walkin.step == ui::WalkInStep::Address);  // the household's address and phone, skippable
  k.tap(Intent::SkipStep);
  CHECK(k.vm().walkin.step == ui::WalkInStep::Phone);
  k.tap(Intent::SkipStep);
  CHECK(k.vm().walkin.step == ui::WalkInStep::Review);
  k.tap(Intent::AddFamilyMember);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(ui::Keyboard::Latin));
  k.tap(Intent::Key, "A");
  k.tap(Intent::Key, "N");
  k.tap(Intent::Backspace);
  k.tap(Intent::Key, "I");
  k.tap(Intent::NextStep);
  k.tap(Intent::SetBirthYear, {}, 0);  // would rather not say
  k.tap(Intent::SetSex, "");
  k.tap(Intent::NextStep);
  k.tap(Intent::PrevStep);  // back from consent to needs, then forward again without answering
  k.tap(Intent::NextStep);
  k.tap(Intent::SubmitWalkIn);  // consent not answered for person 2: refused
  CHECK(k.vm().screen == Screen::WalkIn);
  CHECK(k.vm().notice->key == "walkin.consent_needed");
  CHECK(k.events() == 0);
  k.tap(Intent::SetConsent, {}, 0);
  k.tap(Intent::SubmitWalkIn);
  REQUIRE(k.vm().screen == Screen::Done);
  PersonQuery q;
  auto people = k.store->persons(q);
  REQUIRE(people->size() == 2);
  const auto& a = (*people)[0].info.name == "ヤマダ" ? (*people)[0] : (*people)[1];
  const auto& b = (*people)[0].info.name == "ヤマダ" ? (*people)[1] : (*people)[0];
  CHECK(a.info.reading == "ヤマダ");  // a katakana name is its own reading
  CHECK(to_string(a.info.birth) == "1953");
  CHECK(a.info.needs == kNeedInfant);
  CHECK(a.info.consent);
  CHECK(b.info.name == "AI");
  CHECK_FALSE(b.info.consent);
  CHECK(a.household_id == b.household_id);
  // The arrival carries the stay; the registration beside it the form's
  // fields, and only those.
  auto events = k.store->person_events(a.id);
  REQUIRE(events->size() == 2);
  CHECK(events->front().type == EventType::Arrived);
  CHECK(events->front().body == nlohmann::json{{"stay", "shelter"}});
  CHECK(events->back().type == EventType::Registered);
  CHECK(events->back().body == nlohmann::json{{"name", "ヤマダ"},
                                              {"reading", "ヤマダ"},
                                              {"sex", "F"},
                                              {"birth", "1953"},
                                              {"needs", "infant"},
                                              {"consent", "1"}});
  CHECK(k.store->person_events(b.id)->back().body ==
        nlohmann::json{{"name", "AI"}, {"reading", ""}, {"sex", ""}, {"birth", ""}, {"needs", ""}, {"consent", "0"}});
}

TEST_CASE("a pass marks out, back, and re-arrival at another shelter", "[kiosk]") {
  Kiosk k;
  k.c->on_scan(card_text());
  k.tap(Intent::ConfirmArrival);
  // A family of four gets four passes; the third goes out with their own.
  REQUIRE(k.vm().done.passes.size() == 4);
  const std::string third = k.vm().done.passes[2].text;
  const std::string pass = k.vm().done.passes.front().text;
  k.tap(Intent::Finish);
  // A second scan asks first: nothing is written until confirmed.
  const auto before_scan = k.events();
  REQUIRE(k.c->on_scan(third));
  REQUIRE(k.vm().screen == Screen::PassConfirm);
  CHECK(k.vm().pass.going_out);
  REQUIRE(k.vm().pass.members.size() == 4);  // the holder, then the household here
  CHECK(k.vm().pass.members[0].person_id == qr::parse(third).pass->person_id);
  CHECK(k.vm().pass.members[0].selected);
  CHECK_FALSE(k.vm().pass.members[1].selected);
  k.tap(Intent::Cancel);
  CHECK(k.vm().screen == Screen::Welcome);
  CHECK(k.events() == before_scan);
  REQUIRE(k.c->on_scan(third));
  k.tap(Intent::ConfirmPass);
  CHECK(k.vm().screen == Screen::Welcome);
  CHECK(k.vm().notice->key == "pass.went_out");
  CHECK(k.vm().notice->detail == k.store->person(qr::parse(third).pass->person_id)->value().info.name);
  CHECK(k.store->counts("tama-01")->out == 1);
  REQUIRE(k.c->on_scan(third));
  CHECK_FALSE(k.vm().pass.going_out);
  REQUIRE(k.vm().pass.members.size() == 1);  // nobody else of the household is out
  k.tap(Intent::ConfirmPass);
  CHECK(k.vm().notice->key == "pass.came_back");
  // The whole household goes out in one step.
  REQUIRE(k.c->on_scan(pass));
  for (int i = 1; i < 4; ++i) k.tap(Intent::TogglePassMember, {}, i);
  k.tap(Intent::ConfirmPass);
  CHECK(k.vm().notice->key == "pass.went_out");
  CHECK(k.store->counts("tama-01")->out == 4);
  REQUIRE(k.c->on_scan(pass));
  REQUIRE(k.vm().pass.members.size() == 4);
  for (int i = 1; i < 4; ++i) k.tap(Intent::TogglePassMember, {}, i);
  k.tap(Intent::ConfirmPass);
  CHECK(k.vm().notice->key == "pass.came_back");
  CHECK(k.store->counts("tama-01")->out == 0);
  // A pass printed at another shelter, for somebody this kiosk has never
  // seen: the arrival is recorded with the ids alone (details come by sync).
  // Its kiosk's key came with the key list at the last sync.
  const auto other = signing::generate();
  REQUIRE(
      k.store->set_trusted_keys({{"device", other.key_id(), "tama-02-a", "tama-02", other.public_key, false}}).ok());
  qr::Pass stranger{"abcdefabcdefabcd", "0123012301230123", "tama-02", *parse_birth("2026-01-01")};
  const auto before = k.events();
  k.c->on_scan(*qr::encode_pass(stranger, qr::signer_for(other)));
  CHECK(k.vm().notice->key == "pass.arrived_elsewhere");
  CHECK(k.events() == before + 1);
  auto rec = k.store->person("abcdefabcdefabcd");
  REQUIRE(rec->has_value());
  CHECK((*rec)->presence == Presence::Present);
  CHECK((*rec)->shelter_id == "tama-01");
  CHECK((*rec)->household_id == "0123012301230123");
  CHECK((*rec)->info.name.empty());
}

TEST_CASE("staff mode: the PIN, lockout after wrong tries, corrections as events", "[kiosk]") {
  kiosk::Config cfg;
  cfg.pin_tries = 3;
  cfg.pin_lock_seconds = 60;
  Kiosk k(cfg);
  REQUIRE(add_volunteer(*k.store, "佐藤 花子", "246813", VolunteerRole::Volunteer, "test").ok());
  k.c->on_scan(card_text());
  k.tap(Intent::ConfirmArrival);
  k.tap(Intent::Finish);
  k.tap(Intent::OpenStaff);
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    for (char d : std::string("1111")) k.c->apply(Intent{Intent::PinDigit, std::string(1, d), 0}, t0);
    k.c->apply(Intent{Intent::PinSubmit, {}, 0}, t0);
  }
  k.c->tick(t0);
  CHECK(k.vm().staff.locked_seconds > 0);
  // Locked: even the right PIN is refused until the time is up.
  for (char d : std::string("246813")) k.c->apply(Intent{Intent::PinDigit, std::string(1, d), 0}, t0);
  k.c->apply(Intent{Intent::PinSubmit, {}, 0}, t0);
  CHECK(k.vm().screen == Screen::StaffPin);
  const auto later = t0 + std::chrono::seconds(61);
  k.c->tick(later);
  for (char d : std::string("246813")) k.c->apply(Intent{Intent::PinDigit, std::string(1, d), 0}, later);
  k.c->apply(Intent{Intent::PinSubmit, {}, 0}, later);
  REQUIRE(k.vm().screen == Screen::Staff);
  REQUIRE(k.vm().staff.results.size() == 4);

  const std::string id = k.vm().staff.results[0].person_id;
  k.c->apply(Intent{Intent::OpenPerson, id, 0}, later);
  k.c->apply(Intent{Intent::BeginEdit, "birth", 0}, later);
  k.c->apply(Intent{Intent::Key, "X", 0}, later);  // "1948-05-12X": not a date
  const auto before = k.events();
  k.c->apply(Intent{Intent::SaveEdit, {}, 0}, later);
  CHECK(k.vm().notice->key == "staff.edit_refused");
  CHECK(k.events() == before);
  for (int i = 0; i < 12; ++i) k.c->apply(Intent{Intent::Backspace, {}, 0}, later);
  for (char ch : std::string("1950-01-02")) k.c->apply(Intent{Intent::Key, std::string(1, ch), 0}, later);
  k.c->apply(Intent{Intent::SaveEdit, {}, 0}, later);
  CHECK(k.vm().notice->key == "staff.saved");
  auto history = k.store->person_events(id);
  REQUIRE(history->back().type == EventType::Corrected);
  CHECK(history->back().author == "staff:佐藤 花子");
  CHECK(history->back().body.at("birth") == "1950-01-02");

  // Staff mode closes itself when left alone.
  k.c->tick(later + std::chrono::seconds(cfg.staff_idle_seconds + 1));
  CHECK(k.vm().screen == Screen::Welcome);
}

TEST_CASE("an abandoned form returns to the welcome screen and forgets what was typed", "[kiosk]") {
  kiosk::Config cfg;
  cfg.idle_seconds = 30;
  Kiosk k(cfg);
  const auto t0 = Clock::now();
  k.c->apply(Intent{Intent::NoCard, {}, 0}, t0);
  k.c->apply(Intent{Intent::SetLanguage, "en", 0}, t0);
  k.c->apply(Intent{Intent::Key, "ア", 0}, t0);
  k.c->tick(t0 + std::chrono::seconds(29));
  CHECK(k.vm().screen == Screen::WalkIn);
  CHECK(k.vm().idle_seconds_left == 1);
  k.c->tick(t0 + std::chrono::seconds(31));
  CHECK(k.vm().screen == Screen::Welcome);
  CHECK(k.vm().walkin.people[0].name.empty());
  CHECK(k.vm().lang == cfg.language);
}

TEST_CASE("a store that cannot be written shows a message and keeps the form", "[kiosk]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::Key, "ア");
  k.tap(Intent::SetConsent, {}, 1);
  // Make every write fail as a full or read-only disk would.
  REQUIRE(k.store->db().exec("PRAGMA query_only = 1").ok());
  k.tap(Intent::SubmitWalkIn);
  CHECK(k.vm().screen == Screen::WalkIn);
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "error.store");
  CHECK(k.vm().walkin.people[0].name == "ア");
  REQUIRE(k.store->db().exec("PRAGMA query_only = 0").ok());
  k.tap(Intent::SubmitWalkIn);
  CHECK(k.vm().screen == Screen::Done);
}

TEST_CASE("the scanner reports a code once, again after a reset, and reopens a failed camera", "[kiosk][camera]") {
  TempDir dir;
  int opens = 0;
  camera::ReplayOptions ro;
  ro.paths = {std::string(SHELTER_TEST_DATA) + "/frames/card"};
  ro.fps = 30;
  // The first open fails, as an unplugged webcam would.
  camera::Scanner scanner(
      [&]() -> Result<std::unique_ptr<camera::FrameSource>> {
        if (opens++ == 0) return fail("camera /dev/video9 was unplugged");
        return camera::open_replay(ro);
      },
      camera::Scanner::Options{std::chrono::milliseconds(4000), std::chrono::milliseconds(20)}, nullptr);
  scanner.start();
  std::vector<camera::Detection> got;
  const auto end = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < end && got.empty()) {
    for (auto& d : scanner.take_detections()) got.push_back(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == card_text());
  CHECK(opens >= 2);
  // The card stays in view: no second report.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(scanner.take_detections().empty());
  CHECK(scanner.stats().camera_ok());
  CHECK(scanner.stats().decoded > 3);
  CHECK(scanner.last_outline(std::chrono::milliseconds(1000)).has_value());
  scanner.reset_repeat_filter();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(scanner.take_detections().size() == 1);
  scanner.stop();
}

TEST_CASE("the replay source explains what it cannot play", "[camera]") {
  TempDir dir;
  camera::ReplayOptions ro;
  ro.paths = {dir.file("missing")};
  auto r = camera::open_replay(ro);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("no such file") != std::string::npos);
  ro.paths = {dir.path().string()};
  r = camera::open_replay(ro);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("no PNG or JPEG") != std::string::npos);
  ro.paths = {std::string(SHELTER_TEST_DATA) + "/qr/not-an-image.png"};
  CHECK_FALSE(camera::open_replay(ro).ok());
  ro.paths = {std::string(SHELTER_TEST_DATA) + "/frames/card"};
  ro.loop = false;
  ro.fps = 100;
  auto src = camera::open_replay(ro);
  REQUIRE(src.ok());
  camera::Frame f;
  CHECK(*(*src)->next(f, std::chrono::milliseconds(100)));
  CHECK(f.width > 0);
  // JPEG frames come as a webcam's MJPEG: undecoded, with a thumbnail; the
  // capture thread decodes them in colour.
  REQUIRE_FALSE(f.mjpeg.empty());
  CHECK(f.thumb.width == (f.width + 7) / 8);
  REQUIRE(camera::decode_mjpeg(f.mjpeg.data(), f.mjpeg.size(), f).ok());
  CHECK(f.rgb.size() == static_cast<size_t>(f.width) * f.height * 3);
  CHECK_FALSE(*(*src)->next(f, std::chrono::milliseconds(20)));  // played once
}

TEST_CASE("the commented example kiosk config loads as it ships", "[kiosk]") {
  auto r = kiosk::load_config(std::string(SHELTER_TEST_DATA) + "/../../config/kiosk.example.toml");
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(!r->shelter_id.empty());
}

TEST_CASE("a broken kiosk config names the problem", "[kiosk]") {
  TempDir dir;
  auto write = [&](const std::string& text) {
    std::ofstream(dir.file("k.toml")) << text;
    return dir.file("k.toml");
  };
  auto r = kiosk::load_config(write("idle_secondz = 30\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("unknown key idle_secondz") != std::string::npos);
  r = kiosk::load_config(write("idle_seconds = \"thirty\"\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("idle_seconds") != std::string::npos);
  r = kiosk::load_config(write("shelter_id = \"Tama 01\"\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("shelter_id") != std::string::npos);
  r = kiosk::load_config(write("db = \n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(":1:") != std::string::npos);
  r = kiosk::load_config(write("language = \"en\"\nidle_seconds = 45\n"));
  REQUIRE(r.ok());
  CHECK(r->idle_seconds == 45);
  // Non-ASCII outside quotes (toml++ 3.3 would reach undefined behaviour on
  // some of it) is refused by line; inside quotes and comments it is text.
  r = kiosk::load_config(write("language = \"en\"\nshelter_namé = \"x\"\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(":2: a character that is not plain ASCII outside quotes") != std::string::npos);
  r = kiosk::load_config(write("idle_seconds = 45 é\n"));
  REQUIRE_FALSE(r.ok());
  r = kiosk::load_config(
      write("\xEF\xBB\xBF# Café Тама\nshelter_name = \"Café \\\" Тама\"\nprint_command = '''é'''\n"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->shelter_name == "Café \" Тама");
  r = kiosk::load_config(write("shelter_name = あ\n"));  // unquoted: refused before toml++ sees it
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(":1: a character that is not plain ASCII") != std::string::npos);
  r = kiosk::load_config(write("shelter_name = 'C:\\x \"多摩\" あ😀'\nprint_command = '''\nlp -d 'あ' \\\n'''\n"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->shelter_name == "C:\\x \"多摩\" あ😀");  // literal strings keep every character as written
  CHECK(r->print_command == "lp -d 'あ' \\\n");
  r = kiosk::load_config(write("\"名前\" = 1\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("unknown key 名前") != std::string::npos);
  r = kiosk::load_config(write("shelter_name = \"\xE5\xA4\"\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(":1: not valid UTF-8") != std::string::npos);
  r = kiosk::load_config(write("language = \"en\"\n[\x01-table]\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(":2: a control character") != std::string::npos);
  r = kiosk::load_config(write("pin_tries = 4294967297\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("pin_tries is out of range") != std::string::npos);
}

TEST_CASE("staff see possible duplicates and merge them with one tap", "[kiosk]") {
  kiosk::Config demo;
  demo.demo = true;  // the demo's lead "demo" with PIN 0000
  Kiosk k(demo);
  for (int i = 0; i < 2; ++i) k.walk_in({"ヤ", "マ", "ダ"}, 1953);  // the same person registers twice, at two visits
  CHECK(k.store->counts("tama-01")->present == 2);
  k.tap(Intent::OpenStaff);
  for (const char* d : {"0", "0", "0", "0"}) k.tap(Intent::PinDigit, d);
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().screen == Screen::Staff);
  CHECK(k.vm().staff.signed_in == "demo");
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Duplicates));
  REQUIRE(k.vm().staff.duplicates.size() == 1);
  const std::string dup = k.vm().staff.duplicates[0].b.person_id;
  k.tap(Intent::Merge, dup, 0);
  CHECK(k.vm().notice->key == "staff.merged");
  CHECK(k.vm().staff.duplicates.empty());
  CHECK(k.store->counts("tama-01")->present == 1);  // one person, counted once
  auto history = k.store->person_events(dup);
  CHECK(history->back().type == EventType::Merged);
  CHECK(history->back().author == "staff:demo");
  k.tap(Intent::StaffTabOpen, {}, static_cast<int>(ui::StaffTab::Counts));
  CHECK(k.vm().staff.counts.front() == std::pair<std::string, int>{"counts.present", 1});
}

TEST_CASE("the scan button explains what to do; scanning needs no tap", "[kiosk]") {
  Kiosk k;
  k.tap(Intent::ScanHelp);
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "welcome.scan_help");
  CHECK_FALSE(k.vm().notice->error);
  CHECK(k.vm().screen == Screen::Welcome);
}

TEST_CASE("the staff USB export is core's format: shelterctl and the server import it", "[kiosk][usb]") {
  TempDir stick;
  kiosk::Config cfg;
  cfg.export_dir = stick.path().string();
  Kiosk k(cfg);
  // Without headquarters' key nothing is written, and staff are told why.
  k.tap(Intent::ExportUsb);
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "staff.export_failed");
  CHECK(k.vm().notice->detail.find("no headquarters key") != std::string::npos);
  CHECK(std::filesystem::is_empty(stick.path()));
  const auto hq_key = sealing::generate();
  REQUIRE(k.store->set_trusted_keys({{"hq", hq_key.key_id(), "", "", hq_key.public_key, false}}).ok());
  REQUIRE(k.c->on_scan(card_text()));
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().screen == Screen::Done);
  k.tap(Intent::Finish);
  REQUIRE(k.events() == 8);  // four arrivals, four registrations
  k.tap(Intent::ExportUsb);
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "staff.exported");
  const std::string& result = k.vm().staff.export_result;
  const std::string path = result.substr(0, result.find("  ("));
  CHECK(result == path + "  (8)");
  CHECK(path.rfind(stick.path().string() + "/shelter-tama-01-a-", 0) == 0);

  // Read back with core's reader, as the server does: headquarters' key
  // opens it, the device key checks it.
  auto bytes = read_file_bytes(path);
  REQUIRE(bytes.ok());
  auto device = load_secrets(secrets_path(k.store->path()))->device_key;
  auto x = open_usb_export(*bytes, hq_key, [&](const UsbHeader& h) -> Result<std::string> {
    CHECK(h.device_key_id == device.key_id());
    return device.public_key;
  });
  REQUIRE(x.ok());
  CHECK(x->device_id == "tama-01-a");
  CHECK(x->shelter_id == "tama-01");
  REQUIRE(x->events.size() == 8);

  TempDir hq;
  auto s = Store::open(hq.file("hq.db"));
  REQUIRE(s.ok());
  REQUIRE((*s)->init_identity("hq", "hq-1", "HQ").ok());
  CHECK(import_usb_export(**s, *x).value() == 8);
  CHECK(import_usb_export(**s, *x).value() == 0);  // twice changes nothing
  for (const auto& e : x->events) {
    auto here = k.store->person(e.person_id);
    auto there = (*s)->person(e.person_id);
    REQUIRE((here.ok() && there.ok() && here->has_value() && there->has_value()));
    CHECK((*there)->info == (*here)->info);
    CHECK((*there)->presence == Presence::Present);
    CHECK((*there)->shelter_id == "tama-01");
  }

  // An export to a folder that is not there says so and writes nothing.
  kiosk::Config bad;
  bad.export_dir = stick.file("no-such-stick");
  Kiosk k2(bad);
  k2.tap(Intent::ExportUsb);
  REQUIRE(k2.vm().notice);
  CHECK(k2.vm().notice->key == "staff.export_failed");
  CHECK(k2.vm().notice->error);
}
