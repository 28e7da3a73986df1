// What a kiosk may write about a person (core/write_rules.hpp), event type
// by event type, against a person of its own shelter, of another shelter,
// and one the server has never seen.
#include <catch2/catch.hpp>

#include "core/write_rules.hpp"

using namespace shelter;

namespace {

Event event_at(const std::string& shelter, EventType type, Hlc hlc, nlohmann::json body = nlohmann::json::object()) {
  Event e;
  e.device_id = shelter + "-1";
  e.hlc = hlc;
  e.id = make_event_id(e.device_id, hlc);
  e.type = type;
  e.person_id = "00000000000000aa";
  e.shelter_id = shelter;
  e.device_seq = 1;
  e.author = "staff:sato";
  e.body = std::move(body);
  return e;
}

// A person registered at `home` (and, when `was_at` is set, who stayed
// there before).
PersonState person_of(const std::string& home, const std::string& was_at = "") {
  PersonState p;
  p.id = "00000000000000aa";
  Hlc t = make_hlc(1'700'000'000'000, 0);
  if (!was_at.empty()) p.apply(event_at(was_at, EventType::Arrived, t++, {{"name", "Goto"}, {"stay", "shelter"}}));
  p.apply(event_at(home, EventType::Arrived, t++, {{"name", "Goto"}, {"stay", "shelter"}}));
  return p;
}

}  // namespace

TEST_CASE("a kiosk writes anything about its shelter's persons and new persons", "[write-rules]") {
  const PersonState ours = person_of("shelter-a");
  const Hlc later = make_hlc(1'800'000'000'000, 0);
  for (auto type : {EventType::Arrived, EventType::WentOut, EventType::CameBack, EventType::Left, EventType::Corrected,
                    EventType::HouseholdLinked}) {
    INFO(to_string(type));
    const Event e = event_at("shelter-a", type, later);
    CHECK_FALSE(kiosk_write_refusal(e, &ours));
    CHECK_FALSE(kiosk_write_refusal(e, nullptr));  // never seen: a new person
    const PersonState empty;
    CHECK_FALSE(kiosk_write_refusal(e, &empty));
  }
}

TEST_CASE("a kiosk never changes another shelter's person; arrivals are never refused", "[write-rules]") {
  const PersonState theirs = person_of("shelter-b");
  const Hlc later = make_hlc(1'800'000'000'000, 0);
  for (auto type : {EventType::Corrected, EventType::HouseholdLinked, EventType::Merged, EventType::WentOut,
                    EventType::CameBack, EventType::Left}) {
    INFO(to_string(type));
    auto refusal = kiosk_write_refusal(event_at("shelter-a", type, later, {{"consent", "1"}}), &theirs);
    REQUIRE(refusal);
    CHECK(refusal->code == "not_this_shelter");
    CHECK(refusal->reason.find("Goto") == std::string::npos);  // no personal data in logs
  }
  // A transfer, or a card scanned at A, is recorded: no arrival is lost.
  CHECK_FALSE(kiosk_write_refusal(event_at("shelter-a", EventType::Arrived, later, {{"stay", "car"}}), &theirs));
}

TEST_CASE("the shelter a person left may still close their stay there", "[write-rules]") {
  const PersonState moved = person_of("shelter-b", "shelter-a");  // at A first, now at B
  const Hlc later = make_hlc(1'800'000'000'000, 0);
  for (auto type : {EventType::WentOut, EventType::CameBack, EventType::Left})
    CHECK_FALSE(kiosk_write_refusal(event_at("shelter-a", type, later), &moved));
  CHECK(kiosk_write_refusal(event_at("shelter-a", EventType::Corrected, later, {{"phone", "1"}}), &moved));
  CHECK(kiosk_write_refusal(event_at("shelter-c", EventType::Left, later), &moved));
}

TEST_CASE("details apply only to a new person, from any shelter", "[write-rules][card]") {
  const Hlc later = make_hlc(1'800'000'000'000, 0);
  const nlohmann::json forged = {{"name", "Forged"}, {"consent", "1"}};
  for (const std::string home : {"shelter-a", "shelter-b"}) {
    INFO(home);
    const PersonState known = person_of(home);
    auto refusal = kiosk_write_refusal(event_at("shelter-a", EventType::Registered, later, forged), &known);
    REQUIRE(refusal);
    CHECK(refusal->code == "known_person");
    // An arrival of an earlier version that carries details is refused too...
    nlohmann::json arrival = forged;
    arrival["stay"] = "shelter";
    refusal = kiosk_write_refusal(event_at("shelter-a", EventType::Arrived, later, arrival), &known);
    REQUIRE(refusal);
    CHECK(refusal->code == "known_person");
    // ...but an arrival without details never is: no arrival is lost.
    CHECK_FALSE(kiosk_write_refusal(event_at("shelter-a", EventType::Arrived, later, {{"stay", "car"}}), &known));
  }
  // A person known only by a status (a pass scanned before their
  // registration synced) is not known by details: the registration applies.
  PersonState status_only;
  status_only.id = "00000000000000aa";
  status_only.apply(event_at("shelter-b", EventType::Arrived, later - 5, {{"stay", "shelter"}}));
  CHECK_FALSE(kiosk_write_refusal(event_at("shelter-a", EventType::Registered, later, forged), &status_only));
  CHECK_FALSE(kiosk_write_refusal(event_at("shelter-a", EventType::Registered, later, forged), nullptr));
}

TEST_CASE("authors: self or a named volunteer; changes need a volunteer", "[write-rules][author]") {
  const Hlc t = make_hlc(1'800'000'000'000, 0);
  auto with_author = [&](EventType type, const std::string& author) {
    Event e = event_at("shelter-a", type, t,
                       type == EventType::Corrected ? nlohmann::json{{"phone", "1"}} : nlohmann::json::object());
    e.author = author;
    return kiosk_write_refusal(e, nullptr);
  };
  CHECK_FALSE(with_author(EventType::Arrived, "self"));
  CHECK_FALSE(with_author(EventType::Arrived, "staff:sato"));
  CHECK_FALSE(with_author(EventType::Corrected, "staff:sato"));
  for (const std::string bad : {"hq:mayor", "admin", "staff:", "server", "SELF"}) {
    INFO(bad);
    auto r = with_author(EventType::Arrived, bad);
    REQUIRE(r);
    CHECK(r->code == "bad_author");
  }
  for (auto type : {EventType::Corrected, EventType::Merged, EventType::HouseholdLinked}) {
    INFO(to_string(type));
    auto r = with_author(type, "self");
    REQUIRE(r);
    CHECK(r->code == "not_staff");
  }
}
