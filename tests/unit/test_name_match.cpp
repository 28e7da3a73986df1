#include <catch2/catch.hpp>

#include "core/checkin.hpp"
#include "core/name_match.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "store_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::open_store;
using shelter::test::TempDir;

TEST_CASE("kana match key: hiragana, small kana, long vowels, vu, spaces", "[name_match]") {
  CHECK(kana_key("やまだ はなこ") == kana_key("ヤマダ　ハナコ"));
  CHECK(kana_key("やまだ はなこ") == "ヤマダハナコ");
  CHECK(kana_key("キャッツ") == "キヤツツ");
  CHECK(kana_key("ショウ") == kana_key("シヨウ"));
  CHECK(kana_key("サトー") == kana_key("サト"));
  CHECK(kana_key("ヴァイオリン") == kana_key("バイオリン"));
  CHECK(kana_key("ヴィ ヴ ヴェ ヴォ") == "ビブベボ");
  CHECK(kana_key("ゔぁ") == "バ");
  CHECK(kana_key("ガギグ") != kana_key("カキク"));  // voiced marks kept
  CHECK(kana_key("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダハナコ");    // half-width, with its voiced mark
  CHECK(kana_key("ﾎﾟﾝ") == "ポン");
  CHECK(kana_key("ジョン・スミス") == "ジヨンスミス");
  CHECK(kana_key("ヶ谷") == "ケ谷");
}

TEST_CASE("Latin match key: case, accents, punctuation, word order", "[name_match]") {
  CHECK(latin_key("Nguyen Thi Bich") == latin_key("BICH Nguyen Thi"));
  CHECK(latin_key("Nguyễn Thị Bích") == latin_key("nguyen thi bich"));
  CHECK(latin_key("Trần Văn Đức") == latin_key("Tran Van Duc"));
  CHECK(latin_key("Phạm Ngọc Ánh") == latin_key("pham ngoc anh"));
  CHECK(latin_key("Ư Ơ ư ơ") == latin_key("u o u o"));
  CHECK(latin_key("O'Brien, Mary-Ann") == latin_key("mary ann obrien"));
  CHECK(latin_key("José María") == latin_key("jose maria"));
  CHECK(latin_key("J. Smith") == latin_key("smith j"));
  CHECK(latin_key("Nguyễn") == latin_key("Nguye\xcc\x82\xcc\x83n"));  // decomposed accents
  CHECK(latin_key("John Smith") != latin_key("Jane Smith"));
}

TEST_CASE("a person's key: reading with kana, else a Latin name, else the name", "[name_match]") {
  // A walk-in types katakana as the name and leaves the reading empty; a
  // card carries kanji and a hiragana reading.
  CHECK(person_match_key("ヤマダ ハナコ", "") == person_match_key("山田 花子", "やまだ はなこ"));
  CHECK(person_match_key("Nguyen Thi Bich", "") == person_match_key("BICH Nguyễn Thị", ""));
  CHECK(person_match_key("Nguyen Thi Bich", "グエン ティ ビック") == kana_key("グエンティビック"));
  CHECK(person_match_key("山田 花子", "") == "山田花子");
  CHECK(person_match_key("", "") == "");
  CHECK(person_match_key("Anna", "") != person_match_key("アンナ", ""));
  CHECK(has_kana("やまだ"));
  CHECK_FALSE(has_kana("山田"));
  CHECK(is_latin("Trần Văn Đức"));
  CHECK_FALSE(is_latin("山田 Taro"));
  CHECK_FALSE(is_latin("1950"));
}

TEST_CASE("birth rule: a year matches any date of that year", "[name_match]") {
  CHECK(births_compatible("1950", "1950-04-01"));
  CHECK(births_compatible("1950-04-01", "1950"));
  CHECK(births_compatible("1950-04-01", "1950-04-01"));
  CHECK(births_compatible("1950", "1950"));
  CHECK_FALSE(births_compatible("1950-04-01", "1950-04-02"));
  CHECK_FALSE(births_compatible("1950", "1951-04-01"));
  CHECK_FALSE(births_compatible("1950", "1951"));
  CHECK_FALSE(births_compatible("", "1950"));
  CHECK_FALSE(births_compatible("", ""));
}

namespace {
PersonInfo info(const std::string& name, const std::string& reading, const char* birth) {
  PersonInfo p;
  p.name = name;
  p.reading = reading;
  p.sex = Sex::Female;
  p.birth = *parse_birth(birth);
  return p;
}
}  // namespace

TEST_CASE("a walk-in and a card of the same person are a pair; merged or dismissed, it goes", "[name_match][store]") {
  TempDir dir;
  const std::string path = dir.file("k.db");
  PersonId walkin, card = new_id(), other = new_id();
  {
    auto s = open_store(path);
    auto w = walkin_arrival(info("ヤマダ ハナコ", "", "1950"), new_id(), "shelter", "staff:sato");
    walkin = w[0].person_id;
    REQUIRE(s->record(w).ok());
    REQUIRE(s->record(test::arrival(card, new_id(), info("山田 花子", "やまだ はなこ", "1950-04-01"))).ok());
    // Same key, another year: not a pair.
    REQUIRE(s->record(test::arrival(other, new_id(), info("山田 花子", "やまだ はなこ", "1951-04-01"))).ok());
    auto dups = s->possible_duplicates().value();
    REQUIRE(dups.size() == 1);
    CHECK(std::minmax(walkin, card) == std::minmax(dups[0].a, dups[0].b));

    // Merged: gone; unmerged: back.
    REQUIRE(s->record(merge_event(walkin, card, "staff:sato")).ok());
    CHECK(s->possible_duplicates().value().empty());
    REQUIRE(s->record(merge_event(walkin, "", "staff:sato")).ok());
    CHECK(s->possible_duplicates().value().size() == 1);

    // Dismissed (either order names the same pair): gone for good.
    REQUIRE(s->record(not_duplicate_event(card, walkin, "staff:sato")).ok());
    CHECK(s->possible_duplicates().value().empty());
  }
  auto s = open_store(path);  // reopened
  CHECK(s->possible_duplicates().value().empty());
  CHECK(s->dismissed_duplicates().value().count(std::minmax(walkin, card)) == 1);

  // Synced: another node that takes this log knows the dismissal too.
  auto server = open_store(dir.file("server.db"), "", "");
  auto log = s->events_after(0, 1000).value();
  std::vector<Event> events;
  for (auto& [seq, e] : log) events.push_back(e);
  REQUIRE(server->admit(events, 4'000'000'000'000, 300'000).ok());
  CHECK(server->possible_duplicates().value().empty());
  CHECK(server->dismissed_duplicates().value().size() == 1);
}

TEST_CASE("a store from before match keys gets them when it opens", "[name_match][store]") {
  TempDir dir;
  const std::string path = dir.file("k.db");
  {
    auto s = open_store(path);
    REQUIRE(s->record(walkin_arrival(info("ヤマダ ハナコ", "", "1950"), new_id(), "shelter", "staff:sato")).ok());
    REQUIRE(s->record(test::arrival(new_id(), new_id(), info("山田 花子", "やまだ はなこ", "1950-04-01"))).ok());
  }
  {  // schema 6: no match key
    auto raw = sql::Db::open(path, SQLITE_OPEN_READWRITE).value();
    REQUIRE(raw->exec("DROP INDEX person_match_key; DROP INDEX event_not_duplicate;"
                      " ALTER TABLE person DROP COLUMN match_key; PRAGMA user_version=6")
                .ok());
  }
  auto s = open_store(path);
  CHECK(s->possible_duplicates().value().size() == 1);
}

TEST_CASE("a dismissal needs the other person's id and a volunteer", "[name_match]") {
  Event e;
  e.device_id = "tama-01-a";
  e.hlc = 1ull << 20;
  e.id = make_event_id(e.device_id, e.hlc);
  e.type = EventType::NotDuplicate;
  e.person_id = new_id();
  e.shelter_id = "tama-01";
  e.device_seq = 1;
  e.author = "staff:sato";
  e.body = {{"other", new_id()}};
  CHECK(validate(e).ok());
  e.body = {{"other", e.person_id}};
  CHECK_FALSE(validate(e).ok());
  e.body = nlohmann::json::object();
  CHECK_FALSE(validate(e).ok());
}
