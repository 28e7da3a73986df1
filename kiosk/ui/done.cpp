// Done: who was checked in, the pass QR to photograph or print, and where to
// go for help.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

void draw_qr(const PassVm* d, float side) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(255, 255, 255, 255));
  if (d && d->qr_size > 0) {
    const int quiet = 4;
    const float m = side / static_cast<float>(d->qr_size + 2 * quiet);
    for (int y = 0; y < d->qr_size; ++y)
      for (int x = 0; x < d->qr_size; ++x)
        if (d->qr_modules[static_cast<size_t>(y * d->qr_size + x)]) {
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
  // Left: whose pass, and the pass as big as the screen allows. Right: who
  // was checked in, the other passes, what to do with them.
  const PassVm* shown = d.shown();
  const ImGuiStyle& style = ImGui::GetStyle();
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float finish = ui.unit * 1.4f + style.ItemSpacing.y;
  const float height = ImGui::GetContentRegionAvail().y - finish;
  const float side = std::min(height - line - style.ItemSpacing.y, ImGui::GetContentRegionAvail().x * 0.42f);
  ImGui::BeginGroup();
  // Whose pass this is: each person checked in has their own.
  std::string whose = shown ? ui.d(shown->name) : std::string();
  if (d.passes.size() > 1) whose += "  (" + std::to_string(d.page + 1) + " / " + std::to_string(d.passes.size()) + ")";
  ImGui::TextUnformatted(whose.c_str());
  draw_qr(shown, side);
  ImGui::EndGroup();
  ImGui::SameLine();
  // The right side never pushes "finish" off the screen: it scrolls first.
  ImGui::BeginChild("done-side", ImVec2(0, height), false);
  // A family of up to three in large type; more in body type, in two
  // columns beyond four, so that a household of 8 fits beside the pass.
  const bool large = d.names.size() <= 3;
  const int cols = d.names.size() > 4 ? 2 : 1;
  const float col_w = ImGui::GetContentRegionAvail().x / static_cast<float>(cols);
  if (large) ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < d.names.size(); ++i) {
    const bool current = static_cast<int>(i) == d.page && d.passes.size() > 1;
    const std::string entry =
        elide((current ? "▶ " : "✓ ") + ui.d(d.names[i]), col_w - ImGui::GetStyle().ItemSpacing.x);
    if (i % static_cast<size_t>(cols)) ImGui::SameLine(col_w * static_cast<float>(i % static_cast<size_t>(cols)));
    ImGui::TextUnformatted(entry.c_str());
    record_widget(ui, "checked-in:" + std::to_string(i));
  }
  if (large) ImGui::PopFont();
  ImGui::Spacing();
  // Previous / next pass and print, on one row when they fit.
  const ImVec2 size(ui.unit * 2.4f, ui.unit * 1.1f);
  const float gap = style.ItemSpacing.x;
  const bool prev = d.passes.size() > 1 && d.page > 0;
  const bool next = d.passes.size() > 1 && static_cast<size_t>(d.page + 1) < d.passes.size();
  const float row_w = (prev ? size.x + gap : 0) + (next ? size.x + gap : 0) + size.x * 1.2f;
  if (prev && button(ui, ui.t("done.prev_pass"), "pass-prev", size)) ui.emit(Intent::DonePage, {}, d.page - 1);
  if (prev && next) ImGui::SameLine();
  if (next && button(ui, ui.t("done.next_pass"), "pass-next", size, Tone::Primary))
    ui.emit(Intent::DonePage, {}, d.page + 1);
  if (d.can_print) {
    if ((prev || next) && row_w <= ImGui::GetContentRegionAvail().x) ImGui::SameLine();
    if (button(ui, ui.t(d.printed ? "done.printed" : "done.print"), "print", ImVec2(size.x * 1.2f, size.y)))
      ui.emit(Intent::PrintPass);
  }
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(ui.t("done.pass_hint").c_str());
  ImGui::TextUnformatted(ui.t("done.help").c_str());
  ImGui::PopTextWrapPos();
  notice_line(ui);
  ImGui::EndChild();
  to_bottom(ui, ui.unit * 1.4f);
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("done.finish"), "finish", ImVec2(0, ui.unit * 1.4f), Tone::Primary)) ui.emit(Intent::Finish);
  ImGui::PopFont();
}

}  // namespace shelter::ui
