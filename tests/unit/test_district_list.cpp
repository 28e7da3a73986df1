// The neighbourhood list (sync/server/district_list.hpp): reading the CSV,
// matching by card id (exact) and by reading and birth (probable), the
// routes' roles, and the list sealed at rest in the SQLite file.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "sync/server/district_list.hpp"
#include "sync/server/routes.hpp"
#include "test_support.hpp"

using namespace shelter;
using namespace shelter::sync;

namespace {

Event arrival(int seq, const std::string& person, const std::string& name, const std::string& reading,
              const std::string& birth) {
  Event e;
  e.type = EventType::Arrived;
  e.device_id = "tama-01-a";
  e.device_seq = seq;
  e.hlc = (Hlc{1'700'000'000'000} << 16) + static_cast<Hlc>(seq);
  e.id = make_event_id(e.device_id, e.hlc);
  e.person_id = person;
  e.household_id = "00000000000000b" + std::to_string(seq % 10);
  e.shelter_id = "tama-01";
  e.author = "self";
  PersonInfo info;
  info.name = name;
  info.reading = reading;
  info.birth = parse_birth(birth).value();
  e.body = person_body(info);
  return e;
}

Event status(int seq, EventType type, const std::string& person) {
  Event e;
  e.type = type;
  e.device_id = "tama-01-a";
  e.device_seq = seq;
  e.hlc = (Hlc{1'700'000'000'000} << 16) + static_cast<Hlc>(seq);
  e.id = make_event_id(e.device_id, e.hlc);
  e.person_id = person;
  e.shelter_id = "tama-01";
  e.author = "self";
  return e;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

const char* kList =
    "地区,氏名,ふりがな,生年月日,住所,カードID\n"
    "一丁目,山田 太郎,やまだ たろう,昭和25年4月1日,多摩市一丁目1,00000000000000a1\n"
    "一丁目,佐藤 花子,さとう はなこ,1960/5/2,多摩市一丁目2,\n"
    "二丁目,鈴木 一郎,スズキ イチロウ,1970-03-03,多摩市二丁目3,\n"
    "二丁目,髙橋 﨑子,タカハシ サキコ,1980-08-08,多摩市二丁目4,\n"
    "二丁目,田中 次郎,タナカ ジロウ,1990-09-09,多摩市二丁目5,\n";

}  // namespace

TEST_CASE("district list: headers in Japanese or English, bad lines named", "[district]") {
  auto ok = read_district_list(kList);
  REQUIRE(ok);
  REQUIRE(ok->size() == 5);
  CHECK((*ok)[0].district == "一丁目");
  CHECK((*ok)[0].card_id == "00000000000000a1");
  CHECK(to_string((*ok)[0].birth) == "1950-04-01");
  auto en = read_district_list("district,name,reading,birth,address,card_id\nA,Ann,アン,2000-01-01,x,\n");
  REQUIRE(en);
  CHECK((*en)[0].name == "Ann");

  auto bad = [](const std::string& csv) {
    auto r = read_district_list(csv);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(bad("name,birth\nA,2000-01-01\n").find("line 1: column 'district'") != std::string::npos);
  CHECK(bad("district,name,birth\nA,B,2000-01-01\nA,C,2000-13-01\n").find("line 3: birth date") != std::string::npos);
  CHECK(bad("district,name\nA,B\n\n,C\n").find("line 4: district") != std::string::npos);
  CHECK(bad("district,name,card_id\nA,B,12\n").find("line 2: card id") != std::string::npos);
  CHECK(bad("district,name\n").find("no one") != std::string::npos);
  CHECK(bad(std::string("district,name\nA,\x93\x8c\n")).find("UTF-8") != std::string::npos);
}

TEST_CASE("district list: exact by card id, probable by reading and birth", "[district]") {
  auto entries = read_district_list(kList).value();
  std::vector<PersonRecord> persons(4);
  // The card's person, under another reading: the id decides.
  persons[0].id = "00000000000000a1";
  persons[0].info.name = "山田 太郎";
  persons[0].info.reading = "ヤマダ タロー";
  persons[0].presence = Presence::Present;
  // 佐藤 花子 typed at a kiosk in katakana, same birth: probable.
  persons[1].id = "00000000000000a2";
  persons[1].info.name = "佐藤 花子";
  persons[1].info.reading = "サトウ ハナコ";
  persons[1].info.birth = parse_birth("1960-05-02").value();
  persons[1].presence = Presence::Out;
  // 鈴木 一郎 with another birth: no match.
  persons[2].id = "00000000000000a3";
  persons[2].info.name = "鈴木 一郎";
  persons[2].info.reading = "スズキ イチロウ";
  persons[2].info.birth = parse_birth("1971-03-03").value();
  persons[2].presence = Presence::Present;
  // 髙橋 﨑子 matched, but has left.
  persons[3].id = "00000000000000a4";
  persons[3].info.name = "高橋 崎子";
  persons[3].info.reading = "たかはし さきこ";
  persons[3].info.birth = parse_birth("1980-08-08").value();
  persons[3].presence = Presence::Left;
  const auto s = match_district_list(entries, persons);
  REQUIRE(s.size() == 5);
  CHECK(s[0].match == ListMatch::Exact);
  CHECK(s[0].person == &persons[0]);
  CHECK(s[1].match == ListMatch::Probable);
  CHECK(s[1].presence == Presence::Out);
  CHECK(s[2].match == ListMatch::None);
  CHECK(s[3].match == ListMatch::Probable);
  CHECK(s[3].presence == Presence::Left);
  CHECK(s[4].match == ListMatch::None);
}

TEST_CASE("district list routes: roster only, sealed at rest, replaced on upload", "[district]") {
  test::TempDir dir;
  const std::string db = dir.file("server.db");
  auto opened = open_sqlite_server_store(db);
  REQUIRE(opened);
  ServerStore& st = **opened;
  REQUIRE_FALSE(st.list_key().empty());
  REQUIRE(st.set_shelter("tama-01", "多摩第一小学校", 100));
  std::string kiosk;
  REQUIRE(st.enrol(st.create_enrolment("tama-01", "tama-01-a", 24).value(), "tama-01-a", "", kiosk));
  std::map<std::string, std::string> token;
  for (const char* role : {"counts", "search", "roster"}) token[role] = st.add_user(role, role, "").value();
  PushRequest push{"tama-01-a", {}, {}};
  push.events.push_back(arrival(1, "00000000000000a1", "山田 太郎", "ヤマダ タロウ", "1950-04-01"));
  push.events.push_back(arrival(2, "00000000000000a2", "佐藤 花子", "サトウ ハナコ", "1960-05-02"));
  push.events.push_back(arrival(3, "00000000000000a3", "鈴木 一郎", "スズキ イチロウ", "1971-03-03"));
  push.events.push_back(arrival(4, "00000000000000a4", "髙橋 﨑子", "タカハシ サキコ", "1980-08-08"));
  push.events.push_back(status(5, EventType::WentOut, "00000000000000a2"));
  push.events.push_back(status(6, EventType::Left, "00000000000000a4"));
  REQUIRE(st.push(push, 1'700'000'100'000));

  auto call = [&](const std::string& who, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    ApiRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    if (!who.empty()) req.authorization = "Bearer " + token[who];
    return route(st, req, 1'700'000'200'000);
  };
  for (const char* who : {"counts", "search"}) {
    CHECK(call(who, "POST", "/v1/district-list", kList).status == 403);
    CHECK(call(who, "GET", "/v1/district-list/status").status == 403);
  }
  CHECK(call("", "GET", "/v1/district-list/status").status == 401);
  auto none = nlohmann::json::parse(call("roster", "GET", "/v1/district-list/status").body);
  CHECK(none["loaded"] == false);

  const ApiReply up = call("roster", "POST", "/v1/district-list", kList);
  REQUIRE(up.status == 200);
  for (const auto& line : up.log) CHECK(line.find("山田") == std::string::npos);
  const ApiReply got = call("roster", "GET", "/v1/district-list/status");
  REQUIRE(got.status == 200);
  const auto j = nlohmann::json::parse(got.body);
  REQUIRE(j["districts"].size() == 2);
  const auto& d1 = j["districts"][0];  // 一丁目
  CHECK(d1["present"] == 1);
  CHECK(d1["out"] == 1);
  CHECK(d1["people"][0]["match"] == "exact");
  CHECK(d1["people"][0]["shelter_name"] == "多摩第一小学校");
  CHECK(d1["people"][1]["match"] == "probable");
  CHECK(d1["people"][1]["state"] == "out");
  const auto& d2 = j["districts"][1];  // 二丁目: wrong birth, left, never seen
  CHECK(d2["unaccounted"] == 3);
  CHECK(d2["people"][1]["presence"] == "left");

  // A bad list: 400 with the line, and the earlier list stays.
  const ApiReply badly = call("roster", "POST", "/v1/district-list", "district,name\nA,B\n,C\n");
  CHECK(badly.status == 400);
  CHECK(badly.body.find("line 3") != std::string::npos);
  CHECK(nlohmann::json::parse(call("roster", "GET", "/v1/district-list/status").body)["people"] == 5);
  CHECK(call("roster", "POST", "/v1/district-list", std::string(kMaxDistrictListBytes + 1, 'a')).status == 413);

  // At rest: neither the database file nor its journal holds a name or an
  // address of the list (the persons checked in are in it, as before).
  opened->reset();
  const std::string bytes = file_bytes(db) + file_bytes(db + "-wal");
  CHECK(bytes.find("田中") == std::string::npos);  // on the list only, never checked in
  CHECK(bytes.find("多摩市二丁目") == std::string::npos);
  CHECK(bytes.find("タナカ") == std::string::npos);
  CHECK(file_bytes(db + ".list-key").size() == 65);

  // Upload again: the list is replaced. Another key does not open it.
  auto again = open_sqlite_server_store(db);
  REQUIRE(again);
  ServerStore& st2 = **again;
  ApiRequest req{"POST", "/v1/district-list", {}, "Bearer " + token["roster"], "", "", "district,name\nZ,Zed\n"};
  REQUIRE(route(st2, req, 1'700'000'300'000).status == 200);
  auto sealed = st2.district_list().value();
  CHECK(open_district_list(st2.list_key(), sealed).value().entries.size() == 1);
  CHECK_FALSE(open_district_list(std::string(32, 'k'), sealed));
}
