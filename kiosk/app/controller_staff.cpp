// The controller's staff mode: search, a person's card with
// corrections, out/back/leave and merges, the counts and sync tabs, and the
// USB export. Sign-in and the team tab are in controller_team.cpp, the rest
// of the state machine in controller.cpp.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>

#include "core/checkin.hpp"
#include "core/fs_util.hpp"
#include "core/usb_export.hpp"
#include "core/vocabulary.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/app/usb_stick.hpp"
#include "kiosk/ui/i18n.hpp"

namespace shelter::kiosk {

using ui::Intent;
using ui::Screen;

namespace {
// The sex.<key> a sex is shown by ("" unsaid: shown as none).
std::string sex_key_of(Sex s) {
  switch (s) {
    case Sex::Male:
      return "male";
    case Sex::Female:
      return "female";
    case Sex::Other:
      return "other";
    default:
      return "";
  }
}
}  // namespace

void Controller::staff_search() {
  PersonQuery q;
  q.text = vm_.staff.search;
  // A name finds people wherever they are now, so staff see who registered
  // here and has since moved to another shelter ("moved to B").
  if (q.text.empty()) q.shelter_id = store_.shelter_id();
  q.limit = 50;
  auto people = store_.persons(q);
  vm_.staff.results.clear();
  if (!people) return notice("error.store", people.error().message, true);
  for (const auto& p : *people) {
    const bool moved = !p.shelter_id.empty() && p.shelter_id != store_.shelter_id();
    vm_.staff.results.push_back({p.id, p.info.name, p.info.reading, to_string(p.info.birth),
                                 moved ? std::string("moved") : std::string(to_string(p.presence)), p.shelter_id});
  }
}

void Controller::open_person(const std::string& id) {
  auto rec = store_.person(id);
  if (!rec || !rec->has_value()) return notice("staff.person_gone", id, true);
  const PersonRecord& p = **rec;
  ui::PersonDetail d;
  d.person_id = p.id;
  d.household_id = p.household_id;
  d.presence = !p.shelter_id.empty() && p.shelter_id != store_.shelter_id() ? std::string("moved")
                                                                            : std::string(to_string(p.presence));
  d.shelter = p.shelter_id;
  if (!p.household_id.empty()) {
    PersonQuery q;
    q.shelter_id = store_.shelter_id();
    q.household_id = p.household_id;
    q.limit = 100;
    if (auto family = store_.persons(q); family) d.household_here = static_cast<int>(family->size());
  }
  const nlohmann::json body = person_body(p.info);
  for (auto it = body.begin(); it != body.end(); ++it) d.fields[it.key()] = it.value().get<std::string>();
  d.fields[std::string(field::kStay)] = to_string(p.stay);
  if (auto events = store_.person_events(id); events) d.history = history_entries(*events);
  load_pets(d);
  if (!vm_.staff.person || vm_.staff.person->person_id != d.person_id) {
    vm_.staff.show_history = false;
    vm_.staff.whole_household = false;  // another person: one at a time again
  }
  vm_.staff.person = std::move(d);
  vm_.staff.tab = ui::StaffTab::Person;
  vm_.staff.edit_field.clear();
}

std::vector<ui::HistoryEntry> history_entries(const std::vector<Event>& events) {
  // The values each field had, replayed in log order, so that a correction
  // says what it changed from.
  std::map<std::string, std::string> current;
  std::vector<ui::HistoryEntry> out;
  for (const Event& e : events) {
    ui::HistoryEntry h;
    const std::time_t t = static_cast<std::time_t>(hlc_millis(e.hlc) / 1000);
    std::tm local{};
    localtime_r(&t, &local);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &local);
    h.when = when;
    h.type = std::string(to_string(e.type));
    const std::string staff_prefix = staff_author("");
    h.author = e.author.rfind(staff_prefix, 0) == 0 ? e.author.substr(staff_prefix.size()) : e.author;
    if (e.body.is_object())
      for (auto it = e.body.begin(); it != e.body.end(); ++it) {
        if (!it.value().is_string()) continue;
        const std::string value = it.value().get<std::string>();
        std::string& was = current[it.key()];
        if (e.type == EventType::Corrected && was != value) h.changes.push_back({it.key(), was, value});
        was = value;
      }
    out.push_back(std::move(h));
  }
  return out;
}

