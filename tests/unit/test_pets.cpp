// Pets: the household field's strict form, its validation in events, and
// how the store counts them per shelter.
#include <catch2/catch.hpp>

#include "core/checkin.hpp"
#include "core/event.hpp"
#include "core/projection.hpp"
#include "core/store.hpp"
#include "core/vocabulary.hpp"
#include "store_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::open_store;
using shelter::test::TempDir;

TEST_CASE("pets parse strictly and print canonically", "[pets][model]") {
  REQUIRE(vocab::kPetKinds == std::array<std::string_view, 3>{"dog", "cat", "other"});
  auto p = parse_pets("dog=1,cat=0,other=2");
  REQUIRE(p);
  CHECK(p->count == std::array<int, 3>{1, 0, 2});
  CHECK(p->total() == 3);
  CHECK(to_string(*p) == "dog=1,cat=0,other=2");
  // Any order, missing kinds are 0; printed in vocabulary order.
  CHECK(to_string(*parse_pets("other=20,dog=3")) == "dog=3,cat=0,other=20");
  CHECK(parse_pets("")->total() == 0);
  CHECK(to_string(*parse_pets("dog=0,cat=0,other=0")).empty());  // none prints as ""
  CHECK(to_string(Pets{}).empty());
  for (const char* bad :
       {"dog", "dog=", "=1", "dog=21", "dog=-1", "dog=+1", "dog=01", "dog=1,", ",dog=1", "dog=1,dog=2", "fish=1",
        "Dog=1", "dog=1 ", " dog=1", "dog=1;cat=1", "dog=100", "dog=1,,cat=1", "dog=1.0", "dog=０"}) {
    INFO(bad);
    CHECK_FALSE(parse_pets(bad));
  }
}

namespace {
Event pets_event(EventType type, const std::string& pets) {
  Event e;
  e.type = type;
  e.device_id = "tama-01-a";
  e.hlc = 1000;
  e.id = make_event_id(e.device_id, e.hlc);
  e.person_id = "00000000000000a1";
  e.household_id = "00000000000000aa";
  e.shelter_id = "tama-01";
  e.device_seq = 1;
  e.author = "staff:sato";
  e.body = {{"pets", pets}};
  return e;
}
}  // namespace

TEST_CASE("events carry pets on arrivals and corrections only, in the strict form", "[pets][event]") {
  CHECK(validate(pets_event(EventType::Arrived, "dog=1,cat=0,other=2")).ok());
  CHECK(validate(pets_event(EventType::Corrected, "")).ok());
  auto bad = validate(pets_event(EventType::Corrected, "dog=99"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("field pets") != std::string::npos);
  CHECK_FALSE(validate(pets_event(EventType::Arrived, "hamster=1")).ok());
  // Not a detail a registration carries: pets are where a household is now.
  auto reg = validate(pets_event(EventType::Registered, "dog=1"));
  REQUIRE_FALSE(reg.ok());
  CHECK(reg.error().message.find("cannot carry pets") != std::string::npos);
  CHECK(is_person_field("pets"));
  CHECK_FALSE(is_registration_field("pets"));
  // Staff's field editor does not list them: they have their own control.
  CHECK(std::find(vocab::kPersonFields.begin(), vocab::kPersonFields.end(), "pets") == vocab::kPersonFields.end());
}

TEST_CASE("pets count per shelter while their holder is there", "[pets][store]") {
  TempDir dir;
  auto store = open_store(dir.file("kiosk.db"));
  PersonInfo info;
  info.name = "ヤマダ";
  const HouseholdId h1 = new_id(), h2 = new_id();
  auto first = walkin_arrival(info, h1, "shelter", "self", "dog=2,cat=0,other=1");
  auto second = walkin_arrival(info, h1, "shelter", "self");
  auto other = walkin_arrival(info, h2, "car", "self", "dog=0,cat=3,other=0");
  std::vector<NewEvent> all;
  for (auto* v : {&first, &second, &other}) all.insert(all.end(), v->begin(), v->end());
  REQUIRE(store->record(all).ok());
  const PersonId holder = first[0].person_id, member = second[0].person_id, holder2 = other[0].person_id;
  CHECK(first[0].body.value("pets", "") == "dog=2,cat=0,other=1");
  CHECK_FALSE(second[0].body.contains("pets"));

  auto c = store->counts("tama-01");
  REQUIRE(c.ok());
  CHECK(c->by_pet["dog"] == 2);
  CHECK(c->by_pet["cat"] == 3);
  CHECK(c->by_pet["other"] == 1);
  const auto j = counts_to_json(*c);
  CHECK(j["pets"] == nlohmann::json{{"dog", 2}, {"cat", 3}, {"other", 1}, {"total", 6}});

  // The household's pets are found from any member, with their holder.
  auto hp = store->household_pets(member);
  REQUIRE(hp.ok());
  CHECK(hp->holder == holder);
  CHECK(hp->pets == "dog=2,cat=0,other=1");
  hp = store->household_pets(new_id());  // unknown: nobody holds any
  REQUIRE(hp.ok());
  CHECK(hp->pets.empty());

  // Out for now: still counted. A staff correction changes the count.
  REQUIRE(store->record(NewEvent{EventType::WentOut, holder, "", "", "self", {}}).ok());
  CHECK(store->counts("tama-01")->by_pet["dog"] == 2);
  REQUIRE(store->record(NewEvent{EventType::CameBack, holder, "", "", "self", {}}).ok());
  REQUIRE(store->record(NewEvent{EventType::Corrected, holder, "", "", "staff:sato", {{"pets", "dog=1"}}}).ok());
  c = store->counts("tama-01");
  CHECK(c->by_pet["dog"] == 1);
  CHECK(c->by_pet["other"] == 0);

  // The household that leaves takes its pets out of the counts.
  REQUIRE(store->record(NewEvent{EventType::Left, holder2, "", "", "self", {}}).ok());
  c = store->counts("tama-01");
  CHECK(c->by_pet["cat"] == 0);
  CHECK(counts_to_json(*c)["pets"]["total"] == 1);

  // A household moved to another shelter counts there, not here.
  REQUIRE(store
              ->record({NewEvent{EventType::Arrived, holder, h1, "tama-02", "self", {{"stay", "shelter"}}},
                        NewEvent{EventType::Arrived, member, h1, "tama-02", "self", {{"stay", "shelter"}}}})
              .ok());
  CHECK(store->counts("tama-01")->by_pet["dog"] == 0);
  CHECK(store->counts("tama-02")->by_pet["dog"] == 1);

  // A rebuild from the log gives the same counts.
  REQUIRE(store->rebuild_projections().ok());
  CHECK(store->counts("tama-02")->by_pet["dog"] == 1);
  CHECK(store->counts("tama-01")->by_pet["cat"] == 0);
}

TEST_CASE("a bad pets value is refused and records nothing", "[pets][store]") {
  TempDir dir;
  auto store = open_store(dir.file("kiosk.db"));
  PersonInfo info;
  info.name = "ヤマダ";
  auto events = walkin_arrival(info, new_id(), "shelter", "self", "dog=21");
  auto r = store->record(events);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("pets") != std::string::npos);
  CHECK(store->counts("tama-01")->present == 0);
}
