#pragma once
// Shared pieces of the kiosk screens: the drawing context, finger-sized
// buttons labelled with words, the on-screen keyboard, the notice line.
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

#include "kiosk/ui/fonts.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/view_model.hpp"

namespace shelter::ui {

// Where a widget was drawn, so that GUI tests can touch it by id.
struct WidgetRect {
  std::string id;
  float x, y, w, h;
  bool clipped = false;    // partly scrolled out of its list
  bool label_cut = false;  // its label does not fit, even on two lines
  bool cut_off = false;    // partly or wholly off the screen, where no scrolling reaches it
  std::string label{};     // a button's text as shown (tests pick a candidate by it)
};

struct Ui {
  const ViewModel& vm;
  const Translations& tr;
  Fonts& fonts;
  std::vector<Intent>& out;
  float unit;  // the smallest touch target, in pixels (>= 15 mm on the kiosk's screen)
  std::vector<WidgetRect>* widgets = nullptr;

  // Translated text, ready for ImGui.
  std::string t(std::string_view key) const { return fonts.display(tr.get(key)); }
  // Data text (a name), ready for ImGui.
  std::string d(std::string_view text) const { return fonts.display(text); }
  void emit(Intent::Kind kind, std::string text = {}, int number = 0) const {
    out.push_back(Intent{kind, std::move(text), number});
  }
};

enum class Tone { Normal, Primary, Selected, Danger, Quiet };

// A button: "label###id" keeps its identity across languages. Returns true
// when pressed. Width 0 means "fill the row". A label too wide for one line
// goes on two, centred. Neither side is smaller than `min_side` (0: the
// unit); only keyboard keys go below the unit, on small screens.
bool button(Ui& ui, const std::string& label, const std::string& id, ImVec2 size, Tone tone = Tone::Normal,
            float min_side = 0);
// The smallest a keyboard key may get, as a fraction of the unit (the smoke
// test holds keys to it, other targets to the whole unit).
inline constexpr float kMinKeyFraction = 0.8f;
void record_widget(Ui& ui, const std::string& id, bool label_cut = false);  // the last item's rect

// Text helpers with the big fonts.
void title(Ui& ui, const std::string& text);
// wrap_x: where lines wrap, in window coordinates (0: the window's edge).
void big_text(Ui& ui, const std::string& text, float wrap_x = 0);
void notice_line(Ui& ui, float wrap_x = 0);

// The name entry (name_entry.cpp): the text typed with what is being
// composed, a tab per keyboard (kana, Latin, handwriting, Hangul,
// Vietnamese; kana only for a reading), the keyboard or pad, then a control
// row with convert, space and delete. Returns the width of a control button
// and stays on the control row's line, so that the caller adds two buttons
// there (back / next, cancel / save). Ids "<prefix>key:...", "<prefix>kbd:...",
// "<prefix>pad", "<prefix>cand:N", "<prefix>hand:N", "<prefix>seg:N".
float name_entry(Ui& ui, const std::string& text, const std::string& id_prefix, bool kana_only = false);

// The PIN keypad: 1-9, then delete, 0, ok; keys two units wide. Digits emit
// PinDigit, delete PinBackspace, ok the `ok` intent. Ids "<prefix>0".."9",
// "<prefix>del", "<prefix>ok".
void pin_keypad(Ui& ui, const std::string& id_prefix, Intent::Kind ok, const std::string& ok_label, bool disabled);
inline float pin_keypad_width(const Ui& ui) {
  return ui.unit * 6 + 2 * ImGui::GetStyle().ItemSpacing.x;
}
// A PIN being typed, as dots.
std::string pin_dots(const std::string& pin);

// Moves the cursor down to leave `height` at the bottom of the window, but
// never up over what is already drawn.
void to_bottom(Ui& ui, float height);

// A box showing text being typed, with a caret.
void typed_box(Ui& ui, const std::string& label, const std::string& value, float width);

// Katakana helpers for the keyboard's ゛ and ゜ keys: the voiced or
// half-voiced form of the last character, if it has one.
bool apply_voicing(std::string& text, bool half_voiced);

}  // namespace shelter::ui
