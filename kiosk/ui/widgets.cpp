#include "kiosk/ui/widgets.hpp"
#include "core/utf8.hpp"

#include <imgui_internal.h>

#include <algorithm>

namespace shelter::ui {

namespace {

ImVec4 tone_color(Tone tone) {
  switch (tone) {
    case Tone::Primary:
      return {0.05f, 0.45f, 0.20f, 1.0f};
    case Tone::Selected:
      return {0.10f, 0.35f, 0.75f, 1.0f};
    case Tone::Danger:
      return {0.70f, 0.15f, 0.10f, 1.0f};
    case Tone::Quiet:
      return {0.30f, 0.32f, 0.36f, 1.0f};
    case Tone::Normal:
      break;
  }
  return {0.20f, 0.24f, 0.30f, 1.0f};
}

ImVec4 lighter(ImVec4 c, float by) {
  return {std::min(1.f, c.x + by), std::min(1.f, c.y + by), std::min(1.f, c.z + by), c.w};
}

// A label as the lines it is drawn on inside `width`: one, or two broken
// at the space nearest its middle (between two characters when it has no
// space, as Chinese and Japanese need not). Sets `fits` when they fit in
// width x height.
std::vector<std::string> label_lines(const std::string& label, float width, float height, bool& fits) {
  const ImVec2 whole = ImGui::CalcTextSize(label.c_str());
  if (whole.x <= width || label.find('\n') != std::string::npos) {
    fits = whole.x <= width && whole.y <= height;
    return {label};
  }
  std::vector<size_t> cuts;
  for (size_t i = 0; i < label.size(); ++i)
    if (label[i] == ' ') cuts.push_back(i);
  const bool at_space = !cuts.empty();
  if (!at_space)
    for (size_t i = 1; i < label.size(); ++i)
      if ((static_cast<unsigned char>(label[i]) & 0xC0) != 0x80) cuts.push_back(i);
  std::vector<std::string> best{label};
  float best_width = whole.x;
  for (size_t cut : cuts) {
    std::string a = label.substr(0, cut), b = label.substr(at_space ? cut + 1 : cut);
    const float w = std::max(ImGui::CalcTextSize(a.c_str()).x, ImGui::CalcTextSize(b.c_str()).x);
    if (w < best_width) {
      best_width = w;
      best = {std::move(a), std::move(b)};
    }
  }
  fits = best_width <= width && ImGui::GetTextLineHeight() * static_cast<float>(best.size()) <= height;
  return best;
}

}  // namespace

void record_widget(Ui& ui, const std::string& id, bool label_cut) {
  if (!ui.widgets) return;
  // A list that scrolls may hide part of a widget: the user scrolls to it.
  // Anywhere else, a widget past the window's edge is cut off for good.
  const ImGuiWindow* window = ImGui::GetCurrentWindow();
  const bool scrolls =
      (window->Flags & ImGuiWindowFlags_ChildWindow) && (window->ScrollMax.y > 0 || window->ScrollMax.x > 0);
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  if (!ImGui::IsItemVisible()) {
    if (!scrolls) ui.widgets->push_back({id, min.x, min.y, max.x - min.x, max.y - min.y, false, label_cut, true});
    return;
  }
  // The part that can be touched: clipped to the (scrolling) window it is in.
  const ImVec2 wa = ImGui::GetWindowPos(), ws = ImGui::GetWindowSize();
  const ImVec2 a(std::max(min.x, wa.x), std::max(min.y, wa.y));
  const ImVec2 b(std::min(max.x, wa.x + ws.x), std::min(max.y, wa.y + ws.y));
  if (b.x - a.x < 1 || b.y - a.y < 1) return;
  // Within a pixel is whole: ImGui rounds window edges.
  const bool clipped = a.y > min.y + 1 || b.y < max.y - 1 || a.x > min.x + 1 || b.x < max.x - 1;
  ui.widgets->push_back({id, a.x, a.y, b.x - a.x, b.y - a.y, clipped && scrolls, label_cut, clipped && !scrolls});
}

bool button(Ui& ui, const std::string& label, const std::string& id, ImVec2 size, Tone tone, float min_side) {
  if (size.x <= 0) size.x = ImGui::GetContentRegionAvail().x;
  if (min_side <= 0) min_side = ui.unit;
  size.x = std::max(size.x, min_side);
  size.y = std::max(size.y, min_side);
  const ImVec4 c = tone_color(tone);
  ImGui::PushStyleColor(ImGuiCol_Button, c);
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, lighter(c, 0.08f));
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, lighter(c, 0.18f));
  const ImVec2 pad = ImGui::GetStyle().FramePadding;
  bool fits = true;
  std::vector<std::string> lines = label_lines(label, size.x - 2 * pad.x, size.y - 2 * pad.y, fits);
  // A label in a large font that fits on no two lines gets the regular one.
  const bool smaller = !fits && ui.fonts.regular() && ImGui::GetFont() != ui.fonts.regular();
  if (smaller) {
    ImGui::PushFont(ui.fonts.regular());
    lines = label_lines(label, size.x - 2 * pad.x, size.y - 2 * pad.y, fits);
  }
  const bool pressed = ImGui::Button(((lines.size() == 1 ? label : std::string()) + "###" + id).c_str(), size);
  if (lines.size() > 1) {  // ImGui would align the lines left: each is centred here
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    const float line_h = ImGui::GetTextLineHeight();
    float y = (a.y + b.y - line_h * static_cast<float>(lines.size())) / 2;
    for (const auto& line : lines) {
      const float x = (a.x + b.x - ImGui::CalcTextSize(line.c_str()).x) / 2;
      ImGui::GetWindowDrawList()->AddText(ImVec2(x, y), ImGui::GetColorU32(ImGuiCol_Text), line.c_str());
      y += line_h;
    }
  }
  if (smaller) ImGui::PopFont();
  ImGui::PopStyleColor(3);
  record_widget(ui, id, !fits);
  if (ui.widgets && !ui.widgets->empty() && ui.widgets->back().id == id) ui.widgets->back().label = label;
  if (pressed) ui.emit(Intent::Touch);
  return pressed;
}

