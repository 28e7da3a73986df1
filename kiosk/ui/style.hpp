#pragma once
// The kiosk's look, in one place: the touch unit for a screen, and the
// ImGui style and font size that follow from it. The window and the
// headless smoke test both use these, so that the test draws what the
// tablet shows.
#include <imgui.h>

namespace shelter::ui {

// The smallest touch target, in pixels: 15 mm at the configured dpi (at
// least 72 px), but never so large that the tallest page (the name keyboard:
// a question, the typed box, five rows of keys and a control row) or a row
// of 13 keys stops fitting the screen. A cheap 10" 1024x600 tablet gets ~70 px.
float touch_unit(double screen_dpi, float screen_width, float screen_height);

// Spacing, padding, rounding and colours scaled to `unit`.
void apply_kiosk_style(ImGuiStyle& style, float unit);

// The body text size for `unit` (the large font is 1.45 times this).
inline float font_size_for(float unit) {
  return static_cast<float>(static_cast<int>(unit * 0.36f + 0.5f));
}

}  // namespace shelter::ui
