// Headless UI smoke test (no window, no GPU, as ImGui's example_null): every
// screen in every language for a few frames, with the real fonts. Checks that
// nothing asserts, that every touch target is finger-sized, that widget ids
// do not change with the language, and that rare kanji (髙 﨑 邉, and 𠮷
// outside the BMP) get real glyphs rather than '?'.
#include <imgui.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "core/vocabulary.hpp"
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/style.hpp"

using namespace shelter::ui;

namespace {

// The kiosk's screen sizes: the 1280x800 tablet, a cheap 10"
// 1024x600 one, a 1920x1080 monitor, and 1280x720 (the kiosk session under cage).
struct ScreenSize {
  float w, h;
};
constexpr ScreenSize kScreens[] = {{1280, 800}, {1024, 600}, {1920, 1080}, {1280, 720}};

// Draws as the kiosk does: its style, its unit for the screen (at the
// default 150 dpi) and its font size, not ImGui's defaults.
struct Harness {
  Translations tr;
  Fonts fonts;
  ScreenSize screen;
  float unit;
  explicit Harness(ScreenSize size = kScreens[0]) : screen(size), unit(touch_unit(150, size.w, size.h)) {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(size.w, size.h);
    io.DeltaTime = 1.0f / 60;
    apply_kiosk_style(ImGui::GetStyle(), unit);
    REQUIRE(tr.load_dir(SHELTER_ASSETS "/i18n").ok());
    fonts.load(Fonts::default_sources(), font_size_for(unit), tr.all_text());
  }
  ~Harness() { ImGui::DestroyContext(); }

