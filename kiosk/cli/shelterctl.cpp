// shelterctl: the command line for volunteers and IT staff. Every command
// validates its input completely before it writes anything, and prints one
// clear line on failure ("shelterctl: check in: field birth: ...").
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "core/vocabulary.hpp"
#include "core/backup.hpp"
#include "core/checkin.hpp"
#include "core/csv.hpp"
#include "core/fs_util.hpp"
#include "core/pin.hpp"
#include "core/qr_image.hpp"
#include "core/qr_payload.hpp"
#include "core/reports.hpp"
#include "core/store.hpp"
#include "core/usb_export.hpp"
#include "kiosk/app/config.hpp"
#include "sync/daemon/syncer.hpp"

namespace fs = std::filesystem;
using namespace shelter;

namespace {

constexpr int kExitFail = 1;

int report(const Error& e) {
  std::cerr << "shelterctl: " << e.message << "\n";
  return kExitFail;
}

Result<std::unique_ptr<Store>> open_store(const std::string& path, bool must_exist = true) {
  if (must_exist && !fs::exists(path))
    return fail("no database at " + path + " (run `shelterctl init` first, or pass --db)");
  return Store::open(path);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Accepts a whole person id or a unique prefix of at least 4 digits.
Result<PersonId> resolve_person(Store& store, const std::string& arg) {
  if (arg.size() < 4) return fail("person id '" + arg + "': give at least 4 digits");
  auto ids = store.person_ids_with_prefix(arg);
  if (!ids) return ids.error();
  if (ids->empty()) return fail("no person with id " + arg);
  if (ids->size() > 1) return fail("person id " + arg + " is ambiguous: give more digits");
  return ids->front();
}

std::string author_of(const std::string& staff) { return staff.empty() ? "self" : "staff:" + staff; }

void print_counts_table(const ShelterCounts& c, const std::string& title) {
  std::cout << title << "\n";
  std::cout << "  present     " << c.present << "   households " << c.households << "   out " << c.out << "\n";
  auto line = [](const char* label, const std::map<std::string, int>& m, const auto& keys) {
    std::cout << "  " << label;
    for (const auto k : keys) {
      auto it = m.find(std::string(k));
      std::cout << "  " << (k.empty() ? "unknown" : k) << " " << (it == m.end() ? 0 : it->second);
    }
    std::cout << "\n";
  };
  line("sex       ", c.by_sex, vocab::kSexOrder);
  line("age       ", c.by_age_band, vocab::kAgeBands);
  line("needs     ", c.by_need, vocab::kNeeds);
  line("stay      ", c.by_stay, vocab::kStays);
}

// ---- commands -------------------------------------------------------------

struct Common {
  std::string db = [] {
    const char* env = std::getenv("SHELTER_DB");
    return std::string(env ? env : "shelter.db");
  }();
  std::string staff;
};

int cmd_init(const Common& c, const std::string& shelter, const std::string& device, const std::string& name) {
  // Checked before the file is created, so a typo leaves no empty database.
  if (!is_valid_slug(shelter)) return report(fail("init: shelter id '" + shelter + "' must be 1-32 of a-z 0-9 - _"));
  if (!is_valid_slug(device)) return report(fail("init: device id '" + device + "' must be 1-32 of a-z 0-9 - _"));
  auto store = open_store(c.db, false);
  if (!store) return report(store.error().context("init"));
  if (auto st = (*store)->init_identity(shelter, device, name); !st) return report(st.error().context("init"));
  std::cout << "Initialised " << c.db << " for device " << device << " at shelter " << shelter << "\n";
  return 0;
}

struct PersonArgs {
  std::string name, reading, sex, birth, needs, needs_other, address, phone, stay = "shelter", household;
  bool consent = false;
};

int cmd_checkin(const Common& c, const PersonArgs& a, const std::string& existing) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("check in"));
  Store& s = **store;
  NewEvent e;
  e.type = EventType::Arrived;
  e.author = author_of(c.staff);
  if (!existing.empty()) {
    auto id = resolve_person(s, existing);
    if (!id) return report(id.error().context("check in"));
    e.person_id = *id;
    e.body = {{"stay", a.stay}};
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
    e.body = {{"name", a.name},       {"reading", a.reading}, {"sex", a.sex},         {"birth", a.birth},
              {"needs", a.needs},     {"needs_other", a.needs_other}, {"address", a.address}, {"phone", a.phone},
              {"consent", a.consent ? "1" : "0"}, {"stay", a.stay}};
  }
  auto r = s.record(e);
  if (!r) return report(r.error().context("check in"));
  std::cout << "Checked in " << r->person_id << " (household " << (*s.person(r->person_id))->household_id
            << ") at " << r->shelter_id << "\n";
  return 0;
}

