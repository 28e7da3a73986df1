// The residents CSV reader (print/residents.hpp) behind the printed card
// sheets: Japanese and English headers, the dates, sexes and needs a
// resident-register extract or a 町会 list writes, and errors that name the
// line an editor shows.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/qr_payload.hpp"
#include "print/card_sheet.hpp"
#include "print/residents.hpp"
#include "sync/server/routes.hpp"
#include "sync/server/store.hpp"
#include "test_support.hpp"

using namespace shelter;
using print::read_residents;

TEST_CASE("a register extract with Japanese headers becomes household cards", "[residents]") {
  const std::string csv =
      "\xEF\xBB\xBF世帯番号,氏名,フリガナ,生年月日,性別,続柄,住所,電話番号,町丁目,指定避難所,配慮事項,安否情報の開示\n"
      "0101,髙橋 一郎,タカハシ イチロウ,昭和28年4月1日,男,世帯主,多摩市本町1-2-3,042-555-0101,本町一丁目,本町小,,はい\n"
      "0101,髙橋 花子,タカハシ ハナコ,1956/10/12,女,妻,,,,,病気・けが、アレルギー,いいえ\n"
      "0102,𠮷田 翔,ヨシダ ショウ,令和元年5月1日,2,子,多摩市本町2-1,,本町二丁目,第二中,乳幼児,1\n";
  auto r = read_residents(csv);
  REQUIRE(r);
  REQUIRE(r->households.size() == 2);
  const auto& a = r->households[0];
  CHECK(a.label == "0101");
  CHECK(a.district == "本町一丁目");
  CHECK(a.shelter == "本町小");
  CHECK(a.card.address == "多摩市本町1-2-3");
  REQUIRE(a.card.members.size() == 2);
  CHECK(a.card.members[0].info.name == "髙橋 一郎");
  CHECK(a.card.members[0].info.reading == "タカハシ イチロウ");
  CHECK(to_string(a.card.members[0].info.birth) == "1953-04-01");
  CHECK(a.card.members[0].info.sex == Sex::Male);
  CHECK(a.card.members[0].info.consent);
  CHECK(to_string(a.card.members[1].info.birth) == "1956-10-12");
  CHECK(needs_to_string(a.card.members[1].info.needs) == "illness,allergy");
  CHECK_FALSE(a.card.members[1].info.consent);
  const auto& b = r->households[1];
  CHECK(b.card.members[0].info.name == "𠮷田 翔");
  CHECK(to_string(b.card.members[0].info.birth) == "2019-05-01");
  auto wide = read_residents("household,name,birth\n1,A,１９５０年４月１日\n1,B,Ｓ２５．４．１\n");
  REQUIRE(wide);
  CHECK(to_string(wide->households[0].card.members[0].info.birth) == "1950-04-01");
  CHECK(to_string(wide->households[0].card.members[1].info.birth) == "1950-04-01");
  CHECK(b.card.members[0].info.sex == Sex::Female);
  CHECK(is_valid_id(a.card.household_id));
  CHECK(a.card.household_id != b.card.household_id);
  // The file written back holds the ids, in columns the reader takes again.
  REQUIRE(r->with_ids.size() == 4);
  std::string again;
  for (const auto& row : r->with_ids) again += csv::format_row(row);
  auto re = read_residents(again);
  REQUIRE(re);
  CHECK(re->households[0].card == a.card);
  CHECK(re->households[1].card == b.card);
}

TEST_CASE("the English columns make-card always read still work", "[residents]") {
  auto r = read_residents(
      "household,household_id,person_id,name,reading,sex,birth,needs,needs_other,consent,address,phone\n"
      "A,0123456789abcdef,1111111111111111,Taro,タロウ,M,1948-05-12,care,,1,,\n"
      "A,0123456789abcdef,2222222222222222,Hanako,,F,1951,medical_device,在宅酸素,1,Tama 1-2,042\n");
  REQUIRE(r);
  REQUIRE(r->households.size() == 1);
  const auto& card = r->households[0].card;
  CHECK(card.household_id == "0123456789abcdef");
  CHECK(card.members[1].person_id == "2222222222222222");
  CHECK(card.members[1].info.needs_other == "在宅酸素");
  CHECK(card.address == "Tama 1-2");  // from the first line that has one
  CHECK(to_string(card.members[1].info.birth) == "1951");
}

