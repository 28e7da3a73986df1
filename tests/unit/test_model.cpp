#include <catch2/catch.hpp>

#include "core/hlc.hpp"
#include "core/model.hpp"

using namespace shelter;

TEST_CASE("ids and slugs", "[model]") {
  const auto id = new_id();
  CHECK(is_valid_id(id));
  CHECK(new_id() != id);
  CHECK_FALSE(is_valid_id("0123456789ABCDEF"));
  CHECK_FALSE(is_valid_id("0123"));
  CHECK(is_valid_slug("tama-01"));
  CHECK_FALSE(is_valid_slug("Tama 01"));
  CHECK_FALSE(is_valid_slug(""));
}

TEST_CASE("birth dates parse strictly and give age bands", "[model]") {
  CHECK(parse_birth("1950") == BirthDate{1950, 0, 0});
  CHECK(parse_birth("2024-02-29") == BirthDate{2024, 2, 29});
  CHECK_FALSE(parse_birth("2023-02-29"));
  CHECK_FALSE(parse_birth("1950-13-01"));
  CHECK_FALSE(parse_birth("19500"));
  CHECK_FALSE(parse_birth("1850"));
  const BirthDate today{2026, 11, 24};
  CHECK(age_band(*parse_birth("2021-11-24"), today) == AgeBand::B0_5);
  CHECK(age_band(*parse_birth("2020-11-25"), today) == AgeBand::B0_5);  // 5 until tomorrow
  CHECK(age_band(*parse_birth("2020-11-24"), today) == AgeBand::B6_12);
  CHECK(age_band(*parse_birth("2009-01-01"), today) == AgeBand::B13_17);
  CHECK(age_band(*parse_birth("1962"), today) == AgeBand::B18_64);
  CHECK(age_band(*parse_birth("1952-01-01"), today) == AgeBand::B65_74);
  CHECK(age_band(*parse_birth("1940"), today) == AgeBand::B75Plus);
  CHECK(age_band(BirthDate{}, today) == AgeBand::Unknown);
  CHECK(to_string(*parse_birth("1950-04-01")) == "1950-04-01");
}

TEST_CASE("birth dates are written in their canonical forms", "[model]") {
  CHECK(to_string(BirthDate{}) == "");
  CHECK(to_string(BirthDate{1950, 0, 0}) == "1950");
  CHECK(to_string(BirthDate{2024, 2, 29}) == "2024-02-29");
  CHECK(to_string(BirthDate{1905, 12, 1}) == "1905-12-01");
  for (const char* s : {"1930", "1999-01-09", "2026-11-24"}) CHECK(to_string(*parse_birth(s)) == s);
}

TEST_CASE("needs round-trip through their names", "[model]") {
  CHECK(parse_needs("infant,allergy") == (kNeedInfant | kNeedAllergy));
  CHECK(needs_to_string(kNeedInfant | kNeedAllergy) == "infant,allergy");
  CHECK_FALSE(parse_needs("infant,flying"));
  CHECK(parse_needs("") == 0);
}

TEST_CASE("UTF-8 validation", "[model]") {
  CHECK(is_valid_utf8("髙﨑 邉 𠮷"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xE3\x81"));          // truncated
}

TEST_CASE("hybrid logical clock never goes backwards", "[hlc]") {
  std::int64_t wall = 1'000'000;
  HybridClock clock([&] { return wall; });
  const Hlc a = clock.now();
  const Hlc b = clock.now();
  CHECK(b > a);
  CHECK(hlc_millis(b) == 1'000'000);
  wall = 900'000;  // wall clock jumps back, within the 5 min bound
  const Hlc c = clock.now();
  CHECK(c > b);
  SECTION("a stamp far ahead of a wall clock set right is dropped, not carried into every later event") {
    wall = 600'000;  // the clock was 400 s ahead when it stamped b
    const Hlc d = clock.now();
    CHECK(hlc_millis(d) == wall);
    CHECK(clock.now_after(c) > c);           // the person stamped c still gets a later stamp
    CHECK(hlc_millis(clock.now()) == wall);  // and that one is not adopted either
  }
  SECTION("a floor far ahead is passed for one event only") {
    const Hlc far = make_hlc(wall + 3 * 3600'000, 5);
    CHECK(clock.now_after(far) == far + 1);
    CHECK(hlc_millis(clock.now()) <= wall + 300'000);  // within the bound, never the far floor
    CHECK_FALSE(clock.resume_after(far));              // nor by resuming an own log that ends with it
    CHECK(hlc_millis(clock.now()) <= wall + 300'000);  // within the bound, never the far floor
  }
  SECTION("observing a later remote timestamp moves past it") {
    wall = 1'000'000;
    CHECK(clock.observe(make_hlc(1'000'100, 7)));
    CHECK(clock.now() > make_hlc(1'000'100, 7));
  }
  SECTION("a remote clock far ahead is not adopted") {
    wall = 1'000'000;
    CHECK_FALSE(clock.observe(make_hlc(wall + 24 * 3600 * 1000, 0)));
    CHECK(hlc_millis(clock.now()) == 1'000'000);
  }
  SECTION("offset corrects the wall clock") {
    wall = 2'000'000;
    clock.set_offset_ms(60'000);
    CHECK(hlc_millis(clock.now()) == 2'060'000);
  }
  CHECK(hlc_to_string(make_hlc(0, 0)) == "1970-01-01T00:00:00.000Z");
  CHECK(hlc_to_string(make_hlc(1500, 3)) == "1970-01-01T00:00:01.500Z+3");
}

TEST_CASE("control characters are found in any encoding a field can hold", "[model]") {
  CHECK_FALSE(has_control_chars("山田 太郎"));
  CHECK_FALSE(has_control_chars("Nguyễn Văn An ©"));  // U+00A9: just above the C1 range
  for (const char* bad : {"a\tb", "a\rb", "a\nb", "\x1b[31m", "a\x7f",
                          "a\xc2\x85"
                          "b",
                          "\xc2\x9f"}) {
    INFO(bad);
    CHECK(has_control_chars(bad));
  }
}
