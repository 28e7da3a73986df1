// Staff mode's paper fallback, under the export on the export tab: print
// the roster or blank evacuee cards, in Japanese or English (the paper's
// two languages, named in their own script like the language buttons).
#include <tuple>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

void draw_staff_paper(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  ImGui::Separator();
  big_text(ui, ui.t("staff.paper_hint"));
  if (!s.can_print) big_text(ui, ui.t("staff.paper_no_printer"));
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - 3 * gap) / 4;
  const char* const langs[][2] = {{"ja", "日本語"}, {"en", "English"}};
  int n = 0;
  for (auto [kind, key, id] : {std::tuple{Intent::PrintRoster, "staff.print_roster", "print-roster:"},
                               std::tuple{Intent::PrintBlankCard, "staff.print_card", "print-card:"}})
    for (const auto& lang : langs) {
      if (n++) ImGui::SameLine();
      if (button(ui, ui.t(key) + " " + ui.d(lang[1]), std::string(id) + lang[0], ImVec2(w, ui.unit * 1.2f)))
        ui.emit(kind, lang[0]);
    }
  if (!s.paper_result.empty()) big_text(ui, ui.d(s.paper_result));
}

}  // namespace shelter::ui
