// Staff mode: search, a person's record (edit any field as a correction,
// out / back / leave, the audit trail), possible duplicates, counts, sync
// state and export for a USB stick.
#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

const char* const kTabKeys[] = {"staff.tab_search", "staff.tab_person", "staff.tab_duplicates", "staff.tab_counts",
                                "staff.tab_sync",   "staff.tab_export", "staff.tab_team"};
const char* const kTabIds[] = {"search", "person", "duplicates", "counts", "sync", "export", "team"};
static_assert(std::size(kTabIds) == kStaffTabCount);

void tabs(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  // The exit button is wider: its label is a phrase ("スタッフ モードを
  // おわる"), the tabs' are words. Only a lead sees the team tab.
  const int n = s.lead ? kStaffTabCount : kStaffTabCount - 1;
  const float exit_width = s.lead ? 2.2f : 1.8f;  // in tab widths
  const float w =
      (ImGui::GetContentRegionAvail().x - static_cast<float>(n) * gap) / (static_cast<float>(n) + exit_width);
  for (int i = 0; i < n; ++i) {
    if (i) ImGui::SameLine();
    ImGui::BeginDisabled(i == static_cast<int>(StaffTab::Person) && !s.person);
    if (button(ui, ui.t(kTabKeys[i]), std::string("tab:") + kTabIds[i], ImVec2(w, ui.unit),
               static_cast<int>(s.tab) == i ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::StaffTabOpen, {}, i);
    ImGui::EndDisabled();
  }
  ImGui::SameLine();
  if (button(ui, ui.t("staff.exit"), "staff-exit", ImVec2(ImGui::GetContentRegionAvail().x, ui.unit), Tone::Danger))
    ui.emit(Intent::LeaveStaff);
}

void person_row(Ui& ui, const PersonRow& r, const std::string& id) {
  std::string line = ui.d(r.name);
  if (!r.reading.empty()) line += " (" + ui.d(r.reading) + ")";
  line += "  " + ui.d(r.birth) + "  " + ui.t("presence." + r.presence) +
          (r.presence == "moved" ? " " + ui.d(r.shelter) : "") + "  " + r.person_id.substr(0, 8);
  if (button(ui, line, id, ImVec2(0, ui.unit))) ui.emit(Intent::OpenPerson, r.person_id);
}

// Search: the box is a button that opens the keyboard, so that results and
// keyboard never have to share the screen.
void tab_search(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  ImGui::TextUnformatted((ui.t("staff.signed_in") + " " + ui.d(s.signed_in)).c_str());
  const std::string shown = s.search.empty() ? ui.t("staff.search_hint") : ui.d(s.search);
  if (button(ui, shown + "  ✎", "search-box", ImVec2(0, ui.unit))) ui.emit(Intent::StaffTyping, {}, 1);
  ImGui::BeginChild("results", ImVec2(0, 0), false);
  for (size_t i = 0; i < s.results.size(); ++i) person_row(ui, s.results[i], "result:" + std::to_string(i));
  if (s.results.empty()) ImGui::TextUnformatted(ui.t("staff.no_results").c_str());
  ImGui::EndChild();
}

}  // namespace

