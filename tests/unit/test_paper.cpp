// The paper fallback: the roster, blank evacuee cards and a household's
// pass sheet as PDFs from a real store with a household of 8 (髙橋, 𠮷),
// rendered with pdftoppm into tests/artifacts/paper/ (look at them), read
// back with pdftotext, and every pass on the sheet decoded with ZXing and
// compared with the pass texts. Then the kiosk: the done screen's print
// sends one sheet with every member's pass, and staff mode writes the
// roster and blank cards to the export folder when there is no printer.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/checkin.hpp"
#include "core/fs_util.hpp"
#include "core/qr_image.hpp"
#include "core/secrets.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/paper.hpp"
#include "kiosk_helpers.hpp"
#include "store_helpers.hpp"

using namespace shelter;
namespace fs = std::filesystem;
namespace paper = kiosk::paper;
using shelter::test::TempDir;
using ui::Intent;

namespace {

const fs::path kArtifacts = fs::path(SHELTER_TEST_DATA) / ".." / "artifacts" / "paper";

// The household of 8: kanji outside BIZ UD Gothic (𠮷) and the 髙 of 髙橋,
// a Latin name, every need somewhere, and one of them out.
struct HouseholdOf8 {
  TempDir dir;
  std::unique_ptr<Store> store = test::open_store(dir.file("k.db"));
  HouseholdId household = new_id();
  std::vector<std::string> names;
  HouseholdOf8() {
    struct Who {
      const char *name, *reading, *birth;
      Sex sex;
      std::uint16_t needs;
      const char* stay;
    };
    const Who family[] = {
        {"髙橋 一郎", "タカハシ イチロウ", "1948-04-01", Sex::Male, kNeedIllness | kNeedCare, "shelter"},
        {"髙橋 花子", "タカハシ ハナコ", "1951", Sex::Female, kNeedMedicalDevice | kNeedAllergy | kNeedLanguage,
         "shelter"},
        {"𠮷田 太郎", "ヨシダ タロウ", "1980-11-23", Sex::Male, 0, "car"},
        {"𠮷田 美咲", "ヨシダ ミサキ", "1983-02-14", Sex::Female, kNeedPregnant, "car"},
        {"𠮷田 陽菜", "ヨシダ ヒナ", "2024-06-30", Sex::Female, kNeedInfant, "car"},
        {"𠮷田 蓮", "ヨシダ レン", "2015", Sex::Male, kNeedDisability, "shelter"},
        {"Nguyễn Thị Lan", "", "1990-07-07", Sex::Female, kNeedLanguage | kNeedOther, "home"},
        {"髙橋 健", "タカハシ ケン", "1975", Sex::Other, 0, "shelter"},
    };
    std::vector<NewEvent> events;
    for (const Who& w : family) {
      PersonInfo info;
      info.name = w.name;
      info.reading = w.reading;
      info.birth = *parse_birth(w.birth);
      info.sex = w.sex;
      info.needs = w.needs;
      if (w.needs & kNeedOther) info.needs_other = "halal food";
      for (auto& e : walkin_arrival(info, household, w.stay, "self")) events.push_back(std::move(e));
      names.emplace_back(w.name);
    }
    // Someone who has left is not on the roster.
    PersonInfo gone;
    gone.name = "退所 済子";
    const HouseholdId other = new_id();
    for (auto& e : walkin_arrival(gone, other, "shelter", "self")) events.push_back(std::move(e));
    auto recorded = store->record(events);
    REQUIRE(recorded.ok());
    PersonQuery q;
    q.text = "退所";
    const PersonId gone_id = store->persons(q)->front().id;
    REQUIRE(store->record(*presence_event(*store, gone_id, EventType::Left, "self")).ok());
    q.text = "𠮷田 蓮";
    const PersonId out_id = store->persons(q)->front().id;
    REQUIRE(store->record(*presence_event(*store, out_id, EventType::WentOut, "self")).ok());
  }
};

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  return out;
}

