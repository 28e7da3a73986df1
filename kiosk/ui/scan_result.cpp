// Scan result: who of the household is arriving now, where they will stay,
// and one big confirm button.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void stay_buttons(Ui& ui, const std::string& current, const std::string& id_prefix) {
  big_text(ui, ui.t("stay.question"));
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float n = static_cast<float>(std::max<size_t>(ui.vm.stay_names.size(), 1));
  const float w = (ImGui::GetContentRegionAvail().x - (n - 1) * gap) / n;
  int i = 0;
  for (const std::string& s : ui.vm.stay_names) {
    if (i++) ImGui::SameLine();
    if (button(ui, ui.t("stay." + s), id_prefix + "stay:" + s, ImVec2(w, ui.unit),
               current == s ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetStay, s);
  }
}

void draw_scan_result(Ui& ui) {
  const ScanVm& s = ui.vm.scan;
  big_text(ui, ui.t("scan.title") + "  —  " + ui.t("scan.choose"));
  // Members scroll if a large household does not fit above the stay choice.
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float line = ui.fonts.large()->FontSize + sy;
  const float fixed = line * (ui.vm.notice ? 2 : 1) + ui.unit * 2.3f + sy * 3;
  ImGui::BeginChild("members", ImVec2(0, std::max(ui.unit * 1.1f, ImGui::GetContentRegionAvail().y - fixed)), false);
  for (size_t i = 0; i < s.members.size(); ++i) {
    const MemberRow& m = s.members[i];
    std::string label = (m.already_here ? ui.t("scan.already_here") : m.selected ? "[✓] " : "[  ] ");
    label += " " + ui.d(m.name);
    if (!m.reading.empty()) label += " (" + ui.d(m.reading) + ")";
    if (!m.birth.empty()) label += "  " + ui.d(m.birth);
    if (!m.needs.empty()) {
      std::string needs;
      size_t start = 0;
      while (start <= m.needs.size()) {
        const size_t comma = std::min(m.needs.find(',', start), m.needs.size());
        needs += (needs.empty() ? "" : ", ") + ui.t("need." + m.needs.substr(start, comma - start));
        start = comma + 1;
      }
      label += "  [" + needs + "]";
    }
    ImGui::BeginDisabled(m.already_here);
    if (button(ui, label, "member:" + std::to_string(i), ImVec2(0, ui.unit),
               m.selected && !m.already_here ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ToggleMember, {}, static_cast<int>(i));
    ImGui::EndDisabled();
  }
  ImGui::EndChild();
  stay_buttons(ui, s.stay, "");
  notice_line(ui);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  to_bottom(ui, ui.unit * 1.3f);
  const float w = ImGui::GetContentRegionAvail().x;
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(w * 0.3f, ui.unit * 1.3f), Tone::Quiet))
    ui.emit(Intent::Cancel);
  ImGui::SameLine();
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("scan.confirm"), "confirm", ImVec2(w * 0.7f - gap, ui.unit * 1.3f), Tone::Primary))
    ui.emit(Intent::ConfirmArrival);
  ImGui::PopFont();
}

}  // namespace shelter::ui
