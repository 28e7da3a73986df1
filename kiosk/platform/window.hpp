#pragma once
// The kiosk's window: SDL2 + OpenGL 3 + Dear ImGui 1.86, the touch style,
// the fonts (a one-channel atlas texture), the success chime and
// screenshots. One per process, on the UI thread.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/ui/fonts.hpp"

struct SDL_Window;
union SDL_Event;

namespace shelter::kiosk::platform {

class Window {
 public:
  // Opens the display, the window, its GL context and ImGui; loads the fonts
  // seeded with `font_seed` (missing font files are reported on stderr).
  static Result<std::unique_ptr<Window>> open(const Config& config, const std::string& font_seed);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  // The smallest touch target in pixels (>= 15 mm on the configured screen).
  float unit() const { return unit_; }
  ui::Fonts& fonts() { return fonts_; }
  // The SDL user event that wakes the loop (camera frames); pushing it is
  // thread-safe.
  std::uint32_t wake_event() const { return wake_event_; }
  void wake() const;
  // Hands an input event to ImGui.
  void process_event(const SDL_Event& ev);

  // A short two-tone chime (no sound device: silent).
  void play_chime();

  // One frame: begin_frame, the ImGui calls, render (clears and draws;
  // returns the drawable size in *w, *h), then swap.
  void begin_frame();
  void render(int* w, int* h);
  void swap();
  // The font atlas gained glyphs: rebuild it and upload it again.
  void rebuild_fonts();

  // The frame just rendered, as a PNG in `dir` named `name`.png.
  static void save_screenshot(const std::string& dir, const std::string& name, int w, int h);

 private:
  Window() = default;
  void upload_font_atlas();

  SDL_Window* window_ = nullptr;
  void* gl_ = nullptr;  // SDL_GLContext
  std::uint32_t audio_ = 0;
  std::uint32_t wake_event_ = 0;
  unsigned font_tex_ = 0;
  bool imgui_ = false;
  float unit_ = 72;
  ui::Fonts fonts_;
  std::array<float, 2> pointer_{-1, -1};  // the last pointer event's position, -1: none yet
};

}  // namespace shelter::kiosk::platform
