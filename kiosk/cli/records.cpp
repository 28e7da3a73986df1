// shelterctl's record commands: checkin, out, back, leave, correct, merge.
#include <iostream>

#include "core/checkin.hpp"
#include "core/vocabulary.hpp"
#include "kiosk/cli/cli.hpp"

namespace shelter::cli {

int cmd_checkin(const Common& c, const PersonArgs& a, const std::string& existing) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("check in"));
  Store& s = **store;
  NewEvent e;
  e.type = EventType::Arrived;
  e.author = author_of(c.staff);
  nlohmann::json details = nlohmann::json::object();
  if (!existing.empty()) {
    auto id = resolve_person(s, existing);
    if (!id) return report(id.error().context("check in"));
    e.person_id = *id;
    e.body = {{field::kStay, a.stay}};
  } else {
    if (a.name.empty()) return report(fail("check in: --name is required for a new person (or give --person)"));
    e.person_id = new_id();
    e.household_id = a.household.empty() ? new_id() : a.household;
    if (!a.household.empty()) {
      // Joining someone's household by their person id is allowed too.
      if (!is_valid_id(a.household)) {
        auto other = resolve_person(s, a.household);
        if (!other) return report(other.error().context("check in: --household"));
        auto rec = s.person(*other);
        if (!rec || !rec->has_value()) return report(fail("check in: --household: person not found"));
        e.household_id = (*rec)->household_id;
      }
    }
    // As typed: the store validates each field ("field birth: ...").
    details = {{field::kName, a.name},       {field::kReading, a.reading}, {field::kSex, a.sex},
               {field::kBirth, a.birth},     {field::kNeeds, a.needs},     {field::kNeedsOther, a.needs_other},
               {field::kAddress, a.address}, {field::kPhone, a.phone},     {field::kConsent, a.consent ? "1" : "0"}};
    e.body = {{field::kStay, a.stay}};
  }
  if (!a.pets.empty()) e.body[field::kPets] = a.pets;  // validated by the store, as typed
  // A new person's details are their registration, beside the arrival.
  std::vector<NewEvent> events{e};
  if (!details.empty())
    events.push_back(NewEvent{EventType::Registered, e.person_id, e.household_id, "", e.author, details});
  auto recorded = s.record(events);
  if (!recorded) return report(recorded.error().context("check in"));
  const Event* r = &recorded->front();
  std::cout << "Checked in " << r->person_id << " (household " << (*s.person(r->person_id))->household_id << ") at "
            << r->shelter_id << "\n";
  return 0;
}

namespace {

int cmd_status(const Common& c, EventType type, const std::string& person, const char* what) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context(what));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context(what));
  auto event = presence_event(**store, *id, type, author_of(c.staff));
  if (!event) return report(event.error().context(what));
  auto r = (*store)->record(*event);
  if (!r) return report(r.error().context(what));
  std::cout << what << ": " << *id << " recorded\n";
  return 0;
}

int cmd_correct(const Common& c, const std::string& person, const std::vector<std::string>& assignments) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("correct"));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context("correct"));
  nlohmann::json body = nlohmann::json::object();
  for (const auto& kv : assignments) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) return report(fail("correct: '" + kv + "' is not FIELD=VALUE"));
    body[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (body.empty()) return report(fail("correct: give at least one FIELD=VALUE"));
  if (c.staff.empty()) return report(fail("correct: corrections are made by staff: give --staff NAME"));
  auto r = (*store)->record(NewEvent{EventType::Corrected, *id, "", "", author_of(c.staff), body});
  if (!r) return report(r.error().context("correct"));
  std::cout << "Corrected " << *id << " (" << body.size() << " field(s))\n";
  return 0;
}

int cmd_merge(const Common& c, const std::string& person, const std::string& into) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("merge"));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context("merge"));
  std::string target;
  if (!into.empty()) {
    auto t = resolve_person(**store, into);
    if (!t) return report(t.error().context("merge: --into"));
    target = *t;
  }
  if (c.staff.empty()) return report(fail("merge: merges are made by staff: give --staff NAME"));
  auto r = (*store)->record(merge_event(*id, target, author_of(c.staff)));
  if (!r) return report(r.error().context("merge"));
  std::cout << (target.empty() ? "Unmerged " + *id : "Merged " + *id + " into " + target) << "\n";
  return 0;
}

