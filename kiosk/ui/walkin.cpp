// Walk-in form for people without a card, one question per page so that
// every target stays large: name (keyboards, conversion, handwriting), its
// reading when a kanji name's is not known, birth year (decade, then year),
// sex, needs, consent, the household's pets, address and phone (after the
// first person only; address and phone may be skipped), then a review page
// to add a family member or check in. About 11 taps plus typing the name.
#include <algorithm>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// The question, with whose it is when a family registers together; an error
// notice takes the question's place.
void step_header(Ui& ui, const std::string& question) {
  const WalkInVm& w = ui.vm.walkin;
  if (ui.vm.notice && ui.vm.notice->error) {
    notice_line(ui);
    return;
  }
  std::string line = question;
  if (w.people.size() > 1) line += "  (" + ui.t("walkin.person") + " " + std::to_string(w.current + 1) + ")";
  big_text(ui, line);
}

// Back and Next (Next only where the page needs it).
void nav(Ui& ui, bool show_next, bool next_enabled) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  to_bottom(ui, ui.unit * 1.2f);
  const float w = ImGui::GetContentRegionAvail().x;
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(w * 0.2f, ui.unit * 1.2f), Tone::Quiet))
    ui.emit(Intent::Cancel);
  ImGui::SameLine();
  if (button(ui, ui.t("common.back"), "back", ImVec2(w * 0.3f - gap, ui.unit * 1.2f), Tone::Quiet))
    ui.emit(Intent::PrevStep);
  if (show_next) {
    ImGui::SameLine();
    ImGui::BeginDisabled(!next_enabled);
    if (button(ui, ui.t("common.next"), "next", ImVec2(w * 0.5f - gap, ui.unit * 1.2f), Tone::Primary))
      ui.emit(Intent::NextStep);
    ImGui::EndDisabled();
  }
}