int cmd_status(const Common& c, EventType type, const std::string& person, const char* what) {
  auto store = open_store(c.db);
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
  auto store = open_store(c.db);
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
  auto store = open_store(c.db);
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
  auto r = (*store)->record(NewEvent{EventType::Merged, *id, "", "", author_of(c.staff), {{"into", target}}});
  if (!r) return report(r.error().context("merge"));
  std::cout << (target.empty() ? "Unmerged " + *id : "Merged " + *id + " into " + target) << "\n";
  return 0;
}

int cmd_list(const Common& c, bool all, const std::string& search, bool json) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("list"));
  PersonQuery q;
  q.shelter_id = all ? "" : (*store)->shelter_id();
  q.text = search;
  q.limit = 100000;
  auto people = (*store)->persons(q);
  if (!people) return report(people.error().context("list"));
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : *people)
      out.push_back({{"id", p.id}, {"household", p.household_id}, {"shelter", p.shelter_id},
                     {"presence", to_string(p.presence)}, {"stay", to_string(p.stay)}, {"name", p.info.name},
                     {"reading", p.info.reading}, {"sex", to_string(p.info.sex)}, {"birth", to_string(p.info.birth)},
                     {"needs", needs_to_string(p.info.needs)}, {"consent", p.info.consent},
                     {"address", p.info.address}, {"phone", p.info.phone}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& p : *people) {
    std::cout << p.id << "  " << to_string(p.presence) << "  " << p.shelter_id << "  " << p.info.name;
    if (!p.info.reading.empty()) std::cout << " (" << p.info.reading << ")";
    if (p.info.birth.known()) std::cout << "  " << to_string(p.info.birth);
    if (p.info.needs) std::cout << "  [" << needs_to_string(p.info.needs) << "]";
    std::cout << "\n";
  }
  std::cout << people->size() << " person(s)\n";
  return 0;
}

int cmd_history(const Common& c, const std::string& person) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("history"));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context("history"));
  auto events = (*store)->person_events(*id);
  if (!events) return report(events.error().context("history"));
  for (const Event& e : *events)
    std::cout << hlc_to_string(e.hlc) << "  " << to_string(e.type) << "  " << e.shelter_id << "  " << e.author
              << "  " << e.device_id << "  " << e.body.dump() << "\n";
  return 0;
}

int cmd_counts(const Common& c, const std::string& shelter, bool all, bool json) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("counts"));
  std::vector<std::string> shelters;
  if (all) {
    auto list = (*store)->shelters_with_counts();
    if (!list) return report(list.error().context("counts"));
    shelters = *list;
  } else {
    shelters.push_back(shelter.empty() ? (*store)->shelter_id() : shelter);
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : shelters) {
    auto counts = (*store)->counts(id);
    if (!counts) return report(counts.error().context("counts"));
    if (json) {
      out.push_back(counts_to_json(*counts));
    } else {
      auto name = (*store)->meta("shelter_name");
      std::string title = "Shelter " + id;
      if (id == (*store)->shelter_id() && name && name->has_value() && !(*name)->empty()) title += " (" + **name + ")";
      print_counts_table(*counts, title);
    }
  }
  if (json) std::cout << (all ? out.dump(2) : out.at(0).dump(2)) << "\n";
  return 0;
}

int cmd_export_csv(const Common& c, const std::string& out_path, bool all) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("export"));
  PersonQuery q;
  q.shelter_id = all ? "" : (*store)->shelter_id();
  q.limit = 10'000'000;
  auto people = (*store)->persons(q);
  if (!people) return report(people.error().context("export"));
  const std::string text = roster_csv(*people);
  if (out_path.empty() || out_path == "-") {
    std::cout << text;
    return 0;
  }
  // Personal data: readable by the owner only.
  if (auto st = write_file_atomic(out_path, text, 0600); !st) return report(st.error().context("export"));
  std::cerr << "Wrote " << people->size() << " person(s) to " << out_path << "\n";
  return 0;
}

// Reads the one QR code in an image: 0 found (text on stdout), 1 none, 2 unreadable.
int cmd_decode(const std::string& image) {
  auto found = qrimage::read_file(image);
  if (!found) {
    std::cerr << "shelterctl: decode: " << found.error().message << "\n";
    return 2;
  }
  if (found->empty()) {
    std::cerr << "shelterctl: decode: no QR code found in " << image << "\n";
    return 1;
  }
  if (found->size() > 1) std::cerr << "shelterctl: decode: " << found->size() << " QR codes found; printing the first\n";
  std::cout << found->front().text << "\n";
  return 0;
}

Result<qr::HouseholdCard> card_from_image(const std::string& image) {
  auto found = qrimage::read_file(image);
  if (!found) return found.error();
  if (found->empty()) return fail("no QR code found in " + image);
  for (const auto& f : *found) {
    qr::Parsed parsed = qr::parse(f.text);
    if (parsed.card) return *parsed.card;
    if (parsed.pass) return fail("this is a check-in pass, not a household card");
    if (found->size() == 1) {
      std::string msg(qr::describe(parsed.error));
      if (!parsed.detail.empty()) msg += " (" + parsed.detail + ")";
      return fail(msg);
    }
  }
  return fail("none of the QR codes in " + image + " is a household card");
}