// Writes the PDF into the artefacts, renders each page at 100 dpi; returns
// the PNG paths, page by page.
std::vector<std::string> render(const std::string& pdf, const std::string& name) {
  fs::create_directories(kArtifacts);
  const std::string path = (kArtifacts / (name + ".pdf")).string();
  REQUIRE(write_file_atomic(path, pdf, 0644).ok());
  for (const auto& f : fs::directory_iterator(kArtifacts))
    if (f.path().filename().string().rfind(name + "-", 0) == 0) fs::remove(f.path());
  run("pdftoppm -r 100 -png '" + path + "' '" + (kArtifacts / name).string() + "'");
  std::vector<std::string> pages;
  for (int n = 1;; ++n) {
    const fs::path png = kArtifacts / (name + "-" + std::to_string(n) + ".png");
    if (!fs::exists(png)) break;
    pages.push_back(png.string());
  }
  return pages;
}

std::string text_of(const std::string& pdf_path) {
  return run("pdftotext -enc UTF-8 '" + pdf_path + "' -");
}

// Every pass on the pages, each read from its own cell of the grid, as
// the kiosk's camera sees a pass cut from the sheet (several codes in one
// picture are not what the camera is built for).
std::vector<std::string> decode_passes(const std::vector<std::string>& pngs, size_t count) {
  std::vector<std::string> texts;
  const qrimage::QrReader reader;
  for (size_t i = 0; i < count; ++i) {
    auto img = qrimage::load_image(pngs.at(i / 8));
    REQUIRE(img.ok());
    const paper::Box cell = paper::pass_cell(i);
    const double px = 100.0 / 72;  // pdftoppm -r 100
    const int x = static_cast<int>(cell.x * px), y = static_cast<int>(cell.y * px);
    const int w = std::min(static_cast<int>(cell.w * px), img->width - x);
    const int h = std::min(static_cast<int>(cell.h * px), img->height - y);
    auto found = reader.read(img->pixels.data() + static_cast<size_t>(y) * img->width + x, w, h, img->width);
    INFO("pass " << i);
    REQUIRE(found.size() == 1);
    texts.push_back(found.front().text);
  }
  return texts;
}

}  // namespace

TEST_CASE("the roster lists everyone here or out, by household, in Japanese and English", "[paper]") {
  HouseholdOf8 s;
  for (const std::string lang : {"ja", "en"}) {
    auto pdf = paper::roster_pdf(*s.store, "多摩市立第一小学校 体育館", lang, "2026-12-04 09:30");
    REQUIRE(pdf.ok());
    const auto pages = render(*pdf, "roster-" + lang);
    CHECK(pages.size() == 1);
    const std::string text = text_of((kArtifacts / ("roster-" + lang + ".pdf")).string());
    for (const std::string& name : s.names) CHECK(text.find(name) != std::string::npos);
    CHECK(text.find("退所 済子") == std::string::npos);  // left: not on the roster
    CHECK(text.find("多摩市立第一小学校") != std::string::npos);
    CHECK(text.find("2026-12-04 09:30") != std::string::npos);
    if (lang == "ja") {
      for (const char* word : {"避難者名簿", "ふりがな", "医療機器を使用", "乳幼児", "車中", "外出中", "在所 7"})
        CHECK(text.find(word) != std::string::npos);
      CHECK(text.find("medical_device") == std::string::npos);  // words, not codes
    } else {
      for (const char* word :
           {"Shelter roster", "Medical device", "Baby or infant", "Car", "Out", "In 7", "Page 1 / 1"})
        CHECK(text.find(word) != std::string::npos);
    }
  }
}

TEST_CASE("a long roster runs over pages numbered n / m", "[paper]") {
  HouseholdOf8 s;
  std::vector<NewEvent> events;
  for (int i = 0; i < 60; ++i) {
    PersonInfo info;
    info.name = "避難 者" + std::to_string(i);
    info.reading = "ヒナン シャ";
    for (auto& e : walkin_arrival(info, new_id(), "shelter", "self")) events.push_back(std::move(e));
  }
  REQUIRE(s.store->record(events).ok());
  auto pdf = paper::roster_pdf(*s.store, "Tama", "en", "2026-12-04 09:30");
  REQUIRE(pdf.ok());
  const auto pages = render(*pdf, "roster-long-en");
  REQUIRE(pages.size() >= 2);
  const std::string text = text_of((kArtifacts / "roster-long-en.pdf").string());
  CHECK(text.find("Page 1 / " + std::to_string(pages.size())) != std::string::npos);
  CHECK(text.find("Page " + std::to_string(pages.size()) + " / " + std::to_string(pages.size())) != std::string::npos);
  for (int i = 0; i < 60; ++i) CHECK(text.find("避難 者" + std::to_string(i) + "\n") != std::string::npos);
}

