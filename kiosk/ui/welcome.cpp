// Welcome: language choice, the live camera preview, "scan your card" and
// "I have no card". A card held to the camera is read without any tap.
#include <algorithm>

#include "kiosk/ui/screens.hpp"

namespace shelter::ui {

namespace {

void preview(Ui& ui, ImVec2 area) {
  const Preview& p = ui.vm.preview;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + area.x, origin.y + area.y), IM_COL32(20, 20, 24, 255), 8);
  // The preview's id says which message it shows, for the GUI test.
  std::string id = "preview";
  if (p.camera_ok() && p.texture && p.width > 0 && p.height > 0) {
    const float s = std::min(area.x / static_cast<float>(p.width), area.y / static_cast<float>(p.height));
    const ImVec2 size(static_cast<float>(p.width) * s, static_cast<float>(p.height) * s);
    const ImVec2 at(origin.x + (area.x - size.x) / 2, origin.y + (area.y - size.y) / 2);
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(p.texture)), at,
                 ImVec2(at.x + size.x, at.y + size.y));
    if (p.outline) {
      ImVec2 pts[4];
      for (int i = 0; i < 4; ++i) pts[i] = ImVec2(at.x + p.x[i] * s, at.y + p.y[i] * s);
      dl->AddPolyline(pts, 4, IM_COL32(60, 230, 90, 255), ImDrawFlags_Closed, 6);
    }
  } else {
    const char* key = p.camera == CameraStatus::NotConnected ? "camera.not_connected"
                      : p.camera == CameraStatus::Failed     ? "camera.unavailable"
                                                             : "camera.starting";
    const std::string msg = ui.t(key);
    dl->AddText(ui.fonts.large(), ui.fonts.large()->FontSize, ImVec2(origin.x + 20, origin.y + 20),
                IM_COL32(230, 230, 230, 255), msg.c_str(), nullptr, area.x - 40);
    id = std::string("preview:") + key;
  }
  if (!p.camera_ok() && !p.camera_text.empty()) {
    const std::string msg = ui.d(p.camera_text);
    // Kept inside the preview: a device path may be long.
    const ImVec4 clip(origin.x, origin.y, origin.x + area.x - 10, origin.y + area.y);
    dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(origin.x + 20, origin.y + area.y - 40),
                IM_COL32(255, 160, 140, 255), msg.c_str(), nullptr, 0.0f, &clip);
  }
  ImGui::Dummy(area);
  record_widget(ui, id);
}

}  // namespace

void draw_welcome(Ui& ui) {
  title(ui, ui.t("welcome.title"));
  if (!ui.vm.shelter_name.empty()) big_text(ui, ui.d(ui.vm.shelter_name));
  // Languages, each in its own script: one row if every name fits, else two.
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const auto& langs = ui.vm.languages;
  const float full = ImGui::GetContentRegionAvail().x;
  size_t per_row = std::max<size_t>(1, langs.size());
  auto width_for = [&](size_t n) { return (full - gap * static_cast<float>(n - 1)) / static_cast<float>(n); };
  for (const auto& [code, name] : langs)
    if (ImGui::CalcTextSize(ui.d(name).c_str()).x + ImGui::GetStyle().FramePadding.x * 2 > width_for(per_row))
      per_row = (langs.size() + 1) / 2;
  const float w = width_for(per_row);
  for (size_t i = 0; i < langs.size(); ++i) {
    if (i % per_row) ImGui::SameLine();
    const auto& [code, name] = langs[i];
    if (button(ui, ui.d(name), "lang:" + code, ImVec2(w, ui.unit), code == ui.vm.lang ? Tone::Selected : Tone::Normal))
      ui.emit(Intent::SetLanguage, code);
  }
  ImGui::Spacing();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float right = std::max(avail.x * 0.38f, ui.unit * 4);
  const float preview_w = avail.x - right - gap;
  const float bottom = ui.unit + ImGui::GetStyle().ItemSpacing.y * 2;
  ImGui::BeginGroup();
  preview(ui, ImVec2(preview_w, avail.y - bottom));
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushFont(ui.fonts.large());
  const float big = (avail.y - bottom - ImGui::GetStyle().ItemSpacing.y) / 2;
  if (button(ui, ui.t("welcome.scan"), "scan", ImVec2(right, big), Tone::Primary)) ui.emit(Intent::ScanHelp);
  if (button(ui, ui.t("welcome.no_card"), "no-card", ImVec2(right, big))) ui.emit(Intent::NoCard);
  ImGui::PopFont();
  ImGui::EndGroup();
  // The bottom line: a scan's message, else the hint; and the staff button.
  to_bottom(ui, ui.unit);
  const float wrap = ImGui::GetWindowWidth() - ui.unit * 3.3f;
  ImGui::BeginGroup();
  if (ui.vm.notice) {
    // The regular font: a long message must not push past the screen's edge.
    const auto& n = *ui.vm.notice;
    const std::string text = ui.t(n.key) + (n.detail.empty() ? "" : " " + ui.d(n.detail));
    ImGui::PushStyleColor(ImGuiCol_Text, n.error ? ImVec4(1.0f, 0.55f, 0.45f, 1) : ImVec4(0.55f, 0.95f, 0.6f, 1));
    ImGui::PushTextWrapPos(wrap);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    record_widget(ui, "notice:" + n.key);
  } else if (ui.vm.preview.camera == CameraStatus::Live || ui.vm.preview.camera == CameraStatus::Starting) {
    // No "hold your card to the camera" while the preview says there is none.
    ImGui::PushTextWrapPos(wrap);
    ImGui::TextUnformatted(ui.t("welcome.hint").c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::EndGroup();
  ImGui::SameLine(ImGui::GetWindowWidth() - ui.unit * 3 - ImGui::GetStyle().WindowPadding.x);
  if (button(ui, ui.t("welcome.staff"), "staff", ImVec2(ui.unit * 3, ui.unit), Tone::Quiet)) ui.emit(Intent::OpenStaff);
}

}  // namespace shelter::ui
