#include "kiosk/ui/style.hpp"

#include <algorithm>

namespace shelter::ui {

float touch_unit(double screen_dpi, float screen_width, float screen_height) {
  const float physical = std::max(72.0f, static_cast<float>(screen_dpi * 15.0 / 25.4));
  // 8.5 units tall and 12 units wide hold every page (the smoke test checks
  // it at 1024x600, 1280x800 and 1920x1080).
  return std::max(40.0f, std::min({physical, screen_height / 8.5f, screen_width / 12.0f}));
}

void apply_kiosk_style(ImGuiStyle& style, float unit) {
  style = ImGuiStyle();
  ImGui::StyleColorsDark(&style);
  style.FrameRounding = 10;
  style.ItemSpacing = ImVec2(unit * 0.14f, unit * 0.14f);
  style.WindowPadding = ImVec2(unit * 0.25f, unit * 0.2f);
  style.TouchExtraPadding = ImVec2(4, 4);
  style.ScrollbarSize = unit * 0.45f;
  style.Colors[ImGuiCol_WindowBg] = ImVec4(0.08f, 0.09f, 0.11f, 1);
}

}  // namespace shelter::ui
