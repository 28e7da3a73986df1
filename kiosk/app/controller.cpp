#include "kiosk/app/controller.hpp"

#include <algorithm>
#include <filesystem>

#include "core/checkin.hpp"
#include "core/fs_util.hpp"
#include "core/pin.hpp"
#include "core/qr_image.hpp"
#include "core/secrets.hpp"
#include "core/usb_export.hpp"
#include "core/vocabulary.hpp"
#include "kiosk/ui/widgets.hpp"

namespace shelter::kiosk {

using ui::Intent;
using ui::Screen;
using ui::WalkInStep;

namespace {

constexpr auto kNoticeTime = std::chrono::seconds(8);

// Persons checked in by these events (a new person's registration is a
// second event beside their arrival).
int arrivals_in(const std::vector<Event>& events) {
  return static_cast<int>(
      std::count_if(events.begin(), events.end(), [](const Event& e) { return e.type == EventType::Arrived; }));
}

}  // namespace

Controller::Controller(Store& store, Config config)
    : store_(store), config_(std::move(config)), printer_(config_.print_command) {
  vm_.lang = config_.language;
  auto name = store_.meta("shelter_name");
  vm_.shelter_name = name && name->has_value() ? **name : config_.shelter_name;
  vm_.staff.tries_left = config_.pin_tries;
  vm_.staff.demo = config_.demo;
  vm_.staff.old_shared_pin = !config_.staff_pin_hash.empty();
  if (auto l = read_lockout(store_); l) lockout_ = *l;  // a restart keeps a lockout
  vm_.done.can_print = !config_.print_command.empty();
  vm_.staff.can_print = vm_.done.can_print;
  vm_.walkin.this_year = today_utc().year;
  for (auto n : vocab::kNeeds) vm_.need_names.emplace_back(n);
  for (auto s : vocab::kStays) vm_.stay_names.emplace_back(s);
  for (auto s : vocab::kSexOrder) vm_.sex_codes.emplace_back(s);
  for (auto f : vocab::kPersonFields) vm_.person_fields.emplace_back(f);
  for (auto k : vocab::kPetKinds) vm_.pet_kinds.emplace_back(k);
  vm_.pet_max = kMaxPetsPerKind;
  // Passes are signed with the device's key, made on first use and kept
  // beside the database. Without a file to keep it in (an in-memory store, an
  // unwritable folder) a key for this run only still signs passes this
  // kiosk accepts until it restarts.
  auto key = ensure_device_key(secrets_path(store_.path()));
  device_key_ = key ? *key : signing::generate();
  last_touch_ = Clock::now();
}

bool Controller::on_camera(ui::CameraStatus status, const std::string& text) {
  auto& p = vm_.preview;
  if (p.camera == status && p.camera_text == text) return false;
  p.camera = status;
  p.camera_text = text;
  if (!p.camera_ok()) {
    // The last picture of a camera that went away is not shown as if live.
    p.texture = 0;
    p.width = p.height = 0;
    p.outline = false;
  }
  return true;
}

bool Controller::take_screen_changed() {
  const bool c = screen_changed_;
  screen_changed_ = false;
  return c;
}

void Controller::go(Screen s, Clock::time_point now) {
  if (vm_.screen != s) screen_changed_ = true;
  vm_.screen = s;
  last_touch_ = now;
  if (s == Screen::Welcome) {
    card_.reset();
    card_city_signed_ = false;
    vm_.scan = {};
    reset_walkin();
    sign_out();
    vm_.staff.person.reset();
    vm_.staff.edit_field.clear();
    vm_.staff.search.clear();
    vm_.staff.typing = false;
  }
}

void Controller::notice(const std::string& key, const std::string& detail, bool error) {
  vm_.notice = ui::Notice{key, detail, error};
  notice_until_ = Clock::now() + kNoticeTime;
}

// ---- scanning ---------------------------------------------------------------

bool Controller::on_scan(const std::string& text, Clock::time_point now) {
  if (vm_.screen != Screen::Welcome && vm_.screen != Screen::Done) return false;
  qr::Parsed parsed = qr::parse(text);
  if (parsed.error != qr::ParseError::None) {
    if (vm_.screen == Screen::Done) go(Screen::Welcome, now);
    notice("qr." + std::string(qr::error_name(parsed.error)), {}, true);
    return true;
  }
  auto keys = trusted_keys();
  if (!keys) {
    if (vm_.screen == Screen::Done) go(Screen::Welcome, now);
    notice("error.store", keys.error().message, true);
    return true;
  }
  const signing::Verdict verdict = qr::verify(parsed, *keys);
  if (parsed.pass) {
    if (vm_.screen == Screen::Done) go(Screen::Welcome, now);
    // Only a pass signed by a kiosk the city trusts moves anyone: any other
    // writes nothing, and the person is told why.
    switch (verdict) {
      case signing::Verdict::Valid:
        scan_pass(*parsed.pass, now);
        break;
      case signing::Verdict::Unsigned:
        notice("pass.unsigned", {}, true);
        break;
      case signing::Verdict::UnknownKey:
        notice("pass.unknown_key", {}, true);
        break;
      case signing::Verdict::RevokedKey:
        notice("pass.revoked_key", {}, true);
        break;
      case signing::Verdict::BadSignature:
        notice("pass.bad_signature", {}, true);
        break;
    }
    return true;
  }
  // Only a city-signed card's ids name persons; any other card is a
  // pre-fill of new persons (core/checkin.hpp, card_as_prefill).
  const bool city_signed = verdict == signing::Verdict::Valid;
  auto prefill = city_signed ? Result<qr::HouseholdCard>(*parsed.card) : card_as_prefill(store_, *parsed.card);
  if (!prefill) {
    notice("error.store", prefill.error().message, true);
    return true;
  }
  const qr::HouseholdCard& card = *prefill;
  auto here = members_already_here(store_, card);
  if (!here) {
    notice("error.store", here.error().message, true);
    return true;
  }
  go(Screen::Welcome, now);
  if (std::all_of(here->begin(), here->end(), [](bool b) { return b; })) {
    notice("scan.all_here", card.members.front().info.name);
    return true;
  }
  card_ = card;
  card_city_signed_ = city_signed;
  vm_.scan.household_id = card.household_id;
  for (size_t i = 0; i < card.members.size(); ++i) {
    const auto& m = card.members[i];
    ui::MemberRow row;
    row.person_id = m.person_id;
    row.name = m.info.name;
    row.reading = m.info.reading;
    row.birth = to_string(m.info.birth);
    row.needs = needs_to_string(m.info.needs);
    row.already_here = (*here)[i];
    row.selected = !row.already_here;
    vm_.scan.members.push_back(std::move(row));
  }
  vm_.notice.reset();
  go(Screen::ScanResult, now);
  return true;
}

Result<signing::KeyRing> Controller::trusted_keys() {
  auto listed = store_.trusted_keys();
  if (!listed) return listed.error();
  signing::KeyRing ring(std::move(*listed));
  ring.add_own(device_key_, "device");
  return ring;
}

void Controller::confirm_arrival(Clock::time_point now) {
  if (!card_) return go(Screen::Welcome, now);
  std::vector<size_t> chosen;
  std::vector<std::string> names;
  for (size_t i = 0; i < vm_.scan.members.size(); ++i)
    if (vm_.scan.members[i].selected && !vm_.scan.members[i].already_here) {
      chosen.push_back(i);
      names.push_back(vm_.scan.members[i].name);
    }
  if (chosen.empty()) return notice("scan.choose_someone", {}, true);
  auto events = card_arrivals(store_, *card_, chosen, vm_.scan.stay, "self");
  if (!events) return notice("error.store", events.error().message, true);
  auto r = store_.record(*events);
  if (!r) return notice("error.store", r.error().message, true);
  show_done(*r, names);
  go(Screen::Done, now);
  if (on_checked_in) on_checked_in(arrivals_in(*r));
}

// ---- intents and timers -----------------------------------------------------

void Controller::apply(const Intent& in, Clock::time_point now) {
  last_touch_ = now;
  auto& w = vm_.walkin;
  auto& s = vm_.staff;
  auto& person = w.people[static_cast<size_t>(std::clamp(w.current, 0, static_cast<int>(w.people.size()) - 1))];
  // Whatever moves on from a page takes what is composed or being converted
  // first, as it stands: nothing typed is lost to a tap elsewhere.
  if ((in.kind < Intent::Key || in.kind > Intent::InkClear) && in.kind != Intent::Touch &&
      (vm_.entry.converting() || !vm_.entry.preedit.empty()))
    commit_entry();
  switch (in.kind) {
    case Intent::Touch:
      break;
    case Intent::SetLanguage:
      vm_.lang = in.text;
      vm_.entry.hand_chinese = in.text.rfind("zh", 0) == 0;
      break;
    case Intent::ScanHelp:
      notice("welcome.scan_help");
      break;
    case Intent::NoCard:
      reset_walkin();
      vm_.notice.reset();
      go(Screen::WalkIn, now);
      break;
    case Intent::Cancel:
      pass_settled_ = vm_.screen == Screen::PassConfirm;
      go(Screen::Welcome, now);
      vm_.notice.reset();
      break;
    case Intent::TogglePassMember:
      if (in.number >= 0 && static_cast<size_t>(in.number) < vm_.pass.members.size())
        vm_.pass.members[static_cast<size_t>(in.number)].selected ^= true;
      break;
    case Intent::ConfirmPass:
      if (vm_.screen == Screen::PassConfirm) confirm_pass(now);
      break;
    case Intent::ToggleMember:
      if (in.number >= 0 && static_cast<size_t>(in.number) < vm_.scan.members.size()) {
        auto& m = vm_.scan.members[static_cast<size_t>(in.number)];
        if (!m.already_here) m.selected = !m.selected;
      }
      break;
    case Intent::SetStay:
      if (parse_stay(in.text)) (vm_.screen == Screen::ScanResult ? vm_.scan.stay : w.stay) = in.text;
      break;
    case Intent::ConfirmArrival:
      confirm_arrival(now);
      break;
    case Intent::Key:
    case Intent::Backspace:
    case Intent::SwitchKeyboard:
    case Intent::Convert:
    case Intent::CommitEntry:
    case Intent::ChooseCandidate:
    case Intent::FocusSegment:
    case Intent::ResizeSegment:
    case Intent::InkPoint:
    case Intent::InkEnd:
    case Intent::InkUndo:
    case Intent::InkClear:
      entry_intent(in);
      break;
    case Intent::SkipStep:
      walkin_skip();
      break;
    case Intent::NextStep:
      walkin_next();
      break;
    case Intent::PrevStep:
      walkin_back(now);
      break;
    case Intent::SetBirthDecade:
      person.birth_decade = in.number;
      break;
    case Intent::SetBirthYear:
      person.birth_year = in.number;
      w.step = WalkInStep::Sex;
      break;
    case Intent::SetSex:
      if (parse_sex(in.text)) person.sex = in.text;
      w.step = WalkInStep::Needs;
      break;
    case Intent::ToggleNeed:
      if (in.number >= 0 && in.number < kNeedCount) person.needs ^= static_cast<std::uint16_t>(1u << in.number);
      break;
    case Intent::SetConsent:
      person.consent = in.number ? 1 : 0;
      w.step = after_consent();
      break;
    case Intent::AddFamilyMember:
      if (w.people.size() >= 15) return notice("walkin.too_many", {}, true);
      w.people.push_back({});
      w.current = static_cast<int>(w.people.size()) - 1;
      input_.reset(vm_.entry);
      w.step = WalkInStep::Name;
      break;
    case Intent::EditDraft:
      if (in.number >= 0 && static_cast<size_t>(in.number) < w.people.size()) {
        w.current = in.number;
        input_.reset(vm_.entry);
        w.step = WalkInStep::Name;
      }
      break;
    case Intent::PetMore:
    case Intent::PetFewer:
    case Intent::NoPets:
    case Intent::EditPets:
    case Intent::SavePets:
      pets_intent(in);
      break;
    case Intent::SubmitWalkIn:
      submit_walkin(now);
      break;
    case Intent::Finish:
      go(Screen::Welcome, now);
      break;
    case Intent::DonePage:
      if (in.number >= 0 && static_cast<size_t>(in.number) < vm_.done.passes.size()) vm_.done.page = in.number;
      break;
    case Intent::PrintPass:
      print_pass();
      break;
    case Intent::OpenStaff:
      open_staff_pin(now);
      break;
    case Intent::ChooseVolunteer:
      if (vm_.screen == Screen::StaffPin &&
          (in.text.empty() || std::any_of(s.volunteers.begin(), s.volunteers.end(),
                                          [&](const ui::VolunteerRow& v) { return v.name == in.text; }))) {
        s.who = in.text;
        s.pin_entry.clear();
        vm_.notice.reset();
      }
      break;
    case Intent::PinDigit:
    case Intent::PinBackspace:
      if (vm_.screen == Screen::WalkIn)
        phone_key(in);
      else
        pin_key(in, now);
      break;
    case Intent::PinSubmit:
      pin_submit(now);
      break;
    case Intent::StaffTabOpen: {
      const auto tab = static_cast<ui::StaffTab>(std::clamp(in.number, 0, ui::kStaffTabCount - 1));
      if (vm_.screen != Screen::Staff || (tab == ui::StaffTab::Team && !s.lead)) break;
      s.tab = tab;
      s.edit_field.clear();
      s.new_volunteer = {};
      s.remove_asked.clear();
      vm_.notice.reset();
      refresh_staff_tab();
      break;
    }
    case Intent::StaffSearch:
      commit_entry();
      s.typing = false;
      staff_search();
      break;
    case Intent::StaffTyping:
      s.typing = in.number != 0;
      input_.reset(vm_.entry);
      break;
    case Intent::ToggleHistory:
      s.show_history = !s.show_history;
      break;
    case Intent::ToggleWholeHousehold:
      s.whole_household = !s.whole_household;
      break;
    case Intent::OpenPerson:
      open_person(in.text);
      break;
    case Intent::BeginEdit:
      begin_edit(in.text);
      break;
    case Intent::SetEditValue:
      set_edit_value(in.text);
      break;
    case Intent::ToggleEditNeed:
      toggle_edit_need(in.number);
      break;
    case Intent::EditBirthDecade:
      if (in.number >= 1900 && in.number <= vm_.walkin.this_year) s.edit_decade = in.number / 10 * 10;
      break;
    case Intent::SaveEdit:
      commit_entry();
      save_edit();
      break;
    case Intent::SetPresence:
      set_presence(in.text, in.number == 1);
      break;
    case Intent::Merge:
      merge(in.text, in.number);
      break;
    case Intent::NotDuplicate:
      not_duplicate(in.number);
      break;
    case Intent::ApproveCard:
    case Intent::DismissCard:
      settle_card(in.text, in.kind == Intent::ApproveCard);
      break;
    case Intent::ExportUsb:
      export_usb();
      break;
    case Intent::PrintRoster:
    case Intent::PrintBlankCard:
      print_paper(in.kind, in.text);
      break;
    case Intent::VolunteerForm:
      if (s.lead && s.tab == ui::StaffTab::Team) {
        s.new_volunteer = {};
        s.new_volunteer.open = in.number != 0;
        s.remove_asked.clear();
        vm_.notice.reset();
        if (s.new_volunteer.open) vm_.entry.keyboard = ui::Keyboard::Kana;
      }
      break;
    case Intent::VolunteerNext:
      commit_entry();
      volunteer_next();
      break;
    case Intent::VolunteerLead:
      s.new_volunteer.lead = in.number != 0;
      break;
    case Intent::RemoveVolunteer:
      remove_volunteer(in.text, in.number != 0);
      break;
    case Intent::LeaveStaff:
      go(Screen::Welcome, now);
      vm_.notice.reset();
      break;
  }
}

void Controller::tick(Clock::time_point now) {
  const int limit = vm_.screen == Screen::Staff ? config_.staff_idle_seconds : config_.idle_seconds;
  const auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - last_touch_).count();
  if (vm_.screen != Screen::Welcome) {
    vm_.idle_seconds_left = static_cast<int>(std::max<std::int64_t>(0, limit - idle));
    if (idle >= limit) {
      go(Screen::Welcome, now);
      vm_.lang = config_.language;
      vm_.notice.reset();
    }
  } else {
    vm_.idle_seconds_left = 0;
    if (vm_.notice && now > notice_until_) vm_.notice.reset();
  }
  show_lockout(now);
  check_usb_stick(now, false);
  if (auto printed = printer_.poll()) {
    vm_.done.printed = *printed;
    if (!*printed) notice("done.print_failed", config_.print_command, true);
  }
}

}  // namespace shelter::kiosk