void title(Ui& ui, const std::string& text) {
  ImGui::PushFont(ui.fonts.large());
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopFont();
}

void big_text(Ui& ui, const std::string& text, float wrap_x) {
  ImGui::PushFont(ui.fonts.large());
  ImGui::PushTextWrapPos(wrap_x);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

void notice_line(Ui& ui, float wrap_x) {
  if (!ui.vm.notice) return;
  const auto& n = *ui.vm.notice;
  std::string text = ui.t(n.key);
  if (!n.detail.empty()) text += " " + ui.d(n.detail);
  ImGui::PushStyleColor(ImGuiCol_Text, n.error ? ImVec4(1.0f, 0.55f, 0.45f, 1) : ImVec4(0.55f, 0.95f, 0.6f, 1));
  big_text(ui, text, wrap_x);
  ImGui::PopStyleColor();
  if (ui.widgets) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ui.widgets->push_back({"notice:" + n.key, a.x, a.y, b.x - a.x, b.y - a.y});
  }
}

void typed_box(Ui& ui, const std::string& label, const std::string& value, float width) {
  ImGui::PushFont(ui.fonts.large());
  if (!label.empty()) ImGui::TextUnformatted(label.c_str());  // no empty line: the keyboard needs the room
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ui.unit;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + width, p.y + h), IM_COL32(255, 255, 255, 255), 6);
  const std::string shown = ui.d(value) + "|";
  dl->AddText(ImVec2(p.x + 12, p.y + (h - ImGui::GetFontSize()) / 2), IM_COL32(0, 0, 0, 255), shown.c_str());
  ImGui::Dummy(ImVec2(width, h));
  ImGui::PopFont();
}

void pin_keypad(Ui& ui, const std::string& id_prefix, Intent::Kind ok, const std::string& ok_label, bool disabled) {
  const ImVec2 key(ui.unit * 2, ui.unit);
  ImGui::PushFont(ui.fonts.large());
  ImGui::BeginDisabled(disabled);
  const char* const rows[4][3] = {{"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}, {"del", "0", "ok"}};
  for (const auto& row : rows) {
    for (int c = 0; c < 3; ++c) {
      if (c) ImGui::SameLine();
      const std::string k = row[c];
      if (k == "del") {
        if (button(ui, ui.t("keyboard.delete"), id_prefix + "del", key, Tone::Quiet)) ui.emit(Intent::PinBackspace);
      } else if (k == "ok") {
        if (button(ui, ok_label, id_prefix + "ok", key, Tone::Primary)) ui.emit(ok);
      } else if (button(ui, k, id_prefix + k, key)) {
        ui.emit(Intent::PinDigit, k);
      }
    }
  }
  ImGui::EndDisabled();
  ImGui::PopFont();
}

std::string pin_dots(const std::string& pin) {
  std::string dots;
  for (size_t i = 0; i < pin.size(); ++i) dots += "\xE2\x80\xA2 ";  // •
  return dots;
}

void to_bottom(Ui& ui, float height) {
  const float y = ImGui::GetWindowHeight() - height - ImGui::GetStyle().WindowPadding.y;
  // Never upwards: a bar drawn over content would steal its touches.
  if (y > ImGui::GetCursorPosY()) ImGui::SetCursorPosY(y);
  (void)ui;
}

bool apply_voicing(std::string& text, bool half_voiced) {
  auto cps = utf8_code_points(text);
  if (cps.empty()) return false;
  std::uint32_t& c = cps.back();
  std::uint32_t to = 0;
  if (c == 0x30A6 && !half_voiced) to = 0x30F4;  // ウ -> ヴ
  // カ..ト: the voiced form is the next code point for カキクケコサシスセソタチ (and ツテト).
  else if (!half_voiced && c >= 0x30AB && c <= 0x30C8 && c != 0x30C3 &&
           (c <= 0x30C1 ? (c - 0x30AB) % 2 == 0 : (c - 0x30C4) % 2 == 0))
    to = c + 1;
  // ハ行: ハ(30CF) ヒ(30D2) フ(30D5) ヘ(30D8) ホ(30DB): +1 voiced, +2 half-voiced.
  else if (c >= 0x30CF && c <= 0x30DB && (c - 0x30CF) % 3 == 0)
    to = c + (half_voiced ? 2 : 1);
  if (!to) return false;
  c = to;
  text.clear();
  for (auto cp : cps) utf8_append(static_cast<char32_t>(cp), text);
  return true;
}

}  // namespace shelter::ui