int checkin_card(const Common& c, Store& s, const qr::HouseholdCard& card, const std::string& stay,
                 const std::vector<int>& members) {
  auto here = members_already_here(s, card);
  if (!here) return report(here.error().context("check in card"));
  std::vector<size_t> chosen;
  for (size_t i = 0; i < card.members.size(); ++i) {
    if (!members.empty() && std::find(members.begin(), members.end(), static_cast<int>(i + 1)) == members.end())
      continue;
    if ((*here)[i]) std::cout << "Already here: member " << (i + 1) << " (" << card.members[i].person_id << ")\n";
    chosen.push_back(i);
  }
  auto arrivals_r = card_arrivals(s, card, chosen, stay, author_of(c.staff));
  if (!arrivals_r) return report(arrivals_r.error().context("check in card"));
  const auto& arrivals = *arrivals_r;
  if (arrivals.empty()) {
    std::cout << "Nothing to record\n";
    return 0;
  }
  auto r = s.record(arrivals);
  if (!r) return report(r.error().context("check in card"));
  std::cout << "Checked in " << r->size() << " of " << card.members.size() << " member(s) of household "
            << card.household_id << "\n";
  return 0;
}

int cmd_import_card(const Common& c, const std::string& image, const std::string& stay,
                    const std::vector<int>& members) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("import card"));
  auto card = card_from_image(image);
  if (!card) return report(card.error().context("import card " + image));
  return checkin_card(c, **store, *card, stay, members);
}

// The text of a scanned code, handled as the kiosk handles it: a household
// card checks its members in, a pass arrives / goes out / comes back.
int cmd_scan(const Common& c, const std::string& text, const std::string& stay) {
  const qr::Parsed parsed = qr::parse(text);
  if (!parsed.ok())
    return report(fail("scan: " + std::string(qr::describe(parsed.error)) +
                       (parsed.detail.empty() ? "" : " (" + parsed.detail + ")")));
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("scan"));
  if (parsed.card) return checkin_card(c, **store, *parsed.card, stay, {});
  auto action = pass_action(**store, *parsed.pass, author_of(c.staff));
  if (!action) return report(action.error().context("scan pass"));
  auto r = (*store)->record(action->event);
  if (!r) return report(r.error().context("scan pass"));
  switch (action->kind) {
    case PassAction::Kind::Arrived: std::cout << "Arrived: "; break;
    case PassAction::Kind::WentOut: std::cout << "Went out: "; break;
    case PassAction::Kind::CameBack: std::cout << "Came back: "; break;
    case PassAction::Kind::ArrivedUnknown: std::cout << "Arrived (details will come from the server): "; break;
  }
  std::cout << parsed.pass->person_id << "\n";
  return 0;
}

int cmd_backup(const Common& c, const std::string& dir, int keep) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("backup"));
  auto path = rolling_backup(**store, dir, keep);
  if (!path) return report(path.error());
  std::cout << "Backed up to " << *path << "\n";
  return 0;
}

// Run as root (installing a tablet), files made for a service take the owner
// of their folder (/var/lib/shelter-kiosk belongs to shelter-kiosk), so the
// kiosk and the daemon can open them.
void adopt_folder_owner(const std::string& path) {
  if (::geteuid() != 0) return;
  const auto dir = std::filesystem::absolute(path).parent_path();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return;
  for (const std::string& p : {path, path + "-wal", path + "-shm"})
    if (::chown(p.c_str(), st.st_uid, st.st_gid) != 0 && errno != ENOENT)
      std::cerr << "shelterctl: warning: cannot give " << p << " to its folder's owner\n";
}

int cmd_restore(const Common& c, const std::string& backup, bool force) {
  if (auto st = restore_backup(backup, c.db, force); !st) return report(st.error());
  adopt_folder_owner(c.db);
  std::cout << "Restored " << c.db << " from " << backup << "\n";
  return 0;
}

// Sets `key = "value"` in a TOML text: replaces the key's line if it is
// there (not commented out), else appends one.
std::string set_toml_string(const std::string& text, const std::string& key, const std::string& value) {
  const std::string line = key + " = " + nlohmann::json(value).dump();  // a JSON string is a TOML basic string
  std::string out;
  bool done = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    const size_t first = l.find_first_not_of(" \t");
    if (!done && first != std::string::npos && l.compare(first, key.size(), key) == 0) {
      const size_t eq = l.find_first_not_of(" \t", first + key.size());
      if (eq != std::string::npos && l[eq] == '=') {
        l = line;
        done = true;
      }
    }
    out += l + "\n";
    pos = end + 1;
  }
  if (!done) out += line + "\n";
  return out;
}

