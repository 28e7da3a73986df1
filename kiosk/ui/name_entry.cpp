// The name entry: the typed text with what is being composed, a tab per
// keyboard, and the keyboard itself: katakana (with kana->kanji conversion
// and its candidate bar), Latin letters and digits, a handwriting pad with
// its candidates, Hangul 2-set, Vietnamese. Keys and pad fill the room the
// page leaves; keys may shrink to kMinKeyFraction of the unit on a small
// screen, nothing else does. The engines live in the controller
// (kiosk/app/name_input.cpp); this draws entry state and emits intents.
#include <algorithm>
#include <cstdio>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// The katakana keyboard in 五十音 order, read across: columns ア カ サ タ ナ
// ハ マ ヤ ラ ワ ン, then two columns of marks and small kana: 13 columns of
// five rows. Empty strings are gaps.
const char* const kKana[5][13] = {
    {"ア", "カ", "サ", "タ", "ナ", "ハ", "マ", "ヤ", "ラ", "ワ", "ン", "゛", "゜"},
    {"イ", "キ", "シ", "チ", "ニ", "ヒ", "ミ", "ー", "リ", "・", "", "ッ", "ァ"},
    {"ウ", "ク", "ス", "ツ", "ヌ", "フ", "ム", "ユ", "ル", "ヲ", "", "ャ", "ィ"},
    {"エ", "ケ", "セ", "テ", "ネ", "ヘ", "メ", "", "レ", "", "", "ュ", "ゥ"},
    {"オ", "コ", "ソ", "ト", "ノ", "ホ", "モ", "ヨ", "ロ", "", "ォ", "ョ", "ェ"},
};
const char* const kLatin[5] = {"1234567890", "QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM-,.", ""};
// The 2-set layout as printed, with the shifted jamo as a fourth row, so
// that no shift key is needed.
const char* const kHangul[4][10] = {
    {"ㅂ", "ㅈ", "ㄷ", "ㄱ", "ㅅ", "ㅛ", "ㅕ", "ㅑ", "ㅐ", "ㅔ"},
    {"ㅁ", "ㄴ", "ㅇ", "ㄹ", "ㅎ", "ㅗ", "ㅓ", "ㅏ", "ㅣ", ""},
    {"ㅋ", "ㅌ", "ㅊ", "ㅍ", "ㅠ", "ㅜ", "ㅡ", "", "", ""},
    {"ㅃ", "ㅉ", "ㄸ", "ㄲ", "ㅆ", "ㅒ", "ㅖ", "", "", ""},
};
const char* const kViet[3] = {"qwertyuiop", "asdfghjkl", "zxcvbnm-'"};
// The letters and tones Telex types with two keys, as one key each: the
// label, the keys sent, the id.
struct VietMark {
  const char* label;
  const char* keys;
  const char* id;
};
const VietMark kVietMarks[] = {
    {"ă", "aw", "aw"},    {"â", "aa", "aa"},    {"đ", "dd", "dd"},    {"ê", "ee", "ee"},
    {"ô", "oo", "oo"},    {"ơ", "ow", "ow"},    {"ư", "uw", "uw"},    {"á", "s", "tone-s"},
    {"à", "f", "tone-f"}, {"ả", "r", "tone-r"}, {"ã", "x", "tone-x"}, {"ạ", "j", "tone-j"},
};

// The text typed so far, then the composition underlined, then a caret.
void entry_box(Ui& ui, const std::string& text, const NameEntryVm& e, float width) {
  ImGui::PushFont(ui.fonts.large());
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ui.unit;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + width, p.y + h), IM_COL32(255, 255, 255, 255), 6);
  std::string pending = e.preedit;
  if (e.converting()) {
    pending.clear();
    for (const auto& s : e.segments) pending += s.text;
  }
  const std::string typed = ui.d(text), composing = ui.d(pending);
  const float y = p.y + (h - ImGui::GetFontSize()) / 2;
  float x = p.x + 12;
  dl->AddText(ImVec2(x, y), IM_COL32(0, 0, 0, 255), typed.c_str());
  x += ImGui::CalcTextSize(typed.c_str()).x;
  if (!composing.empty()) {
    const float cw = ImGui::CalcTextSize(composing.c_str()).x;
    dl->AddRectFilled(ImVec2(x, p.y + 4), ImVec2(x + cw, p.y + h - 4), IM_COL32(255, 240, 190, 255));
    dl->AddText(ImVec2(x, y), IM_COL32(0, 0, 0, 255), composing.c_str());
    dl->AddLine(ImVec2(x, p.y + h - 6), ImVec2(x + cw, p.y + h - 6), IM_COL32(0, 0, 0, 255), 2);
    x += cw;
  }
  dl->AddText(ImVec2(x, y), IM_COL32(0, 0, 0, 255), "|");
  ImGui::Dummy(ImVec2(width, h));
  ImGui::PopFont();
  if (ui.widgets) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ui.widgets->push_back({"text:entry", a.x, a.y, b.x - a.x, b.y - a.y});
  }
}