  std::vector<WidgetRect> frame(const ViewModel& vm, std::vector<Intent>& intents) {
    std::vector<WidgetRect> widgets;
    tr.set_language(vm.lang);
    unsigned char* px;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    ImGui::NewFrame();
    Ui ui{vm, tr, fonts, intents, unit, &widgets};
    draw(ui);
    ImGui::Render();
    if (fonts.needs_rebuild()) fonts.rebuild();
    return widgets;
  }
};

ViewModel sample(Screen s) {
  ViewModel vm;
  vm.screen = s;
  vm.shelter_name = "多摩第一小学校";
  // The controller's lists, from core's vocabulary (header only: the UI
  // library itself links no core).
  namespace vocab = shelter::vocab;
  for (auto n : vocab::kNeeds) vm.need_names.emplace_back(n);
  for (auto s : vocab::kStays) vm.stay_names.emplace_back(s);
  for (auto s : vocab::kSexOrder) vm.sex_codes.emplace_back(s);
  for (auto f : vocab::kPersonFields) vm.person_fields.emplace_back(f);
  for (auto k : vocab::kPetKinds) vm.pet_kinds.emplace_back(k);
  vm.languages = {{"ja", "日本語"}, {"en", "English"}, {"ko", "한국어"}};
  vm.scan.members = {{"1111111111111111", "髙橋 𠮷男", "タカハシ ヨシオ", "2021-01-20", "infant", true, false},
                     {"2222222222222222", "﨑山 邉子", "サキヤマ ヘンコ", "1990-03-03", "", false, true}};
  vm.pass.going_out = false;
  vm.pass.members = vm.scan.members;
  vm.walkin.people[0].name = "ヤマダ";
  vm.walkin.people[0].birth_decade = 1950;
  vm.walkin.pets = {1, 0, 20};  // the pets page and the review's summary
  vm.done.names = {"髙橋 𠮷男"};
  for (const char* name : {"髙橋 𠮷男", "﨑山 邉子"}) {
    PassVm p{name, "SC:PASS", 21, {}};
    p.qr_modules.assign(21 * 21, 1);
    vm.done.passes.push_back(std::move(p));
  }
  vm.done.page = 1;
  vm.done.can_print = true;
  vm.staff.results = {{"1111111111111111", "髙橋 𠮷男", "タカハシ", "2021", "present", "tama-01"},
                      {"2222222222222222", "山田 花子", "ヤマダ", "1950", "moved", "tama-02"}};
  vm.staff.refused = {{"2026-11-24T03:40:00Z  tama-01-a.0000000000000001: device tama-01-a seq 3 is another event's",
                       "tama-01-a.0000000000000002"}};
  vm.staff.person = PersonDetail{
      "1111111111111111",
      "aaaaaaaaaaaaaaaa",
      "present",
      {{"name", "髙橋 𠮷男"}, {"needs", "infant,allergy"}, {"consent", "1"}, {"sex", "M"}, {"stay", "car"}},
      {{"2026-12-04 09:15", "arrived", "self", {}},
       {"2026-12-04 10:02",
        "corrected",
        "佐藤 花子",
        {{{"needs", "", "infant,allergy"}}, {{"consent", "0", "1"}}, {{"phone", "", "090-1234-5678"}}}}},
      "tama-01",
      4,  // the whole-household toggle shows
      // pets as stored, and changed (save enabled)
      {2, 1, 0},
      {2, 0, 20}};
  // A walk-in and a card of the same person: the differing rows highlighted.
  vm.staff.duplicates = {{vm.staff.results[1],
                          vm.staff.results[0],
                          {{"staff.dup_name", "ヤマダ ハナコ", "山田 花子", ""},
                           {"staff.dup_reading", "", "やまだ はなこ", ""},
                           {"staff.dup_birth", "1950", "1950-04-01", ""},
                           {"staff.dup_sex", "female", "female", "sex."},
                           {"staff.dup_needs", "infant,allergy", "", "need."},
                           {"staff.dup_presence", "present", "moved", "presence."},
                           {"staff.dup_household", "aaaaaaaa", "bbbbbbbb", ""}}}};
  vm.staff.card_differences = {
      {"tama-02-a.0000000000000003",
       "旧姓 花子",
       {{{"name", "旧姓 花子", "山田 花子"}}, {{"consent", "0", "1"}}, {{"phone", "", "090-1234-5678"}}}}};
  vm.staff.counts = {{"counts.present", 3}};
  // A kiosk with a shelter hub: the hub answers, the hub cannot reach the
  // city, the direct line was never used.
  vm.staff.has_hub = true;
  vm.staff.link_hub = {LinkHealth::Ok, "2026-12-04 12:10", "", "", -1};
  vm.staff.link_hub_city = {LinkHealth::Error, "2026-12-04 12:09", "2026-12-04 11:55",
                            "hub report: Could not establish connection (https://shelter.city.example:8443)", 12345};
  vm.staff.unsynced = 3;
  vm.staff.paper_file = "/media/usb/roster-ja-tama-01-20261204T031000Z.pdf";
  vm.staff.volunteers = {{"佐藤 花子", true, "2026-11-24T03:40:00Z"},
                         {"Nguyen Thi Bich Ngoc", false, "2026-11-24T03:41:00Z"},
                         {"髙橋 𠮷男", false, "2026-11-24T03:42:00Z"}};
  vm.staff.signed_in = "佐藤 花子";
  vm.staff.lead = true;
  vm.notice = Notice{"qr.truncated", "", true};
  return vm;
}

// On the screen, not under another widget, finger-sized, labels whole.
void check_layout(Harness& h, const ViewModel& vm) {
  std::vector<Intent> intents;
  std::vector<WidgetRect> widgets;
  for (int f = 0; f < 3; ++f) widgets = h.frame(vm, intents);
  CHECK(!widgets.empty());
  for (size_t i = 0; i < widgets.size(); ++i) {
    const auto& w = widgets[i];
    INFO("widget " << w.id << " at " << w.x << "," << w.y << " size " << w.w << "x" << w.h);
    // On the screen, and not under another widget (a touch must land where it looks).
    CHECK(w.x >= 0);
    CHECK(w.y >= 0);
    CHECK(w.x + w.w <= h.screen.w + 0.5f);
    CHECK(w.y + w.h <= h.screen.h + 0.5f);
    for (size_t j = i + 1; j < widgets.size(); ++j) {
      const auto& o = widgets[j];
      const float ox = std::min(w.x + w.w, o.x + o.w) - std::max(w.x, o.x);
      const float oy = std::min(w.y + w.h, o.y + o.h) - std::max(w.y, o.y);
      INFO("overlaps " << o.id);
      CHECK_FALSE((ox > 1 && oy > 1));
    }
    CHECK_FALSE(w.cut_off);    // not past the screen's edge, where no scrolling reaches it
    CHECK_FALSE(w.label_cut);  // every word of a label shows, on two lines at most
    if (w.id.rfind("notice:", 0) == 0 || w.id.rfind("preview", 0) == 0 || w.id.rfind("checked-in:", 0) == 0 ||
        w.id.rfind("text:", 0) == 0 || w.clipped)
      continue;
    // Keyboard keys may shrink a little on a small screen; nothing else.
    const bool key = w.id.find("key:") != std::string::npos;
    CHECK(w.w >= (key ? h.unit * kMinKeyFraction : h.unit) - 0.5f);
    CHECK(w.h >= (key ? h.unit * kMinKeyFraction : h.unit * 0.9f) - 0.5f);
  }
}

}  // namespace