TEST_CASE("bad residents name the line an editor shows", "[residents]") {
  auto error_of = [](const std::string& csv) {
    auto r = read_residents(csv);
    return r ? std::string("accepted") : r.error().message;
  };
  CHECK_THAT(error_of("household,name,birth\n1,A,1950\n\n1,B,1950-02-30\n"), Catch::StartsWith("line 4: birth date"));
  CHECK_THAT(error_of("household,name,note\n1,\"A\",\"two\nlines\"\n2,B,x,extra\n"), Catch::StartsWith("line 4:"));
  CHECK_THAT(error_of("household,name,sex\n1,A,Q\n"), Catch::StartsWith("line 2: sex"));
  CHECK_THAT(error_of("household,name,needs\n1,A,flying\n"), Catch::StartsWith("line 2: unknown need"));
  CHECK_THAT(error_of("household,name\n1,\n"), Catch::StartsWith("line 2: name"));
  CHECK_THAT(error_of("氏名\nA\n"), Catch::StartsWith("line 1: column 'household'"));
  CHECK_THAT(error_of("household,世帯番号,name\n1,1,A\n"), Catch::StartsWith("line 1: two columns"));
  CHECK_THAT(error_of("household,name\n"), Catch::StartsWith("no residents"));
  CHECK_THAT(error_of("household,name\n1,\xff\n"), Catch::Contains("UTF-8"));
  std::string sixteen = "household,name\n";
  for (int i = 0; i < 16; ++i) sixteen += "1,P" + std::to_string(i) + "\n";
  CHECK_THAT(error_of(sixteen), Catch::StartsWith("line 17: household 1 has more than 15"));
}

TEST_CASE("what spreadsheets write: line breaks in cells, empty rows, dates with a time", "[residents]") {
  const std::string csv =
      "世帯番号,氏名,生年月日,住所,備考,指定避難所\r\n"
      "0101,髙橋 一郎,1953/4/1 0:00:00,\"多摩市本町1-2-3\r\n本町ハイツ101\",足が悪い\t要支援,本町小\r\n"
      ",,,,,\r\n"
      ",,,,,\r\n";
  auto r = read_residents(csv);
  REQUIRE(r);
  REQUIRE(r->households.size() == 1);
  const auto& m = r->households[0].card.members.at(0);
  CHECK(to_string(m.info.birth) == "1953-04-01");
  CHECK(r->households[0].card.address == "多摩市本町1-2-3  本町ハイツ101");  // one line on the card
  CHECK(m.info.needs_other.empty());  // 備考 (free remarks) never reaches a card
}

TEST_CASE("a label cell too long to print is refused with its line", "[residents]") {
  const std::string csv = "household,name,shelter\nh1,A,\"" + std::string(300, 'x') + "\"\n";
  auto r = read_residents(csv);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("line 2") != std::string::npos);
  CHECK(r.error().message.find("shelter is longer than 100 characters") != std::string::npos);
}

TEST_CASE("card sheets are PDFs in both layouts", "[residents]") {
  auto r = read_residents("household,name,reading\n1,髙橋 一郎,タカハシ\n2,山﨑 正,ヤマザキ\n");
  REQUIRE(r);
  for (auto layout : {print::SheetLayout::A4, print::SheetLayout::Cut}) {
    auto pdf = print::card_sheets_pdf(r->households, {}, layout);
    REQUIRE(pdf);
    CHECK(pdf->rfind("%PDF", 0) == 0);
  }
  CHECK_FALSE(print::card_sheets_pdf({}, {}, print::SheetLayout::A4));
  // The cut layout's cells: ten cards inside the page, none overlapping.
  const auto first = print::cut_card_cell(0), last = print::cut_card_cell(print::kCutCardsPerPage - 1);
  CHECK(first.x > 20);
  CHECK(first.y > 20);
  CHECK(last.x + last.w < 595.276 - 20);
  CHECK(last.y + last.h < 841.890 - 20);
  CHECK(print::cut_card_cell(1).x == Approx(first.x + first.w));
}

TEST_CASE("card sheets: one job at a time, the next is told to retry", "[residents]") {
  test::TempDir dir;
  auto opened = sync::open_sqlite_server_store(dir.file("server.db"));
  REQUIRE(opened);
  sync::ServerStore& st = **opened;
  const std::string token = st.add_user("roster", "roster", "").value();
  // A list big enough to take a while to draw.
  std::string csv = "household,name,reading,shelter\n";
  for (int h = 0; h < 200; ++h)
    for (int m = 0; m < 4; ++m)
      csv += std::to_string(h) + ",髙橋 " + std::to_string(m) + ",タカハシ,本町小学校 体育館\n";
  auto call = [&] {
    sync::ApiRequest req;
    req.method = "POST";
    req.path = "/v1/card-sheets";
    req.body = csv;
    req.authorization = "Bearer " + token;
    return sync::route(st, req, 1'700'000'000'000);
  };
  std::atomic<int> first_status{0};
  std::thread first([&] { first_status = call().status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const sync::ApiReply second = call();
  first.join();
  CHECK(first_status == 200);
  CHECK(second.status == 503);
  CHECK(second.retry_after > 0);
  CHECK(call().status == 200);  // free again
}
