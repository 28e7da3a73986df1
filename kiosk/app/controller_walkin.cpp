// The walk-in form's pages and the name entry's intents (controller.hpp).
#include <algorithm>

#include "core/checkin.hpp"
#include "core/vocabulary.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/ui/widgets.hpp"

namespace shelter::kiosk {

using ui::Intent;
using ui::Screen;
using ui::WalkInStep;

namespace {

constexpr size_t kMaxNameBytes = 120;
constexpr size_t kMaxAddressBytes = 200;
constexpr size_t kMaxPhoneDigits = 15;  // E.164's longest

// A CJK ideograph: a name with one needs its reading for search.
bool has_kanji(const std::string& s) {
  for (std::uint32_t c : ui::utf8_code_points(s))
    if ((c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || c >= 0x20000 || c == 0x3005) return true;
  return false;
}

bool needs_reading(const ui::DraftPerson& p) {
  return has_kanji(p.name) && (!p.reading_sure || p.reading.empty());
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (s.size() >= 3 && s.compare(s.size() - 3, 3, "\xE3\x80\x80") == 0) s.resize(s.size() - 3);
  return s;
}

// The keyboard a walk-in starts on, by the screen's language.
ui::Keyboard first_keyboard(const std::string& lang) {
  if (lang == "en") return ui::Keyboard::Latin;
  if (lang == "ko") return ui::Keyboard::Hangul;
  if (lang == "vi") return ui::Keyboard::Viet;
  if (lang.rfind("zh", 0) == 0) return ui::Keyboard::Hand;
  return ui::Keyboard::Kana;
}

}  // namespace

void Controller::reset_walkin() {
  const int year = vm_.walkin.this_year;
  vm_.walkin = {};
  vm_.walkin.this_year = year;
  input_.reset(vm_.entry);
  vm_.entry.keyboard = first_keyboard(vm_.lang);
  vm_.entry.hand_chinese = vm_.lang.rfind("zh", 0) == 0;
}

EntryTarget Controller::entry_target() {
  auto& w = vm_.walkin;
  auto& s = vm_.staff;
  if (vm_.screen == Screen::WalkIn) {
    auto& p = w.people[static_cast<size_t>(std::clamp(w.current, 0, static_cast<int>(w.people.size()) - 1))];
    switch (w.step) {
      case WalkInStep::Name:
        return {&p.name, &p.reading, &p.reading_sure, kMaxNameBytes, false};
      case WalkInStep::Reading:
        return {&p.reading, nullptr, nullptr, kMaxNameBytes, false};
      case WalkInStep::Address:
        return {&w.address, nullptr, nullptr, kMaxAddressBytes, true};
      default:
        return {};
    }
  }
  if (vm_.screen == Screen::Staff) {
    if (s.tab == ui::StaffTab::Team && s.new_volunteer.open) {
      if (s.new_volunteer.step != ui::NewVolunteerStep::Name) return {};
      return {&s.new_volunteer.name, nullptr, nullptr, kMaxVolunteerNameBytes, true};
    }
    if (!s.edit_field.empty()) return {&s.edit_value, nullptr, nullptr, 200, true};
    return {&s.search, nullptr, nullptr, 200, true};
  }
  return {};
}

void Controller::commit_entry() {
  const EntryTarget t = entry_target();
  if (!t.text) return;
  if (std::string error = input_.commit(vm_.entry, t); !error.empty()) notice(error, {}, true);
}

void Controller::entry_intent(const Intent& in) {
  const EntryTarget t = entry_target();
  if (!t.text) return;
  auto& e = vm_.entry;
  std::string error;
  switch (in.kind) {
    case Intent::Key:
      error = input_.key(e, t, in.text);
      break;
    case Intent::Backspace:
      input_.backspace(e, t);
      break;
    case Intent::SwitchKeyboard:
      if (in.number >= 0 && in.number < static_cast<int>(std::size(ui::kAllKeyboards)))
        error = input_.switch_keyboard(e, t, static_cast<ui::Keyboard>(in.number));
      break;
    case Intent::Convert:
      error = input_.convert(e);
      break;
    case Intent::CommitEntry:
      error = input_.commit(e, t);
      break;
    case Intent::ChooseCandidate:
      error = input_.choose(e, t, in.number);
      break;
    case Intent::FocusSegment:
      input_.focus(e, in.number);
      break;
    case Intent::ResizeSegment:
      error = input_.resize(e, in.number);
      break;
    case Intent::InkPoint:
      error = input_.ink_point(e, in.text);
      break;
    case Intent::InkEnd:
      error = input_.ink_end(e);
      break;
    case Intent::InkUndo:
      input_.ink_undo(e);
      break;
    case Intent::InkClear:
      input_.ink_clear(e);
      break;
    default:
      break;
  }
  if (!error.empty())
    notice(error, {}, true);
  else if (vm_.notice && vm_.notice->error)
    vm_.notice.reset();
}

void Controller::phone_key(const Intent& in) {
  auto& w = vm_.walkin;
  if (w.step != WalkInStep::Phone) return;
  if (in.kind == Intent::PinBackspace) {
    if (!w.phone.empty()) w.phone.pop_back();
  } else if (in.text.size() == 1 && in.text[0] >= '0' && in.text[0] <= '9' && w.phone.size() < kMaxPhoneDigits) {
    w.phone += in.text;
  }
}

void Controller::walkin_step(WalkInStep step) {
  auto& w = vm_.walkin;
  if (w.step == step) return;
  // The reading is typed in kana whatever the name was written with; the
  // name's keyboard comes back after it.
  if (step == WalkInStep::Reading && w.step != WalkInStep::Reading) {
    keyboard_before_reading_ = vm_.entry.keyboard;
    vm_.entry.keyboard = ui::Keyboard::Kana;
  } else if (w.step == WalkInStep::Reading) {
    vm_.entry.keyboard = keyboard_before_reading_;
  }
  w.step = step;
  input_.reset(vm_.entry);
  screen_changed_ = true;
}

void Controller::walkin_next() {
  auto& w = vm_.walkin;
  auto& p = w.people[static_cast<size_t>(w.current)];
  switch (w.step) {
    case WalkInStep::Name:
      commit_entry();
      p.name = trimmed(p.name);
      if (p.name.empty()) return notice("walkin.name_needed", {}, true);
      p.reading = trimmed(p.reading);
      if (is_reading(p.name)) p.reading = p.name;
      vm_.notice.reset();
      return walkin_step(needs_reading(p) ? WalkInStep::Reading : WalkInStep::Birth);
    case WalkInStep::Reading:
      commit_entry();
      p.reading = trimmed(p.reading);
      p.reading_sure = is_reading(p.reading);
      if (!p.reading_sure) p.reading.clear();
      return walkin_step(WalkInStep::Birth);
    case WalkInStep::Birth:
      return walkin_step(WalkInStep::Sex);
    case WalkInStep::Sex:
      return walkin_step(WalkInStep::Needs);
    case WalkInStep::Needs:
      return walkin_step(WalkInStep::Consent);
    case WalkInStep::Consent:
      return walkin_step(after_consent());
    case WalkInStep::Pets:
      return walkin_step(WalkInStep::Address);
    case WalkInStep::Address:
      commit_entry();
      w.address = trimmed(w.address);
      return walkin_step(WalkInStep::Phone);
    case WalkInStep::Phone:
      return walkin_step(WalkInStep::Review);
    case WalkInStep::Review:
      break;
  }
}

void Controller::walkin_skip() {
  auto& w = vm_.walkin;
  auto& p = w.people[static_cast<size_t>(w.current)];
  switch (w.step) {
    case WalkInStep::Reading:
      p.reading.clear();
      p.reading_sure = true;  // asked, and not given: not asked again
      return walkin_step(WalkInStep::Birth);
    case WalkInStep::Address:
      w.address.clear();
      return walkin_step(WalkInStep::Phone);
    case WalkInStep::Phone:
      w.phone.clear();
      return walkin_step(WalkInStep::Review);
    default:
      break;
  }
}

void Controller::walkin_back(Clock::time_point now) {
  auto& w = vm_.walkin;
  auto& p = w.people[static_cast<size_t>(std::clamp(w.current, 0, static_cast<int>(w.people.size()) - 1))];
  switch (w.step) {
    case WalkInStep::Name:
      if (w.people.size() == 1) return go(Screen::Welcome, now);
      if (p.name.empty()) {
        w.people.erase(w.people.begin() + w.current);
        w.current = 0;
      }
      return walkin_step(WalkInStep::Review);
    case WalkInStep::Reading:
      return walkin_step(WalkInStep::Name);
    case WalkInStep::Birth:
      return walkin_step(has_kanji(p.name) && !p.reading_sure ? WalkInStep::Reading : WalkInStep::Name);
    case WalkInStep::Address:
      return walkin_step(WalkInStep::Pets);
    default:
      return walkin_step(static_cast<WalkInStep>(static_cast<int>(w.step) - 1));
  }
}

void Controller::submit_walkin(Clock::time_point now) {
  auto& w = vm_.walkin;
  for (size_t i = 0; i < w.people.size(); ++i) {
    const auto& p = w.people[i];
    if (p.name.empty() || p.consent < 0) {
      w.current = static_cast<int>(i);
      walkin_step(p.name.empty() ? WalkInStep::Name : WalkInStep::Consent);
      return notice(p.name.empty() ? "walkin.name_needed" : "walkin.consent_needed", {}, true);
    }
  }
  const HouseholdId household = new_id();
  std::vector<NewEvent> events;
  std::vector<std::string> names;
  const std::string pets = walkin_pets();
  for (const auto& p : w.people) {
    PersonInfo info;
    info.name = p.name;
    // Kept apart from the name: the kana typed or converted (山田 花子,
    // ヤマダ ハナコ), or the katakana name itself; none for Hangul or Latin.
    info.reading = is_reading(p.reading) ? p.reading : is_reading(p.name) ? p.name : "";
    info.sex = parse_sex(p.sex).value_or(Sex::Unknown);
    info.birth.year = static_cast<std::uint16_t>(p.birth_year);
    info.needs = p.needs;
    info.consent = p.consent == 1;
    info.address = w.address;  // the household's, as on the paper evacuee card
    info.phone = w.phone;
    // The household's pets go on its first person (core/vocabulary.hpp).
    for (auto& e : walkin_arrival(info, household, w.stay, "self", events.empty() ? pets : ""))
      events.push_back(std::move(e));
    names.push_back(p.name);
  }
  auto r = store_.record(events);
  if (!r) return notice("error.store", r.error().message, true);
  show_done(*r, names);
  go(Screen::Done, now);
  const auto arrivals =
      std::count_if(r->begin(), r->end(), [](const Event& e) { return e.type == EventType::Arrived; });
  if (on_checked_in) on_checked_in(static_cast<int>(arrivals));
}

}  // namespace shelter::kiosk