TEST_CASE("every screen and staff tab draws in every language with finger-sized targets", "[ui]") {
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    INFO("screen " << size.w << "x" << size.h << ", unit " << h.unit);
    for (const auto& [code, name] : h.tr.languages()) {
      for (Screen s : kAllScreens) {
        for (int tab = 0; tab < (s == Screen::Staff ? kStaffTabCount : 1); ++tab) {
          for (int step = 0; step < (s == Screen::WalkIn ? kWalkInStepCount : 1); ++step) {
            ViewModel vm = sample(s);
            vm.lang = code;
            vm.staff.tab = static_cast<StaffTab>(tab);
            vm.walkin.step = static_cast<WalkInStep>(step);
            INFO("language " << code << ", screen " << screen_name(s) << ", tab " << tab << ", step " << step);
            check_layout(h, vm);
          }
        }
      }
    }
  }
}

TEST_CASE("a household of 8 shows whole, without scrolling, at every size", "[ui]") {
  const char* const names[8] = {"髙橋 𠮷男", "髙橋 花子",   "髙橋 一郎", "髙橋 二郎",
                                "髙橋 三郎", "髙橋 さくら", "﨑山 邉子", "Nguyen Thi Bich Ngoc"};
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    for (const auto& [code, name] : h.tr.languages()) {
      ViewModel vm = sample(Screen::ScanResult);
      vm.lang = code;
      vm.notice.reset();
      vm.scan.members.clear();
      vm.walkin.people.clear();
      vm.done.names.clear();
      vm.done.passes.clear();
      for (int i = 0; i < 8; ++i) {
        vm.scan.members.push_back({std::to_string(1111111111111111 + i), names[i], "タカハシ ヨシオ", "1950-03-03",
                                   i % 2 ? "infant,allergy" : "", i != 3, i == 5});
        DraftPerson p;
        p.name = names[i];
        p.birth_year = 1950 + i;
        p.sex = "F";
        vm.walkin.people.push_back(p);
        vm.done.names.push_back(names[i]);
        vm.done.passes.push_back({names[i], "SC:PASS", 21, std::vector<std::uint8_t>(21 * 21, 1)});
      }
      vm.pass.members = vm.scan.members;
      vm.walkin.step = WalkInStep::Review;
      const std::pair<Screen, const char*> lists[] = {{Screen::ScanResult, "member:"},
                                                      {Screen::PassConfirm, "pass-member:"},
                                                      {Screen::WalkIn, "person:"},
                                                      {Screen::Done, "checked-in:"}};
      for (const auto& [screen, prefix] : lists) {
        vm.screen = screen;
        INFO("screen " << size.w << "x" << size.h << ", language " << code << ", " << screen_name(screen));
        check_layout(h, vm);
        std::vector<Intent> intents;
        const auto widgets = h.frame(vm, intents);
        for (int i = 0; i < 8; ++i) {
          const std::string id = prefix + std::to_string(i);
          const auto it = std::find_if(widgets.begin(), widgets.end(), [&](const WidgetRect& w) { return w.id == id; });
          INFO(id);
          REQUIRE(it != widgets.end());
          CHECK_FALSE(it->clipped);  // whole, not half under the next question
        }
      }
    }
  }
}

