#include "kiosk/app/name_input.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/utf8.hpp"
#include "kiosk/ime/handwriting.hpp"
#include "kiosk/ime/hangul.hpp"
#include "kiosk/ime/kana_kanji.hpp"
#include "kiosk/ime/vietnamese.hpp"
#include "kiosk/ui/widgets.hpp"

namespace shelter::kiosk {

using ui::Keyboard;
using ui::NameEntryVm;

namespace {

constexpr const char* kIdeographicSpace = "\xE3\x80\x80";
constexpr size_t kHandCandidates = 9;  // three rows of three beside the pad
constexpr float kPadUnits = 1000;      // the pad's 0..1 as Zinnia's canvas

bool is_kana(char32_t c) {
  return (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FC;
}
bool is_space(const std::string& k) {
  return k == " " || k == kIdeographicSpace;
}

}  // namespace

bool is_reading(const std::string& text) {
  if (text.empty()) return false;
  for (char32_t c : utf8_decode(text))
    if (!((c >= 0x30A0 && c <= 0x30FF) || c == 0x3000 || c == ' ')) return false;
  return true;
}

struct NameInput::Engines {
  std::optional<ime::KanaKanjiConverter> kana;
  std::optional<ime::HandwritingRecognizer> hand_ja, hand_zh;
  ime::HangulComposer hangul;
  ime::TelexComposer telex;
  ime::Ink ink;
};

NameInput::NameInput() : en_(std::make_unique<Engines>()) {}
NameInput::~NameInput() = default;

void NameInput::reset(NameEntryVm& e) {
  e.preedit.clear();
  e.segments.clear();
  e.focus = 0;
  e.ink.clear();
  e.hand_candidates.clear();
  en_->hangul.clear();
  en_->telex.clear();
  en_->ink.clear();
}

std::string NameInput::append(const EntryTarget& t, const std::string& text, const std::string& reading,
                              bool reading_known) {
  if (text.empty()) return {};
  if (t.text->size() + text.size() > t.max_bytes) return "walkin.name_too_long";
  const bool was_empty = t.text->empty();
  *t.text += text;
  if (t.reading) {
    if (was_empty) {  // a new name: its reading starts again
      t.reading->clear();
      if (t.reading_sure) *t.reading_sure = true;
    }
    if (!reading_known && t.reading_sure) *t.reading_sure = false;
    *t.reading += reading;
  }
  return {};
}

std::string NameInput::commit(NameEntryVm& e, const EntryTarget& t) {
  std::string error;
  if (e.converting()) {
    const ime::KanaConversion& c = en_->kana->current();
    error = append(t, c.text(), c.reading(), true);
    e.segments.clear();
    e.preedit.clear();
  } else if (!e.preedit.empty()) {
    switch (e.keyboard) {
      case Keyboard::Kana:
        error = append(t, e.preedit, is_reading(e.preedit) ? e.preedit : "", is_reading(e.preedit));
        break;
      case Keyboard::Hangul:
        error = append(t, en_->hangul.finish(), "", true);
        break;
      case Keyboard::Viet:
        error = append(t, en_->telex.text(), "", true);
        break;
      default:
        break;
    }
  }
  en_->hangul.clear();
  en_->telex.clear();
  e.preedit.clear();
  e.focus = 0;
  return error;
}

std::string NameInput::switch_keyboard(NameEntryVm& e, const EntryTarget& t, Keyboard k) {
  std::string error = commit(e, t);
  ink_clear(e);
  e.keyboard = k;
  return error;
}

std::string NameInput::key(NameEntryVm& e, const EntryTarget& t, const std::string& key) {
  if (key.empty()) return {};
  // A key while converting takes the conversion first, as a phone's IME does.
  if (e.converting()) {
    if (std::string error = commit(e, t); !error.empty()) return error;
  }
  if (is_space(key)) {
    if (std::string error = commit(e, t); !error.empty()) return error;
    if (t.text->empty()) return {};  // a name does not start with a space
    const std::string space = t.ascii_space || e.keyboard != Keyboard::Kana ? " " : kIdeographicSpace;
    return append(t, space, t.reading && !t.reading->empty() ? space : "", true);
  }
  switch (e.keyboard) {
    case Keyboard::Kana:
      if (key == "゛" || key == "゜") {
        // ゛ and ゜ voice the last kana typed, or the text's when none is pending.
        if (!ui::apply_voicing(e.preedit, key == "゜") && e.preedit.empty()) {
          ui::apply_voicing(*t.text, key == "゜");
          if (t.reading) ui::apply_voicing(*t.reading, key == "゜");
        }
        return {};
      }
      if (t.text->size() + e.preedit.size() + key.size() > t.max_bytes) return "walkin.name_too_long";
      e.preedit += key;
      return {};
    case Keyboard::Hangul:
      for (char32_t c : utf8_decode(key)) en_->hangul.jamo(c);
      e.preedit = en_->hangul.text();
      if (t.text->size() + e.preedit.size() > t.max_bytes) {
        en_->hangul.backspace();
        e.preedit = en_->hangul.text();
        return "walkin.name_too_long";
      }
      return {};
    case Keyboard::Viet: {
      // A word starts with a capital: names are written so (Nguyễn Văn An).
      const bool word_start = en_->telex.keys().empty() || en_->telex.keys().back() == U' ';
      for (char32_t c : utf8_decode(key)) {
        if (word_start && en_->telex.keys().empty() && c >= U'a' && c <= U'z') c = c - U'a' + U'A';
        en_->telex.key(c);
      }
      e.preedit = en_->telex.text();
      if (t.text->size() + e.preedit.size() > t.max_bytes) {
        en_->telex.backspace();
        e.preedit = en_->telex.text();
        return "walkin.name_too_long";
      }
      return {};
    }
    case Keyboard::Latin:
    case Keyboard::Hand:
      break;
  }
  return append(t, key, "", e.keyboard == Keyboard::Latin);
}

void NameInput::backspace(NameEntryVm& e, const EntryTarget& t) {
  if (e.converting()) {  // back to the kana as typed
    e.segments.clear();
    e.focus = 0;
    return;
  }
  if (e.keyboard == Keyboard::Hangul && en_->hangul.backspace()) {
    e.preedit = en_->hangul.text();
    return;
  }
  if (e.keyboard == Keyboard::Viet && en_->telex.backspace()) {
    e.preedit = en_->telex.text();
    return;
  }
  if (e.keyboard == Keyboard::Kana && !e.preedit.empty()) {
    ui::pop_utf8(e.preedit);
    return;
  }
  if (e.keyboard == Keyboard::Hand && !e.ink.empty()) {
    ink_undo(e);
    return;
  }
  if (t.text->empty()) return;
  ui::pop_utf8(*t.text);
  if (!t.reading) return;
  // The reading cannot follow a character taken off a converted name: it
  // is asked for again, unless the text is katakana (then it is the text).
  if (t.text->empty()) {
    t.reading->clear();
    if (t.reading_sure) *t.reading_sure = true;
  } else if (is_reading(*t.text)) {
    *t.reading = *t.text;
    if (t.reading_sure) *t.reading_sure = true;
  } else if (t.reading_sure) {
    *t.reading_sure = false;
  }
}

std::string NameInput::convert(NameEntryVm& e) {
  if (e.preedit.empty()) return {};
  if (!en_->kana) {
    en_->kana.emplace();
    if (auto st = en_->kana->open(); !st) {
      en_->kana.reset();
      return "keyboard.unavailable";
    }
  }
  auto c = en_->kana->convert(e.preedit);
  if (!c || c->segments.empty()) return "keyboard.unavailable";
  e.segments.clear();
  for (const auto& s : c->segments) e.segments.push_back({s.text(), s.candidates, static_cast<int>(s.chosen)});
  e.focus = 0;
  return {};
}

std::string NameInput::choose(NameEntryVm& e, const EntryTarget& t, int index) {
  if (e.keyboard == Keyboard::Hand) {
    if (index < 0 || static_cast<size_t>(index) >= e.hand_candidates.size()) return {};
    const std::string ch = e.hand_candidates[static_cast<size_t>(index)];
    const std::u32string cps = utf8_decode(ch);
    const bool kana = !cps.empty() && std::all_of(cps.begin(), cps.end(), is_kana);
    ink_clear(e);
    return append(t, ch, kana ? ime::to_katakana(ch) : "", kana);
  }
  if (!e.converting() || !en_->kana || index < 0) return {};
  auto c = en_->kana->choose(static_cast<size_t>(e.focus), static_cast<size_t>(index));
  if (!c) return {};
  for (size_t i = 0; i < c->segments.size() && i < e.segments.size(); ++i) {
    e.segments[i].text = c->segments[i].text();
    e.segments[i].chosen = static_cast<int>(c->segments[i].chosen);
  }
  // On to the next segment; after the last, the conversion is taken.
  if (e.focus + 1 < static_cast<int>(e.segments.size())) {
    ++e.focus;
    return {};
  }
  return commit(e, t);
}

void NameInput::focus(NameEntryVm& e, int segment) {
  if (segment >= 0 && segment < static_cast<int>(e.segments.size())) e.focus = segment;
}

std::string NameInput::resize(NameEntryVm& e, int delta) {
  if (!e.converting() || !en_->kana) return {};
  auto c = en_->kana->resize(static_cast<size_t>(e.focus), delta > 0 ? 1 : -1);
  if (!c) return {};
  e.segments.clear();
  for (const auto& s : c->segments) e.segments.push_back({s.text(), s.candidates, static_cast<int>(s.chosen)});
  e.focus = std::min(e.focus, static_cast<int>(e.segments.size()) - 1);
  return {};
}

std::string NameInput::ink_point(NameEntryVm& e, const std::string& xy) {
  const size_t comma = xy.find(',');
  if (comma == std::string::npos) return {};
  const float x = std::clamp(std::strtof(xy.c_str(), nullptr), 0.f, 1.f);
  const float y = std::clamp(std::strtof(xy.c_str() + comma + 1, nullptr), 0.f, 1.f);
  en_->ink.add_point(x * kPadUnits, y * kPadUnits);
  // Mirror the ink for the screen, in pad units.
  if (e.ink.size() != en_->ink.strokes.size()) e.ink.emplace_back();
  e.ink.back().push_back({x, y});
  return {};
}

std::string NameInput::ink_end(NameEntryVm& e) {
  en_->ink.end_stroke();
  return recognize(e);
}

void NameInput::ink_undo(NameEntryVm& e) {
  en_->ink.undo_stroke();
  if (!e.ink.empty()) e.ink.pop_back();
  if (e.ink.empty())
    e.hand_candidates.clear();
  else
    recognize(e);
}

void NameInput::ink_clear(NameEntryVm& e) {
  en_->ink.clear();
  e.ink.clear();
  e.hand_candidates.clear();
}

std::string NameInput::recognize(NameEntryVm& e) {
  auto& model = e.hand_chinese ? en_->hand_zh : en_->hand_ja;
  if (!model) {
    model.emplace();
    if (auto st = model->open(e.hand_chinese ? ime::kChineseModel : ime::kJapaneseModel); !st) {
      model.reset();
      return "keyboard.unavailable";
    }
  }
  e.hand_candidates.clear();
  if (en_->ink.empty()) return {};
  if (e.hand_chinese) {
    auto any = model->recognize(en_->ink.strokes, kPadUnits, kPadUnits, kHandCandidates);
    if (!any) return "keyboard.unavailable";
    for (const auto& c : *any) e.hand_candidates.push_back(c.text);
    return {};
  }
  // Kanji first (a name's lookalike kana and radicals become the kanji),
  // then the kana the model reads best, for names written in hiragana.
  auto kanji =
      model->recognize(en_->ink.strokes, kPadUnits, kPadUnits, kHandCandidates - 2, ime::CandidateFilter::kanji);
  auto any = model->recognize(en_->ink.strokes, kPadUnits, kPadUnits, kHandCandidates * 2);
  if (!kanji || !any) return "keyboard.unavailable";
  for (const auto& c : *kanji) e.hand_candidates.push_back(c.text);
  for (const auto& c : *any) {
    if (e.hand_candidates.size() >= kHandCandidates) break;
    const std::u32string cps = utf8_decode(c.text);
    if (cps.size() == 1 && is_kana(cps[0]) &&
        std::find(e.hand_candidates.begin(), e.hand_candidates.end(), c.text) == e.hand_candidates.end())
      e.hand_candidates.push_back(c.text);
  }
  return {};
}

}  // namespace shelter::kiosk
