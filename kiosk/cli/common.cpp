#include "kiosk/cli/cli.hpp"

#include <filesystem>
#include <iostream>

#include "core/pin.hpp"
#include "core/vocabulary.hpp"
#include "core/volunteers.hpp"

namespace fs = std::filesystem;

namespace shelter::cli {

int report(const Error& e) {
  std::cerr << "shelterctl: " << e.message << "\n";
  return kExitFail;
}

Result<std::unique_ptr<Store>> open_store(const std::string& path, bool must_exist) {
  if (must_exist && !fs::exists(path))
    return fail("no database at " + path + " (run `shelterctl init` first, or pass --db)");
  return Store::open(path);
}

Result<PersonId> resolve_person(Store& store, const std::string& arg) {
  if (arg.size() < 4) return fail("person id '" + arg + "': give at least 4 digits");
  auto ids = store.person_ids_with_prefix(arg);
  if (!ids) return ids.error();
  if (ids->empty()) return fail("no person with id " + arg);
  if (ids->size() > 1) return fail("person id " + arg + " is ambiguous: give more digits");
  return ids->front();
}

Result<std::unique_ptr<Store>> open_store_as(const Common& c) {
  auto store = open_store(c.db);
  if (!store || c.staff.empty()) return store;
  const std::string ctx = "--staff " + c.staff;
  auto v = find_volunteer(**store, c.staff);
  if (!v) return v.error().context(ctx);
  if (!*v || (*v)->enrolled_by == kDemoLeadMark)
    return fail(ctx + ": not a volunteer enrolled at this kiosk (shelterctl add-volunteer)");
  auto pin = read_pin_stdin("PIN of " + c.staff);
  if (!pin) return pin.error().context(ctx);
  if (!pin_matches((*v)->pin_hash, *pin)) return fail(ctx + ": wrong PIN");
  auto key = volunteer_signing_key(**store, **v, *pin);
  if (!key) return key.error().context(ctx);
  (*store)->set_staff_signer(std::move(*key));
  return store;
}

std::string author_of(const std::string& staff) {
  return staff.empty() ? "self" : "staff:" + staff;
}

std::vector<std::string> stay_names() {
  return {vocab::kStays.begin(), vocab::kStays.end()};
}

}  // namespace shelter::cli
