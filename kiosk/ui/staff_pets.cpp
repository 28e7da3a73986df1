// Pets: the +/- row of one kind (the walk-in's pets page and staff's person
// tab share it), the review's summary, and staff's household pets row.
#include <algorithm>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

// Text in a box of the given size at the cursor (not a target), centred
// or from the left edge.
void boxed_text(const std::string& text, ImVec2 size, bool centred) {
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
  const float x = centred ? std::max(0.0f, (size.x - ts.x) / 2) : ImGui::GetStyle().FramePadding.x;
  ImGui::GetWindowDrawList()->AddText(ImVec2(pos.x + x, pos.y + (size.y - ts.y) / 2), ImGui::GetColorU32(ImGuiCol_Text),
                                      text.c_str());
}

// Large (the walk-in): "dog  [ - ]  2  [ + ]" across the row, the buttons
// a good part of it, easy to hit. Compact (staff): "[-] dog 2 [+]".
void stepper_in(Ui& ui, int kind, int count, const std::string& id_prefix, ImVec2 size, bool large) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const std::string& name = ui.vm.pet_kinds[static_cast<size_t>(kind)];
  const float bw = large ? std::max({ui.unit, size.y * 1.2f, size.x * 0.22f}) : ui.unit;
  const float cw = large ? size.y * 1.2f : std::max(0.0f, size.x - 2 * bw - 2 * gap);
  const std::string label = ui.t("pet." + name);
  if (large) {
    ImGui::PushFont(ui.fonts.large());
    boxed_text(label, ImVec2(std::max(0.0f, size.x - 2 * bw - cw - 3 * gap), size.y), false);
    ImGui::SameLine();
  }
  ImGui::BeginDisabled(count <= 0);
  // Through d(): the minus sign's glyph is loaded when first shown.
  if (button(ui, ui.d("−"), id_prefix + "pet-less:" + name, ImVec2(bw, size.y))) ui.emit(Intent::PetFewer, {}, kind);
  ImGui::EndDisabled();
  ImGui::SameLine();
  boxed_text(large ? std::to_string(count) : label + " " + std::to_string(count), ImVec2(cw, size.y), true);
  ImGui::SameLine();
  ImGui::BeginDisabled(count >= ui.vm.pet_max);
  if (button(ui, "+", id_prefix + "pet-more:" + name, ImVec2(bw, size.y), Tone::Primary))
    ui.emit(Intent::PetMore, {}, kind);
  ImGui::EndDisabled();
  if (large) ImGui::PopFont();
}

int count_at(const std::vector<int>& pets, size_t k) {
  return k < pets.size() ? pets[k] : 0;
}

}  // namespace

void pet_stepper(Ui& ui, int kind, int count, const std::string& id_prefix, float height) {
  stepper_in(ui, kind, count, id_prefix, ImVec2(ImGui::GetContentRegionAvail().x, height), true);
}

std::string pets_summary(Ui& ui, const std::vector<int>& pets) {
  std::string out;
  for (size_t k = 0; k < ui.vm.pet_kinds.size(); ++k) {
    if (count_at(pets, k) == 0) continue;
    out += (out.empty() ? "" : ", ") + ui.t("pet." + ui.vm.pet_kinds[k]) + " " + std::to_string(count_at(pets, k));
  }
  return ui.t("walkin.pets") + ": " + (out.empty() ? ui.t("walkin.pets_none") : out);
}

bool staff_pets_button(Ui& ui, const PersonDetail& p, float width) {
  const bool pressed = button(ui, pets_summary(ui, p.pets), "pets-open", ImVec2(width, ui.unit));
  if (pressed) ui.emit(Intent::EditPets, {}, 1);
  return pressed;
}

void staff_pets(Ui& ui, const PersonDetail& p) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const size_t kinds = ui.vm.pet_kinds.size();
  // No title: the pets button above says what this is, and a 1024x600
  // screen needs the room.
  for (size_t k = 0; k < kinds; ++k)
    stepper_in(ui, static_cast<int>(k), count_at(p.pets_draft, k), "staff-",
               ImVec2(ImGui::GetContentRegionAvail().x, ui.unit), true);
  bool changed = false;
  for (size_t k = 0; k < kinds; ++k) changed |= count_at(p.pets_draft, k) != count_at(p.pets, k);
  to_bottom(ui, ui.unit);
  const float w = (ImGui::GetContentRegionAvail().x - gap) / 2;
  if (button(ui, ui.t("common.cancel"), "pets-cancel", ImVec2(w, ui.unit), Tone::Quiet))
    ui.emit(Intent::EditPets, {}, 0);
  ImGui::SameLine();
  ImGui::BeginDisabled(!changed);
  if (button(ui, ui.t("staff.pets_save"), "pets-save", ImVec2(w, ui.unit), Tone::Primary)) ui.emit(Intent::SavePets);
  ImGui::EndDisabled();
}

}  // namespace shelter::ui
