// Staff mode's duplicates tab: each possible duplicate side by side, the
// fields that differ highlighted, with "keep left", "keep right" and "not
// the same person"; then the cards whose details differ from what is
// stored.
#include <algorithm>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// A field's value as shown: translated through `values` when it has one.
std::string shown(Ui& ui, const std::string& value, const std::string& values) {
  if (value.empty()) return "—";
  if (values.empty()) return ui.d(value);
  std::string out;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = std::min(value.find(',', start), value.size());
    if (!out.empty()) out += ", ";
    out += ui.t(values + value.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void pair_table(Ui& ui, const DuplicateVm& d, size_t i) {
  const ImU32 differs = ImGui::GetColorU32(ImVec4(1.0f, 0.85f, 0.35f, 0.45f));
  const std::string id = "dup-table:" + std::to_string(i);
  if (!ImGui::BeginTable(id.c_str(), 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) return;
  ImGui::TableSetupColumn("##label", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("##left", ImGuiTableColumnFlags_WidthStretch, 2.0f);
  ImGui::TableSetupColumn("##right", ImGuiTableColumnFlags_WidthStretch, 2.0f);
  for (const auto& f : d.fields) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextWrapped("%s", ui.t(f.label).c_str());
    const bool differ = f.a != f.b;
    for (const std::string* v : {&f.a, &f.b}) {
      ImGui::TableNextColumn();
      if (differ) ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, differs);
      ImGui::TextWrapped("%s", shown(ui, *v, f.values).c_str());
    }
  }
  ImGui::EndTable();
}

}  // namespace

void tab_duplicates(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  big_text(ui, ui.t("staff.duplicates_hint"));
  notice_line(ui);
  if (s.duplicates.empty()) big_text(ui, ui.t("staff.no_duplicates"));
  // The pairs and the cards scroll below; each pair's buttons come first,
  // so the first pair's are always on screen.
  ImGui::BeginChild("duplicates", ImVec2(0, 0), false);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  for (size_t i = 0; i < s.duplicates.size(); ++i) {
    const DuplicateVm& d = s.duplicates[i];
    if (i) ImGui::Separator();
    const float w = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3;
    const std::string n = std::to_string(i);
    if (button(ui, ui.t("staff.dup_keep_left"), "dup-keep-left:" + n, ImVec2(w, ui.unit), Tone::Primary))
      ui.emit(Intent::Merge, d.b.person_id, static_cast<int>(i));
    ImGui::SameLine();
    if (button(ui, ui.t("staff.dup_keep_right"), "dup-keep-right:" + n, ImVec2(w, ui.unit), Tone::Primary))
      ui.emit(Intent::Merge, d.a.person_id, static_cast<int>(i));
    ImGui::SameLine();
    if (button(ui, ui.t("staff.dup_not_same"), "dup-not-same:" + n, ImVec2(w, ui.unit)))
      ui.emit(Intent::NotDuplicate, {}, static_cast<int>(i));
    pair_table(ui, d, i);
  }
  if (!s.card_differences.empty()) big_text(ui, ui.t("staff.card_differences_hint"));
  for (const auto& c : s.card_differences) {
    std::string line = ui.d(c.name) + ":";
    for (const auto& [field, stored, card] : c.fields)
      line += "  " + ui.t("field." + field) + " " + ui.d(stored) + " → " + ui.d(card);
    ImGui::TextWrapped("%s", line.c_str());
    const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
    if (button(ui, ui.t("staff.card_approve"), "card-approve:" + c.event_id, ImVec2(w, ui.unit), Tone::Primary))
      ui.emit(Intent::ApproveCard, c.event_id);
    ImGui::SameLine();
    if (button(ui, ui.t("staff.card_dismiss"), "card-dismiss:" + c.event_id, ImVec2(w, ui.unit)))
      ui.emit(Intent::DismissCard, c.event_id);
  }
  ImGui::EndChild();
}

}  // namespace shelter::ui