TEST_CASE("blank evacuee cards are one page, in Japanese and English", "[paper]") {
  for (const std::string lang : {"ja", "en"}) {
    auto pdf = paper::blank_card_pdf("多摩市立第一小学校 体育館", lang);
    REQUIRE(pdf.ok());
    CHECK(render(*pdf, "card-" + lang).size() == 1);
    const std::string text = text_of((kArtifacts / ("card-" + lang + ".pdf")).string());
    const std::vector<const char*> words =
        lang == "ja"
            ? std::vector<const char*>{"避難者カード",
                                       "多摩市立第一小学校",
                                       "到着日",
                                       "ふりがな",
                                       "住所",
                                       "電話番号",
                                       "車中",
                                       "自宅",
                                       "介護が必要",
                                       "言葉の手助け",
                                       "犬",
                                       "猫",
                                       "はい",
                                       "いいえ",
                                       "端末に入力した人",
                                       "入力日"}
            : std::vector<const char*>{
                  "Evacuee card", "Arrived on",    "Reading", "Address", "Phone", "Car", "Home",
                  "Needs care",   "Language help", "Dog",     "Cat",     "Yes",   "No",  "entered into the kiosk by"};
    for (const char* w : words) CHECK(text.find(w) != std::string::npos);
  }
  // Without a database headquarters prints them with a line for the name.
  auto unnamed = paper::blank_card_pdf("", "ja");
  CHECK(unnamed.ok());
}

TEST_CASE("a household's passes on one sheet all scan, each with its name", "[paper]") {
  HouseholdOf8 s;
  auto key = ensure_device_key(secrets_path(s.store->path()));
  REQUIRE(key.ok());
  auto passes = paper::household_passes(*s.store, s.household, *key);
  REQUIRE(passes.ok());
  REQUIRE(passes->size() == 8);  // the one out has a pass too
  auto pdf = paper::pass_sheet_pdf(*passes, "多摩市立第一小学校 体育館", "ja", "2026-12-04");
  REQUIRE(pdf.ok());
  const auto pages = render(*pdf, "passes-ja");
  REQUIRE(pages.size() == 1);  // a household of 8: one sheet
  std::vector<std::string> expected;
  for (const auto& p : *passes) expected.push_back(p.text);
  CHECK(decode_passes(pages, passes->size()) == expected);
  const std::string text = text_of((kArtifacts / "passes-ja.pdf").string());
  for (const std::string& name : s.names) CHECK(text.find(name) != std::string::npos);
  CHECK(text.find("2026-12-04") != std::string::npos);
  // In English, and a household larger than a page.
  std::vector<paper::PassEntry> many = *passes;
  for (const auto& p : *passes) many.push_back({p.name + " 2", p.text});
  auto two = paper::pass_sheet_pdf(many, "Tama", "en", "2026-12-04");
  REQUIRE(two.ok());
  const auto both = render(*two, "passes-16-en");
  REQUIRE(both.size() == 2);
  std::vector<std::string> all;
  for (const auto& p : many) all.push_back(p.text);
  CHECK(decode_passes(both, many.size()) == all);
  CHECK_FALSE(paper::pass_sheet_pdf({}, "Tama", "en").ok());
}

TEST_CASE("printing on the done screen sends one PDF with every member's pass", "[paper][kiosk]") {
  TempDir out;
  kiosk::Config cfg;
  cfg.print_command = "cp {file} " + out.file("printed.pdf");
  test::Kiosk k(cfg);
  REQUIRE(k.c->on_scan(test::card_text()));
  k.tap(Intent::ConfirmArrival);
  REQUIRE(k.vm().done.passes.size() == 4);
  k.tap(Intent::PrintPass);
  for (int i = 0; i < 100 && !k.vm().done.printed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    k.c->tick();
  }
  REQUIRE(k.vm().done.printed);
  auto pdf = read_file_bytes(out.file("printed.pdf"));
  REQUIRE(pdf.ok());
  CHECK(pdf->rfind("%PDF-", 0) == 0);
  const auto pages = render(*pdf, "kiosk-passes");
  REQUIRE(pages.size() == 1);
  std::vector<std::string> expected;
  for (const auto& p : k.vm().done.passes) expected.push_back(p.text);
  CHECK(decode_passes(pages, expected.size()) == expected);
  const std::string text = text_of((kArtifacts / "kiosk-passes.pdf").string());
  for (const auto& p : k.vm().done.passes) CHECK(text.find(p.name) != std::string::npos);
}