std::string keyboard_label(Ui& ui, Keyboard k, bool chinese) {
  switch (k) {
    case Keyboard::Kana:
      return ui.t("keyboard.kana");
    case Keyboard::Latin:
      return ui.t("keyboard.latin");
    case Keyboard::Hand:
      return ui.t(chinese ? "keyboard.hand_zh" : "keyboard.hand");
    case Keyboard::Hangul:
      return ui.d("한글");  // each script's own name, in every language
    case Keyboard::Viet:
      return ui.d("Tiếng Việt");
  }
  return {};
}

const char* keyboard_id(Keyboard k) {
  switch (k) {
    case Keyboard::Kana:
      return "kana";
    case Keyboard::Latin:
      return "latin";
    case Keyboard::Hand:
      return "hand";
    case Keyboard::Hangul:
      return "hangul";
    case Keyboard::Viet:
      return "viet";
  }
  return "";
}

// A grid of keys `cols` across, rows of UTF-8 keys ("" a gap), in `size`.
struct Keys {
  Ui& ui;
  const std::string& prefix;
  ImVec2 size;
  float min_key;
  void key(const std::string& label, const std::string& sent, const std::string& id, Tone tone = Tone::Normal) {
    if (label.empty()) {
      ImGui::Dummy(size);
      return;
    }
    if (button(ui, ui.d(label), prefix + "key:" + id, size, tone, min_key)) ui.emit(Intent::Key, sent);
  }
};

ImVec2 key_size(Ui& ui, int cols, int rows, float height) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float min_key = ui.unit * kMinKeyFraction;
  const float across =
      (ImGui::GetContentRegionAvail().x - static_cast<float>(cols - 1) * gap) / static_cast<float>(cols);
  const float down = (height - static_cast<float>(rows - 1) * gap) / static_cast<float>(rows);
  return ImVec2(std::max(min_key, std::min(ui.unit * 1.4f, across)), std::max(min_key, std::min(ui.unit, down)));
}

void kana_keys(Keys& k) {
  for (const auto& row : kKana)
    for (int c = 0; c < 13; ++c) {
      if (c) ImGui::SameLine();
      const std::string t = row[c];
      k.key(t, t, t, t == "゛" || t == "゜" ? Tone::Quiet : Tone::Normal);
    }
}

void latin_keys(Keys& k) {
  for (const char* row : kLatin) {
    const std::string r = row;
    if (r.empty()) {
      ImGui::Dummy(k.size);
      continue;
    }
    for (size_t c = 0; c < r.size(); ++c) {
      if (c) ImGui::SameLine();
      k.key(r.substr(c, 1), r.substr(c, 1), r.substr(c, 1));
    }
  }
}

void hangul_keys(Keys& k) {
  for (const auto& row : kHangul)
    for (int c = 0; c < 10; ++c) {
      if (c) ImGui::SameLine();
      k.key(row[c], row[c], row[c]);
    }
}

void viet_keys(Keys& k) {
  for (const char* row : kViet) {
    const std::string r = row;
    for (size_t c = 0; c < r.size(); ++c) {
      if (c) ImGui::SameLine();
      k.key(r.substr(c, 1), r.substr(c, 1), r.substr(c, 1));
    }
  }
  int c = 0;
  for (const VietMark& m : kVietMarks) {
    if (c++) ImGui::SameLine();
    k.key(m.label, m.keys, m.id, c > 7 ? Tone::Quiet : Tone::Normal);
  }
}