void page_name(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.name_question"));
  const float w = name_entry(ui, p.name, "");
  if (button(ui, ui.t("common.back"), "back", ImVec2(w, ui.unit), Tone::Quiet)) ui.emit(Intent::PrevStep);
  ImGui::SameLine();
  const NameEntryVm& e = ui.vm.entry;
  ImGui::BeginDisabled(p.name.empty() && e.preedit.empty() && !e.converting());
  if (button(ui, ui.t("common.next"), "next", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(Intent::NextStep);
  ImGui::EndDisabled();
}

// The reading of a name with kanji, in katakana: what 安否 search and
// duplicate checks go by. Skippable, since a volunteer can add it later.
void page_reading(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.reading_question") + "  " + ui.d(p.name));
  const float w = name_entry(ui, p.reading, "", true);
  if (button(ui, ui.t("walkin.skip"), "skip", ImVec2(w, ui.unit), Tone::Quiet)) ui.emit(Intent::SkipStep);
  ImGui::SameLine();
  ImGui::BeginDisabled(p.reading.empty() && ui.vm.entry.preedit.empty());
  if (button(ui, ui.t("common.next"), "next", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(Intent::NextStep);
  ImGui::EndDisabled();
}

// The household's address, as on the paper evacuee card; a big skip.
void page_address(Ui& ui) {
  step_header(ui, ui.t("walkin.address_question"));
  const float w = name_entry(ui, ui.vm.walkin.address, "");
  if (button(ui, ui.t("walkin.skip"), "skip", ImVec2(w, ui.unit), Tone::Quiet)) ui.emit(Intent::SkipStep);
  ImGui::SameLine();
  if (button(ui, ui.t("common.next"), "next", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(Intent::NextStep);
}

// The household's phone number on a digit pad; a big skip beside it.
void page_phone(Ui& ui) {
  step_header(ui, ui.t("walkin.phone_question"));
  const std::string& phone = ui.vm.walkin.phone;
  big_text(ui, phone.empty() ? std::string(" ") : phone);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  ImGui::BeginGroup();
  pin_keypad(ui, "phone:", Intent::NextStep, ui.t("common.next"), false);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("walkin.skip"), "skip",
             ImVec2(std::max(ui.unit * 4, ImGui::GetContentRegionAvail().x - gap), ui.unit * 2), Tone::Quiet))
    ui.emit(Intent::SkipStep);
  ImGui::PopFont();
  ImGui::EndGroup();
  nav(ui, false, false);
}

void page_birth(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.birth_question"));
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const int this_year = ui.vm.walkin.this_year;
  const int first_decade = (this_year - 105) / 10 * 10;
  const float w = (ImGui::GetContentRegionAvail().x - 5 * gap) / 6;
  ImGui::PushFont(ui.fonts.large());
  int n = 0;
  for (int decade = first_decade; decade <= this_year; decade += 10) {
    if (n++ % 6) ImGui::SameLine();
    if (button(ui, std::to_string(decade) + ui.t("walkin.decade_suffix"), "decade:" + std::to_string(decade),
               ImVec2(w, ui.unit), p.birth_decade == decade ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetBirthDecade, {}, decade);
  }
  ImGui::PopFont();
  ImGui::Separator();
  if (p.birth_decade) {
    ImGui::PushFont(ui.fonts.large());
    const float yw = (ImGui::GetContentRegionAvail().x - 4 * gap) / 5;
    for (int k = 0; k < 10; ++k) {
      const int year = p.birth_decade + k;
      if (year > this_year) break;
      if (k % 5) ImGui::SameLine();
      if (button(ui, std::to_string(year), "year:" + std::to_string(year), ImVec2(yw, ui.unit),
                 p.birth_year == year ? Tone::Selected : Tone::Normal))
        ui.emit(Intent::SetBirthYear, {}, year);
    }
    ImGui::PopFont();
  }
  if (button(ui, ui.t("walkin.birth_unknown"), "year:unknown", ImVec2(ui.unit * 5, ui.unit), Tone::Quiet))
    ui.emit(Intent::SetBirthYear, {}, 0);
  nav(ui, false, false);
}

void page_sex(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.sex_question"));
  ImGui::PushFont(ui.fonts.large());
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
  int i = 0;
  for (const std::string& code : ui.vm.sex_codes) {
    if (i++ % 2) ImGui::SameLine();
    if (button(ui, ui.t(sex_key(code)), "sex:" + (code.empty() ? std::string("unsaid") : code),
               ImVec2(w, ui.unit * 1.5f), p.sex == code ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetSex, code);
  }
  ImGui::PopFont();
  nav(ui, false, false);
}

void page_needs(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.needs_question"));
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3;
  const auto& names = ui.vm.need_names;
  for (int bit = 0; bit < static_cast<int>(names.size()); ++bit) {
    if (bit % 3) ImGui::SameLine();
    const bool on = (p.needs >> bit) & 1u;
    const std::string& name = names[static_cast<size_t>(bit)];
    std::string label = (on ? "[✓] " : "[  ] ") + ui.t("need." + name);
    if (button(ui, label, "need:" + name, ImVec2(w, ui.unit * 1.2f), on ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::ToggleNeed, {}, bit);
  }
  big_text(ui, ui.t("walkin.needs_help"));
  nav(ui, true, true);
}

void page_consent(Ui& ui, const DraftPerson& p) {
  step_header(ui, ui.t("walkin.consent_question"));
  big_text(ui, ui.t("walkin.consent_explain"));
  ImGui::PushFont(ui.fonts.large());
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
  if (button(ui, ui.t("walkin.consent_yes"), "consent:yes", ImVec2(w, ui.unit * 1.6f),
             p.consent == 1 ? Tone::Selected : Tone::Normal))
    ui.emit(Intent::SetConsent, {}, 1);
  ImGui::SameLine();
  if (button(ui, ui.t("walkin.consent_no"), "consent:no", ImVec2(w, ui.unit * 1.6f),
             p.consent == 0 ? Tone::Selected : Tone::Normal))
    ui.emit(Intent::SetConsent, {}, 0);
  ImGui::PopFont();
  nav(ui, false, false);
}

// The household's pets: one big row per kind, then "no pets" or next.
void page_pets(Ui& ui) {
  const WalkInVm& w = ui.vm.walkin;
  if (ui.vm.notice && ui.vm.notice->error)
    notice_line(ui);
  else
    big_text(ui, ui.t("walkin.pets_question"));
  // The hint only where it fits above the rows (not on a 600-pixel screen).
  const float rows = ui.unit * (1.15f * static_cast<float>(ui.vm.pet_kinds.size()) + 2.6f);
  if (ImGui::GetContentRegionAvail().y > rows + ui.unit * 1.5f) big_text(ui, ui.t("walkin.pets_help"));
  for (size_t k = 0; k < ui.vm.pet_kinds.size(); ++k)
    pet_stepper(ui, static_cast<int>(k), k < w.pets.size() ? w.pets[k] : 0, "", ui.unit * 1.1f);
  const bool none = std::all_of(w.pets.begin(), w.pets.end(), [](int n) { return n == 0; });
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("walkin.no_pets"), "no-pets", ImVec2(0, ui.unit), none ? Tone::Selected : Tone::Normal))
    ui.emit(Intent::NoPets);
  ImGui::PopFont();
  nav(ui, true, true);
}

void page_review(Ui& ui) {
  const WalkInVm& w = ui.vm.walkin;
  big_text(ui, ui.t("walkin.review_title"));
  // Everyone entered, in two columns beyond four, so that a family of 8 shows
  // whole; the list scrolls only if it cannot.
  const float sy = ImGui::GetStyle().ItemSpacing.y;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float below = stay_row_height(ui) + notice_height(ui, ImGui::GetContentRegionAvail().x) + ui.unit * 1.3f + sy;
  const int cols = member_columns(w.people.size());
  ImGui::BeginChild("people",
                    ImVec2(0, std::max(ui.unit * 1.1f, std::min(member_grid_height(ui, w.people.size()),
                                                                ImGui::GetContentRegionAvail().y - below))),
                    false);
  const float cw = (ImGui::GetContentRegionAvail().x - gap * static_cast<float>(cols - 1)) / static_cast<float>(cols);
  ImGui::PushFont(ui.fonts.large());
  for (size_t i = 0; i < w.people.size(); ++i) {
    const DraftPerson& p = w.people[i];
    std::string line = std::to_string(i + 1) + ". " + ui.d(p.name);
    if (p.birth_year) line += "  " + std::to_string(p.birth_year);
    if (!p.sex.empty()) line += "  " + ui.t(sex_key(p.sex));
    if (i % static_cast<size_t>(cols)) ImGui::SameLine();
    if (button(ui, line + "   (" + ui.t("walkin.change") + ")", "person:" + std::to_string(i), ImVec2(cw, ui.unit)))
      ui.emit(Intent::EditDraft, {}, static_cast<int>(i));
  }
  ImGui::PopFont();
  ImGui::EndChild();
  stay_buttons(ui, w.stay, "");
  notice_line(ui);
  // Cancel, add a family member, the household's pets (back to their
  // page), check in: one bar, so the list keeps the room.
  to_bottom(ui, ui.unit * 1.3f);
  const float width = ImGui::GetContentRegionAvail().x;
  if (button(ui, ui.t("common.cancel"), "cancel", ImVec2(width * 0.15f, ui.unit * 1.3f), Tone::Quiet))
    ui.emit(Intent::Cancel);
  ImGui::SameLine();
  if (button(ui, ui.t("walkin.add_family"), "add-family", ImVec2(width * 0.27f - gap, ui.unit * 1.3f)))
    ui.emit(Intent::AddFamilyMember);
  ImGui::SameLine();
  if (button(ui, pets_summary(ui, w.pets), "pets", ImVec2(width * 0.23f - gap, ui.unit * 1.3f)))
    ui.emit(Intent::EditPets);
  ImGui::SameLine();
  ImGui::PushFont(ui.fonts.large());
  if (button(ui, ui.t("walkin.submit"), "submit", ImVec2(width * 0.35f - gap, ui.unit * 1.3f), Tone::Primary))
    ui.emit(Intent::SubmitWalkIn);
  ImGui::PopFont();
}

}  // namespace

void draw_walkin(Ui& ui) {
  const WalkInVm& w = ui.vm.walkin;
  const DraftPerson& p = w.people[static_cast<size_t>(std::clamp(w.current, 0, static_cast<int>(w.people.size()) - 1))];
  switch (w.step) {
    case WalkInStep::Name:
      page_name(ui, p);
      break;
    case WalkInStep::Reading:
      page_reading(ui, p);
      break;
    case WalkInStep::Address:
      page_address(ui);
      break;
    case WalkInStep::Phone:
      page_phone(ui);
      break;
    case WalkInStep::Birth:
      page_birth(ui, p);
      break;
    case WalkInStep::Sex:
      page_sex(ui, p);
      break;
    case WalkInStep::Needs:
      page_needs(ui, p);
      break;
    case WalkInStep::Consent:
      page_consent(ui, p);
      break;
    case WalkInStep::Pets:
      page_pets(ui);
      break;
    case WalkInStep::Review:
      page_review(ui);
      break;
  }
}

}  // namespace shelter::ui