// Updates a TOML config file atomically; `validate` must accept the result
// or the file is left as it was.
Status update_config(const std::string& path, const std::vector<std::pair<std::string, std::string>>& values,
                     const std::function<Status(const std::string&)>& validate) {
  std::string text;
  struct stat owner {};
  const bool existed = ::stat(path.c_str(), &owner) == 0;
  if (existed) {
    auto old = read_file_bytes(path, 1u << 20);
    if (!old) return old.error();
    text = *old;
  }
  const std::string before = text;
  for (const auto& [k, v] : values) text = set_toml_string(text, k, v);
  if (auto st = write_file_atomic(path, text, existed ? (owner.st_mode & 07777) : 0640); !st) return st;
  // The new file keeps the old one's owner (root:shelter-kiosk 0640 from the package).
  if (existed && ::geteuid() == 0 && ::chown(path.c_str(), owner.st_uid, owner.st_gid) != 0)
    return fail("give " + path + " back to its owner: " + std::strerror(errno));
  if (auto st = validate(path); !st) {
    if (before.empty())
      std::filesystem::remove(path);
    else
      (void)write_file_atomic(path, before, 0640);
    return st.error().context(path + " would not be valid, left as it was");
  }
  return {};
}

// Enrols this kiosk with the municipal server in one step: device identity,
// one-time code, staff PIN, and both config files.
int cmd_enrol(const Common& c, const std::string& shelter, const std::string& device, const std::string& name,
              const std::string& server, const std::string& code, const std::string& kiosk_config,
              const std::string& sync_config) {
  const std::string ctx = "enrol";
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0)
    return report(fail(ctx + ": --server must be an http:// or https:// address, e.g. http://10.0.0.5:8470"));
  std::string pin;
  std::cerr << "Staff PIN (4 to 12 digits): ";
  if (!std::getline(std::cin, pin)) return report(fail(ctx + ": no staff PIN on stdin"));
  if (pin.size() < 4 || pin.size() > 12 || pin.find_first_not_of("0123456789") != std::string::npos)
    return report(fail(ctx + ": the staff PIN must be 4 to 12 digits"));
  Store::Options create;
  auto store = Store::open(c.db, create);
  if (!store) return report(store.error().context(ctx));
  if (auto st = (*store)->init_identity(shelter, device, name); !st) return report(st.error().context(ctx));
  sync::SyncOptions options;
  options.server = server;
  {
    sync::Syncer syncer(**store, options);
    if (auto st = syncer.enrol(code); !st) return report(st.error().context(ctx));
  }
  const std::string db = std::filesystem::absolute(c.db).string();
  store->reset();  // closed, so that the files can change hands
  adopt_folder_owner(db);
  if (!kiosk_config.empty())
    if (auto st = update_config(kiosk_config,
                                {{"db", db}, {"shelter_id", shelter}, {"device_id", device}, {"shelter_name", name},
                                 {"staff_pin_hash", hash_pin(pin)}},
                                [](const std::string& p) -> Status {
                                  auto cfg = kiosk::load_config(p);
                                  if (!cfg) return cfg.error();
                                  return {};
                                });
        !st)
      return report(st.error().context(ctx));
  if (!sync_config.empty())
    if (auto st = update_config(sync_config, {{"db", db}, {"server", server}},
                                [](const std::string&) -> Status { return {}; });
        !st)
      return report(st.error().context(ctx));
  std::cout << "Enrolled " << device << " at shelter " << shelter << " with " << server << "\n";
  return 0;
}

// Prints the text of a pass for a person (to reprint a lost one).
int cmd_pass(const Common& c, const std::string& person) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("pass"));
  auto id = resolve_person(**store, person);
  if (!id) return report(id.error().context("pass"));
  auto rec = (*store)->person(*id);
  if (!rec) return report(rec.error().context("pass"));
  qr::Pass pass{*id, (*rec)->household_id, (*store)->shelter_id(), today_utc()};
  auto text = qr::encode_pass(pass);
  if (!text) return report(text.error().context("pass"));
  std::cout << *text << "\n";
  return 0;
}