// Typing into the search or into a field being corrected: the whole screen.
void typing_page(Ui& ui, const std::string& label, const std::string& value, const std::string& id_prefix,
                 Intent::Kind cancel, Intent::Kind done, int cancel_number, const std::string& done_key) {
  if (ui.vm.notice && ui.vm.notice->error)
    notice_line(ui);
  else
    big_text(ui, label);
  typed_box(ui, "", value, ImGui::GetContentRegionAvail().x);
  const float w = keyboard(ui, ui.vm.walkin.keyboard, id_prefix);
  if (button(ui, ui.t("common.cancel"), id_prefix + "cancel", ImVec2(w, ui.unit), Tone::Quiet))
    ui.emit(cancel, {}, cancel_number);
  ImGui::SameLine();
  if (button(ui, ui.t(done_key), id_prefix + "done", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(done);
}

namespace {

void tab_person(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  if (!s.person) return;
  const PersonDetail& p = *s.person;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  big_text(ui, ui.d(p.fields.count("name") ? p.fields.at("name") : p.person_id) + "  —  " +
                   ui.t("presence." + p.presence) + (p.presence == "moved" ? " " + ui.d(p.shelter) : "") + "  (" +
                   p.person_id + ")");
  const float w = (ImGui::GetContentRegionAvail().x - 3 * gap) / 4;
  for (auto [what, key] : {std::pair<const char*, const char*>{"out", "staff.mark_out"},
                           {"back", "staff.mark_back"},
                           {"leave", "staff.mark_left"}}) {
    if (std::string(what) != "out") ImGui::SameLine();
    if (button(ui, ui.t(key), std::string("presence:") + what, ImVec2(w, ui.unit))) ui.emit(Intent::SetPresence, what);
  }
  ImGui::SameLine();
  if (button(ui, ui.t(s.show_history ? "staff.fields" : "staff.history"), "history", ImVec2(w, ui.unit),
             s.show_history ? Tone::Selected : Tone::Quiet))
    ui.emit(Intent::ToggleHistory);
  notice_line(ui);
  if (s.show_history) {
    ImGui::BeginChild("history", ImVec2(0, 0), true);
    for (const auto& h : p.history) ImGui::TextWrapped("%s", ui.d(h).c_str());
    ImGui::EndChild();
    return;
  }
  // Two columns of fields; each opens the keyboard to correct it.
  ImGui::BeginChild("fields", ImVec2(0, 0), false);
  const float half = (ImGui::GetContentRegionAvail().x - gap) / 2;
  int i = 0;
  for (const std::string& f : ui.vm.person_fields) {
    if (i++ % 2) ImGui::SameLine();
    auto it = p.fields.find(f);
    const std::string value = it == p.fields.end() ? "" : it->second;
    if (button(ui, ui.t(std::string("field.") + f) + ":  " + ui.d(value), std::string("edit:") + f,
               ImVec2(half, ui.unit * 0.9f)))
      ui.emit(Intent::BeginEdit, f);
  }
  ImGui::EndChild();
}

void tab_duplicates(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  big_text(ui, ui.t("staff.duplicates_hint"));
  if (s.duplicates.empty()) big_text(ui, ui.t("staff.no_duplicates"));
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  for (size_t i = 0; i < s.duplicates.size(); ++i) {
    const auto& [a, b] = s.duplicates[i];
    const std::string line = ui.d(a.name) + " " + a.person_id.substr(0, 8) + "  =  " + ui.d(b.name) + " " +
                             b.person_id.substr(0, 8) + "  " + ui.d(a.birth);
    ImGui::TextUnformatted(line.c_str());
    const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
    if (button(ui, ui.t("staff.merge_keep_first"), "merge-keep-a:" + std::to_string(i), ImVec2(w, ui.unit)))
      ui.emit(Intent::Merge, b.person_id, static_cast<int>(i));
    ImGui::SameLine();
    if (button(ui, ui.t("staff.merge_keep_second"), "merge-keep-b:" + std::to_string(i), ImVec2(w, ui.unit)))
      ui.emit(Intent::Merge, a.person_id, static_cast<int>(i));
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
  notice_line(ui);
}

void tab_counts(Ui& ui) {
  if (ImGui::BeginTable("counts", 6, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
    // Three (label, number) pairs a row; labels such as 避難所にいる人 need
    // the room, numbers do not, and a label longer still wraps in its cell.
    for (int pair = 0; pair < 3; ++pair) {
      ImGui::TableSetupColumn("##label", ImGuiTableColumnFlags_WidthStretch, 3.0f);
      ImGui::TableSetupColumn("##n", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    }
    int col = 0;
    for (const auto& [label, n] : ui.vm.staff.counts) {
      if (col % 3 == 0) ImGui::TableNextRow(ImGuiTableRowFlags_None, ui.unit * 0.5f);
      ImGui::TableNextColumn();
      ImGui::TextWrapped("%s", ui.t(label).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%d", n);
      ++col;
    }
    ImGui::EndTable();
  }
}

void tab_sync(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  big_text(ui,
           ui.t("staff.sync_state") + " " + ui.d(s.sync_state.empty() ? ui.tr.get("staff.sync_never") : s.sync_state));
  big_text(ui, ui.t("staff.unsynced") + " " + std::to_string(s.unsynced));
  if (!s.refused.empty()) {
    big_text(ui, ui.t("staff.refused"));
    for (const auto& [what, copy] : s.refused)
      big_text(ui, ui.d(what) + (copy.empty() ? "" : " (" + ui.t("staff.reissued") + " " + ui.d(copy) + ")"));
  }
}

void tab_export(Ui& ui) {
  big_text(ui, ui.t("staff.export_hint"));
  if (button(ui, ui.t("staff.export"), "export-usb", ImVec2(ui.unit * 6, ui.unit * 1.3f), Tone::Primary))
    ui.emit(Intent::ExportUsb);
  if (!ui.vm.staff.export_result.empty()) big_text(ui, ui.d(ui.vm.staff.export_result));
  draw_staff_paper(ui);
  notice_line(ui);
}

}  // namespace

void draw_staff(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  if (s.tab == StaffTab::Search && s.typing) {
    typing_page(ui, ui.t("staff.search_hint"), s.search, "search-", Intent::StaffTyping, Intent::StaffSearch, 0,
                "staff.search");
    return;
  }
  if (s.tab == StaffTab::Person && s.person && !s.edit_field.empty()) {
    typing_page(ui, ui.t("field." + s.edit_field), s.edit_value, "edit-", Intent::BeginEdit, Intent::SaveEdit, 0,
                "staff.save");
    return;
  }
  if (s.tab == StaffTab::Team && s.new_volunteer.open && s.new_volunteer.step == NewVolunteerStep::Name) {
    typing_page(ui, ui.t("staff.team_name"), s.new_volunteer.name, "name-", Intent::VolunteerForm,
                Intent::VolunteerNext, 0, "common.next");
    return;
  }
  if (s.tab == StaffTab::Team && s.new_volunteer.open) return draw_staff_team(ui);
  tabs(ui);
  ImGui::Separator();
  switch (ui.vm.staff.tab) {
    case StaffTab::Search:
      tab_search(ui);
      break;
    case StaffTab::Person:
      tab_person(ui);
      break;
    case StaffTab::Duplicates:
      tab_duplicates(ui);
      break;
    case StaffTab::Counts:
      tab_counts(ui);
      break;
    case StaffTab::Sync:
      tab_sync(ui);
      break;
    case StaffTab::Export:
      tab_export(ui);
      break;
    case StaffTab::Team:
      draw_staff_team(ui);
      break;
  }
}

}  // namespace shelter::ui
