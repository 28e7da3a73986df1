// Scan result: who of the household is arriving now, where they will stay,
// and one big confirm button.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// The stay question takes the left part of the stay row.
constexpr float kStayQuestionShare = 0.3f;

float stay_question_height(const Ui& ui, float width) {
  ImFont* f = ui.fonts.large();
  return f->CalcTextSizeA(f->FontSize, FLT_MAX, width, ui.t("stay.question").c_str()).y;
}

}  // namespace

float stay_row_height(const Ui& ui) {
  const float qw = ImGui::GetContentRegionAvail().x * kStayQuestionShare;
  return std::max(ui.unit, stay_question_height(ui, qw)) + ImGui::GetStyle().ItemSpacing.y;
}

// One row: the question on the left, shelter / car / home beside it.
void stay_buttons(Ui& ui, const std::string& current, const std::string& id_prefix) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float qw = ImGui::GetContentRegionAvail().x * kStayQuestionShare;
  const float row = std::max(ui.unit, stay_question_height(ui, qw));
  const ImVec2 at = ImGui::GetCursorPos();
  ImGui::BeginGroup();
  ImGui::PushFont(ui.fonts.large());
  ImGui::PushTextWrapPos(at.x + qw);
  ImGui::TextUnformatted(ui.t("stay.question").c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
  ImGui::Dummy(ImVec2(qw, 0));
  ImGui::EndGroup();
  ImGui::SameLine(at.x + qw + gap);
  const float n = static_cast<float>(std::max<size_t>(ui.vm.stay_names.size(), 1));
  const float w = (ImGui::GetContentRegionAvail().x - (n - 1) * gap) / n;
  int i = 0;
  for (const std::string& s : ui.vm.stay_names) {
    if (i++) ImGui::SameLine();
    if (button(ui, ui.t("stay." + s), id_prefix + "stay:" + s, ImVec2(w, row),
               current == s ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetStay, s);
  }
}

void draw_scan_result(Ui& ui) {
  const ScanVm& s = ui.vm.scan;
  // The title, and what to do beside it in body type when it fits.
  title(ui, ui.t("scan.title"));
  ImGui::SameLine();
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(ui.t("scan.choose").c_str());
  ImGui::PopTextWrapPos();
  // The members take what the stay row, the notice and the confirm bar
  // leave; a household that does not fit scrolls.
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float below = stay_row_height(ui) + notice_height(ui, ImGui::GetContentRegionAvail().x) + ui.unit * 1.3f + sy;
  member_grid(ui, s.members, "member:", Intent::ToggleMember,
              std::max(ui.unit * 1.1f,
                       std::min(member_grid_height(ui, s.members.size()), ImGui::GetContentRegionAvail().y - below)));
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
