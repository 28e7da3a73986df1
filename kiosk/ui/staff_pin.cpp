// Staff sign-in: who you are (the enrolled volunteers' names), then your
// own PIN on a big keypad. The controller checks it against that
// volunteer's hash; after too many wrong PINs sign-in locks, for longer
// each time, and the time left shows here. With nobody enrolled the screen
// says how staff mode is set up instead.
#include <cstdio>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// "4:59", "1:59:59".
std::string time_left(int seconds) {
  char buf[32];
  if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", seconds / 60, seconds % 60);
  return buf;
}

// One line under the PIN: locked and for how long, or whom to choose, or
// the last answer with the tries left.
void status_line(Ui& ui, float wrap) {
  const StaffVm& s = ui.vm.staff;
  const std::optional<Notice>& n = ui.vm.notice;
  std::string text;
  bool error = true;
  if (s.locked_seconds > 0) {
    text = ui.t("staff.pin_locked") + " " + time_left(s.locked_seconds);
  } else if (n) {
    text = ui.t(n->key) + (n->detail.empty() ? "" : " " + ui.d(n->detail));
    if (n->key == "staff.pin_wrong") text += "  " + ui.t("staff.pin_tries_left") + " " + std::to_string(s.tries_left);
    error = n->error;
  } else if (s.who.empty()) {
    text = ui.t("staff.choose_name");
    error = false;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, error ? ImVec4(1.0f, 0.55f, 0.45f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
  big_text(ui, text.empty() ? " " : text, wrap);
  ImGui::PopStyleColor();
  if (ui.widgets && n && s.locked_seconds == 0) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ui.widgets->push_back({"notice:" + n->key, a.x, a.y, b.x - a.x, b.y - a.y});
  }
}

void not_set_up(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  title(ui, ui.t("staff.pin_title"));
  big_text(ui, ui.t("staff.not_set_up"));
  ImGui::Spacing();
  big_text(ui, ui.t("staff.not_set_up_how"));
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.85f, 0.9f, 1.0f, 1));
  big_text(ui, "echo PIN | shelterctl add-volunteer --name NAME --lead");
  ImGui::PopStyleColor();
  if (s.old_shared_pin) big_text(ui, ui.t("staff.old_pin_unused"));
}

}  // namespace

void draw_staff_pin(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  if (s.not_set_up) {
    not_set_up(ui);
    to_bottom(ui, ui.unit);
    if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(ui.unit * 4, ui.unit), Tone::Quiet)) ui.emit(Intent::Cancel);
    return;
  }
  if (s.demo) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.85f, 0.35f, 1));
    big_text(ui, ui.t("staff.demo_pin"));
    ImGui::PopStyleColor();
  }
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float pad_w = pin_keypad_width(ui);
  const float left_w = ImGui::GetContentRegionAvail().x - pad_w - gap * 2;
  // Left: who signs in, with cancel under the names, so that the PIN side
  // keeps the whole height for its title, a wrapped message and the keypad.
  ImGui::BeginGroup();
  ImGui::BeginChild("who", ImVec2(left_w, ImGui::GetContentRegionAvail().y - ui.unit - sy), false);
  big_text(ui, ui.t("staff.who"));
  for (size_t i = 0; i < s.volunteers.size(); ++i) {
    const auto& v = s.volunteers[i];
    if (button(ui, ui.d(v.name), "who:" + std::to_string(i), ImVec2(0, ui.unit),
               v.name == s.who ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ChooseVolunteer, v.name);
  }
  ImGui::EndChild();
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(std::min(left_w, ui.unit * 4), ui.unit), Tone::Quiet))
    ui.emit(Intent::Cancel);
  ImGui::EndGroup();
  // Right: their PIN.
  ImGui::SameLine(0, gap * 2);
  ImGui::BeginGroup();
  const float wrap = ImGui::GetCursorPosX() + pad_w;
  // The chosen name and the PIN typed so far, or the screen's title.
  big_text(ui, s.who.empty() ? ui.t("staff.pin_title") : ui.d(s.who) + "   " + pin_dots(s.pin_entry), wrap);
  status_line(ui, wrap);
  pin_keypad(ui, "pin:", Intent::PinSubmit, ui.t("common.ok"), s.locked_seconds > 0 || s.who.empty());
  ImGui::EndGroup();
}

}  // namespace shelter::ui
