// shelterctl's report commands: list, history, counts, export, duplicates.
#include <iostream>
#include <map>

#include "core/fs_util.hpp"
#include "core/reports.hpp"
#include "core/vocabulary.hpp"
#include "kiosk/cli/cli.hpp"

namespace shelter::cli {

namespace {

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
  line("pets      ", c.by_pet, vocab::kPetKinds);
}

// ---- commands -------------------------------------------------------------

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
      out.push_back({{"id", p.id},
                     {"household", p.household_id},
                     {"shelter", p.shelter_id},
                     {"presence", to_string(p.presence)},
                     {"stay", to_string(p.stay)},
                     {"name", p.info.name},
                     {"reading", p.info.reading},
                     {"sex", to_string(p.info.sex)},
                     {"birth", to_string(p.info.birth)},
                     {"needs", needs_to_string(p.info.needs)},
                     {"consent", p.info.consent},
                     {"address", p.info.address},
                     {"phone", p.info.phone}});
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
    std::cout << hlc_to_string(e.hlc) << "  " << to_string(e.type) << "  " << e.shelter_id << "  " << e.author << "  "
              << e.device_id << "  " << e.body.dump() << "\n";
  return 0;
}

}  // namespace

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

namespace {

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

int cmd_duplicates(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("duplicates"));
  auto d = (*store)->possible_duplicates();
  if (!d) return report(d.error().context("duplicates"));
  for (const auto& p : *d) std::cout << p.a << "  " << p.b << "\n";
  std::cout << d->size()
            << " possible duplicate pair(s); merge with `shelterctl merge ID --into ID --staff NAME`, or dismiss with "
               "`shelterctl merge ID --not-same ID --staff NAME`\n";
  return 0;
}

}  // namespace

void add_list(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    bool all = false, json = false;
    std::string search;
  };
  auto a = std::make_shared<Args>();
  auto* list = app.add_subcommand("list", "List persons at this shelter");
  list->add_flag("--all", a->all, "Every shelter in this database");
  list->add_option("--search", a->search, "Part of a name or reading");
  list->add_flag("--json", a->json, "JSON output");
  cmds.add(list, [&c, a] { return cmd_list(c, a->all, a->search, a->json); });
}

void add_history(CLI::App& app, Common& c, Commands& cmds) {
  auto person = std::make_shared<std::string>();
  auto* history = app.add_subcommand("history", "Show every event about a person (the audit trail)");
  history->add_option("person", *person, "Person id or prefix")->required();
  cmds.add(history, [&c, person] { return cmd_history(c, *person); });
}

void add_counts(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string shelter;
    bool all = false, json = false;
  };
  auto a = std::make_shared<Args>();
  auto* counts = app.add_subcommand("counts", "Counts of persons present");
  counts->add_option("--shelter", a->shelter, "Shelter id (default: this device's)");
  counts->add_flag("--all", a->all, "Every shelter in this database");
  counts->add_flag("--json", a->json, "JSON output");
  cmds.add(counts, [&c, a] { return cmd_counts(c, a->shelter, a->all, a->json); });
}

void add_export(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string out_path;
    bool csv = false, all = false;
  };
  auto a = std::make_shared<Args>();
  auto* exp = app.add_subcommand("export", "Export the roster");
  exp->add_flag("--csv", a->csv, "CSV format")->required();
  exp->add_option("--out", a->out_path, "Output file (default: stdout)");
  exp->add_flag("--all", a->all, "Every shelter in this database");
  cmds.add(exp, [&c, a] { return cmd_export_csv(c, a->out_path, a->all); });
}

void add_duplicates(CLI::App& app, Common& c, Commands& cmds) {
  auto* dups =
      app.add_subcommand("duplicates", "List possible duplicate persons (same normalised name, compatible birth)");
  cmds.add(dups, [&c] { return cmd_duplicates(c); });
}

}  // namespace shelter::cli
