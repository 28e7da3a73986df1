// Name-entry engines (kiosk/ime). The handwriting cases draw the kanji of
// tests/data/ime/kanji_strokes.txt (hand-authored, see its header) with
// seeded finger-like jitter and need the Debian Tegaki model; Anthy needs
// anthy-common's dictionary. Both are in deploy/packages.txt.
#include <catch2/catch.hpp>

#include <random>

#include "core/utf8.hpp"
#include "kiosk/ime/handwriting.hpp"
#include "kiosk/ime/hangul.hpp"
#include "kiosk/ime/kana_kanji.hpp"
#include "kiosk/ime/name_key.hpp"
#include "kiosk/ime/vietnamese.hpp"
#include "tests/support/ink_samples.hpp"

using namespace shelter;
using namespace shelter::ime;

TEST_CASE("ink: points, strokes, undo, clear", "[ime]") {
  Ink ink;
  CHECK(ink.empty());
  ink.add_point(1, 1);
  ink.add_point(1, 1);  // a resting finger adds nothing
  ink.add_point(5, 5);
  ink.end_stroke();
  ink.add_point(9, 9);
  ink.end_stroke();
  REQUIRE(ink.strokes.size() == 2);
  CHECK(ink.strokes[0].size() == 2);
  ink.undo_stroke();
  CHECK(ink.strokes.size() == 1);
  ink.clear();
  CHECK(ink.empty());
}

TEST_CASE("handwriting: a missing model is an error that says what to install", "[ime]") {
  HandwritingRecognizer hw;
  auto s = hw.open("/nonexistent/handwriting-ja.model");
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error().message, Catch::Contains("/nonexistent/handwriting-ja.model"));
  CHECK_THAT(s.error().message, Catch::Contains("tegaki-zinnia-japanese"));
  CHECK_FALSE(hw.recognize({}, 100, 100).ok());
}

TEST_CASE("handwriting: name kanji drawn by finger are among the first 5", "[ime]") {
  HandwritingRecognizer hw;
  REQUIRE(hw.open());
  const auto samples = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  REQUIRE(samples.size() >= 30);
  CHECK(hw.recognize({}, 100, 100)->empty());
  std::mt19937 rng(2026);
  int total = 0, top1 = 0, top5 = 0;
  for (const auto& s : samples)
    for (int variant = 0; variant < 5; ++variant) {
      auto got = hw.recognize(test::finger_strokes(s, 2.f, rng), 100, 100, 5);
      REQUIRE(got);
      ++total;
      for (size_t i = 0; i < got->size(); ++i)
        if ((*got)[i].text == s.kanji) {
          top1 += i == 0;
          ++top5;
        }
    }
  INFO("top-1 " << top1 << ", top-5 " << top5 << " of " << total);
  CHECK(top5 >= total * 80 / 100);
  CHECK(top1 >= total * 60 / 100);
}

TEST_CASE("handwriting: a kanji pad gets kanji only, lookalikes mapped", "[ime]") {
  HandwritingRecognizer hw;
  REQUIRE(hw.open());
  const auto samples = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  std::mt19937 rng(2026);
  int total = 0, top1 = 0, top5 = 0;
  for (const auto& s : samples)
    for (int variant = 0; variant < 5; ++variant) {
      auto got = hw.recognize(test::finger_strokes(s, 2.f, rng), 100, 100, 5, CandidateFilter::kanji);
      REQUIRE(got);
      REQUIRE(got->size() == 5);
      ++total;
      for (size_t i = 0; i < got->size(); ++i) {
        const std::u32string text = utf8_decode((*got)[i].text);
        CHECK((text.size() == 1 && (text[0] >= 0x3400 || text[0] == U'々')));  // no kana, Latin, digits
        if ((*got)[i].text == s.kanji) {
          top1 += i == 0;
          ++top5;
        }
      }
    }
  INFO("top-1 " << top1 << ", top-5 " << top5 << " of " << total);
  CHECK(top5 >= total * 88 / 100);
  CHECK(top1 >= total * 75 / 100);
  // 口 drawn to fill the pad reads as the enclosure 囗 to the model.
  const std::vector<InkStroke> big_mouth = {{{20, 25}, {20, 80}}, {{20, 25}, {80, 25}, {80, 80}}, {{20, 78}, {80, 78}}};
  CHECK(hw.recognize(big_mouth, 100, 100, 1)->front().text == "囗");
  CHECK(hw.recognize(big_mouth, 100, 100, 1, CandidateFilter::kanji)->front().text == "口");
}

TEST_CASE("handwriting: the canvas scale does not matter", "[ime]") {
  HandwritingRecognizer hw;
  REQUIRE(hw.open());
  const auto samples = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  REQUIRE_FALSE(samples.empty());
  auto big = samples[0].strokes;  // 山 on a 640-pixel pad
  for (auto& stroke : big)
    for (auto& p : stroke) p = {p.x * 6.4f, p.y * 6.4f};
  auto a = hw.recognize(samples[0].strokes, 100, 100, 3);
  auto b = hw.recognize(big, 640, 640, 3);
  REQUIRE((a && b && !a->empty() && !b->empty()));
  CHECK(a->front().text == "山");
  CHECK(b->front().text == "山");
}

