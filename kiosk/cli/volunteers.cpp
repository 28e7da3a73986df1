// shelterctl's staff commands: the volunteers who may open the kiosk's staff
// mode (core/volunteers.hpp) and its sign-in lockout. Run on the tablet,
// against the kiosk's own database; PINs come on stdin, never as arguments
// (they would show in `ps` and the shell's history).
#include <iostream>

#include "core/pin.hpp"
#include "core/volunteers.hpp"
#include "kiosk/cli/cli.hpp"

namespace shelter::cli {

Result<std::string> read_pin_stdin(const std::string& whose) {
  std::string pin;
  std::cerr << whose << " (" << kMinPinDigits << " to " << kMaxPinDigits << " digits): ";
  if (!std::getline(std::cin, pin)) return fail("no PIN on stdin");
  if (!pin.empty() && pin.back() == '\r') pin.pop_back();
  if (auto st = check_pin_rule(pin); !st) return st.error();
  return pin;
}

namespace {

int cmd_add_volunteer(const Common& c, const std::string& name, bool lead, bool replace, const std::string& by) {
  const std::string ctx = "add-volunteer";
  if (auto st = check_volunteer_name(name); !st) return report(st.error().context(ctx));
  auto pin = read_pin_stdin("PIN of " + name);
  if (!pin) return report(pin.error().context(ctx));
  auto store = open_store(c.db);
  if (!store) return report(store.error().context(ctx));
  // A lead vouches for the new key with theirs, so the server registers it
  // (core/volunteer_keys.hpp); without one, only a shelter's first lead is.
  std::optional<StaffKey> voucher;
  if (!by.empty()) {
    auto v = find_volunteer(**store, by);
    if (!v) return report(v.error().context(ctx));
    if (!*v || (*v)->role != VolunteerRole::Lead) return report(fail(ctx + ": --by " + by + " is not a lead here"));
    auto lead_pin = read_pin_stdin("PIN of " + by);
    if (!lead_pin) return report(lead_pin.error().context(ctx + ": --by"));
    if (!pin_matches((*v)->pin_hash, *lead_pin)) return report(fail(ctx + ": --by " + by + ": wrong PIN"));
    auto key = volunteer_signing_key(**store, **v, *lead_pin);
    if (!key) return report(key.error().context(ctx));
    voucher = std::move(*key);
  }
  const auto role = lead ? VolunteerRole::Lead : VolunteerRole::Volunteer;
  if (auto st = add_volunteer(**store, name, *pin, role, by.empty() ? "shelterctl" : by, replace,
                              voucher ? &*voucher : nullptr);
      !st)
    return report(st.error().context(ctx));
  store->reset();
  adopt_folder_owner(c.db);
  std::cout << (replace ? "Enrolled (or changed) " : "Enrolled ") << name << " as " << to_string(role) << "\n";
  return 0;
}

int cmd_remove_volunteer(const Common& c, const std::string& name) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("remove-volunteer"));
  if (auto st = remove_volunteer(**store, name); !st) return report(st.error().context("remove-volunteer"));
  std::cout << "Removed " << name << "\n";
  return 0;
}

int cmd_volunteers(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("volunteers"));
  auto team = list_volunteers(**store);
  if (!team) return report(team.error().context("volunteers"));
  for (const auto& v : *team)
    std::cout << v.name << "\t" << to_string(v.role) << "\t" << v.enrolled_at << "\t" << v.enrolled_by << "\t"
              << (v.server_note.empty() ? "not yet at the server" : "server: " + v.server_note) << "\n";
  if (team->empty()) std::cout << "Nobody is enrolled: staff mode is closed. Add a lead with add-volunteer --lead.\n";
  auto l = read_lockout(**store);
  if (!l) return report(l.error().context("volunteers"));
  const std::int64_t left = lock_left_ms(*l, system_millis(), 3600);  // no config here: capped at the longest lock
  if (left > 0) std::cout << "Staff sign-in is locked for " << (left + 999) / 1000 << " s more (staff-unlock)\n";
  return 0;
}

int cmd_staff_unlock(const Common& c) {
  auto store = open_store(c.db);
  if (!store) return report(store.error().context("staff-unlock"));
  if (auto st = clear_lockout(**store); !st) return report(st.error().context("staff-unlock"));
  std::cout << "Staff sign-in unlocked\n";
  return 0;
}

}  // namespace

void add_volunteer_commands(CLI::App& app, Common& c, Commands& cmds) {
  struct Args {
    std::string name, by;
    bool lead = false, replace = false;
  };
  auto a = std::make_shared<Args>();
  auto* add = app.add_subcommand("add-volunteer", "Enrol a volunteer for the kiosk's staff mode (PIN on stdin)");
  add->add_option("--name", a->name, "Their name, as the sign-in screen and the audit trail show it")->required();
  add->add_flag("--lead", a->lead, "A shelter lead: may add and remove volunteers in staff mode");
  add->add_flag("--replace", a->replace, "Give a volunteer already enrolled a new PIN (and role)");
  add->add_option("--by", a->by,
                  "A lead of this kiosk who vouches for them (their PIN on stdin's second line), as in staff mode");
  cmds.add(add, [&c, a] { return cmd_add_volunteer(c, a->name, a->lead, a->replace, a->by); });

  auto remove_name = std::make_shared<std::string>();
  auto* remove = app.add_subcommand("remove-volunteer", "Remove a volunteer from the kiosk's staff mode");
  remove->add_option("--name", *remove_name, "Their name")->required();
  cmds.add(remove, [&c, remove_name] { return cmd_remove_volunteer(c, *remove_name); });

  auto* list = app.add_subcommand("volunteers", "List the volunteers enrolled for staff mode, and any lockout");
  cmds.add(list, [&c] { return cmd_volunteers(c); });

  auto* unlock = app.add_subcommand("staff-unlock", "End a staff sign-in lockout (too many wrong PINs)");
  cmds.add(unlock, [&c] { return cmd_staff_unlock(c); });
}

}  // namespace shelter::cli
