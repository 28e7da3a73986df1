// How specific a 安否 search must be (sync/server/search_rule.hpp), and what
// each role sees in the results (sync/server/routes.cpp).
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "core/store.hpp"
#include "sync/server/routes.hpp"
#include "sync/server/search_rule.hpp"
#include "test_support.hpp"

using namespace shelter;
using namespace shelter::sync;

TEST_CASE("a search that names a person is accepted") {
  for (const char* q : {"山田 花子", "ヤマダ ハナコ", "山田　花子", "林 一郎", "Anna Smith", "Li Na", "B1 person",
                        "山田 花", "Robert'); DROP"}) {
    INFO(q);
    CHECK(search_refusal(q, false).empty());
    CHECK(search_refusal(q, true).empty());
  }
  // One part of at least two letters, with a birth year.
  for (const char* q : {"ヤマダ", "山田", "Li", "ｱﾝﾅ", "山田 "}) {
    INFO(q);
    CHECK(search_refusal(q, true).empty());
    CHECK_FALSE(search_refusal(q, false).empty());
  }
}

TEST_CASE("an over-broad search is refused") {
  // One letter, a bare family name, wildcards, punctuation, digits, spaces.
  for (const char* q :
       {"",        " ",         "　",    "山",   "a",   "ヤマダ", "Smith",  "林 一",  "a b",     "%",
        "_",       "*",         "?",     "%%",   "% %", "山田 %", "_ 花子", "山田 *", "山田 ？", "ー ー",
        "・・ ・", "１２ ３４", "12 34", "1960", "'",   "\"\"",   "...",    "山田 -", "ヤ ー"}) {
    INFO("'" << q << "'");
    CHECK_FALSE(search_refusal(q, false).empty());
  }
  for (const char* q : {"", "山", "a", "%", "%%", "*", "1960", "ヤー", "　"}) {
    INFO("'" << q << "' with a year");
    CHECK_FALSE(search_refusal(q, true).empty());
  }
}

TEST_CASE("the refusal says what a search needs") {
  CHECK(search_refusal("山", false).find("family and a given name") != std::string::npos);
  CHECK(search_refusal("%", false).find("letters") != std::string::npos);
}

TEST_CASE("the search route: 400 for an over-broad query, no ids for the search role") {
  test::TempDir dir;
  auto opened = open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  ServerStore& st = **opened;
  REQUIRE(st.set_shelter("tama-01", "多摩第一小学校", 100));
  std::string kiosk;
  REQUIRE(st.enrol(st.create_enrolment("tama-01", "tama-01-a", 24).value(), "tama-01-a", "", kiosk));
  const std::string searcher = st.add_user("desk", "search", "").value();
  const std::string roster = st.add_user("clerk", "roster", "").value();
  // Two persons named alike who consented, one who did not.
  PushRequest push{"tama-01-a", {}, {}};
  const char* names[] = {"山田 花子", "山田 花江", "山田 秘密"};
  for (int i = 0; i < 3; ++i) {
    Event e;
    e.type = EventType::Arrived;
    e.device_id = "tama-01-a";
    e.device_seq = i + 1;
    e.hlc = (Hlc{1'700'000'000'000} << 16) + static_cast<Hlc>(i);
    e.id = make_event_id(e.device_id, e.hlc);
    e.person_id = std::string("00000000000000a") + static_cast<char>('1' + i);
    e.household_id = std::string("00000000000000b") + static_cast<char>('1' + i);
    e.shelter_id = "tama-01";
    e.author = "self";
    PersonInfo info;
    info.name = names[i];
    info.reading = "ヤマダ";
    info.birth = parse_birth("1960-05-01").value();
    info.phone = "090-0000-0000";
    info.consent = i < 2;
    e.body = person_body(info);
    push.events.push_back(e);
  }
  REQUIRE(st.push(push, 1'700'000'100'000));

  auto ask = [&](const std::string& token, std::map<std::string, std::string> params) {
    ApiRequest req;
    req.method = "GET";
    req.path = "/v1/search";
    req.params = std::move(params);
    req.authorization = "Bearer " + token;
    return route(st, req, 1'700'000'100'000);
  };

  for (const char* q : {"山", "山田", "ヤマダ", "%", "_ _", "*"}) {
    const ApiReply r = ask(searcher, {{"q", q}});
    INFO(q << ": " << r.body);
    CHECK(r.status == 400);
    const auto j = nlohmann::json::parse(r.body);
    CHECK((j.is_object() && j.size() == 1 && j.contains("error")));  // a reason, nobody's data
  }
  CHECK(ask(searcher, {{"q", "山田\x01 花子"}}).status == 400);

  const ApiReply hit = ask(searcher, {{"q", "山田 花"}});
  REQUIRE(hit.status == 200);
  const auto found = nlohmann::json::parse(hit.body);
  REQUIRE(found.size() == 2);
  for (const auto& p : found) {
    std::set<std::string> keys;
    for (const auto& [k, v] : p.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"name", "reading", "age_band", "shelter", "shelter_name", "presence"});
    CHECK(p["shelter_name"] == "多摩第一小学校");
    CHECK(p["presence"] == "present");
  }
  CHECK(hit.body.find("00000000000000a") == std::string::npos);
  CHECK(hit.body.find("00000000000000b") == std::string::npos);
  CHECK(hit.body.find("tama-01-a") == std::string::npos);
  CHECK(hit.body.find("090") == std::string::npos);
  CHECK(hit.body.find("1960-05-01") == std::string::npos);

  const ApiReply by_year = ask(searcher, {{"q", "ヤマダ"}, {"birth_year", "1960"}});
  CHECK(by_year.status == 200);
  CHECK(nlohmann::json::parse(by_year.body).size() == 2);
  CHECK(nlohmann::json::parse(ask(searcher, {{"q", "ヤマダ"}, {"birth_year", "1961"}}).body).empty());
  CHECK(nlohmann::json::parse(ask(searcher, {{"q", "山田 秘密"}}).body).empty());

  // The roster role, which downloads everything anyway, keeps the id and birth.
  const auto full = nlohmann::json::parse(ask(roster, {{"q", "山田 花子"}}).body);
  REQUIRE(full.size() == 1);
  CHECK(full[0]["id"] == "00000000000000a1");
  CHECK(full[0]["birth"] == "1960-05-01");
}
