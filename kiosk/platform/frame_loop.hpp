#pragma once
// The kiosk's frame loop. It sleeps until input, a camera frame or a timer
// (SDL_WaitEventTimeout, 250 ms): an idle kiosk draws nothing. After input,
// a new picture or a screen change it draws a few frames, so that ImGui sees
// press, release and the result.
//
// Test hooks: SIGUSR1 or F12 saves a screenshot (with a screenshot folder);
// every screen change is saved too; the UI map (widget rectangles) is
// written when it changes; max_frames ends the loop; the stats file gets
// start-up, latency and memory figures at exit. SIGTERM and SIGINT end the
// loop cleanly.
#include <chrono>
#include <string>

#include "kiosk/app/controller.hpp"
#include "kiosk/camera/scanner.hpp"
#include "kiosk/platform/window.hpp"
#include "kiosk/ui/i18n.hpp"

namespace shelter::kiosk::platform {

struct LoopOptions {
  std::string screenshot_dir;                     // "" = no screenshots
  std::string ui_map;                             // "" = no UI map
  std::string stats_file;                         // "" = no figures
  int max_frames = 0;                             // 0 = until asked to quit
  std::chrono::steady_clock::time_point started;  // process start, for first_preview_ms
};

// Runs until the window is closed, a signal, or max_frames; then stops the
// scanner and writes the stats file.
void run_frame_loop(Window& window, Controller& controller, camera::Scanner& scanner, ui::Translations& tr,
                    const LoopOptions& options);

}  // namespace shelter::kiosk::platform