TEST_CASE("handwriting: the simplified Chinese model reads hanzi", "[ime]") {
  HandwritingRecognizer hw;
  REQUIRE(hw.open(kChineseModel));
  const auto samples = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  int top5 = 0, total = 0;
  for (const auto& s : samples) {
    if (s.kanji != "山" && s.kanji != "中" && s.kanji != "王" && s.kanji != "林" && s.kanji != "石") continue;
    ++total;
    auto got = hw.recognize(s.strokes, 100, 100, 5, CandidateFilter::kanji);
    REQUIRE(got);
    for (const Candidate& c : *got) top5 += c.text == s.kanji;
  }
  CHECK(total == 5);
  CHECK(top5 >= 4);
}

TEST_CASE("kana-kanji: a name converts and keeps its kana as reading", "[ime]") {
  KanaKanjiConverter conv;
  REQUIRE(conv.open());
  auto c = conv.convert("やまだ はなこ");
  REQUIRE(c);
  CHECK(c->text() == "山田花子");
  CHECK(c->reading() == "ヤマダハナコ");
  REQUIRE(c->segments.size() == 2);
  CHECK(c->segments[0].reading == "やまだ");
  // Katakana and half-width katakana in, the same conversion out.
  CHECK(conv.convert("ヤマダハナコ")->text() == "山田花子");
  CHECK(conv.convert("ﾔﾏﾀﾞﾊﾅｺ")->text() == "山田花子");
  CHECK(conv.convert("")->segments.empty());
}

TEST_CASE("kana-kanji: choosing candidates and resizing segments", "[ime]") {
  KanaKanjiConverter conv;
  REQUIRE(conv.open());
  auto c = conv.convert("さとうたろう");
  REQUIRE(c);
  REQUIRE(c->segments.size() >= 1);
  // Anthy 0.4 splits さ|とうたろう: grow the first segment to さとう.
  for (int i = 0; i < 5 && c->segments[0].reading != "さとう"; ++i) c = conv.resize(0, 1);
  REQUIRE(c);
  CHECK(c->reading() == "サトウタロウ");
  // Pick 佐藤 for さとう wherever Anthy ranks it.
  const auto& first = c->segments[0];
  REQUIRE(first.reading == "さとう");
  const auto at = std::find(first.candidates.begin(), first.candidates.end(), "佐藤");
  REQUIRE(at != first.candidates.end());
  auto chosen = conv.choose(0, static_cast<size_t>(at - first.candidates.begin()));
  REQUIRE(chosen);
  CHECK(chosen->text().rfind("佐藤", 0) == 0);
  CHECK(chosen->reading() == "サトウタロウ");
  CHECK_FALSE(conv.choose(9, 0));
  CHECK_FALSE(conv.choose(0, 9999));
  // Shrink the first segment by two kana and grow it back: the choice of
  // the resized segment is reset, the reading stays whole.
  auto resized = conv.resize(0, -2);
  REQUIRE(resized);
  CHECK(resized->segments[0].reading == "さ");
  CHECK(resized->reading() == "サトウタロウ");
  auto back = conv.resize(0, 2);
  REQUIRE(back);
  CHECK(back->segments[0].reading == "さとう");
  CHECK(back->segments[0].chosen == 0);
  CHECK_FALSE(conv.resize(99, 1));
}

TEST_CASE("kana-kanji: kana conversions", "[ime]") {
  CHECK(to_katakana("やまだ はなこ") == "ヤマダ ハナコ");
  CHECK(to_katakana("ﾔﾏﾀﾞ ﾎﾟﾝ ｳﾞ") == "ヤマダ ポン ヴ");
  CHECK(to_hiragana("ヤマダ・ハナコ") == "やまだはなこ");
  CHECK(to_hiragana("サトー") == "さとー");
}

TEST_CASE("hangul: 2-set keys compose syllables", "[ime]") {
  HangulComposer h;
  for (char k : std::string("rlaalswns")) h.key(k);
  CHECK(h.text() == "김민준");
  CHECK(h.preedit() == "준");
  h.key(' ');
  for (char k : std::string("dlTdj")) h.key(k);  // ㅆ ends 있, ㅇ starts 어
  CHECK(h.finish() == "김민준 있어");
  h.clear();
  CHECK(h.text().empty());
  // Caps lock still types Hangul, and shifted keys give the tense consonants.
  for (char k : std::string("RLA")) h.key(k);
  CHECK(h.text() == "낌");
}

