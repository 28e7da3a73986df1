// Staff mode's paper fallback, under the export on the export tab: print
// the roster or blank evacuee cards, in Japanese or English (the paper's
// two languages, named in their own script like the language buttons).
#include <tuple>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void draw_staff_paper(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  ImGui::Separator();
  // Body type, not big: the export above keeps its room on a small screen.
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(ui.t(s.can_print ? "staff.paper_hint" : "staff.paper_no_printer").c_str());
  ImGui::PopTextWrapPos();
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  // Four on a row where they fit their labels, else two.
  const int per_row = ImGui::GetContentRegionAvail().x >= ui.unit * 15 ? 4 : 2;
  const float w =
      (ImGui::GetContentRegionAvail().x - static_cast<float>(per_row - 1) * gap) / static_cast<float>(per_row);
  const char* const langs[][2] = {{"ja", "日本語"}, {"en", "English"}};
  int n = 0;
  for (auto [kind, key, id] : {std::tuple{Intent::PrintRoster, "staff.print_roster", "print-roster:"},
                               std::tuple{Intent::PrintBlankCard, "staff.print_card", "print-card:"}})
    for (const auto& lang : langs) {
      if (n++ % per_row) ImGui::SameLine();
      if (button(ui, ui.t(key) + " " + ui.d(lang[1]), std::string(id) + lang[0], ImVec2(w, ui.unit)))
        ui.emit(kind, lang[0]);
    }
  // Where the PDF went (the notice below says it was saved).
  if (!s.paper_file.empty()) ImGui::TextUnformatted(ui.d(s.paper_file).c_str());
}

}  // namespace shelter::ui
