// Staff mode's person tab: the record's fields (each opens an editor made
// for its kind, so that no invalid value can be entered), out / back /
// leave, and the audit trail in local time with old -> new values.
#include <algorithm>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

enum class FieldKind { Text, Sex, Birth, Needs, Consent, Stay };

FieldKind field_kind(const std::string& f) {
  if (f == "sex") return FieldKind::Sex;
  if (f == "birth") return FieldKind::Birth;
  if (f == "needs") return FieldKind::Needs;
  if (f == "consent") return FieldKind::Consent;
  if (f == "stay") return FieldKind::Stay;
  return FieldKind::Text;
}

bool has_need(const std::string& list, const std::string& need) {
  return ("," + list + ",").find("," + need + ",") != std::string::npos;
}

// Save and cancel, at the bottom of an editor.
void editor_buttons(Ui& ui) {
  to_bottom(ui, ui.unit * 1.2f);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
  if (button(ui, ui.t("common.cancel"), "edit-cancel", ImVec2(w, ui.unit * 1.2f), Tone::Quiet))
    ui.emit(Intent::BeginEdit);
  ImGui::SameLine();
  if (button(ui, ui.t("staff.save"), "edit-done", ImVec2(w, ui.unit * 1.2f), Tone::Primary)) ui.emit(Intent::SaveEdit);
}

// A row of buttons, one per (value, label key); the current one selected.
void choices(Ui& ui, const std::vector<std::pair<std::string, std::string>>& options, int per_row) {
  const std::string& current = ui.vm.staff.edit_value;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w =
      (ImGui::GetContentRegionAvail().x - gap * static_cast<float>(per_row - 1)) / static_cast<float>(per_row);
  ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& [value, key] = options[i];
    if (i % static_cast<size_t>(per_row)) ImGui::SameLine();
    if (button(ui, ui.t(key), "choice:" + (value.empty() ? std::string("none") : value), ImVec2(w, ui.unit * 1.2f),
               current == value ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetEditValue, value);
  }
  ImGui::PopFont();
}

void needs_editor(Ui& ui) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3;
  const auto& names = ui.vm.need_names;
  for (int bit = 0; bit < static_cast<int>(names.size()); ++bit) {
    const std::string& name = names[static_cast<size_t>(bit)];
    const bool on = has_need(ui.vm.staff.edit_value, name);
    if (bit % 3) ImGui::SameLine();
    if (button(ui, (on ? "[✓] " : "[  ] ") + ui.t("need." + name), "edit-need:" + name, ImVec2(w, ui.unit),
               on ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ToggleEditNeed, {}, bit);
  }
}

// The walk-in's buttons: a decade, then a year (the stored value is the
// year; "not known" clears it).
void birth_editor(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const int this_year = ui.vm.walkin.this_year;
  const int first_decade = (this_year - 105) / 10 * 10;
  const float w = (ImGui::GetContentRegionAvail().x - 5 * gap) / 6;
  int n = 0;
  for (int decade = first_decade; decade <= this_year; decade += 10) {
    if (n++ % 6) ImGui::SameLine();
    if (button(ui, std::to_string(decade) + ui.t("walkin.decade_suffix"), "edit-decade:" + std::to_string(decade),
               ImVec2(w, ui.unit), s.edit_decade == decade ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::EditBirthDecade, {}, decade);
  }
  if (s.edit_decade) {
    const float yw = (ImGui::GetContentRegionAvail().x - 9 * gap) / 10;
    for (int k = 0; k < 10 && s.edit_decade + k <= this_year; ++k) {
      const std::string year = std::to_string(s.edit_decade + k);
      if (k) ImGui::SameLine();
      if (button(ui, year, "edit-year:" + year, ImVec2(yw, ui.unit),
                 s.edit_value.rfind(year, 0) == 0 ? Tone::Selected : Tone::Normal))
        ui.emit(Intent::SetEditValue, year);
    }
  }
  if (button(ui, ui.t("walkin.birth_unknown"), "edit-year:unknown", ImVec2(ui.unit * 5, ui.unit), Tone::Quiet))
    ui.emit(Intent::SetEditValue, "");
}

void history(Ui& ui, const PersonDetail& p) {
  ImGui::BeginChild("history", ImVec2(0, 0), true);
  for (const HistoryEntry& h : p.history) {
    const std::string who = h.author == "self" ? ui.t("history.by_self") : ui.d(h.author);
    std::string line = h.when + "  " + ui.t("event." + h.type) + "  " + who;
    for (const auto& [f, was, now] : h.changes)
      line += "\n    " + ui.t("field." + f) + ":  " + field_value_text(ui, f, was) + ui.d("  →  ") +
              field_value_text(ui, f, now);
    ImGui::TextWrapped("%s", line.c_str());
  }
  ImGui::EndChild();
  record_widget(ui, "history-list");
}

}  // namespace

std::string field_value_text(Ui& ui, const std::string& field, const std::string& value) {
  if (value.empty()) return "—";
  switch (field_kind(field)) {
    case FieldKind::Sex:
      return ui.t(sex_key(value));
    case FieldKind::Consent:
      return ui.t(value == "1" ? "staff.consent_yes" : "staff.consent_no");
    case FieldKind::Stay:
      return ui.t("stay." + value);
    case FieldKind::Needs: {
      std::string out;
      for (const std::string& n : ui.vm.need_names)
        if (has_need(value, n)) out += (out.empty() ? "" : ", ") + ui.t("need." + n);
      return out;
    }
    case FieldKind::Birth:
    case FieldKind::Text:
      break;
  }
  return ui.d(value);
}

