// Pass confirm: a pass scanned for someone here asks "going out?" or
// "coming back?" before anything is written, and offers their household
// members here in the same state, so a family goes out in one step.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void draw_pass_confirm(Ui& ui) {
  const PassConfirmVm& p = ui.vm.pass;
  title(ui, ui.t(p.going_out ? "pass.confirm_out" : "pass.confirm_back"));
  if (p.members.size() > 1) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(ui.t("pass.choose_household").c_str());
    ImGui::PopTextWrapPos();
  }
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float below = notice_height(ui, ImGui::GetContentRegionAvail().x) + ui.unit * 1.5f + sy;
  member_grid(ui, p.members, "pass-member:", Intent::TogglePassMember,
              std::max(ui.unit * 1.1f,
                       std::min(member_grid_height(ui, p.members.size()), ImGui::GetContentRegionAvail().y - below)));
  notice_line(ui);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  to_bottom(ui, ui.unit * 1.5f);
  const float w = ImGui::GetContentRegionAvail().x;
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(w * 0.3f, ui.unit * 1.5f), Tone::Quiet))
    ui.emit(Intent::Cancel);
  ImGui::SameLine();
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t(p.going_out ? "pass.confirm_out_button" : "pass.confirm_back_button"), "confirm-pass",
             ImVec2(w * 0.7f - gap, ui.unit * 1.5f), Tone::Primary))
    ui.emit(Intent::ConfirmPass);
  ImGui::PopFont();
}

}  // namespace shelter::ui
