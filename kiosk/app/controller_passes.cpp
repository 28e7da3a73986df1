// The controller's passes: what a scanned pass does (an arrival, or going
// out / coming back after a confirm, for a household in one step), and the
// passes shown and printed (one sheet for the household) when a check-in is
// done. The rest of the state machine is in controller.cpp.
#include "core/checkin.hpp"
#include "core/qr_image.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/app/paper.hpp"

namespace shelter::kiosk {

using ui::Screen;

void Controller::scan_pass(const qr::Pass& pass, Clock::time_point now) {
  auto action = pass_action(store_, pass, "self");
  if (!action) return notice("error.store", action.error().message, true);
  using Kind = PassAction::Kind;
  if (action->kind == Kind::WentOut || action->kind == Kind::CameBack) {
    // A second scan asks first: a pass shown twice by mistake must not
    // flip someone out or back silently.
    const bool out = action->kind == Kind::WentOut;
    auto holder = store_.person(pass.person_id);
    if (!holder || !holder->has_value()) return notice("error.store", holder ? "" : holder.error().message, true);
    vm_.pass = {};
    vm_.pass.going_out = out;
    auto row = [](const PersonRecord& p, bool selected) {
      ui::MemberRow r;
      r.person_id = p.id;
      r.name = p.info.name;
      r.reading = p.info.reading;
      r.birth = to_string(p.info.birth);
      r.selected = selected;
      return r;
    };
    vm_.pass.members.push_back(row(**holder, true));
    if (!(*holder)->household_id.empty()) {
      PersonQuery q;
      q.shelter_id = store_.shelter_id();
      q.presence = out ? Presence::Present : Presence::Out;
      q.household_id = (*holder)->household_id;
      q.limit = 50;
      auto family = store_.persons(q);
      if (!family) return notice("error.store", family.error().message, true);
      for (const auto& p : *family)
        if (p.id != pass.person_id) vm_.pass.members.push_back(row(p, false));
    }
    vm_.notice.reset();
    return go(Screen::PassConfirm, now);
  }
  auto r = store_.record(action->event);
  if (!r) return notice("error.store", r.error().message, true);
  notice(action->kind == Kind::Arrived ? "pass.arrived" : "pass.arrived_elsewhere",
         action->kind == Kind::Arrived ? action->name : std::string());
  if (on_checked_in) on_checked_in(1);
}

void Controller::confirm_pass(Clock::time_point now) {
  const EventType type = vm_.pass.going_out ? EventType::WentOut : EventType::CameBack;
  std::vector<NewEvent> events;
  std::string names;
  for (const auto& m : vm_.pass.members) {
    if (!m.selected) continue;
    auto e = presence_event(store_, m.person_id, type, "self");
    if (!e) continue;  // changed meanwhile (another kiosk, staff): nothing to do for them
    events.push_back(*e);
    names += (names.empty() ? "" : ", ") + m.name;
  }
  go(Screen::Welcome, now);
  pass_settled_ = true;
  if (events.empty()) return notice("scan.choose_someone", {}, true);
  auto r = store_.record(events);
  if (!r) return notice("error.store", r.error().message, true);
  notice(vm_.pass.going_out ? "pass.went_out" : "pass.came_back", names);
}

void Controller::show_done(const std::vector<Event>& events, const std::vector<std::string>& names) {
  vm_.done = {};
  vm_.done.can_print = !config_.print_command.empty();
  vm_.done.names = names;
  vm_.notice.reset();
  // A pass for each person checked in, so that each can go out and come
  // back with their own.
  for (const Event& e : events) {
    if (e.type != EventType::Arrived) continue;
    auto rec = store_.person(e.person_id);
    qr::Pass pass;
    pass.person_id = e.person_id;
    pass.household_id = rec && rec->has_value() ? (*rec)->household_id : e.household_id;
    pass.shelter_id = store_.shelter_id();
    pass.issued = today_utc();
    auto text = qr::encode_pass(pass, qr::signer_for(device_key_));
    if (!text) continue;
    auto m = qrimage::encode(*text);
    if (!m) continue;
    ui::PassVm p;
    p.name = rec && rec->has_value() ? (*rec)->info.name : "";
    p.text = *text;
    p.qr_size = m->size;
    p.qr_modules = m->modules;
    vm_.done.passes.push_back(std::move(p));
  }
}

void Controller::print_pass() {
  // One sheet with every member's pass and name (kiosk/app/paper.hpp), so
  // that a family takes all its passes from one print.
  if (!printer_.enabled() || vm_.done.passes.empty() || printer_.busy()) return;
  std::vector<paper::PassEntry> passes;
  for (const ui::PassVm& p : vm_.done.passes) passes.push_back({p.name, p.text});
  auto pdf = paper::pass_sheet_pdf(passes, vm_.shelter_name, paper::paper_lang(vm_.lang));
  if (!pdf) return notice("done.print_failed", pdf.error().message, true);
  if (auto st = printer_.start(*pdf, ".pdf"); !st) return notice("done.print_failed", st.error().message, true);
}

}  // namespace shelter::kiosk
