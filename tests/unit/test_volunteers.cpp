// Named volunteers and the staff sign-in lockout in the kiosk's store
// (core/volunteers.hpp, core/pin.hpp): the PIN rule, adding and removing,
// and a lockout that grows and survives reopening the store.
#include <catch2/catch.hpp>

#include "core/pin.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;

TEST_CASE("a staff PIN is 6 to 12 digits and not trivially guessed", "[pin]") {
  for (const char* ok : {"246813", "135792468", "902134", "123457", "000001", "246813579024"}) {
    INFO(ok);
    CHECK(check_pin_rule(ok).ok());
  }
  for (const char* bad : {"", "0000", "24681", "2468135790246", "24681a", " 246813", "246813\n", "000000", "111111111",
                          "123456", "987654", "890123", "3210987"}) {
    INFO(bad);
    CHECK_FALSE(check_pin_rule(bad).ok());
  }
  const std::string h = hash_pin("246813");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(pin_matches(h, "246813"));
  CHECK_FALSE(pin_matches(h, "246814"));
  CHECK_FALSE(pin_matches("", "0000"));  // no hash: nothing opens, 0000 least of all
  CHECK_FALSE(pin_matches("not a hash", "246813"));
}

TEST_CASE("volunteer names are plain text of bounded length", "[pin]") {
  CHECK(check_volunteer_name("佐藤 花子").ok());
  CHECK(check_volunteer_name("Nguyen Van An").ok());
  CHECK(check_volunteer_name(std::string(kMaxVolunteerNameBytes, 'a')).ok());
  CHECK_FALSE(check_volunteer_name("").ok());
  CHECK_FALSE(check_volunteer_name(std::string(kMaxVolunteerNameBytes + 1, 'a')).ok());
  CHECK_FALSE(check_volunteer_name("Sato\nstaff:admin").ok());
  CHECK_FALSE(check_volunteer_name("Sato\x7f").ok());
  CHECK_FALSE(check_volunteer_name("Sato\xC2\x85").ok());  // C1 NEL
  CHECK_FALSE(check_volunteer_name("\xFF\xFE").ok());
  CHECK_FALSE(check_volunteer_name(" Sato").ok());
  CHECK_FALSE(check_volunteer_name("佐藤\xE3\x80\x80").ok());  // ideographic space at the end
  // The longest name still makes a valid event author.
  CHECK(staff_author(std::string(kMaxVolunteerNameBytes, 'a')).size() <= 64);
}

TEST_CASE("volunteers are added, listed, given a new PIN and removed; the last lead stays", "[pin]") {
  TempDir dir;
  auto s = Store::open(dir.file("k.db")).value();
  CHECK(list_volunteers(*s)->empty());
  REQUIRE(add_volunteer(*s, "Sato", "246813", VolunteerRole::Lead, "shelterctl").ok());
  REQUIRE(add_volunteer(*s, "鈴木", "975310", VolunteerRole::Volunteer, "Sato").ok());
  // Refused, and nothing stored: a short PIN, a bad name, a name taken.
  CHECK_FALSE(add_volunteer(*s, "Tanaka", "2468", VolunteerRole::Volunteer, "Sato").ok());
  CHECK_FALSE(add_volunteer(*s, "Tan\taka", "246813", VolunteerRole::Volunteer, "Sato").ok());
  auto taken = add_volunteer(*s, "鈴木", "135799", VolunteerRole::Volunteer, "Sato");
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().message == "鈴木 is already enrolled");
  auto team = list_volunteers(*s).value();
  REQUIRE(team.size() == 2);
  CHECK(team[0].name == "Sato");  // leads first
  CHECK(team[0].role == VolunteerRole::Lead);
  CHECK(team[1].name == "鈴木");
  CHECK(team[1].enrolled_by == "Sato");
  CHECK(team[1].enrolled_at.size() == 20);
  CHECK(pin_matches(team[1].pin_hash, "975310"));
  CHECK(team[1].pin_hash.find("975310") == std::string::npos);

  // --replace: a new PIN.
  REQUIRE(add_volunteer(*s, "鈴木", "135799", VolunteerRole::Volunteer, "shelterctl", true).ok());
  CHECK(pin_matches(find_volunteer(*s, "鈴木").value()->pin_hash, "135799"));
  // The last lead can neither be removed nor demoted.
  CHECK_FALSE(remove_volunteer(*s, "Sato").ok());
  CHECK_FALSE(add_volunteer(*s, "Sato", "246813", VolunteerRole::Volunteer, "x", true).ok());
  REQUIRE(remove_volunteer(*s, "鈴木").ok());
  CHECK_FALSE(remove_volunteer(*s, "鈴木").ok());  // not enrolled any more
  REQUIRE(add_volunteer(*s, "Ito", "864209", VolunteerRole::Lead, "Sato").ok());
  REQUIRE(remove_volunteer(*s, "Sato").ok());  // another lead is left
  s.reset();
  s = Store::open(dir.file("k.db")).value();
  team = list_volunteers(*s).value();
  REQUIRE(team.size() == 1);
  CHECK(team[0].name == "Ito");
  CHECK_FALSE(find_volunteer(*s, "Sato").value().has_value());
}

TEST_CASE("the sign-in lockout grows 1, 5, 30 min, then 2 h, and survives reopening the store", "[pin]") {
  CHECK(lock_seconds(1, 60) == 60);
  CHECK(lock_seconds(2, 60) == 300);
  CHECK(lock_seconds(3, 60) == 1800);
  CHECK(lock_seconds(4, 60) == 7200);
  CHECK(lock_seconds(9, 60) == 7200);  // capped

  TempDir dir;
  auto s = Store::open(dir.file("k.db")).value();
  std::int64_t now = 1'800'000'000'000;
  for (int lock = 1; lock <= 5; ++lock) {
    for (int i = 1; i < 5; ++i) {
      auto l = note_wrong_pin(*s, now, 5, 60).value();
      CHECK(l.failures == i);
      CHECK(lock_left_ms(l, now, 60) == 0);
    }
    auto l = note_wrong_pin(*s, now, 5, 60).value();
    CHECK(l.locks == lock);
    CHECK(l.failures == 0);
    INFO("lock " << lock);
    CHECK(lock_left_ms(l, now, 60) == lock_seconds(lock, 60) * 1000);
    // Reopened (the kiosk restarted): still locked, for what is left.
    s.reset();
    s = Store::open(dir.file("k.db")).value();
    auto again = read_lockout(*s).value();
    CHECK(lock_left_ms(again, now + 10'000, 60) == lock_seconds(lock, 60) * 1000 - 10'000);
    // A clock set back a day does not make it longer.
    CHECK(lock_left_ms(again, now - 86'400'000, 60) == lock_seconds(lock, 60) * 1000);
    now += lock_seconds(lock, 60) * 1000;
    CHECK(lock_left_ms(read_lockout(*s).value(), now, 60) == 0);
  }
  // A right PIN clears it all: the next lock is a minute again.
  REQUIRE(clear_lockout(*s).ok());
  CHECK(read_lockout(*s).value().locks == 0);
  PinLockout l;
  for (int i = 0; i < 5; ++i) l = note_wrong_pin(*s, now, 5, 60).value();
  CHECK(lock_left_ms(l, now, 60) == 60'000);
}
