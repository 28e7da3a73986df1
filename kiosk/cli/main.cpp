// shelterctl: the command line for volunteers and IT staff. Every command
// validates its input completely before it writes anything, and prints one
// clear line on failure ("shelterctl: check in: field birth: ...").
// The commands live in one file per group (kiosk/cli/cli.hpp); they are
// added here in the order `shelterctl --help` lists them.
#include "kiosk/cli/cli.hpp"

using namespace shelter::cli;

int main(int argc, char** argv) {
  CLI::App app{"shelterctl: evacuation shelter check-in, from the command line"};
  app.require_subcommand(1);
  Common c;
  app.add_option("--db", c.db, "SQLite database file (default: $SHELTER_DB or ./shelter.db)");
  app.add_option("--staff", c.staff, "Volunteer name recorded as the author (default: self-service)");

  Commands cmds;
  for (auto add : {add_init,    add_checkin, add_presence, add_correct,         add_merge,  add_list,
                   add_history, add_counts,  add_export,   add_import_card,     add_backup, add_restore,
                   add_enrol,   add_scan,    add_pass,     add_make_card,       add_decode, add_duplicates,
                   add_print,   add_check,   add_rebuild,  add_export_unsynced, add_import, add_volunteer_commands,
                   add_demo})
    add(app, c, cmds);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& [sub, run] : cmds.list)
    if (*sub) return run();
  return 0;
}