TEST_CASE("hangul: backspace takes back a jamo, then a syllable", "[ime]") {
  HangulComposer h;
  for (char k : std::string("rlaalswns")) h.key(k);
  REQUIRE(h.backspace());
  CHECK(h.text() == "김민주");
  REQUIRE(h.backspace());
  CHECK(h.text() == "김민ㅈ");
  REQUIRE(h.backspace());
  CHECK(h.text() == "김민");
  REQUIRE(h.backspace());
  CHECK(h.text() == "김");
  REQUIRE(h.backspace());
  CHECK(h.text().empty());
  CHECK_FALSE(h.backspace());
}

TEST_CASE("hangul: the on-screen keyboard types jamo", "[ime]") {
  CHECK(dubeolsik_layout().size() == 33);
  CHECK(dubeolsik_key(U'ㅂ') == 'q');
  CHECK(dubeolsik_key(U'ㅃ') == 'Q');
  CHECK(dubeolsik_key(U'A') == 0);
  HangulComposer h;
  for (char32_t j : std::u32string(U"ㅂㅏㄱㅅㅓㅇㅎㅜㄴ")) REQUIRE(h.jamo(j));
  CHECK(h.finish() == "박성훈");
  CHECK_FALSE(h.jamo(U'x'));
}

TEST_CASE("telex: common Vietnamese names", "[ime]") {
  CHECK(telex("Nguyeenx Vaawn An") == "Nguyễn Văn An");
  CHECK(telex("Traanf Thij Bichs") == "Trần Thị Bích");
  CHECK(telex("Lee Vawn Hungf") == "Lê Văn Hùng");
  CHECK(telex("Phamj Minh Tuaans") == "Phạm Minh Tuấn");
  CHECK(telex("Hoangf Thij Lan") == "Hoàng Thị Lan");
  CHECK(telex("Huyfnh Dducws") == "Huỳnh Đức");
  CHECK(telex("Vox Thanh Hoaf") == "Võ Thanh Hoà");
  CHECK(telex("Ddoox Quoocs Vieejt") == "Đỗ Quốc Việt");
  CHECK(telex("Buif Thij Thuyr") == "Bùi Thị Thuỷ");
  CHECK(telex("Ddawngj Thanh Tungf") == "Đặng Thanh Tùng");
  CHECK(telex("Truwowngf Vux Mai") == "Trường Vũ Mai");
  CHECK(telex("Truongwf") == "Trường");
  CHECK(telex("Duowng Ngocj Anh") == "Dương Ngọc Anh");
  CHECK(telex("Quys Giaf Khoer") == "Quý Già Khoẻ");
  CHECK(telex("Phan Thanh Hieeus") == "Phan Thanh Hiếu");
  CHECK(telex("Lyss Nguyeetj") == "Lys Nguyệt");
  CHECK(telex("Voox") == "Vỗ");
}

TEST_CASE("telex: upper case, undo by doubling, z, w alone", "[ime]") {
  CHECK(telex("NGUYEENX VAAWN AN") == "NGUYỄN VĂN AN");
  CHECK(telex("DDOOX") == "ĐỖ");
  CHECK(telex("Chriss") == "Chris");
  CHECK(telex("aaa") == "aa");
  CHECK(telex("ddd") == "dd");
  CHECK(telex("Tuaansz") == "Tuân");
  CHECK(telex("Tw") == "Tư");
  CHECK(telex("Tww") == "Tw");
  CHECK(telex("Anna") == "Anna");                            // doubling works on the letter just before only
  CHECK(telex("Sarah-Jane O'Neil") == "Sarah-Jane O'Neil");  // not syllables: as typed
  CHECK(telex("Baab Weng Wu") == "Baab Weng Wu");
  CHECK(telex("Hoaa") == "Hoâ");  // still a syllable (one being typed)
}

TEST_CASE("telex: the composer's backspace takes back one key", "[ime]") {
  TelexComposer t;
  for (char k : std::string("Nguyeenx")) t.key(static_cast<char32_t>(k));
  CHECK(t.text() == "Nguyễn");
  REQUIRE(t.backspace());
  CHECK(t.text() == "Nguyên");
  REQUIRE(t.backspace());
  CHECK(t.text() == "Nguyê");
  t.clear();
  CHECK_FALSE(t.backspace());
}

TEST_CASE("name key: Hangul, Vietnamese and Japanese as typed", "[ime]") {
  CHECK(compose_hangul("\u1100\u1175\u11B7\u1106\u1175\u11AB") == "김민");
  CHECK(name_search_key("김 민준") == name_search_key("김민준"));
  CHECK(name_search_key("\u1100\u1175\u11B7민준") == name_search_key("김민준"));
  CHECK(name_search_key("김민준") != name_search_key("김민주"));
  CHECK(name_search_key("Nguyễn Văn An") == name_search_key("NGUYEN VAN AN"));
  CHECK(name_search_key("Đỗ") == name_search_key("do"));
  CHECK(name_search_key("山田花子", "やまだ はなこ") == name_search_key("ヤマダ ハナコ"));
  CHECK(name_search_key("") == "");
}