void Controller::begin_edit(const std::string& field_name) {
  auto& s = vm_.staff;
  s.edit_field = field_name;
  s.edit_value = s.person && s.person->fields.count(field_name) ? s.person->fields.at(field_name) : "";
  const int year = s.edit_value.size() >= 4 ? std::atoi(s.edit_value.substr(0, 4).c_str()) : 0;
  s.edit_decade = year > 0 ? year / 10 * 10 : 0;
  input_.reset(vm_.entry);
  vm_.entry.keyboard =
      (field_name == field::kName || field_name == field::kReading) ? ui::Keyboard::Kana : ui::Keyboard::Latin;
}

// A choice on the editor's buttons. The screen offers only valid values;
// this checks again, so that no intent can store one it does not offer.
void Controller::set_edit_value(const std::string& value) {
  auto& s = vm_.staff;
  const std::string& f = s.edit_field;
  auto listed = [&](const auto& list) { return std::find(list.begin(), list.end(), value) != list.end(); };
  bool ok = false;
  if (f == field::kSex) ok = listed(vocab::kSexes);
  if (f == field::kConsent) ok = value == "1" || value == "0";
  if (f == field::kStay) ok = listed(vocab::kStays);
  if (f == field::kBirth)
    ok = value.empty() || (value.size() == 4 && std::all_of(value.begin(), value.end(), ::isdigit));
  if (ok) s.edit_value = value;
}

void Controller::toggle_edit_need(int bit) {
  auto& s = vm_.staff;
  if (s.edit_field != field::kNeeds || bit < 0 || bit >= static_cast<int>(vocab::kNeeds.size())) return;
  // Through core's bit set, so that the list stays in core's order: the
  // same needs are the same value.
  const auto needs = parse_needs(s.edit_value);
  s.edit_value = needs_to_string(static_cast<std::uint16_t>(needs.value_or(0) ^ (1u << bit)));
}

void Controller::save_edit() {
  auto& s = vm_.staff;
  if (!s.person || s.edit_field.empty()) return;
  NewEvent e{EventType::Corrected, s.person->person_id, "", "", author(), {{s.edit_field, s.edit_value}}};
  auto r = store_.record(e);
  if (!r) return notice("staff.edit_refused", r.error().message, true);
  const std::string id = s.person->person_id;
  open_person(id);
  notice("staff.saved");
}

void Controller::set_presence(const std::string& what, bool household) {
  auto& s = vm_.staff;
  if (!s.person) return;
  const EventType type = what == "out" ? EventType::WentOut : what == "back" ? EventType::CameBack : EventType::Left;
  // The person, or everyone of their household at this shelter for whom
  // the change applies (one going out who is out already is skipped).
  std::vector<std::string> ids{s.person->person_id};
  if (household && !s.person->household_id.empty()) {
    PersonQuery q;
    q.shelter_id = store_.shelter_id();
    q.household_id = s.person->household_id;
    q.limit = 100;
    auto family = store_.persons(q);
    if (!family) return notice("error.store", family.error().message, true);
    for (const auto& p : *family)
      if (p.id != s.person->person_id) ids.push_back(p.id);
  }
  std::vector<NewEvent> events;
  std::string refused;
  for (const auto& id : ids) {
    auto e = presence_event(store_, id, type, author());
    if (e)
      events.push_back(*e);
    else if (!household || id == s.person->person_id)
      refused = e.error().message;
  }
  if (events.empty()) return notice("staff.presence_refused", refused, true);
  auto r = store_.record(events);
  if (!r) return notice("error.store", r.error().message, true);
  open_person(s.person->person_id);
  notice(household ? "staff.household_saved" : "staff.saved", household ? std::to_string(events.size()) : "");
}

