#pragma once
// Pieces the Catch2 tests of the in-process world share (test_sequences.cpp,
// test_hub.cpp): the backends to run on, a walk-in and a pass scan recorded
// at a kiosk, and a kiosk's database kept and copied back as a plain file.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/checkin.hpp"
#include "tests/sim/sim.hpp"

namespace shelter::sim {

// SQLite, and PostgreSQL too when SHELTER_PG_URL is set.
inline std::vector<std::string> backends() {
  std::vector<std::string> out{""};
  if (const char* pg = std::getenv("SHELTER_PG_URL"); pg && *pg) out.emplace_back(pg);
  return out;
}

// A walk-in with a name, reading テスト and birth year 1960, staying in the shelter.
inline PersonId walk_in(Kiosk& k, const std::string& name) {
  const PersonId id = new_id();
  PersonInfo info;
  info.name = name;
  info.reading = "テスト";
  info.birth = parse_birth("1960").value();
  nlohmann::json body = person_body(info);
  body["stay"] = "shelter";
  REQUIRE(k.store().record(NewEvent{EventType::Arrived, id, new_id(), "", "self", body}).ok());
  return id;
}

// The person's pass held up to the kiosk by themselves: a move here, or
// out and back at their shelter. Returns the event recorded.
inline Event pass_scan(Kiosk& k, const PersonId& id) {
  auto a = pass_action(k.store(), qr::Pass{id, "", "", {}}, "self");
  REQUIRE(a.ok());
  auto recorded = k.store().record(a->event);
  REQUIRE(recorded.ok());
  return *recorded;
}

// A plain copy of the kiosk's database file, taken while it is closed.
inline void copy_database(Kiosk& k, const std::string& copy) {
  k.close();
  std::filesystem::copy_file(k.path(), copy, std::filesystem::copy_options::overwrite_existing);
  REQUIRE(k.open().ok());
}

// The tablet's disk died and that older copy goes in.
inline void put_back_database(Kiosk& k, const std::string& copy) {
  k.close();
  std::filesystem::copy_file(copy, k.path(), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(k.path() + "-wal");
  std::filesystem::remove(k.path() + "-shm");
  REQUIRE(k.open().ok());
}

}  // namespace shelter::sim