// Converting: the segments (tap one to choose its kanji), the focused
// segment's candidates, and shorter / longer for a segment cut wrongly.
void conversion_bar(Ui& ui, const NameEntryVm& e, const std::string& prefix, float height) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float top = ImGui::GetCursorPosY();
  ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < e.segments.size(); ++i) {
    if (i) ImGui::SameLine();
    const float w = ImGui::CalcTextSize(ui.d(e.segments[i].text).c_str()).x + ui.unit * 0.8f;
    if (button(ui, ui.d(e.segments[i].text), prefix + "seg:" + std::to_string(i), ImVec2(w, ui.unit),
               static_cast<int>(i) == e.focus ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::FocusSegment, {}, static_cast<int>(i));
  }
  ImGui::SameLine();
  const float rest = ImGui::GetContentRegionAvail().x;
  const float sw = std::max(ui.unit, (rest - gap) / 2);
  ImGui::PopFont();
  if (button(ui, ui.t("keyboard.shorter"), prefix + "seg-shorter", ImVec2(std::min(sw, ui.unit * 3), ui.unit),
             Tone::Quiet))
    ui.emit(Intent::ResizeSegment, {}, -1);
  ImGui::SameLine();
  if (button(ui, ui.t("keyboard.longer"), prefix + "seg-longer", ImVec2(std::min(sw, ui.unit * 3), ui.unit),
             Tone::Quiet))
    ui.emit(Intent::ResizeSegment, {}, 1);
  // The candidates, five across, as many rows as the room holds.
  const float left = height - (ImGui::GetCursorPosY() - top);
  const int cols = 5;
  ImVec2 size = key_size(ui, cols, 3, left);
  size = ImVec2(std::max(size.x, ui.unit), std::max(size.y, ui.unit));  // candidates are not keys: whole targets
  const int rows = std::max(1, static_cast<int>((left + gap) / (size.y + gap)));
  const auto& seg = e.segments[static_cast<size_t>(std::clamp(e.focus, 0, static_cast<int>(e.segments.size()) - 1))];
  const size_t n = std::min(seg.candidates.size(), static_cast<size_t>(rows * cols));
  ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < n; ++i) {
    if (i % cols) ImGui::SameLine();
    if (button(ui, ui.d(seg.candidates[i]), prefix + "cand:" + std::to_string(i), size,
               static_cast<int>(i) == seg.chosen ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ChooseCandidate, {}, static_cast<int>(i));
  }
  ImGui::PopFont();
}

// The handwriting pad: a square to write in with a finger, its guide lines
// and strokes; beside it the candidates as big buttons, undo and clear.
void hand_pad(Ui& ui, const NameEntryVm& e, const std::string& prefix, float height) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float side = std::min(height, ImGui::GetContentRegionAvail().x * 0.5f);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton((prefix + "pad").c_str(), ImVec2(side, side));
  record_widget(ui, prefix + "pad");
  const ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsItemActive() && io.MouseDown[0]) {
    const float x = std::clamp((io.MousePos.x - p.x) / side, 0.f, 1.f);
    const float y = std::clamp((io.MousePos.y - p.y) / side, 0.f, 1.f);
    const bool moved = ImGui::IsItemActivated() || io.MouseDelta.x != 0 || io.MouseDelta.y != 0;
    if (moved) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f,%.4f", static_cast<double>(x), static_cast<double>(y));
      ui.emit(Intent::InkPoint, buf);
    }
  }
  if (ImGui::IsItemDeactivated()) ui.emit(Intent::InkEnd);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(255, 255, 255, 255), 8);
  const ImU32 guide = IM_COL32(200, 200, 210, 255);
  dl->AddLine(ImVec2(p.x + side / 2, p.y + 8), ImVec2(p.x + side / 2, p.y + side - 8), guide, 1);
  dl->AddLine(ImVec2(p.x + 8, p.y + side / 2), ImVec2(p.x + side - 8, p.y + side / 2), guide, 1);
  const float thick = std::max(4.f, side / 50);
  for (const auto& stroke : e.ink) {
    for (size_t i = 0; i < stroke.size(); ++i) {
      const ImVec2 a(p.x + stroke[i][0] * side, p.y + stroke[i][1] * side);
      if (stroke.size() == 1) dl->AddCircleFilled(a, thick / 2, IM_COL32(0, 0, 0, 255));
      if (i + 1 < stroke.size())
        dl->AddLine(a, ImVec2(p.x + stroke[i + 1][0] * side, p.y + stroke[i + 1][1] * side), IM_COL32(0, 0, 0, 255),
                    thick);
    }
  }
  if (e.ink.empty()) {
    const std::string hint = ui.t("keyboard.hand_hint");
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side - 24);
    const ImVec2 hs = ImGui::CalcTextSize(hint.c_str(), nullptr, false, side - 24);
    dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(p.x + 12, p.y + side - hs.y - 12),
                IM_COL32(120, 120, 130, 255), hint.c_str(), nullptr, side - 24);
    ImGui::PopTextWrapPos();
  }
  // Beside the pad: candidates three across, then undo and clear.
  ImGui::SameLine();
  ImGui::BeginGroup();
  const float w = ImGui::GetContentRegionAvail().x;
  const int cols = 3;
  // Three rows of three when the pad's height holds them (undo and clear
  // below), else fewer rows: never smaller than the unit.
  const float cell =
      std::max(ui.unit, std::min({ui.unit * 1.6f, (w - 2 * gap) / cols, (side - ui.unit - 3 * gap) / 3}));
  const int rows = std::max(1, static_cast<int>((side - ui.unit) / (cell + gap)));
  const size_t n = std::min(e.hand_candidates.size(), static_cast<size_t>(rows * cols));
  ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < n; ++i) {
    if (i % cols) ImGui::SameLine();
    if (button(ui, ui.d(e.hand_candidates[i]), prefix + "hand:" + std::to_string(i), ImVec2(cell, cell),
               i == 0 ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ChooseCandidate, {}, static_cast<int>(i));
  }
  ImGui::PopFont();
  if (n == 0) ImGui::Dummy(ImVec2(cell, cell));
  const float y = ImGui::GetCursorPosY();
  const float bottom = y + std::max(0.f, side - ui.unit - (ImGui::GetCursorScreenPos().y - p.y));
  ImGui::SetCursorPosY(bottom);
  const float bw = (w - gap) / 2;
  if (button(ui, ui.t("keyboard.undo_stroke"), prefix + "ink-undo", ImVec2(bw, ui.unit), Tone::Quiet))
    ui.emit(Intent::InkUndo);
  ImGui::SameLine();
  if (button(ui, ui.t("keyboard.clear_pad"), prefix + "ink-clear", ImVec2(bw, ui.unit), Tone::Quiet))
    ui.emit(Intent::InkClear);
  ImGui::EndGroup();
}

}  // namespace