void Controller::merge(const std::string& duplicate, int index) {
  auto& dups = vm_.staff.duplicates;
  if (index < 0 || static_cast<size_t>(index) >= dups.size()) return;
  const auto& d = dups[static_cast<size_t>(index)];
  if (duplicate != d.a.person_id && duplicate != d.b.person_id) return;
  const std::string keep = duplicate == d.a.person_id ? d.b.person_id : d.a.person_id;
  auto r = store_.record(merge_event(duplicate, keep, author()));
  if (!r) return notice("error.store", r.error().message, true);
  notice("staff.merged");
  refresh_staff_tab();
}

// Not the same person: an event, so the pair stays dismissed after a
// restart and at every node it syncs to (headquarters too).
void Controller::not_duplicate(int index) {
  auto& dups = vm_.staff.duplicates;
  if (index < 0 || static_cast<size_t>(index) >= dups.size()) return;
  const auto& d = dups[static_cast<size_t>(index)];
  auto r = store_.record(not_duplicate_event(d.a.person_id, d.b.person_id, author()));
  if (!r) return notice("error.store", r.error().message, true);
  notice("staff.dup_dismissed");
  refresh_staff_tab();
}

void Controller::load_duplicates() {
  auto& s = vm_.staff;
  s.duplicates.clear();
  auto d = store_.possible_duplicates();
  if (!d) return notice("error.store", d.error().message, true);
  auto row = [](const PersonRecord& p) {
    return ui::PersonRow{
        p.id, p.info.name, p.info.reading, to_string(p.info.birth), std::string(to_string(p.presence)), p.shelter_id};
  };
  for (const auto& pair : *d) {
    auto a = store_.person(pair.a), b = store_.person(pair.b);
    if (!a || !b || !a->has_value() || !b->has_value()) continue;
    const PersonRecord &l = **a, &r = **b;
    const auto where = [&](const PersonRecord& p) {
      return !p.shelter_id.empty() && p.shelter_id != store_.shelter_id() ? std::string("moved")
                                                                          : std::string(to_string(p.presence));
    };
    ui::DuplicateVm v{row(l), row(r), {}};
    v.fields = {
        {"staff.dup_name", l.info.name, r.info.name, ""},
        {"staff.dup_reading", l.info.reading, r.info.reading, ""},
        {"staff.dup_birth", to_string(l.info.birth), to_string(r.info.birth), ""},
        {"staff.dup_sex", sex_key_of(l.info.sex), sex_key_of(r.info.sex), "sex."},
        {"staff.dup_address", l.info.address, r.info.address, ""},
        {"staff.dup_phone", l.info.phone, r.info.phone, ""},
        {"staff.dup_needs", needs_to_string(l.info.needs), needs_to_string(r.info.needs), "need."},
        {"staff.dup_shelter", l.shelter_id, r.shelter_id, ""},
        {"staff.dup_presence", where(l), where(r), "presence."},
        {"staff.dup_household", l.household_id.substr(0, 8), r.household_id.substr(0, 8), ""},
    };
    s.duplicates.push_back(std::move(v));
  }
}

void Controller::settle_card(const std::string& event_id, bool approve) {
  auto& rows = vm_.staff.card_differences;
  auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.event_id == event_id; });
  if (it == rows.end()) return;
  if (approve) {
    auto differences = store_.card_differences();
    if (!differences) return notice("error.store", differences.error().message, true);
    for (const auto& d : *differences) {
      if (d.event_id != event_id) continue;
      nlohmann::json body = nlohmann::json::object();
      for (const auto& f : d.fields) body[f.field] = f.card;
      // A correction by the volunteer signed in: the one way a known
      // person's details change.
      if (auto r = store_.record(NewEvent{EventType::Corrected, d.person_id, "", "", author(), body}); !r)
        return notice("staff.edit_refused", r.error().message, true);
    }
  }
  if (auto st = store_.settle_card_difference(event_id); !st) return notice("error.store", st.error().message, true);
  notice(approve ? "staff.card_approved" : "staff.card_dismissed");
  refresh_staff_tab();
}

