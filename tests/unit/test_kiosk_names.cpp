// Names as people write them, through the kiosk's controller on a real
// store: kana converted to kanji with its reading kept, kanji drawn on the
// pad (then its reading asked), Hangul and Vietnamese keyboards, address
// and phone, and staff correcting a name in kanji.
#include <catch2/catch.hpp>

#include "core/utf8.hpp"
#include "kiosk_helpers.hpp"
#include "tests/support/ink_samples.hpp"

using namespace shelter;
using shelter::test::Kiosk;
using ui::Intent;
using ui::Keyboard;
using ui::Screen;
using ui::WalkInStep;

namespace {

void keys(Kiosk& k, std::initializer_list<const char*> list) {
  for (const char* key : list) k.tap(Intent::Key, key);
}

// The rest of the form for one person, and check-in.
PersonRecord finish(Kiosk& k, int year = 1960) {
  k.tap(Intent::SetBirthDecade, {}, year / 10 * 10);
  k.tap(Intent::SetBirthYear, {}, year);
  k.tap(Intent::SetSex, "F");
  k.tap(Intent::NextStep);  // needs
  k.tap(Intent::SetConsent, {}, 1);
  k.tap(Intent::NoPets);
  if (k.vm().walkin.step == WalkInStep::Address) k.tap(Intent::SkipStep);
  if (k.vm().walkin.step == WalkInStep::Phone) k.tap(Intent::SkipStep);
  REQUIRE(k.vm().walkin.step == WalkInStep::Review);
  k.tap(Intent::SubmitWalkIn);
  REQUIRE(k.vm().screen == Screen::Done);
  auto people = k.store->persons(PersonQuery{});
  REQUIRE(people.ok());
  REQUIRE(people->size() == 1);
  return people->front();
}

// 山田 花子 by conversion: やまだ converted and taken, a space, はなこ
// converted and 花子 chosen among its candidates.
void type_yamada_hanako(Kiosk& k) {
  keys(k, {"ヤ", "マ", "タ", "゛"});
  k.tap(Intent::Convert);
  REQUIRE(k.vm().entry.converting());
  CHECK(k.vm().entry.segments.front().text == "山田");
  k.tap(Intent::CommitEntry);
  keys(k, {"\xE3\x80\x80", "ハ", "ナ", "コ"});  // space, then the given name
  k.tap(Intent::Convert);
  REQUIRE(k.vm().entry.converting());
  // The first candidate may be another kanji: choose 花子 among them.
  const auto& cands = k.vm().entry.segments.front().candidates;
  const auto it = std::find(cands.begin(), cands.end(), "花子");
  REQUIRE(it != cands.end());
  k.tap(Intent::ChooseCandidate, {}, static_cast<int>(it - cands.begin()));
}

// Draws one hand-authored kanji on the pad (pad units 0..1), stroke by
// stroke, as the screen's drags would.
void draw(Kiosk& k, const test::InkSample& s) {
  std::mt19937 rng(7);
  for (const auto& stroke : test::finger_strokes(s, 0, rng)) {
    for (const auto& p : stroke) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f,%.4f", p.x / 100.0, p.y / 100.0);
      k.tap(Intent::InkPoint, buf);
    }
    k.tap(Intent::InkEnd);
  }
}

const test::InkSample& sample(const std::vector<test::InkSample>& all, const std::string& kanji) {
  for (const auto& s : all)
    if (s.kanji == kanji) return s;
  FAIL("no strokes for " << kanji);
  return all.front();
}

}  // namespace

TEST_CASE("kana converted to kanji keeps the kana as the reading", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  REQUIRE(k.vm().entry.keyboard == Keyboard::Kana);
  type_yamada_hanako(k);
  CHECK_FALSE(k.vm().entry.converting());  // the last segment chosen: taken
  CHECK(k.vm().walkin.people[0].name == "山田\xE3\x80\x80花子");
  k.tap(Intent::NextStep);
  CHECK(k.vm().walkin.step == WalkInStep::Birth);  // the reading is known: not asked
  const PersonRecord p = finish(k);
  CHECK(p.info.name == "山田\xE3\x80\x80花子");
  CHECK(p.info.reading == "ヤマダ\xE3\x80\x80ハナコ");
}