TEST_CASE("each field's editor and the audit trail draw at every size and language", "[ui]") {
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    for (const auto& [code, name] : h.tr.languages()) {
      ViewModel vm = sample(Screen::Staff);
      vm.lang = code;
      vm.notice.reset();
      vm.staff.tab = StaffTab::Person;
      vm.staff.show_history = true;
      INFO("screen " << size.w << "x" << size.h << ", language " << code << ", history");
      check_layout(h, vm);
      vm.staff.show_history = false;
      for (const std::string& f : vm.person_fields) {
        vm.staff.edit_field = f;
        vm.staff.edit_value = vm.staff.person->fields.count(f) ? vm.staff.person->fields.at(f) : "";
        vm.staff.edit_decade = f == "birth" ? 1950 : 0;
        INFO("screen " << size.w << "x" << size.h << ", language " << code << ", editing " << f);
        check_layout(h, vm);
      }
      vm.staff.edit_field.clear();
      vm.staff.person->pets_editing = true;  // the household's pets
      INFO("screen " << size.w << "x" << size.h << ", language " << code << ", editing pets");
      check_layout(h, vm);
    }
  }
}

TEST_CASE("every keyboard, the conversion bar and the handwriting pad fit at every size and language", "[ui]") {
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    for (const auto& [code, name] : h.tr.languages()) {
      ViewModel vm = sample(Screen::WalkIn);
      vm.lang = code;
      vm.walkin.step = WalkInStep::Name;
      for (Keyboard k : kAllKeyboards) {
        vm.entry = {};
        vm.entry.keyboard = k;
        vm.entry.preedit = k == Keyboard::Hangul ? "김민" : k == Keyboard::Viet ? "Nguyễn" : "ヤマダ";
        INFO("screen " << size.w << "x" << size.h << ", language " << code << ", keyboard " << static_cast<int>(k));
        check_layout(h, vm);
        if (k == Keyboard::Hand) {
          vm.entry.ink = {{{0.2f, 0.3f}, {0.8f, 0.3f}}, {{0.5f, 0.1f}, {0.5f, 0.9f}}};
          vm.entry.hand_candidates = {"山", "出", "止", "屮", "凵", "乢", "巾", "や", "ゃ"};
          check_layout(h, vm);
        }
      }
      // Converting やまだはなこ: two segments, many candidates for the first.
      vm.entry = {};
      vm.entry.keyboard = Keyboard::Kana;
      vm.entry.preedit = "ヤマダハナコ";
      vm.entry.segments = {{"山田",
                            {"山田", "山だ", "やまだ", "ヤマダ", "八田", "山多", "矢間田", "山 田", "邪魔だ", "病まだ",
                             "止まだ", "山陀", "山駄", "山舵", "山打", "山蛇"},
                            0},
                           {"花子", {"花子", "華子", "はなこ", "ハナコ"}, 0}};
      INFO("screen " << size.w << "x" << size.h << ", language " << code << ", converting");
      check_layout(h, vm);
      // The reading and address pages, and the phone pad.
      for (WalkInStep step : {WalkInStep::Reading, WalkInStep::Address, WalkInStep::Phone}) {
        vm.entry = {};
        vm.walkin.step = step;
        vm.walkin.people[0].name = "山田 花子";
        vm.walkin.phone = "09012345678";
        check_layout(h, vm);
      }
    }
  }
}

