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
  const float w = name_entry(ui, value, id_prefix);
  if (button(ui, ui.t("common.cancel"), id_prefix + "cancel", ImVec2(w, ui.unit), Tone::Quiet))
    ui.emit(cancel, {}, cancel_number);
  ImGui::SameLine();
  if (button(ui, ui.t(done_key), id_prefix + "done", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(done);
}

namespace {

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

ImVec4 health_colour(LinkHealth h) {
  switch (h) {
    case LinkHealth::Ok:
      return ImVec4(0.55f, 0.95f, 0.6f, 1);
    case LinkHealth::Error:
      return ImVec4(1.0f, 0.55f, 0.45f, 1);
    default:
      return ImVec4(1.0f, 0.8f, 0.4f, 1);
  }
}

const char* health_id(LinkHealth h) {
  return h == LinkHealth::Ok ? "ok" : h == LinkHealth::Error ? "error" : "unknown";
}

// A link's state in its colour, with the time; below it, smaller, why it
// failed, when it last worked and what waits. `last_key`: how the last
// success is named (the hub's is its last relay).
void link_state(Ui& ui, const SyncLinkVm& l, const std::string& id, const char* last_key) {
  std::string state = l.health == LinkHealth::Ok      ? ui.t("staff.link_ok")
                      : l.health == LinkHealth::Error ? ui.t("staff.link_error")
                                                      : ui.t("staff.sync_never");
  if (!l.when.empty()) state += "  " + ui.d(l.when);
  ImGui::PushStyleColor(ImGuiCol_Text, health_colour(l.health));
  big_text(ui, state);
  ImGui::PopStyleColor();
  record_widget(ui, "text:" + id + ":" + health_id(l.health));  // its state, for the GUI test
  ImGui::PushTextWrapPos(0);
  if (l.health == LinkHealth::Error && !l.detail.empty()) ImGui::TextUnformatted(ui.d(l.detail).c_str());
  if (!l.last_ok.empty()) ImGui::TextUnformatted((ui.t(last_key) + " " + ui.d(l.last_ok)).c_str());
  if (l.waiting >= 0) ImGui::TextUnformatted((ui.t("staff.link_waiting") + " " + std::to_string(l.waiting)).c_str());
  ImGui::PopTextWrapPos();
}

// With a shelter hub: this tablet ↔ hub, hub ↔ city (as the hub last said)
// and this tablet ↔ city directly (used when the hub does not answer).
void sync_links(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  const std::pair<const char*, const SyncLinkVm*> rows[] = {{"staff.link_kiosk_hub", &s.link_hub},
                                                            {"staff.link_hub_city", &s.link_hub_city},
                                                            {"staff.link_kiosk_city", &s.link_city}};
  const char* const ids[] = {"link-hub", "link-hub-city", "link-city"};
  ImGui::PushFont(ui.fonts.large());
  float label_w = 0;
  for (const auto& [key, link] : rows) label_w = std::max(label_w, ImGui::CalcTextSize(ui.t(key).c_str()).x);
  ImGui::PopFont();
  label_w = std::min(label_w + ImGui::GetStyle().CellPadding.x * 2, ImGui::GetContentRegionAvail().x * 0.42f);
  if (!ImGui::BeginTable("links", 2, ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_RowBg)) return;
  ImGui::TableSetupColumn("##link", ImGuiTableColumnFlags_WidthFixed, label_w);
  ImGui::TableSetupColumn("##state", ImGuiTableColumnFlags_WidthStretch);
  for (int i = 0; i < 3; ++i) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushFont(ui.fonts.large());
    ImGui::TextWrapped("%s", ui.t(rows[i].first).c_str());
    ImGui::PopFont();
    ImGui::TableNextColumn();
    link_state(ui, *rows[i].second, ids[i], i == 1 ? "staff.link_last_relay" : "staff.link_last_ok");
  }
  ImGui::EndTable();
}

void tab_sync(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  // Scrolls when a small screen cannot hold the refused events too.
  ImGui::BeginChild("sync", ImVec2(0, 0), false);
  if (s.has_hub) {
    sync_links(ui);
  } else {
    ImGui::PushStyleColor(ImGuiCol_Text, health_colour(s.link_city.health));
    big_text(
        ui, ui.t("staff.sync_state") + " " + ui.d(s.sync_state.empty() ? ui.tr.get("staff.sync_never") : s.sync_state));
    ImGui::PopStyleColor();
  }
  big_text(ui, ui.t("staff.unsynced") + " " + std::to_string(s.unsynced));
  if (!s.refused.empty()) {
    big_text(ui, ui.t("staff.refused"));
    for (const auto& [what, copy] : s.refused)
      big_text(ui, ui.d(what) + (copy.empty() ? "" : " (" + ui.t("staff.reissued") + " " + ui.d(copy) + ")"));
  }
  ImGui::EndChild();
}

void tab_export(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  // Everything but the notice scrolls if a small screen cannot hold it.
  ImGui::BeginChild("export",
                    ImVec2(0, std::max(ui.unit * 1.1f, ImGui::GetContentRegionAvail().y -
                                                           notice_height(ui, ImGui::GetContentRegionAvail().x))),
                    false);
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(ui.t("staff.export_hint").c_str());
  ImGui::PopTextWrapPos();
  // Which stick the file goes to, or that there is none (then it stays on
  // the kiosk, in the export folder).
  ImGui::PushStyleColor(ImGuiCol_Text,
                        s.usb_stick.empty() ? ImVec4(1.0f, 0.8f, 0.4f, 1) : ImVec4(0.55f, 0.95f, 0.6f, 1));
  if (s.usb_stick.empty())
    big_text(ui, ui.t("staff.usb_none") + " " + ui.d(s.export_dir));
  else
    big_text(ui, ui.t("staff.usb_stick") + " " + ui.d(s.usb_stick));
  ImGui::PopStyleColor();
  record_widget(ui, s.usb_stick.empty() ? "text:usb-none" : "text:usb-stick");  // text, for the GUI test
  // The export, and beside it the file last written.
  if (button(ui, ui.t("staff.export"), "export-usb", ImVec2(ui.unit * 4.5f, ui.unit * 1.2f), Tone::Primary))
    ui.emit(Intent::ExportUsb);
  if (!s.export_result.empty()) {
    ImGui::SameLine();
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(ui.d(s.export_result).c_str());
    ImGui::PopTextWrapPos();
  }
  draw_staff_paper(ui);
  ImGui::EndChild();
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
  if (s.tab == StaffTab::Person && s.person && !s.edit_field.empty()) return draw_field_editor(ui);
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
      draw_staff_person(ui);
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
