#include "kiosk/cli/cli.hpp"

#include <filesystem>
#include <iostream>

#include "core/vocabulary.hpp"

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

std::string author_of(const std::string& staff) {
  return staff.empty() ? "self" : "staff:" + staff;
}

std::vector<std::string> stay_names() {
  return {vocab::kStays.begin(), vocab::kStays.end()};
}

}  // namespace shelter::cli
