// The lead's team tab in staff mode: the volunteers enrolled on this kiosk,
// adding one (their name on the keyboard page, staff.cpp, then their own
// PIN twice on the keypad, here) and removing one with two taps. Only a
// lead sees it; the controller refuses its intents from anyone else.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

void pin_steps(Ui& ui) {
  const NewVolunteerVm& nv = ui.vm.staff.new_volunteer;
  const bool again = nv.step == NewVolunteerStep::PinAgain;
  big_text(ui, ui.t(again ? "staff.team_pin_again" : "staff.team_pin") + "  " + ui.d(nv.name));
  big_text(ui, pin_dots(again ? nv.pin_again : nv.pin) + " ");
  notice_line(ui);
  ImGui::BeginGroup();
  pin_keypad(ui, "new-pin:", Intent::VolunteerNext, ui.t(again ? "staff.team_save" : "common.next"), false);
  ImGui::EndGroup();
  ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 4);
  ImGui::BeginGroup();
  // The role is chosen with the first PIN and shown with the second.
  big_text(ui, ui.t("staff.team_role"));
  const float w = ImGui::GetContentRegionAvail().x;
  ImGui::BeginDisabled(again);
  if (button(ui, ui.t("staff.team_volunteer"), "role:volunteer", ImVec2(w, ui.unit),
             nv.lead ? Tone::Normal : Tone::Selected))
    ui.emit(Intent::VolunteerLead, {}, 0);
  if (button(ui, ui.t("staff.team_lead"), "role:lead", ImVec2(w, ui.unit), nv.lead ? Tone::Selected : Tone::Normal))
    ui.emit(Intent::VolunteerLead, {}, 1);
  ImGui::EndDisabled();
  big_text(ui, ui.t("staff.team_lead_hint"), ImGui::GetCursorPosX() + w);
  ImGui::EndGroup();
  to_bottom(ui, ui.unit);
  if (button(ui, ui.t("common.cancel"), "new-cancel", ImVec2(ui.unit * 4, ui.unit), Tone::Quiet))
    ui.emit(Intent::VolunteerForm, {}, 0);
}

}  // namespace

void draw_staff_team(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  if (s.new_volunteer.open) return pin_steps(ui);
  big_text(ui, ui.t("staff.signed_in") + " " + ui.d(s.signed_in));
  ImGui::TextWrapped("%s", ui.t("staff.team_hint").c_str());
  if (button(ui, ui.t("staff.team_add"), "team-add", ImVec2(ui.unit * 6, ui.unit), Tone::Primary))
    ui.emit(Intent::VolunteerForm, {}, 1);
  notice_line(ui);
  ImGui::BeginChild("team", ImVec2(0, 0), false);
  const float remove_w = ui.unit * 3.5f;
  for (size_t i = 0; i < s.volunteers.size(); ++i) {
    const VolunteerRow& v = s.volunteers[i];
    std::string line = ui.d(v.name) + "  —  " + ui.t(v.lead ? "staff.team_lead" : "staff.team_volunteer");
    if (!v.enrolled_at.empty()) line += "  " + ui.d(v.enrolled_at.substr(0, 10));
    if (v.name == s.signed_in) line += "  " + ui.t("staff.team_you");
    ImGui::PushFont(ui.fonts.large());
    ImGui::AlignTextToFramePadding();
    const float y = ImGui::GetCursorPosY();
    ImGui::SetCursorPosY(y + (ui.unit - ImGui::GetFrameHeight()) / 2);
    ImGui::TextUnformatted(line.c_str());
    ImGui::PopFont();
    // The built-in demo lead (no enrolment date) and oneself cannot be removed.
    if (v.name == s.signed_in || v.enrolled_at.empty()) {
      ImGui::SetCursorPosY(y + ui.unit + ImGui::GetStyle().ItemSpacing.y);
      continue;
    }
    ImGui::SameLine(ImGui::GetContentRegionMax().x - remove_w);
    ImGui::SetCursorPosY(y);
    const bool asked = s.remove_asked == v.name;
    if (button(ui, ui.t(asked ? "staff.team_remove_confirm" : "staff.team_remove"), "team-remove:" + std::to_string(i),
               ImVec2(remove_w, ui.unit), asked ? Tone::Danger : Tone::Quiet))
      ui.emit(Intent::RemoveVolunteer, v.name, asked ? 1 : 0);
  }
  ImGui::EndChild();
}

}  // namespace shelter::ui