TEST_CASE("backspace while converting goes back to the kana; a key takes the conversion", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  keys(k, {"ヤ", "マ", "タ", "゛"});
  k.tap(Intent::Convert);
  k.tap(Intent::Backspace);
  CHECK_FALSE(k.vm().entry.converting());
  CHECK(k.vm().entry.preedit == "ヤマダ");
  k.tap(Intent::Convert);
  k.tap(Intent::Key, "ハ");  // typing on takes 山田
  CHECK(k.vm().walkin.people[0].name == "山田");
  CHECK(k.vm().entry.preedit == "ハ");
  k.tap(Intent::Backspace);
  k.tap(Intent::Backspace);  // now into the name: 山田 -> 山, the reading no longer sure
  CHECK(k.vm().walkin.people[0].name == "山");
  CHECK_FALSE(k.vm().walkin.people[0].reading_sure);
  k.tap(Intent::NextStep);
  CHECK(k.vm().walkin.step == WalkInStep::Reading);
}

TEST_CASE("a kanji name drawn by hand, then its reading", "[kiosk][names]") {
  const auto all = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Hand));
  for (const char* kanji : {"山", "田", " ", "花", "子"}) {
    if (std::string(kanji) == " ") {
      k.tap(Intent::Key, " ");
      continue;
    }
    draw(k, sample(all, kanji));
    const auto& c = k.vm().entry.hand_candidates;
    const auto it = std::find(c.begin(), c.end(), kanji);
    INFO(kanji);
    REQUIRE(it != c.end());
    k.tap(Intent::ChooseCandidate, {}, static_cast<int>(it - c.begin()));
    CHECK(k.vm().entry.ink.empty());  // the pad is clear for the next one
  }
  CHECK(k.vm().walkin.people[0].name == "山田 花子");
  k.tap(Intent::NextStep);
  REQUIRE(k.vm().walkin.step == WalkInStep::Reading);
  keys(k, {"ヤ", "マ", "タ", "゛", "\xE3\x80\x80", "ハ", "ナ", "コ"});
  k.tap(Intent::NextStep);
  REQUIRE(k.vm().walkin.step == WalkInStep::Birth);
  const PersonRecord p = finish(k);
  CHECK(p.info.name == "山田 花子");
  CHECK(p.info.reading == "ヤマダ\xE3\x80\x80ハナコ");
}

TEST_CASE("undo a stroke and clear the pad", "[kiosk][names]") {
  const auto all = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Hand));
  draw(k, sample(all, "田"));
  const size_t strokes = k.vm().entry.ink.size();
  REQUIRE(strokes == 5);
  REQUIRE_FALSE(k.vm().entry.hand_candidates.empty());
  k.tap(Intent::InkUndo);
  CHECK(k.vm().entry.ink.size() == strokes - 1);
  k.tap(Intent::InkClear);
  CHECK(k.vm().entry.ink.empty());
  CHECK(k.vm().entry.hand_candidates.empty());
  CHECK(k.vm().walkin.people[0].name.empty());
}

TEST_CASE("Hangul on the 2-set keyboard, composed into syllables", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Hangul));
  keys(k, {"ㄱ", "ㅣ", "ㅁ", "ㅁ", "ㅣ", "ㄴ", "ㅈ", "ㅜ", "ㄴ"});
  CHECK(k.vm().entry.preedit == "김민준");
  k.tap(Intent::Backspace);  // one jamo: 준 -> 주
  CHECK(k.vm().entry.preedit == "김민주");
  k.tap(Intent::Key, "ㄴ");
  k.tap(Intent::NextStep);
  CHECK(k.vm().walkin.step == WalkInStep::Birth);
  const PersonRecord p = finish(k, 1990);
  CHECK(p.info.name == "김민준");
  CHECK(p.info.reading.empty());  // a Hangul name is its own key
}