float name_entry(Ui& ui, const std::string& text, const std::string& id_prefix, bool kana_only) {
  const NameEntryVm& e = ui.vm.entry;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const Keyboard which = kana_only ? Keyboard::Kana : e.keyboard;
  // The text, and the keyboards' tabs on its right.
  const float tabs_w = kana_only ? 0 : std::max(ui.unit, ImGui::GetContentRegionAvail().x * 0.085f);
  const float box_w = ImGui::GetContentRegionAvail().x - (kana_only ? 0 : 5 * (tabs_w + gap));
  entry_box(ui, text, e, box_w);
  if (!kana_only)
    for (Keyboard k : kAllKeyboards) {
      ImGui::SameLine();
      if (button(ui, keyboard_label(ui, k, e.hand_chinese), id_prefix + "kbd:" + keyboard_id(k),
                 ImVec2(tabs_w, ui.unit), k == which ? Tone::Selected : Tone::Quiet))
        ui.emit(Intent::SwitchKeyboard, {}, static_cast<int>(k));
    }
  // The keyboard fills what is left above the control row.
  const float height = ImGui::GetContentRegionAvail().y - ui.unit - gap;
  Keys keys{ui, id_prefix, {}, ui.unit * kMinKeyFraction};
  ImGui::PushFont(ui.fonts.large());
  switch (which) {
    case Keyboard::Kana:
      if (!e.converting()) {
        keys.size = key_size(ui, 13, 5, height);
        kana_keys(keys);
      }
      break;
    case Keyboard::Latin:
      keys.size = key_size(ui, 13, 5, height);
      latin_keys(keys);
      break;
    case Keyboard::Hangul:
      keys.size = key_size(ui, 10, 4, height);
      hangul_keys(keys);
      break;
    case Keyboard::Viet:
      keys.size = key_size(ui, 12, 4, height);
      viet_keys(keys);
      break;
    case Keyboard::Hand:
      break;
  }
  ImGui::PopFont();
  if (which == Keyboard::Kana && e.converting()) conversion_bar(ui, e, id_prefix, height);
  if (which == Keyboard::Hand) hand_pad(ui, e, id_prefix, height);
  // Control row, always at the bottom so that it does not move between
  // keyboards: convert (or take the conversion) for kana, space, delete;
  // the caller adds two more buttons of the returned width on this line.
  to_bottom(ui, ui.unit);
  const float w = (ImGui::GetContentRegionAvail().x - 4 * gap) / 5;
  if (which == Keyboard::Kana && !kana_only) {
    if (e.converting()) {
      if (button(ui, ui.t("keyboard.commit"), id_prefix + "key:commit", ImVec2(w, ui.unit), Tone::Primary))
        ui.emit(Intent::CommitEntry);
    } else {
      ImGui::BeginDisabled(e.preedit.empty());
      if (button(ui, ui.t("keyboard.convert"), id_prefix + "key:convert", ImVec2(w, ui.unit))) ui.emit(Intent::Convert);
      ImGui::EndDisabled();
    }
  } else {
    ImGui::Dummy(ImVec2(w, ui.unit));
  }
  ImGui::SameLine();
  if (button(ui, ui.t("keyboard.space"), id_prefix + "key:space", ImVec2(w, ui.unit)))
    ui.emit(Intent::Key, which == Keyboard::Kana ? "\xE3\x80\x80" : " ");
  ImGui::SameLine();
  if (button(ui, ui.t("keyboard.delete"), id_prefix + "key:delete", ImVec2(w, ui.unit), Tone::Quiet))
    ui.emit(Intent::Backspace);
  ImGui::SameLine();
  return w;
}

}  // namespace shelter::ui
