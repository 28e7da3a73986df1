// The controller's staff sign-in and the lead's team tab: choosing who signs
// in, their PIN against their own hash, the lockout kept in the store
// (core/volunteers.hpp), and enrolling or removing volunteers.
#include <algorithm>

#include "core/pin.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/widgets.hpp"

namespace shelter::kiosk {

using ui::Intent;
using ui::NewVolunteerStep;
using ui::Screen;

namespace {

// The demo's built-in lead (config demo = true, deploy/run-main.sh): the one
// place a short PIN opens staff mode, and the PIN screen says so.
constexpr const char* kDemoName = "demo";
constexpr const char* kDemoPin = "0000";

}  // namespace

std::int64_t Controller::wall_ms(Clock::time_point now) const {
  return wall_at_start_ + std::chrono::duration_cast<std::chrono::milliseconds>(now - steady_at_start_).count();
}

void Controller::show_lockout(Clock::time_point now) {
  auto& s = vm_.staff;
  const std::int64_t left = lock_left_ms(lockout_, wall_ms(now), config_.pin_lock_seconds);
  s.locked_seconds = static_cast<int>((left + 999) / 1000);
  s.tries_left = std::max(1, config_.pin_tries - lockout_.failures);
}

void Controller::load_volunteers() {
  auto& s = vm_.staff;
  s.volunteers.clear();
  // The demo's lead is a real one, with a key the demo server registers
  // as the shelter's first lead; PIN 0000 only because this is the demo.
  if (config_.demo)
    if (auto st = add_demo_lead(store_, kDemoName, kDemoPin); !st) notice("error.store", st.error().message, true);
  auto list = list_volunteers(store_);
  if (!list) notice("error.store", list.error().message, true);
  const bool real_demo =
      list && std::any_of(list->begin(), list->end(), [](const Volunteer& v) { return v.name == kDemoName; });
  if (config_.demo && !real_demo) s.volunteers.push_back({kDemoName, true, ""});
  if (list)
    for (const auto& v : *list)
      if (config_.demo || v.enrolled_by != kDemoLeadMark)  // the demo's lead opens nothing outside the demo
        s.volunteers.push_back({v.name, v.role == VolunteerRole::Lead, v.enrolled_at});
  s.not_set_up = s.volunteers.empty();
}

void Controller::open_staff_pin(Clock::time_point now) {
  auto& s = vm_.staff;
  vm_.notice.reset();
  load_volunteers();
  // shelterctl staff-unlock may have cleared the lockout meanwhile.
  if (auto l = read_lockout(store_); l) lockout_ = *l;
  show_lockout(now);
  s.who = s.volunteers.size() == 1 ? s.volunteers.front().name : "";
  s.pin_entry.clear();
  go(Screen::StaffPin, now);
}

void Controller::pin_key(const Intent& in, Clock::time_point now) {
  auto& s = vm_.staff;
  const bool digit = in.text.size() == 1 && in.text[0] >= '0' && in.text[0] <= '9';
  auto& nv = s.new_volunteer;
  if (vm_.screen == Screen::Staff && nv.open && nv.step != NewVolunteerStep::Name) {
    std::string& target = nv.step == NewVolunteerStep::Pin ? nv.pin : nv.pin_again;
    if (in.kind == Intent::PinBackspace)
      ui::pop_utf8(target);
    else if (digit && target.size() < kMaxPinDigits)
      target += in.text;
    return;
  }
  if (vm_.screen != Screen::StaffPin) return;
  if (in.kind == Intent::PinBackspace) {
    ui::pop_utf8(s.pin_entry);
    return;
  }
  // Locked: the keypad is disabled on screen, and ignored here too.
  show_lockout(now);
  if (digit && s.locked_seconds == 0 && !s.who.empty() && s.pin_entry.size() < kMaxPinDigits) s.pin_entry += in.text;
}

void Controller::pin_submit(Clock::time_point now) {
  auto& s = vm_.staff;
  const std::string pin = s.pin_entry;
  s.pin_entry.clear();
  show_lockout(now);
  if (s.locked_seconds > 0 || vm_.screen != Screen::StaffPin) return;
  if (s.who.empty()) return notice("staff.choose_name", {}, true);
  bool ok = false, lead = false;
  auto v = find_volunteer(store_, s.who);
  if (!v) return notice("error.store", v.error().message, true);
  staff_key_.reset();
  if (v->has_value() && (config_.demo || (*v)->enrolled_by != kDemoLeadMark)) {
    ok = pin_matches((*v)->pin_hash, pin);
    lead = (*v)->role == VolunteerRole::Lead;
    if (ok) {
      // Without a key their edits are kept, and the server refuses them
      // (shown to staff): say so now rather than later.
      auto key = volunteer_signing_key(store_, **v, pin);
      if (key)
        staff_key_ = std::move(*key);
      else
        notice("error.store", key.error().message, true);
    }
  } else if (config_.demo && s.who == kDemoName) {
    ok = pin == kDemoPin;
    lead = true;
  }
  // A name removed meanwhile counts as a wrong PIN: the screen tells nothing more.
  if (!ok) return wrong_pin(now);
  if (lockout_.failures != 0 || lockout_.locks != 0) {
    (void)clear_lockout(store_);  // a store that cannot be written: the kiosk forgets it anyway
    lockout_ = {};
  }
  show_lockout(now);
  s.signed_in = s.who;
  s.lead = lead;
  store_.set_staff_signer(staff_key_);
  if (staff_key_) vm_.notice.reset();
  go(Screen::Staff, now);
  s.tab = ui::StaffTab::Search;
  staff_search();
}

void Controller::wrong_pin(Clock::time_point now) {
  const std::int64_t at = wall_ms(now);
  auto stored = note_wrong_pin(store_, at, config_.pin_tries, config_.pin_lock_seconds);
  // A store that cannot be written still locks, until the kiosk restarts.
  lockout_ = stored ? *stored : after_wrong_pin(lockout_, at, config_.pin_tries, config_.pin_lock_seconds);
  show_lockout(now);
  if (vm_.staff.locked_seconds > 0)
    notice("staff.pin_locked_notice", {}, true);
  else
    notice("staff.pin_wrong", {}, true);
}

void Controller::sign_out() {
  auto& s = vm_.staff;
  s.who.clear();
  s.pin_entry.clear();
  s.signed_in.clear();
  s.lead = false;
  staff_key_.reset();
  store_.set_staff_signer(std::nullopt);
  s.new_volunteer = {};
  s.remove_asked.clear();
}

void Controller::volunteer_next() {
  auto& s = vm_.staff;
  auto& nv = s.new_volunteer;
  if (!s.lead || !nv.open) return;
  switch (nv.step) {
    case NewVolunteerStep::Name:
      if (auto st = check_volunteer_name(nv.name); !st) return notice("staff.team_bad_name", {}, true);
      if (std::any_of(s.volunteers.begin(), s.volunteers.end(), [&](const auto& v) { return v.name == nv.name; }))
        return notice("staff.team_name_taken", nv.name, true);
      nv.step = NewVolunteerStep::Pin;
      vm_.notice.reset();
      break;
    case NewVolunteerStep::Pin:
      if (auto st = check_pin_rule(nv.pin); !st) {
        nv.pin.clear();
        return notice("staff.team_bad_pin", {}, true);
      }
      nv.step = NewVolunteerStep::PinAgain;
      vm_.notice.reset();
      break;
    case NewVolunteerStep::PinAgain: {
      if (nv.pin_again != nv.pin) {
        nv.pin.clear();
        nv.pin_again.clear();
        nv.step = NewVolunteerStep::Pin;
        return notice("staff.team_pin_mismatch", {}, true);
      }
      auto st = add_volunteer(store_, nv.name, nv.pin, nv.lead ? VolunteerRole::Lead : VolunteerRole::Volunteer,
                              s.signed_in, false, staff_key_ ? &*staff_key_ : nullptr);
      if (!st) return notice("staff.team_not_added", st.error().message, true);
      const std::string name = nv.name;
      nv = {};
      load_volunteers();
      notice("staff.team_added", name);
      break;
    }
  }
  screen_changed_ = true;
}

void Controller::remove_volunteer(const std::string& name, bool confirmed) {
  auto& s = vm_.staff;
  if (!s.lead) return;
  if (name == s.signed_in) return notice("staff.team_not_self", {}, true);
  if (!confirmed) {
    s.remove_asked = name;
    return;
  }
  s.remove_asked.clear();
  if (auto st = shelter::remove_volunteer(store_, name); !st)
    return notice("staff.team_not_removed", st.error().message, true);
  load_volunteers();
  notice("staff.team_removed", name);
}

}  // namespace shelter::kiosk
