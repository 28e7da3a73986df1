#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

const char* screen_name(Screen s) {
  switch (s) {
    case Screen::Welcome:
      return "welcome";
    case Screen::ScanResult:
      return "scan-result";
    case Screen::WalkIn:
      return "walk-in";
    case Screen::Done:
      return "done";
    case Screen::StaffPin:
      return "staff-pin";
    case Screen::Staff:
      return "staff";
    case Screen::PassConfirm:
      return "pass-confirm";
  }
  return "unknown";
}

void draw(Ui& ui) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(vp->Size);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::Begin("kiosk", nullptr, flags);
  switch (ui.vm.screen) {
    case Screen::Welcome:
      draw_welcome(ui);
      break;
    case Screen::ScanResult:
      draw_scan_result(ui);
      break;
    case Screen::WalkIn:
      draw_walkin(ui);
      break;
    case Screen::Done:
      draw_done(ui);
      break;
    case Screen::StaffPin:
      draw_staff_pin(ui);
      break;
    case Screen::Staff:
      draw_staff(ui);
      break;
    case Screen::PassConfirm:
      draw_pass_confirm(ui);
      break;
  }
  if (ui.vm.idle_seconds_left > 0 && ui.vm.idle_seconds_left <= 10 && ui.vm.screen != Screen::Welcome) {
    const std::string msg = ui.t("idle.returning") + " " + std::to_string(ui.vm.idle_seconds_left);
    ImGui::GetForegroundDrawList()->AddText(
        ui.fonts.large(), ui.fonts.large()->FontSize,
        ImVec2(vp->Pos.x + 20, vp->Pos.y + vp->Size.y - ui.fonts.large()->FontSize - 10), IM_COL32(255, 220, 120, 255),
        msg.c_str());
  }
  ImGui::End();
}

}  // namespace shelter::ui
