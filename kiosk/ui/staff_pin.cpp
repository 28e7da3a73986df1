// Staff PIN: a big numeric keypad. The PIN is checked by the controller
// against a libsodium hash; after too many wrong tries the keypad locks.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void draw_staff_pin(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  std::string dots;
  for (size_t i = 0; i < s.pin_entry.size(); ++i) dots += "• ";
  big_text(ui, ui.t("staff.pin_title") + "   " + dots);
  if (s.locked_seconds > 0) {
    big_text(ui, ui.t("staff.pin_locked") + " " + std::to_string(s.locked_seconds));
  } else if (s.tries_left < 5) {
    big_text(ui, ui.t("staff.pin_tries_left") + " " + std::to_string(s.tries_left));
  }
  notice_line(ui);
  const float key = ui.unit;
  ImGui::PushFont(ui.fonts.large());
  ImGui::BeginDisabled(s.locked_seconds > 0);
  const char* const rows[4][3] = {{"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}, {"del", "0", "ok"}};
  for (const auto& row : rows) {
    for (int c = 0; c < 3; ++c) {
      if (c) ImGui::SameLine();
      const std::string k = row[c];
      if (k == "del") {
        if (button(ui, ui.t("keyboard.delete"), "pin:del", ImVec2(key * 2, key), Tone::Quiet))
          ui.emit(Intent::PinBackspace);
      } else if (k == "ok") {
        if (button(ui, ui.t("common.ok"), "pin:ok", ImVec2(key * 2, key), Tone::Primary)) ui.emit(Intent::PinSubmit);
      } else if (button(ui, k, "pin:" + k, ImVec2(key * 2, key))) {
        ui.emit(Intent::PinDigit, k);
      }
    }
  }
  ImGui::EndDisabled();
  ImGui::PopFont();
  to_bottom(ui, ui.unit);
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(ui.unit * 4, ui.unit), Tone::Quiet)) ui.emit(Intent::Cancel);
}

}  // namespace shelter::ui
