// The household's members as a grid of toggles, shared by the scan result
// and the pass confirm: one column for a small family, two for more, so
// that a household of 8 shows whole on a 1024x600 tablet.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

std::string elide(const std::string& text, float width) {
  if (ImGui::CalcTextSize(text.c_str()).x <= width) return text;
  std::string out = text;
  while (!out.empty()) {
    size_t cut = out.size() - 1;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    if (ImGui::CalcTextSize((out + "…").c_str()).x <= width) return out + "…";
  }
  return out;
}

namespace {

std::string needs_text(Ui& ui, const std::string& needs) {
  std::string out;
  size_t start = 0;
  while (!needs.empty() && start <= needs.size()) {
    const size_t comma = std::min(needs.find(',', start), needs.size());
    out += (out.empty() ? "" : ", ") + ui.t("need." + needs.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

float large_line(const Ui& ui) {
  return ui.fonts.large()->FontSize + ImGui::GetStyle().ItemSpacing.y;
}

float notice_height(const Ui& ui, float width) {
  if (!ui.vm.notice) return 0;
  std::string text = ui.t(ui.vm.notice->key);
  if (!ui.vm.notice->detail.empty()) text += " " + ui.d(ui.vm.notice->detail);
  ImFont* f = ui.fonts.large();
  return f->CalcTextSizeA(f->FontSize, FLT_MAX, width, text.c_str()).y + ImGui::GetStyle().ItemSpacing.y;
}

int member_columns(size_t count) {
  return count > 4 ? 2 : 1;
}

float member_grid_height(const Ui& ui, size_t count) {
  const int cols = member_columns(count);
  const float rows = static_cast<float>((count + static_cast<size_t>(cols) - 1) / static_cast<size_t>(cols));
  return rows * (ui.unit + ImGui::GetStyle().ItemSpacing.y);
}

void member_grid(Ui& ui, const std::vector<MemberRow>& members, const std::string& id_prefix, Intent::Kind toggle,
                 float height) {
  ImGui::BeginChild(("grid:" + id_prefix).c_str(), ImVec2(0, height), false);
  const int cols = member_columns(members.size());
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - gap * static_cast<float>(cols - 1)) / static_cast<float>(cols);
  const float text_w = w - 2 * ImGui::GetStyle().FramePadding.x - 4;
  for (size_t i = 0; i < members.size(); ++i) {
    const MemberRow& m = members[i];
    if (i % static_cast<size_t>(cols)) ImGui::SameLine();
    // Two lines: who, then their reading, birth and needs.
    const std::string mark = m.already_here ? ui.t("scan.already_here") : m.selected ? "[✓]" : "[  ]";
    std::string second = m.reading.empty() ? "" : ui.d(m.reading);
    if (!m.birth.empty()) second += (second.empty() ? "" : "  ") + ui.d(m.birth);
    if (!m.needs.empty()) second += "  [" + needs_text(ui, m.needs) + "]";
    std::string label = elide(mark + " " + ui.d(m.name), text_w);
    if (!second.empty()) label += "\n" + elide(second, text_w);
    ImGui::BeginDisabled(m.already_here);
    // Left-aligned: two lines centred as a block would start at odd places.
    ImGui::PushStyleVar(ImGuiStyleVar_ButtonTextAlign, ImVec2(0.05f, 0.5f));
    if (button(ui, label, id_prefix + std::to_string(i), ImVec2(w, ui.unit),
               m.selected && !m.already_here ? Tone::Selected : Tone::Normal))
      ui.emit(toggle, {}, static_cast<int>(i));
    ImGui::PopStyleVar();
    ImGui::EndDisabled();
  }
  ImGui::EndChild();
}

}  // namespace shelter::ui