TEST_CASE("a long list of search results scrolls at every size", "[ui]") {
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    ViewModel vm = sample(Screen::Staff);
    vm.notice.reset();
    for (int i = 0; i < 20; ++i) vm.staff.results.push_back(vm.staff.results[0]);
    INFO("screen " << size.w << "x" << size.h);
    check_layout(h, vm);
  }
}

TEST_CASE("staff sign-in and the lead's team tab draw in every state and language", "[ui]") {
  Harness h;
  struct State {
    const char* what;
    void (*set)(ViewModel&);
  };
  const State states[] = {
      {"not set up", [](ViewModel& vm) { vm.staff.not_set_up = true; }},
      {"not set up, old shared PIN in the config",
       [](ViewModel& vm) {
         vm.staff.not_set_up = true;
         vm.staff.old_shared_pin = true;
       }},
      {"nobody chosen", [](ViewModel& vm) { vm.notice.reset(); }},
      {"a name chosen, a wrong PIN",
       [](ViewModel& vm) {
         vm.staff.who = "Nguyen Thi Bich Ngoc";
         vm.staff.pin_entry = "1234567";
         vm.staff.tries_left = 2;
         vm.notice = Notice{"staff.pin_wrong", "", true};
       }},
      {"locked for 2 hours",
       [](ViewModel& vm) {
         vm.staff.who = "佐藤 花子";
         vm.staff.locked_seconds = 7200;
       }},
      {"demo, many names",
       [](ViewModel& vm) {
         vm.staff.demo = true;
         vm.notice.reset();
         for (int i = 0; i < 12; ++i) vm.staff.volunteers.push_back({"Volunteer " + std::to_string(i), false, "x"});
       }},
  };
  for (const auto& [code, name] : h.tr.languages()) {
    for (const auto& st : states) {
      ViewModel vm = sample(Screen::StaffPin);
      vm.lang = code;
      st.set(vm);
      INFO("language " << code << ", PIN screen: " << st.what);
      check_layout(h, vm);
    }
    for (int step = -2; step < 3; ++step) {
      ViewModel vm = sample(Screen::Staff);
      vm.lang = code;
      vm.staff.tab = StaffTab::Team;
      vm.staff.remove_asked = step == -1 ? "髙橋 𠮷男" : "";
      vm.staff.new_volunteer.open = step >= 0;
      vm.staff.new_volunteer.step = static_cast<NewVolunteerStep>(std::max(step, 0));
      vm.staff.new_volunteer.name = "ヤマダ";
      vm.staff.new_volunteer.pin = "864209";
      vm.notice = Notice{"staff.team_bad_pin", "", true};
      INFO("language " << code << ", team tab, step " << step);
      check_layout(h, vm);
    }
  }
}

TEST_CASE("the welcome says what the camera is doing, in every language", "[ui]") {
  Harness h;
  const std::pair<CameraStatus, const char*> states[] = {{CameraStatus::Starting, "preview:camera.starting"},
                                                         {CameraStatus::NotConnected, "preview:camera.not_connected"},
                                                         {CameraStatus::Failed, "preview:camera.unavailable"}};
  for (const auto& [code, name] : h.tr.languages()) {
    for (const auto& [status, id] : states) {
      ViewModel vm = sample(Screen::Welcome);
      vm.lang = code;
      vm.preview.camera = status;
      vm.preview.camera_text = "camera not connected: /dev/shelter-camera";
      INFO("language " << code << ", camera " << id);
      check_layout(h, vm);
      std::vector<Intent> intents;
      const auto widgets = h.frame(vm, intents);
      CHECK(std::any_of(widgets.begin(), widgets.end(), [&, id = id](const WidgetRect& w) { return w.id == id; }));
      // The walk-in stays: "I have no card" is there whatever the camera does.
      CHECK(std::any_of(widgets.begin(), widgets.end(), [](const WidgetRect& w) { return w.id == "no-card"; }));
    }
  }
}