void Controller::refresh_staff_tab() {
  auto& s = vm_.staff;
  switch (s.tab) {
    case ui::StaffTab::Search:
      staff_search();
      break;
    case ui::StaffTab::Person:
      if (s.person) open_person(s.person->person_id);
      break;
    case ui::StaffTab::Duplicates: {
      load_duplicates();
      s.card_differences.clear();
      auto cards = store_.card_differences();
      if (!cards) return notice("error.store", cards.error().message, true);
      for (const auto& c : *cards) {
        ui::StaffVm::CardDifferenceRow row{c.event_id, c.name, {}};
        for (const auto& f : c.fields) row.fields.push_back({f.field, f.stored, f.card});
        s.card_differences.push_back(std::move(row));
      }
      break;
    }
    case ui::StaffTab::Counts: {
      s.counts.clear();
      auto c = store_.counts(store_.shelter_id());
      if (!c) return notice("error.store", c.error().message, true);
      s.counts = {{"counts.present", c->present}, {"counts.households", c->households}, {"counts.out", c->out}};
      auto get = [](const std::map<std::string, int>& m, const std::string& k) {
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
      };
      for (auto sex : vocab::kSexOrder) s.counts.emplace_back(ui::sex_key(sex), get(c->by_sex, std::string(sex)));
      for (auto band : vocab::kAgeBands)
        s.counts.emplace_back("age." + std::string(band), get(c->by_age_band, std::string(band)));
      for (auto need : vocab::kNeeds)
        s.counts.emplace_back("need." + std::string(need), get(c->by_need, std::string(need)));
      for (auto stay : vocab::kStays)
        s.counts.emplace_back("stay." + std::string(stay), get(c->by_stay, std::string(stay)));
      add_pet_counts(s.counts, *c);
      break;
    }
    case ui::StaffTab::Sync: {
      auto text = [&](const char* key) {
        auto v = store_.meta(key);
        return v && v->has_value() ? **v : std::string();
      };
      s.sync_state = text("sync_state");
      const std::string hub_state = text("hub_sync_state");
      s.has_hub = !hub_state.empty();
      s.link_hub = sync_link_of(hub_state);
      s.link_hub_city = hub_city_link_of(text("hub_city_link"));
      s.link_city = sync_link_of(s.sync_state);
      auto unsynced = store_.unsynced_count();
      s.unsynced = unsynced ? *unsynced : 0;
      s.refused.clear();
      if (auto refused = store_.refused_events(); refused)
        for (const auto& r : *refused) s.refused.push_back({r.at + "  " + r.id + ": " + r.reason, r.reissued_as});
      break;
    }
    case ui::StaffTab::Export:
      check_usb_stick(Clock::now(), true);
      break;
    case ui::StaffTab::Team:
      load_volunteers();
      break;
  }
}

void Controller::check_usb_stick(Clock::time_point now, bool now_anyway) {
  if (!now_anyway && (vm_.screen != Screen::Staff || vm_.staff.tab != ui::StaffTab::Export ||
                      now - stick_checked_ < std::chrono::seconds(1)))
    return;
  stick_checked_ = now;
  const auto stick = find_usb_stick(config_.export_dir);
  const std::string said = stick ? stick->describe() : std::string();
  if (said != vm_.staff.usb_stick || vm_.staff.export_dir != config_.export_dir) screen_changed_ = true;
  vm_.staff.usb_stick = said;
  vm_.staff.export_dir = config_.export_dir;
}

void Controller::export_usb() {
  // Every event in the log in core's sealed export format (a header of ids,
  // the events signed by this kiosk and sealed to headquarters' key): what
  // headquarters imports with `shelter-server import`, or another kiosk of
  // the shelter relays (`shelterctl import`), when no network ever comes
  // back. Without headquarters' key nothing is written, and staff are told.
  size_t events = 0;
  auto file = make_sealed_export(store_, true, events);
  if (!file) return notice("staff.export_failed", file.error().message, true);
  const std::string stamp = utc_now("%Y%m%dT%H%M%SZ");
  const std::string path =
      (std::filesystem::path(config_.export_dir) / ("shelter-" + store_.device_id() + "-" + stamp + ".sealed"))
          .string();
  if (auto st = write_file_atomic(path, *file, 0600); !st)
    return notice("staff.export_failed", st.error().message, true);
  vm_.staff.export_result = path + "  (" + std::to_string(events) + ")";
  notice("staff.exported");
}

}  // namespace shelter::kiosk