// Builds household cards from a residents CSV. Rows sharing a `household`
// value form one card. Ids come from household_id / person_id columns when
// present; otherwise new ones are made and written back to
// <out>/residents-with-ids.csv, so printing again gives the same cards.
int cmd_make_card(const std::string& csv_path, const std::string& out_dir, const std::string& format) {
  auto text = read_file(csv_path);
  if (!text) return report(text.error().context("make-card"));
  auto rows = csv::parse(*text);
  if (!rows) return report(rows.error().context("make-card: " + csv_path));
  if (rows->size() < 2) return report(fail("make-card: " + csv_path + " has no residents (a header row and data rows)"));
  csv::Header h(rows->front());
  for (const char* required : {"household", "name"})
    if (h.find(required) < 0) return report(fail(std::string("make-card: column '") + required + "' is missing"));

  std::map<std::string, qr::HouseholdCard> cards;  // by household label, in label order
  std::map<std::string, std::string> household_ids;
  std::vector<csv::Row> with_ids;
  with_ids.push_back({"household", "household_id", "person_id", "name", "reading", "sex", "birth", "needs",
                      "needs_other", "consent", "address", "phone"});
  for (size_t i = 1; i < rows->size(); ++i) {
    const csv::Row& row = (*rows)[i];
    const std::string where = "make-card: " + csv_path + " row " + std::to_string(i + 1);
    const std::string label = h.get(row, "household");
    if (label.empty()) return report(fail(where + ": household is empty"));
    qr::CardMember m;
    m.person_id = h.get(row, "person_id").empty() ? new_id() : h.get(row, "person_id");
    if (!is_valid_id(m.person_id)) return report(fail(where + ": person_id must be 16 hex digits"));
    m.info.name = h.get(row, "name");
    m.info.reading = h.get(row, "reading");
    auto sex = parse_sex(h.get(row, "sex"));
    if (!sex) return report(fail(where + ": sex must be M, F, X or empty"));
    m.info.sex = *sex;
    auto birth = parse_birth(h.get(row, "birth"));
    if (!birth) return report(fail(where + ": birth must be YYYY or YYYY-MM-DD"));
    m.info.birth = *birth;
    auto needs = parse_needs(h.get(row, "needs"));
    if (!needs) return report(fail(where + ": unknown need in '" + h.get(row, "needs") + "'"));
    m.info.needs = *needs;
    m.info.needs_other = h.get(row, "needs_other");
    const std::string consent = h.get(row, "consent");
    m.info.consent = consent == "1" || consent == "yes" || consent == "y" || consent == "true";
    auto& card = cards[label];
    std::string hid = h.get(row, "household_id");
    if (hid.empty()) {
      auto [it, inserted] = household_ids.emplace(label, card.household_id.empty() ? new_id() : card.household_id);
      hid = it->second;
    }
    if (!is_valid_id(hid)) return report(fail(where + ": household_id must be 16 hex digits"));
    if (!card.household_id.empty() && card.household_id != hid)
      return report(fail(where + ": household " + label + " has two different household_id values"));
    card.household_id = hid;
    if (card.address.empty()) card.address = h.get(row, "address");
    if (card.phone.empty()) card.phone = h.get(row, "phone");
    m.info.address = card.address;
    m.info.phone = card.phone;
    card.members.push_back(m);
    with_ids.push_back({label, hid, m.person_id, m.info.name, m.info.reading, std::string(to_string(m.info.sex)),
                        to_string(m.info.birth), needs_to_string(m.info.needs), m.info.needs_other,
                        m.info.consent ? "1" : "0", card.address, card.phone});
  }
  // Encode everything first: one bad household writes no files at all.
  struct Output {
    std::string label, payload;
    qrimage::QrMatrix matrix;
  };
  std::vector<Output> outputs;
  for (const auto& [label, card] : cards) {
    auto payload = qr::encode_card(card);
    if (!payload) return report(payload.error().context("make-card: household " + label));
    auto matrix = qrimage::encode(*payload);
    if (!matrix) return report(matrix.error().context("make-card: household " + label));
    outputs.push_back({label, *payload, *matrix});
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return report(fail("make-card: create " + out_dir + ": " + ec.message()));
  for (const auto& o : outputs) {
    std::string safe;
    for (char ch : o.label) safe += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
    const std::string base = (fs::path(out_dir) / ("household-" + safe)).string();
    if (format == "png" || format == "both") {
      auto png = qrimage::to_png(o.matrix);
      if (auto st = write_file_atomic(base + ".png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), 0600); !st)
        return report(st.error().context("make-card"));
    }
    if (format == "svg" || format == "both") {
      if (auto st = write_file_atomic(base + ".svg", qrimage::to_svg(o.matrix), 0600); !st)
        return report(st.error().context("make-card"));
    }
    std::cout << base << "  QR version " << o.matrix.version << ", " << o.payload.size() << " characters\n";
  }
  std::string ids_csv;
  for (const auto& row : with_ids) ids_csv += csv::format_row(row);
  const std::string ids_path = (fs::path(out_dir) / "residents-with-ids.csv").string();
  if (auto st = write_file_atomic(ids_path, ids_csv, 0600); !st) return report(st.error().context("make-card"));
  std::cout << "Made " << outputs.size() << " card(s); ids kept in " << ids_path << "\n";
  return 0;
}

int cmd_check(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("check"));
  auto ok = (*store)->integrity_check();
  if (!ok) return report(ok.error().context("check"));
  std::cout << "integrity: " << *ok << "\n";
  auto events = (*store)->event_count();
  if (!events) return report(events.error().context("check"));
  std::cout << "events: " << *events << "\n";
  return *ok == "ok" ? 0 : kExitFail;
}

int cmd_rebuild(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("rebuild"));
  if (auto st = (*store)->rebuild_projections(); !st) return report(st.error());
  std::cout << "Projections rebuilt from " << *(*store)->event_count() << " event(s)\n";
  return 0;
}

int cmd_duplicates(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("duplicates"));
  auto d = (*store)->possible_duplicates();
  if (!d) return report(d.error().context("duplicates"));
  for (const auto& p : *d) std::cout << p.a << "  " << p.b << "\n";
  std::cout << d->size() << " possible duplicate pair(s); merge with `shelterctl merge ID --into ID --staff NAME`\n";
  return 0;
}