// Two records staff say are not the same person: never proposed again.
int cmd_not_same(const Common& c, const std::string& person, const std::string& other) {
  auto store = open_store_as(c);
  if (!store) return report(store.error().context("not the same person"));
  auto a = resolve_person(**store, person);
  if (!a) return report(a.error().context("not the same person"));
  auto b = resolve_person(**store, other);
  if (!b) return report(b.error().context("not the same person: --not-same"));
  if (*a == *b) return report(fail("not the same person: give two different persons"));
  if (c.staff.empty()) return report(fail("not the same person: a volunteer says so: give --staff NAME"));
  auto r = (*store)->record(not_duplicate_event(*a, *b, author_of(c.staff)));
  if (!r) return report(r.error().context("not the same person"));
  std::cout << "Noted: " << *a << " and " << *b << " are not the same person\n";
  return 0;
}

std::string needs_list() {
  std::string out;
  for (auto n : vocab::kNeeds) out += (out.empty() ? "" : ",") + std::string(n);
  return out;
}

}  // namespace

void add_checkin(CLI::App& app, Common& c, Commands& cmds) {
  auto pa = std::make_shared<PersonArgs>();
  auto existing = std::make_shared<std::string>();
  auto* checkin = app.add_subcommand("checkin", "Check in a person without a card (or a known person by --person)");
  checkin->add_option("--person", *existing, "Known person id (or prefix): check them in again");
  checkin->add_option("--name", pa->name, "Name as written");
  checkin->add_option("--reading", pa->reading, "Name reading in katakana");
  checkin->add_option("--sex", pa->sex, "M, F or X");
  checkin->add_option("--birth", pa->birth, "Birth year or date: YYYY or YYYY-MM-DD");
  checkin->add_option("--needs", pa->needs, "Comma list: " + needs_list());
  checkin->add_option("--needs-other", pa->needs_other, "Details of needs");
  checkin->add_option("--address", pa->address, "Address");
  checkin->add_option("--phone", pa->phone, "Phone");
  checkin->add_option("--stay", pa->stay, "shelter, car or home")->check(CLI::IsMember(stay_names()));
  checkin->add_option("--household", pa->household, "Household id, or the id of a family member to join");
  checkin->add_flag("--consent", pa->consent, "Consents to safety (安否) disclosure");
  checkin->add_option("--pets", pa->pets, "The household's pets, e.g. dog=1,cat=0,other=2 (0-20 each)");
  cmds.add(checkin, [&c, pa, existing] { return cmd_checkin(c, *pa, *existing); });
}

void add_presence(CLI::App& app, Common& c, Commands& cmds) {
  struct Kind {
    const char* name;
    const char* help;
    EventType type;
  };
  for (const Kind& k : {Kind{"out", "Record that a person went out", EventType::WentOut},
                        Kind{"back", "Record that a person came back", EventType::CameBack},
                        Kind{"leave", "Record that a person left the shelter", EventType::Left}}) {
    auto person = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(k.name, k.help);
    sub->add_option("person", *person, "Person id or prefix")->required();
    cmds.add(sub, [&c, person, k] { return cmd_status(c, k.type, *person, k.name); });
  }
}

void add_correct(CLI::App& app, Common& c, Commands& cmds) {
  auto person = std::make_shared<std::string>();
  auto assignments = std::make_shared<std::vector<std::string>>();
  auto* correct = app.add_subcommand("correct", "Correct fields of a person (staff): correct ID name=... birth=...");
  correct->add_option("person", *person, "Person id or prefix")->required();
  correct->add_option("fields", *assignments, "FIELD=VALUE ...")->required();
  cmds.add(correct, [&c, person, assignments] { return cmd_correct(c, *person, *assignments); });
}

void add_merge(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string person, into, not_same;
    bool unmerge = false;
  };
  auto a = std::make_shared<Args>();
  auto* merge = app.add_subcommand("merge", "Mark a person record as a duplicate of another (staff)");
  merge->add_option("person", a->person, "The duplicate record")->required();
  auto* into_opt = merge->add_option("--into", a->into, "The record to keep");
  auto* undo_opt = merge->add_flag("--undo", a->unmerge, "Undo an earlier merge of this record")->excludes(into_opt);
  merge->add_option("--not-same", a->not_same, "Not the same person as this record: never proposed again")
      ->excludes(into_opt)
      ->excludes(undo_opt);
  cmds.add(merge, [&c, a] {
    if (!a->not_same.empty()) return cmd_not_same(c, a->person, a->not_same);
    if (a->into.empty() && !a->unmerge) return report(fail("merge: give --into ID, --undo or --not-same ID"));
    return cmd_merge(c, a->person, a->into);
  });
}

}  // namespace shelter::cli
