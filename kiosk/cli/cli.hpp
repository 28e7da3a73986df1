#pragma once
// shelterctl's shared parts: the global options, error reporting, finding a
// person by id prefix, and the command registrations (one file per group:
// records.cpp, cards.cpp, reports.cpp, admin.cpp; main.cpp adds them).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/store.hpp"

namespace shelter::cli {

inline constexpr int kExitFail = 1;

// Options every command sees (given before the command's name).
struct Common {
  std::string db = [] {
    const char* env = std::getenv("SHELTER_DB");
    return std::string(env ? env : "shelter.db");
  }();
  std::string staff;
};

// The commands as registered: main runs the one that was given.
struct Commands {
  std::vector<std::pair<CLI::App*, std::function<int()>>> list;
  void add(CLI::App* sub, std::function<int()> run) { list.emplace_back(sub, std::move(run)); }
};

// Prints "shelterctl: <message>" on stderr; returns the failure exit code.
int report(const Error& e);
Result<std::unique_ptr<Store>> open_store(const std::string& path, bool must_exist = true);
// open_store, then with --staff NAME: NAME must be an enrolled volunteer,
// whose PIN is read from stdin; their events are signed with their key
// (core/volunteer_keys.hpp), as in staff mode.
Result<std::unique_ptr<Store>> open_store_as(const Common& c);
// Accepts a whole person id or a unique prefix of at least 4 digits.
Result<PersonId> resolve_person(Store& store, const std::string& arg);
std::string author_of(const std::string& staff);
// Run as root (installing a tablet), files made for a service take the owner
// of their folder (/var/lib/shelter-kiosk belongs to shelter-kiosk), so the
// kiosk and the daemon can open them.
void adopt_folder_owner(const std::string& path);
// A volunteer's PIN, one line on stdin (a prompt on stderr), checked by
// check_pin_rule.
Result<std::string> read_pin_stdin(const std::string& whose);
// vocab::kStays as CLI11 wants them, for --stay.
std::vector<std::string> stay_names();

// Commands the demo runs too.
struct PersonArgs {
  std::string name, reading, sex, birth, needs, needs_other, address, phone, stay = "shelter", household;
  std::string pets;  // the household's pets, on this person's arrival ("" none)
  bool consent = false;
};
int cmd_init(const Common& c, const std::string& shelter, const std::string& device, const std::string& name);
int cmd_checkin(const Common& c, const PersonArgs& a, const std::string& existing);
int cmd_counts(const Common& c, const std::string& shelter, bool all, bool json);
int cmd_decode(const Common& c, const std::string& image);
int cmd_import_card(const Common& c, const std::string& image, const std::string& stay,
                    const std::vector<int>& members);
int cmd_make_card(const std::string& csv_path, const std::string& out_dir, const std::string& format,
                  const std::string& layout = "a4", const std::string& card_key = {});

// Registrations, each adding one command (or out/back/leave) to `app`.
// records.cpp
void add_checkin(CLI::App& app, Common& c, Commands& cmds);
void add_presence(CLI::App& app, Common& c, Commands& cmds);  // out, back, leave
void add_correct(CLI::App& app, Common& c, Commands& cmds);
void add_merge(CLI::App& app, Common& c, Commands& cmds);
// reports.cpp
void add_list(CLI::App& app, Common& c, Commands& cmds);
void add_history(CLI::App& app, Common& c, Commands& cmds);
void add_counts(CLI::App& app, Common& c, Commands& cmds);
void add_export(CLI::App& app, Common& c, Commands& cmds);
void add_duplicates(CLI::App& app, Common& c, Commands& cmds);
// cards.cpp
void add_import_card(CLI::App& app, Common& c, Commands& cmds);
void add_scan(CLI::App& app, Common& c, Commands& cmds);
void add_pass(CLI::App& app, Common& c, Commands& cmds);
void add_make_card(CLI::App& app, Common& c, Commands& cmds);
void add_decode(CLI::App& app, Common& c, Commands& cmds);
// admin.cpp
void add_init(CLI::App& app, Common& c, Commands& cmds);
void add_backup(CLI::App& app, Common& c, Commands& cmds);
void add_restore(CLI::App& app, Common& c, Commands& cmds);
void add_enrol(CLI::App& app, Common& c, Commands& cmds);
void add_check(CLI::App& app, Common& c, Commands& cmds);
void add_rebuild(CLI::App& app, Common& c, Commands& cmds);
// export-unsynced, and trust-hq-key for the key it seals to
void add_export_unsynced(CLI::App& app, Common& c, Commands& cmds);
void add_import(CLI::App& app, Common& c, Commands& cmds);
void add_demo(CLI::App& app, Common& c, Commands& cmds);
// paper.cpp: print roster, print blank-card, print passes
void add_print(CLI::App& app, Common& c, Commands& cmds);
// volunteers.cpp: add-volunteer, remove-volunteer, volunteers, staff-unlock
void add_volunteer_commands(CLI::App& app, Common& c, Commands& cmds);

}  // namespace shelter::cli
