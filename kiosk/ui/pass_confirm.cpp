// Pass confirm: a pass scanned for someone here asks "going out?" or
// "coming back?" before anything is written, and offers their household
// members here in the same state, so a family goes out in one step.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void draw_pass_confirm(Ui& ui) {
  const PassConfirmVm& p = ui.vm.pass;
  title(ui, ui.t(p.going_out ? "pass.confirm_out" : "pass.confirm_back"));
  if (p.members.size() > 1) big_text(ui, ui.t("pass.choose_household"));
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float fixed = ui.fonts.large()->FontSize * (ui.vm.notice ? 1 : 0) + ui.unit * 1.5f + sy * 3;
  ImGui::BeginChild("pass-members", ImVec2(0, std::max(ui.unit * 1.1f, ImGui::GetContentRegionAvail().y - fixed)),
                    false);
  for (size_t i = 0; i < p.members.size(); ++i) {
    const MemberRow& m = p.members[i];
    std::string label = std::string(m.selected ? "[✓] " : "[  ] ") + " " + ui.d(m.name);
    if (!m.reading.empty()) label += " (" + ui.d(m.reading) + ")";
    if (button(ui, label, "pass-member:" + std::to_string(i), ImVec2(0, ui.unit),
               m.selected ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::TogglePassMember, {}, static_cast<int>(i));
  }
  ImGui::EndChild();
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