void draw_field_editor(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  const std::string label = ui.t("field." + s.edit_field);
  const FieldKind kind = field_kind(s.edit_field);
  if (kind == FieldKind::Text)
    return typing_page(ui, label, s.edit_value, "edit-", Intent::BeginEdit, Intent::SaveEdit, 0, "staff.save");
  // The field, and the value as it will be saved.
  if (ui.vm.notice && ui.vm.notice->error)
    notice_line(ui);
  else
    big_text(ui, label + ":  " + field_value_text(ui, s.edit_field, s.edit_value));
  ImGui::Separator();
  switch (kind) {
    case FieldKind::Sex: {
      std::vector<std::pair<std::string, std::string>> options;
      for (const std::string& code : ui.vm.sex_codes) options.emplace_back(code, sex_key(code));
      choices(ui, options, 2);
      break;
    }
    case FieldKind::Consent:
      choices(ui, {{"1", "staff.consent_yes"}, {"0", "staff.consent_no"}}, 2);
      break;
    case FieldKind::Stay: {
      std::vector<std::pair<std::string, std::string>> options;
      for (const std::string& st : ui.vm.stay_names) options.emplace_back(st, "stay." + st);
      choices(ui, options, 3);
      break;
    }
    case FieldKind::Needs:
      needs_editor(ui);
      break;
    case FieldKind::Birth:
      birth_editor(ui);
      break;
    case FieldKind::Text:
      break;
  }
  editor_buttons(ui);
}

void draw_staff_person(Ui& ui) {
  const StaffVm& s = ui.vm.staff;
  if (!s.person) return;
  const PersonDetail& p = *s.person;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  // Who, with their pets and the audit trail at the right; under it out /
  // back / leave for them or, with the toggle, their whole household here.
  const float full = ImGui::GetContentRegionAvail().x;
  const float side = (full - 4 * gap) / 5;  // the pets and history buttons
  const float x0 = ImGui::GetCursorPosX();
  ImGui::BeginGroup();
  big_text(ui,
           ui.d(p.fields.count("name") ? p.fields.at("name") : p.person_id) + "  —  " + ui.t("presence." + p.presence) +
               (p.presence == "moved" ? " " + ui.d(p.shelter) : "") + "  (" + p.person_id + ")",
           x0 + full - 2 * (side + gap));
  ImGui::EndGroup();
  ImGui::SameLine(x0 + full - 2 * side - gap);
  staff_pets_button(ui, p, side);
  ImGui::SameLine();
  if (button(ui, ui.t(s.show_history ? "staff.fields" : "staff.history"), "history", ImVec2(side, ui.unit),
             s.show_history ? Tone::Selected : Tone::Quiet))
    ui.emit(Intent::ToggleHistory);
  const bool family = p.household_here > 1;
  const float n = family ? 4.0f : 3.0f;
  const float w = (full - (n - 1) * gap) / n;
  for (auto [what, key] : {std::pair<const char*, const char*>{"out", "staff.mark_out"},
                           {"back", "staff.mark_back"},
                           {"leave", "staff.mark_left"}}) {
    if (std::string(what) != "out") ImGui::SameLine();
    if (button(ui, ui.t(key), std::string("presence:") + what, ImVec2(w, ui.unit)))
      ui.emit(Intent::SetPresence, what, family && s.whole_household ? 1 : 0);
  }
  if (family) {
    ImGui::SameLine();
    if (button(ui,
               std::string(s.whole_household ? "[✓] " : "[  ] ") + ui.t("staff.whole_household") + " (" +
                   std::to_string(p.household_here) + ")",
               "whole-household", ImVec2(w, ui.unit), s.whole_household ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ToggleWholeHousehold);
  }
  notice_line(ui);
  if (s.show_history) return history(ui, p);
  if (p.pets_editing) return staff_pets(ui, p);
  // Three columns of fields, so that all ten show at 1280x800: the name of
  // the field over its value in words; each opens its editor.
  ImGui::BeginChild("fields", ImVec2(0, 0), false);
  const float col = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3;
  const float text_w = col - 2 * ImGui::GetStyle().FramePadding.x - col * 0.04f;
  ImGui::PushStyleVar(ImGuiStyleVar_ButtonTextAlign, ImVec2(0.04f, 0.5f));
  int i = 0;
  for (const std::string& f : ui.vm.person_fields) {
    if (i++ % 3) ImGui::SameLine();
    auto it = p.fields.find(f);
    const std::string value = field_value_text(ui, f, it == p.fields.end() ? "" : it->second);
    if (button(ui, elide(ui.t("field." + f), text_w) + "\n" + elide(value, text_w), std::string("edit:") + f,
               ImVec2(col, ui.unit * 0.9f)))
      ui.emit(Intent::BeginEdit, f);
  }
  ImGui::PopStyleVar();
  ImGui::EndChild();
}

}  // namespace shelter::ui
