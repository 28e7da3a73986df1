#include "kiosk/platform/frame_loop.hpp"

#include <SDL.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/fs_util.hpp"
#include "kiosk/platform/gl_preview.hpp"
#include "kiosk/ui/screens.hpp"

namespace shelter::kiosk::platform {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_screenshot_requested{false};
std::atomic<bool> g_quit{false};

void write_ui_map(const std::string& path, const char* screen, const std::vector<ui::WidgetRect>& widgets) {
  nlohmann::json j;
  j["screen"] = screen;
  j["widgets"] = nlohmann::json::array();
  for (const auto& w : widgets)
    j["widgets"].push_back({{"id", w.id},
                            {"x", w.x},
                            {"y", w.y},
                            {"w", w.w},
                            {"h", w.h},
                            {"label_cut", w.label_cut},
                            {"clipped", w.clipped},
                            {"cut_off", w.cut_off},
                            {"label", w.label}});
  (void)write_file_atomic(path, j.dump(), 0644);
}

ui::CameraStatus camera_status(camera::CameraState s) {
  switch (s) {
    case camera::CameraState::Live:
      return ui::CameraStatus::Live;
    case camera::CameraState::NotConnected:
      return ui::CameraStatus::NotConnected;
    case camera::CameraState::Failed:
      return ui::CameraStatus::Failed;
    case camera::CameraState::Starting:
      break;
  }
  return ui::CameraStatus::Starting;
}

long rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

void run_frame_loop(Window& window, Controller& controller, camera::Scanner& scanner, ui::Translations& tr,
                    const LoopOptions& options) {
  std::vector<double> latencies_ms;
  Clock::time_point scan_captured{};
  controller.on_checked_in = [&](int) {
    window.play_chime();
    if (scan_captured != Clock::time_point{}) {
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - scan_captured).count());
      scan_captured = {};
    }
  };

  std::signal(SIGUSR1, [](int) { g_screenshot_requested = true; });
  std::signal(SIGTERM, [](int) { g_quit = true; });
  std::signal(SIGINT, [](int) { g_quit = true; });

  GlPreview preview;
  double first_preview_ms = -1;
  int frames_to_draw = 3, drawn = 0, shots_after_change = -1, shot_index = 0;
  std::string last_map;
  std::vector<ui::Intent> intents;
  std::vector<ui::WidgetRect> widgets;

  while (!g_quit) {
    SDL_Event ev;
    const int timeout = frames_to_draw > 0 ? 0 : 250;
    if (SDL_WaitEventTimeout(&ev, timeout)) {
      do {
        if (ev.type == SDL_QUIT) g_quit = true;
        if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_F12) g_screenshot_requested = true;
        if (ev.type == window.wake_event()) continue;  // the camera: handled below, one frame per picture
        window.process_event(ev);
        // Input: a few frames, so that ImGui sees press, release and the result.
        frames_to_draw = std::max(frames_to_draw, 3);
      } while (SDL_PollEvent(&ev));
    }
    const auto now = Clock::now();
    // Camera: newest frame to the preview texture, detections to the controller.
    if (preview.update(scanner, controller.vm().preview, now)) {
      if (first_preview_ms < 0)
        first_preview_ms = std::chrono::duration<double, std::milli>(now - options.started).count();
      frames_to_draw = std::max(frames_to_draw, 1);
    }
    // The camera's state: posted by the capture thread, drained here.
    for (const auto& e : scanner.take_camera_events())
      if (controller.on_camera(camera_status(e.state), e.text)) frames_to_draw = std::max(frames_to_draw, 3);
    GlPreview::show_outline(scanner, controller.vm().preview);
    for (const auto& d : scanner.take_detections()) {
      scan_captured = d.captured;
      if (controller.on_scan(d.text, now)) frames_to_draw = std::max(frames_to_draw, 3);
    }
    controller.tick(now);
    if (controller.take_screen_changed()) {
      frames_to_draw = std::max(frames_to_draw, 3);
      shots_after_change = 2;
      // Back at the welcome a card still in view is read again ("everyone is
      // here"), but not a pass just answered (controller.hpp).
      const bool pass_settled = controller.take_pass_settled();
      if (controller.vm().screen == ui::Screen::Welcome && !pass_settled) scanner.reset_repeat_filter();
    }
    if (frames_to_draw <= 0 && !g_screenshot_requested) continue;
    --frames_to_draw;

    tr.set_language(controller.vm().lang);
    window.begin_frame();
    intents.clear();
    widgets.clear();
    ui::Ui ctx{controller.vm(), tr, window.fonts(), intents, window.unit(), &widgets};
    ui::draw(ctx);
    int w = 0, h = 0;
    window.render(&w, &h);
    ++drawn;
    const char* screen = ui::screen_name(controller.vm().screen);
    if (!options.screenshot_dir.empty() && (g_screenshot_requested || shots_after_change == 0)) {
      Window::save_screenshot(options.screenshot_dir, std::to_string(++shot_index) + "-" + screen, w, h);
      g_screenshot_requested = false;
    }
    if (shots_after_change >= 0) --shots_after_change;
    window.swap();
    for (const auto& in : intents) controller.apply(in, Clock::now());
    if (!intents.empty()) frames_to_draw = std::max(frames_to_draw, 2);
    if (!options.ui_map.empty()) {
      std::string key = screen;
      for (const auto& wr : widgets)
        key += wr.id + std::to_string(static_cast<int>(wr.x)) + "," + std::to_string(static_cast<int>(wr.y)) +
               (wr.clipped ? "c" : "") + (wr.cut_off ? "x" : "") +
               wr.label;  // a list's scrolling is known a frame late
      if (key != last_map) {
        write_ui_map(options.ui_map, screen, widgets);
        last_map = key;
      }
    }
    if (window.fonts().needs_rebuild()) {
      window.rebuild_fonts();
      frames_to_draw = std::max(frames_to_draw, 2);
    }
    if (options.max_frames > 0 && drawn >= options.max_frames) break;
  }

  scanner.stop();
  controller.on_checked_in = nullptr;
  if (!options.stats_file.empty()) {
    nlohmann::json s;
    s["first_preview_ms"] = first_preview_ms;
    // From the frame that showed the code to the commit; for a household card
    // this includes the person's confirm tap (bench_kiosk measures without it).
    s["scan_to_commit_ms"] = latencies_ms;
    s["max_rss_kb"] = rss_kb();
    s["frames_drawn"] = drawn;
    const auto st = scanner.stats();
    s["camera_frames"] = st.frames;
    s["frames_held_back"] = st.held_back;
    s["frames_decoded"] = st.decoded;
    s["last_decode_ms"] = st.last_decode_ms;
    (void)write_file_atomic(options.stats_file, s.dump(2), 0644);
  }
}

}  // namespace shelter::kiosk::platform
