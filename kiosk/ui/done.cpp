// Done: who was checked in, the pass QR to photograph or print, and where to
// go for help.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

void draw_qr(const DoneVm& d, float side) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(255, 255, 255, 255));
  if (d.qr_size > 0) {
    const int quiet = 4;
    const float m = side / static_cast<float>(d.qr_size + 2 * quiet);
    for (int y = 0; y < d.qr_size; ++y)
      for (int x = 0; x < d.qr_size; ++x)
        if (d.qr_modules[static_cast<size_t>(y * d.qr_size + x)]) {
          const float x0 = p.x + static_cast<float>(x + quiet) * m, y0 = p.y + static_cast<float>(y + quiet) * m;
          dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x0 + m, y0 + m), IM_COL32(0, 0, 0, 255));
        }
  }
  ImGui::Dummy(ImVec2(side, side));
}

}  // namespace

void draw_done(Ui& ui) {
  const DoneVm& d = ui.vm.done;
  title(ui, ui.t("done.title"));
  ImGui::PushFont(ui.fonts.large());
  for (const auto& n : d.names) {
    const std::string line = "✓ " + ui.d(n);
    ImGui::TextUnformatted(line.c_str());
  }
  ImGui::PopFont();
  ImGui::Spacing();
  const float side = std::min(ImGui::GetContentRegionAvail().y - ui.unit * 1.4f - ImGui::GetStyle().ItemSpacing.y * 2,
                              ImGui::GetContentRegionAvail().x * 0.45f);
  ImGui::BeginGroup();
  draw_qr(d, side);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(ui.t("done.pass_hint").c_str());
  ImGui::Spacing();
  ImGui::TextUnformatted(ui.t("done.help").c_str());
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
  if (d.can_print &&
      button(ui, ui.t(d.printed ? "done.printed" : "done.print"), "print", ImVec2(ui.unit * 5, ui.unit * 1.2f)))
    ui.emit(Intent::PrintPass);
  notice_line(ui);
  ImGui::EndGroup();
  to_bottom(ui, ui.unit * 1.4f);
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("done.finish"), "finish", ImVec2(0, ui.unit * 1.4f), Tone::Primary)) ui.emit(Intent::Finish);
  ImGui::PopFont();
}

}  // namespace shelter::ui