int cmd_export_unsynced(const Common& c, const std::string& path, bool all) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("export-unsynced"));
  auto x = collect_unsynced(**store, all);
  if (!x) return report(x.error().context("export-unsynced"));
  if (auto st = write_file_atomic(path, format_usb_export(*x), 0600); !st)
    return report(st.error().context("export-unsynced"));
  std::cout << "Wrote " << x->events.size() << " event(s) to " << path << "\n";
  return 0;
}

int cmd_import(const Common& c, const std::string& path) {
  auto bytes = read_file_bytes(path, 2ull << 30);
  if (!bytes) return report(bytes.error().context("import"));
  auto x = parse_usb_export(*bytes);
  if (!x) return report(x.error().context("import " + path));
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("import"));
  auto added = import_usb_export(**store, *x);
  if (!added) return report(added.error().context("import " + path));
  std::cout << "Imported " << *added << " new of " << x->events.size() << " event(s) from device " << x->device_id
            << "\n";
  return 0;
}

// The demo: what a shelter's first hour looks like, end to end, in a folder.
int cmd_demo(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return report(fail("demo: create " + dir + ": " + ec.message()));
  const std::string db = (fs::path(dir) / "shelter.db").string();
  fs::remove(db, ec);
  fs::remove(db + "-wal", ec);
  fs::remove(db + "-shm", ec);
  const std::string residents = (fs::path(dir) / "residents.csv").string();
  const std::string csv_text =
      "household,name,reading,sex,birth,needs,needs_other,consent,address,phone\r\n"
      "1,髙橋 一郎,タカハシ イチロウ,M,1948-05-12,care,,1,東京都多摩市落合1-2-3,042-000-0000\r\n"
      "1,髙橋 和子,タカハシ カズコ,F,1951-09-30,medical_device,在宅酸素,1,,\r\n"
      "1,髙橋 𠮷男,タカハシ ヨシオ,M,2021-01-20,infant,,0,,\r\n"
      "1,﨑山 邉子,サキヤマ ヘンコ,F,1990-03-03,pregnant,,1,,\r\n";
  if (auto st = write_file_atomic(residents, csv_text, 0600); !st) return report(st.error().context("demo"));
  Common c;
  c.db = db;
  std::cout << "== 1. A neighbourhood group prints household cards from a residents list\n";
  if (int rc = cmd_make_card(residents, (fs::path(dir) / "cards").string(), "both")) return rc;
  std::cout << "\n== 2. The shelter's kiosk store is initialised\n";
  if (int rc = cmd_init(c, "tama-01", "tama-01-a", "多摩第一小学校")) return rc;
  const std::string card_png = (fs::path(dir) / "cards" / "household-1.png").string();
  std::cout << "\n== 3. The card is read from its image\n";
  if (int rc = cmd_decode(card_png)) return rc;
  std::cout << "\n== 4. The household checks in with one scan\n";
  if (int rc = cmd_import_card(c, card_png, "shelter", {})) return rc;
  std::cout << "\n== 5. A walk-in without a card registers\n";
  PersonArgs walk_in;
  walk_in.name = "Nguyen Van An";
  walk_in.reading = "グエン ヴァン アン";
  walk_in.sex = "M";
  walk_in.birth = "1995";
  walk_in.needs = "language";
  walk_in.stay = "car";
  walk_in.consent = true;
  if (int rc = cmd_checkin(c, walk_in, "")) return rc;
  std::cout << "\n== 6. Counts for headquarters\n";
  if (int rc = cmd_counts(c, "", false, false)) return rc;
  std::cout << "\nThe demo's files are in " << dir << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shelterctl: evacuation shelter check-in, from the command line"};
  app.require_subcommand(1);
  Common c;
  app.add_option("--db", c.db, "SQLite database file (default: $SHELTER_DB or ./shelter.db)");
  app.add_option("--staff", c.staff, "Volunteer name recorded as the author (default: self-service)");

  std::string shelter, device, shelter_name;
  auto* init = app.add_subcommand("init", "Create the database and set this device's shelter and id");
  init->add_option("--shelter", shelter, "Shelter id, e.g. tama-01")->required();
  init->add_option("--device", device, "Device id, e.g. tama-01-a")->required();
  init->add_option("--name", shelter_name, "Shelter display name");

  PersonArgs pa;
  std::string existing;
  auto* checkin = app.add_subcommand("checkin", "Check in a person without a card (or a known person by --person)");
  checkin->add_option("--person", existing, "Known person id (or prefix): check them in again");
  checkin->add_option("--name", pa.name, "Name as written");
  checkin->add_option("--reading", pa.reading, "Name reading in katakana");
  checkin->add_option("--sex", pa.sex, "M, F or X");
  checkin->add_option("--birth", pa.birth, "Birth year or date: YYYY or YYYY-MM-DD");
  checkin->add_option("--needs", pa.needs, "Comma list: illness,pregnant,infant,disability,care,medical_device,allergy,language,other");
  checkin->add_option("--needs-other", pa.needs_other, "Details of needs");
  checkin->add_option("--address", pa.address, "Address");
  checkin->add_option("--phone", pa.phone, "Phone");
  checkin->add_option("--stay", pa.stay, "shelter, car or home")->check(CLI::IsMember({"shelter", "car", "home"}));
  checkin->add_option("--household", pa.household, "Household id, or the id of a family member to join");
  checkin->add_flag("--consent", pa.consent, "Consents to safety (安否) disclosure");

  std::string person;
  auto* out = app.add_subcommand("out", "Record that a person went out");
  out->add_option("person", person, "Person id or prefix")->required();
  auto* back = app.add_subcommand("back", "Record that a person came back");
  back->add_option("person", person, "Person id or prefix")->required();
  auto* leave = app.add_subcommand("leave", "Record that a person left the shelter");
  leave->add_option("person", person, "Person id or prefix")->required();

  std::vector<std::string> assignments;
  auto* correct = app.add_subcommand("correct", "Correct fields of a person (staff): correct ID name=... birth=...");
  correct->add_option("person", person, "Person id or prefix")->required();
  correct->add_option("fields", assignments, "FIELD=VALUE ...")->required();

  std::string into;
  auto* merge = app.add_subcommand("merge", "Mark a person record as a duplicate of another (staff)");
  merge->add_option("person", person, "The duplicate record")->required();
  auto* into_opt = merge->add_option("--into", into, "The record to keep");
  bool unmerge = false;
  merge->add_flag("--undo", unmerge, "Undo an earlier merge of this record")->excludes(into_opt);

  bool all = false, json = false;
  std::string search;
  auto* list = app.add_subcommand("list", "List persons at this shelter");
  list->add_flag("--all", all, "Every shelter in this database");
  list->add_option("--search", search, "Part of a name or reading");
  list->add_flag("--json", json, "JSON output");

  auto* history = app.add_subcommand("history", "Show every event about a person (the audit trail)");
  history->add_option("person", person, "Person id or prefix")->required();

  auto* counts = app.add_subcommand("counts", "Counts of persons present");
  counts->add_option("--shelter", shelter, "Shelter id (default: this device's)");
  counts->add_flag("--all", all, "Every shelter in this database");
  counts->add_flag("--json", json, "JSON output");

  std::string out_path;
  bool csv_flag = false;
  auto* exp = app.add_subcommand("export", "Export the roster");
  exp->add_flag("--csv", csv_flag, "CSV format")->required();
  exp->add_option("--out", out_path, "Output file (default: stdout)");
  exp->add_flag("--all", all, "Every shelter in this database");

  std::string image, stay = "shelter";
  std::vector<int> members;
  auto* import_card = app.add_subcommand("import-card", "Check in a household from an image of its QR card");
  import_card->add_option("image", image, "PNG or JPEG image")->required();
  import_card->add_option("--stay", stay, "shelter, car or home")->check(CLI::IsMember({"shelter", "car", "home"}));
  import_card->add_option("--members", members, "Only these members (1-based), e.g. --members 1 3");

  std::string backup_dir;
  int keep = 48;
  bool force = false;
  auto* backup = app.add_subcommand("backup", "Write an online backup of the database to a folder (rolling)");
  backup->add_option("dir", backup_dir, "Folder, e.g. on a second disk or USB stick")->required();
  backup->add_option("--keep", keep, "Backups of this device kept (the oldest go)")->check(CLI::Range(1, 10000));
  std::string backup_file;
  auto* restore = app.add_subcommand("restore", "Put a backup in place of the database (--db)");
  restore->add_option("backup", backup_file, "A backup file from `backup` or shelter-sync --backup-dir")->required();
  restore->add_flag("--force", force, "Replace an existing database (stop the kiosk and daemon first)");
  std::string server_url, enrol_code, kiosk_config, sync_config;
  auto* enrol = app.add_subcommand("enrol", "Enrol this kiosk with the server: identity, one-time code, staff PIN (stdin), configs");
  enrol->add_option("--shelter", shelter, "Shelter id, e.g. tama-01")->required();
  enrol->add_option("--device", device, "Device id, e.g. tama-01-a")->required();
  enrol->add_option("--name", shelter_name, "Shelter display name");
  enrol->add_option("--server", server_url, "Server address, e.g. http://10.0.0.5:8470")->required();
  enrol->add_option("--code", enrol_code, "One-time code from `shelter-server enrol-code`")->required();
  enrol->add_option("--kiosk-config", kiosk_config, "Kiosk TOML to update (db, ids, staff_pin_hash)");
  enrol->add_option("--sync-config", sync_config, "Sync daemon TOML to update (db, server)");

  std::string qr_text;
  auto* scan = app.add_subcommand("scan", "Handle the text of a scanned card or pass as the kiosk does");
  scan->add_option("text", qr_text, "The code's text (from decode)")->required();
  scan->add_option("--stay", stay, "shelter, car or home")->check(CLI::IsMember({"shelter", "car", "home"}));
  auto* pass_cmd = app.add_subcommand("pass", "Print the text of a pass for a person (to reprint a lost one)");
  pass_cmd->add_option("person", person, "Person id or prefix")->required();

  std::string csv_in, out_dir = "cards", format = "png";
  auto* make_card = app.add_subcommand("make-card", "Make printable household QR cards from a residents CSV");
  make_card->add_option("csv", csv_in, "CSV with columns household,name[,reading,sex,birth,needs,needs_other,consent,address,phone,household_id,person_id]")->required();
  make_card->add_option("--out", out_dir, "Output folder (default: cards)");
  make_card->add_option("--format", format, "png, svg or both")->check(CLI::IsMember({"png", "svg", "both"}));

  auto* decode = app.add_subcommand("decode", "Print the text of the QR code in an image (exit 1: none, 2: unreadable)");
  decode->add_option("image", image, "PNG or JPEG image")->required();

  auto* dups = app.add_subcommand("duplicates", "List possible duplicate persons (same reading and birth date)");
  auto* check = app.add_subcommand("check", "Check the database file's integrity");
  auto* rebuild = app.add_subcommand("rebuild", "Recompute every projection from the event log");

  std::string file_path;
  auto* export_unsynced = app.add_subcommand(
      "export-unsynced", "Write this kiosk's events the server has not acknowledged to a file (USB stick)");
  export_unsynced->add_option("file", file_path, "Output file")->required();
  export_unsynced->add_flag("--all", all, "Every event in the log, not only unsynced ones");
  auto* import_cmd = app.add_subcommand("import", "Merge an export file into this database (server or kiosk)");
  import_cmd->add_option("file", file_path, "File from export-unsynced")->required();

  std::string demo_dir = "shelter-demo";
  auto* demo = app.add_subcommand("demo", "Run a short end-to-end demo in a folder");
  demo->add_option("--dir", demo_dir, "Folder for the demo's files (default: shelter-demo)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*init) return cmd_init(c, shelter, device, shelter_name);
  if (*checkin) return cmd_checkin(c, pa, existing);
  if (*out) return cmd_status(c, EventType::WentOut, person, "out");
  if (*back) return cmd_status(c, EventType::CameBack, person, "back");
  if (*leave) return cmd_status(c, EventType::Left, person, "leave");
  if (*correct) return cmd_correct(c, person, assignments);
  if (*merge) {
    if (into.empty() && !unmerge) return report(fail("merge: give --into ID or --undo"));
    return cmd_merge(c, person, into);
  }
  if (*list) return cmd_list(c, all, search, json);
  if (*history) return cmd_history(c, person);
  if (*counts) return cmd_counts(c, shelter, all, json);
  if (*exp) return cmd_export_csv(c, out_path, all);
  if (*import_card) return cmd_import_card(c, image, stay, members);
  if (*scan) return cmd_scan(c, qr_text, stay);
  if (*backup) return cmd_backup(c, backup_dir, keep);
  if (*restore) return cmd_restore(c, backup_file, force);
  if (*enrol)
    return cmd_enrol(c, shelter, device, shelter_name, server_url, enrol_code, kiosk_config, sync_config);
  if (*pass_cmd) return cmd_pass(c, person);
  if (*make_card) return cmd_make_card(csv_in, out_dir, format);
  if (*decode) return cmd_decode(image);
  if (*dups) return cmd_duplicates(c);
  if (*check) return cmd_check(c);
  if (*rebuild) return cmd_rebuild(c);
  if (*demo) return cmd_demo(demo_dir);
  if (*export_unsynced) return cmd_export_unsynced(c, file_path, all);
  if (*import_cmd) return cmd_import(c, file_path);
  return 0;
}