TEST_CASE("staff print the roster and blank cards; without a printer they go to the export folder", "[paper][kiosk]") {
  TempDir stick;
  kiosk::Config cfg;
  cfg.export_dir = stick.path().string();
  test::Kiosk k(cfg);
  REQUIRE(add_volunteer(*k.store, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  // Not signed in: nothing is printed.
  k.tap(Intent::PrintRoster, "ja");
  CHECK(fs::is_empty(stick.path()));
  k.tap(Intent::OpenStaff);
  k.tap(Intent::ChooseVolunteer, "Sato");
  for (char d : std::string("246813")) k.tap(Intent::PinDigit, std::string(1, d));
  k.tap(Intent::PinSubmit);
  REQUIRE(k.vm().staff.signed_in == "Sato");
  CHECK_FALSE(k.vm().staff.can_print);
  k.tap(Intent::PrintRoster, "ja");
  REQUIRE(k.vm().notice);
  CHECK(k.vm().notice->key == "staff.paper_saved");
  const fs::path roster = k.vm().staff.paper_file;
  CHECK(roster.parent_path() == stick.path());
  CHECK(roster.filename().string().rfind("roster-ja-tama-01-", 0) == 0);
  CHECK((fs::status(roster).permissions() & fs::perms::others_read) == fs::perms::none);
  k.tap(Intent::PrintBlankCard, "en");
  CHECK(k.vm().notice->key == "staff.paper_saved");
  CHECK(fs::path(k.vm().staff.paper_file).filename().string().rfind("evacuee-card-en-", 0) == 0);
  CHECK(text_of(k.vm().staff.paper_file).find("Evacuee card") != std::string::npos);
  // A language paper does not come in changes nothing and says why.
  const auto files = std::distance(fs::directory_iterator(stick.path()), fs::directory_iterator{});
  k.tap(Intent::PrintBlankCard, "xx");
  CHECK(k.vm().notice->error);
  CHECK(k.vm().notice->key == "staff.paper_failed");
  CHECK(std::distance(fs::directory_iterator(stick.path()), fs::directory_iterator{}) == files);
  // An export folder that cannot be written: a clear message.
  cfg.export_dir = stick.file("no/such/folder");
  test::Kiosk k2(cfg);
  REQUIRE(add_volunteer(*k2.store, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  k2.tap(Intent::OpenStaff);
  k2.tap(Intent::ChooseVolunteer, "Sato");
  for (char d : std::string("246813")) k2.tap(Intent::PinDigit, std::string(1, d));
  k2.tap(Intent::PinSubmit);
  k2.tap(Intent::PrintRoster, "en");
  REQUIRE(k2.vm().notice);
  CHECK(k2.vm().notice->error);
  CHECK(k2.vm().notice->key == "staff.paper_failed");
}

TEST_CASE("staff prints go to the print command, and a failing one is said", "[paper][kiosk]") {
  TempDir out;
  for (const bool works : {true, false}) {
    kiosk::Config cfg;
    cfg.print_command = works ? "cp {file} " + out.file("card.pdf") : "false {file}";
    test::Kiosk k(cfg);
    REQUIRE(add_volunteer(*k.store, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
    k.tap(Intent::OpenStaff);
    k.tap(Intent::ChooseVolunteer, "Sato");
    for (char d : std::string("246813")) k.tap(Intent::PinDigit, std::string(1, d));
    k.tap(Intent::PinSubmit);
    REQUIRE(k.vm().staff.can_print);
    k.tap(Intent::PrintBlankCard, "ja");
    REQUIRE(k.vm().notice);
    CHECK(k.vm().notice->key == "staff.paper_printing");
    k.tap(Intent::PrintRoster, "ja");  // while the first still prints
    const auto done = [&] { return works ? k.vm().done.printed : k.vm().notice->key == "done.print_failed"; };
    for (int i = 0; i < 100 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      k.c->tick();
    }
    if (works) {
      CHECK(text_of(out.file("card.pdf")).find("避難者カード") != std::string::npos);
    } else {
      CHECK(k.vm().notice->key == "done.print_failed");
      CHECK(k.vm().notice->error);
    }
  }
}