TEST_CASE("widget ids are the same in every language", "[ui]") {
  Harness h;
  for (Screen s : kAllScreens) {
    std::set<std::string> first;
    for (const auto& [code, name] : h.tr.languages()) {
      ViewModel vm = sample(s);
      vm.lang = code;
      std::vector<Intent> intents;
      std::set<std::string> ids;
      for (const auto& w : h.frame(vm, intents)) ids.insert(w.id);
      if (first.empty()) first = ids;
      INFO("screen " << screen_name(s) << ", language " << code);
      CHECK(ids == first);
    }
  }
}

TEST_CASE("rare kanji and characters outside the BMP get real glyphs", "[ui]") {
  Harness h;
  const std::string shown = h.fonts.display("髙﨑邉𠮷");
  h.fonts.rebuild();
  const std::string again = h.fonts.display("髙﨑邉𠮷");
  REQUIRE_FALSE(h.fonts.needs_rebuild());
  const auto cps = utf8_code_points(again);
  REQUIRE(cps.size() == 4);
  ImFont* font = h.fonts.regular();
  for (auto cp : cps) {
    INFO("code point " << std::hex << cp);
    CHECK(cp != 0xFFFD);
    CHECK(font->FindGlyphNoFallback(static_cast<ImWchar>(cp)) != nullptr);
  }
  CHECK(cps[3] >= 0xE000);  // 𠮷 drawn through a private-use glyph
  // Hangul, simplified Chinese and Vietnamese come from the fallback fonts.
  for (const char* s : {"한", "简", "ế"}) {
    const auto c = utf8_code_points(h.fonts.display(s));
    h.fonts.rebuild();  // a new atlas: new ImFont objects
    INFO(s);
    CHECK(h.fonts.regular()->FindGlyphNoFallback(static_cast<ImWchar>(c[0])) != nullptr);
  }
}

TEST_CASE("the keyboard's voicing keys", "[ui]") {
  std::string s = "タ";
  CHECK(apply_voicing(s, false));
  CHECK(s == "ダ");
  s = "ハ";
  CHECK(apply_voicing(s, true));
  CHECK(s == "パ");
  s = "ウ";
  CHECK(apply_voicing(s, false));
  CHECK(s == "ヴ");
  s = "ツ";
  CHECK(apply_voicing(s, false));
  CHECK(s == "ヅ");
  s = "ア";
  CHECK_FALSE(apply_voicing(s, false));
  s = "カ";
  CHECK_FALSE(apply_voicing(s, true));
}

TEST_CASE("the sync tab with a hub shows its three links whole at every size and language", "[ui]") {
  for (const ScreenSize size : kScreens) {
    Harness h(size);
    for (const auto& [code, name] : h.tr.languages()) {
      ViewModel vm = sample(Screen::Staff);
      vm.lang = code;
      vm.notice.reset();
      vm.staff.tab = StaffTab::Sync;
      INFO("screen " << size.w << "x" << size.h << ", language " << code);
      check_layout(h, vm);
      std::vector<Intent> intents;
      auto widgets = h.frame(vm, intents);
      for (const char* id : {"text:link-hub:ok", "text:link-hub-city:error", "text:link-city:unknown"}) {
        const auto it = std::find_if(widgets.begin(), widgets.end(), [&](const WidgetRect& w) { return w.id == id; });
        INFO(id);
        REQUIRE(it != widgets.end());
        CHECK_FALSE(it->clipped);  // whole without scrolling, above the refused events
        CHECK_FALSE(it->cut_off);
      }
      // Without a hub: the one line of before, no links.
      vm.staff.has_hub = false;
      widgets = h.frame(vm, intents);
      CHECK(std::none_of(widgets.begin(), widgets.end(),
                         [](const WidgetRect& w) { return w.id.rfind("text:link-", 0) == 0; }));
    }
  }
}