TEST_CASE("Vietnamese with tone marks: Telex keys and the mark keys", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Viet));
  keys(k, {"n", "g", "u", "y", "ee", "n", "x", " ", "v", "aw", "n", " ", "a", "n"});
  k.tap(Intent::NextStep);
  const PersonRecord p = finish(k, 1985);
  CHECK(p.info.name == "Nguyễn Văn An");
}

TEST_CASE("the household's address and phone, or skipped", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Latin));
  keys(k, {"A", "N"});
  k.tap(Intent::NextStep);
  k.tap(Intent::SetBirthYear, {}, 0);
  k.tap(Intent::SetSex, "");
  k.tap(Intent::NextStep);
  k.tap(Intent::SetConsent, {}, 0);
  k.tap(Intent::NoPets);
  REQUIRE(k.vm().walkin.step == WalkInStep::Address);
  keys(k, {"1", "-", "2", " ", "T", "A", "M", "A"});
  k.tap(Intent::NextStep);
  REQUIRE(k.vm().walkin.step == WalkInStep::Phone);
  for (const char* d : {"0", "9", "0", "1"}) k.tap(Intent::PinDigit, d);
  k.tap(Intent::PinBackspace);
  k.tap(Intent::PinDigit, "2");
  k.tap(Intent::NextStep);
  REQUIRE(k.vm().walkin.step == WalkInStep::Review);
  k.tap(Intent::SubmitWalkIn);
  auto people = k.store->persons(PersonQuery{});
  REQUIRE(people->size() == 1);
  CHECK(people->front().info.address == "1-2 TAMA");
  CHECK(people->front().info.phone == "0902");
}

TEST_CASE("a tap elsewhere takes what is composed; nothing typed is lost", "[kiosk][names]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Hangul));
  keys(k, {"ㄱ", "ㅣ", "ㅁ"});
  k.tap(Intent::SwitchKeyboard, {}, static_cast<int>(Keyboard::Kana));  // 김 is taken first
  CHECK(k.vm().walkin.people[0].name == "김");
  keys(k, {"ア"});
  k.tap(Intent::SetConsent, {}, 1);  // straight to another page
  CHECK(k.vm().walkin.people[0].name == "김ア");
}

TEST_CASE("a search finds names whatever the spaces and the kana's form", "[kiosk][names][store]") {
  Kiosk k;
  k.tap(Intent::NoCard);
  type_yamada_hanako(k);
  k.tap(Intent::NextStep);
  finish(k);
  auto find = [&](const std::string& text) {
    PersonQuery q;
    q.text = text;
    return k.store->persons(q).value().size();
  };
  CHECK(find("山田 花子") == 1);      // ASCII space for the stored ideographic one
  CHECK(find("山田花子") == 1);       // none at all
  CHECK(find("やまだ はなこ") == 1);  // the reading, typed in hiragana
  CHECK(find("ﾔﾏﾀﾞ") == 1);           // half-width katakana
  CHECK(find("山田 太郎") == 0);
  CHECK(find("   ") == 0);  // spaces alone find nobody
}

TEST_CASE("a Chinese screen opens the pad, which reads hanzi", "[kiosk][names]") {
  const auto all = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  Kiosk k;
  k.tap(Intent::SetLanguage, "zh-hans");
  k.tap(Intent::NoCard);
  REQUIRE(k.vm().entry.keyboard == Keyboard::Hand);
  CHECK(k.vm().entry.hand_chinese);
  draw(k, sample(all, "林"));
  const auto& c = k.vm().entry.hand_candidates;
  INFO(c.size());
  REQUIRE(std::find(c.begin(), c.end(), "林") != c.end());
  k.tap(Intent::ChooseCandidate, {}, static_cast<int>(std::find(c.begin(), c.end(), "林") - c.begin()));
  CHECK(k.vm().walkin.people[0].name == "林");
}
