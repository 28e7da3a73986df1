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

using namespace shelter::ui;

namespace {

struct Harness {
  Translations tr;
  Fonts fonts;
  float unit = 88.6f;  // 15 mm at the default 150 dpi
  Harness() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60;
    REQUIRE(tr.load_dir(SHELTER_ASSETS "/i18n").ok());
    fonts.load(Fonts::default_sources(), 32, tr.all_text());
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
  vm.languages = {{"ja", "日本語"}, {"en", "English"}, {"ko", "한국어"}};
  vm.scan.members = {{"1111111111111111", "髙橋 𠮷男", "タカハシ ヨシオ", "2021-01-20", "infant", true, false},
                     {"2222222222222222", "﨑山 邉子", "サキヤマ ヘンコ", "1990-03-03", "", false, true}};
  vm.pass.going_out = false;
  vm.pass.members = vm.scan.members;
  vm.walkin.people[0].name = "ヤマダ";
  vm.walkin.people[0].birth_decade = 1950;
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
  vm.staff.person =
      PersonDetail{"1111111111111111", "aaaaaaaaaaaaaaaa", "present", {{"name", "髙橋 𠮷男"}}, {"arrived"}, "tama-01"};
  vm.staff.duplicates = {{vm.staff.results[0], vm.staff.results[0]}};
  vm.staff.card_differences = {
      {"tama-02-a.0000000000000003",
       "旧姓 花子",
       {{{"name", "旧姓 花子", "山田 花子"}}, {{"consent", "0", "1"}}, {{"phone", "", "090-1234-5678"}}}}};
  vm.staff.counts = {{"counts.present", 3}};
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
    CHECK(w.x + w.w <= 1280.5f);
    CHECK(w.y + w.h <= 800.5f);
    for (size_t j = i + 1; j < widgets.size(); ++j) {
      const auto& o = widgets[j];
      const float ox = std::min(w.x + w.w, o.x + o.w) - std::max(w.x, o.x);
      const float oy = std::min(w.y + w.h, o.y + o.h) - std::max(w.y, o.y);
      INFO("overlaps " << o.id);
      CHECK_FALSE((ox > 1 && oy > 1));
    }
    CHECK_FALSE(w.label_cut);  // every word of a label shows, on two lines at most
    if (w.id.rfind("notice:", 0) == 0 || w.id.rfind("preview", 0) == 0 || w.clipped) continue;
    CHECK(w.w >= h.unit - 0.5f);
    CHECK(w.h >= h.unit * 0.9f);
  }
}

}  // namespace

TEST_CASE("every screen and staff tab draws in every language with finger-sized targets", "[ui]") {
  Harness h;
  for (const auto& [code, name] : h.tr.languages()) {
    for (Screen s : kAllScreens) {
      for (int tab = 0; tab < (s == Screen::Staff ? kStaffTabCount : 1); ++tab) {
        for (int step = 0; step < (s == Screen::WalkIn ? 6 : 1); ++step) {
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
