#pragma once
// Store helpers shared by the store's unit tests: a store with an identity,
// an arrival event, a person's details.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "core/event.hpp"
#include "core/store.hpp"

namespace shelter::test {

inline std::unique_ptr<Store> open_store(const std::string& path, const std::string& shelter = "tama-01",
                                         const std::string& device = "tama-01-a") {
  auto s = Store::open(path);
  REQUIRE(s.ok());
  if (!device.empty()) REQUIRE((*s)->init_identity(shelter, device, "Tama Elementary").ok());
  return std::move(s).value();
}

inline NewEvent arrival(const PersonId& person, const HouseholdId& household, const PersonInfo& info) {
  NewEvent e;
  e.type = EventType::Arrived;
  e.person_id = person;
  e.household_id = household;
  e.body = person_body(info);
  return e;
}

inline PersonInfo sample_info(const std::string& name, Sex sex, const char* birth, std::uint16_t needs = 0) {
  PersonInfo p;
  p.name = name;
  p.reading = "ヤマダ";
  p.sex = sex;
  p.birth = *parse_birth(birth);
  p.needs = needs;
  return p;
}

}  // namespace shelter::test
