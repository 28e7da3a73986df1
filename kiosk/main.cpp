// shelter-kiosk: the fullscreen touch app. SDL2 + OpenGL3 + Dear ImGui 1.86.
// main() reads the options and config, opens the store and the window, and
// runs the frame loop (kiosk/platform/frame_loop.hpp: an idle kiosk draws
// nothing).
#include <malloc.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/camera/scanner.hpp"
#include "kiosk/platform/frame_loop.hpp"
#include "kiosk/platform/startup.hpp"
#include "kiosk/platform/window.hpp"

using namespace shelter;

static int failed(const std::string& message) {
  std::cerr << "shelter-kiosk: " << message << "\n";
  return 1;
}

int main(int argc, char** argv) {
  kiosk::platform::LoopOptions loop;
  loop.started = std::chrono::steady_clock::now();
  // Two malloc arenas, not one per thread: the decoder's short-lived buffers
  // would otherwise keep tens of MB resident in arenas of their own.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"shelter-kiosk: evacuation shelter check-in kiosk"};
  std::string config_path;
  kiosk::Config cli;
  std::vector<std::string> replay;
  bool windowed = false, demo = false;
  app.add_option("--config", config_path, "TOML configuration file (see config/kiosk.example.toml)");
  app.add_option("--db", cli.db, "SQLite database file");
  app.add_option("--replay", replay, "Play these image files or folders instead of a webcam");
  app.add_flag("--windowed", windowed, "A window instead of full screen");
  app.add_option("--ui-map", cli.ui_map, "Write widget rectangles here (GUI tests)");
  app.add_option("--screenshot-dir", cli.screenshot_dir, "Save a screenshot of each screen here");
  app.add_flag("--demo", demo,
               "Demo kiosk: a lead named demo signs in with PIN 0000, and without a webcam at start the demo frames "
               "play (never on a real kiosk)");
  app.add_option("--stats-file", loop.stats_file, "Write start-up, latency and memory figures here at exit");
  app.add_option("--frames", loop.max_frames, "Exit after this many drawn frames (tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sodium_init() < 0) return failed("libsodium failed to start");

  kiosk::Config config;
  if (!config_path.empty()) {
    auto loaded = kiosk::load_config(config_path);
    if (!loaded) return failed(loaded.error().message);
    config = *loaded;
  }
  if (app.count("--db")) config.db = cli.db;
  if (!replay.empty()) {
    config.camera = "replay";
    config.replay = replay;
  }
  if (windowed) config.fullscreen = false;
  if (demo) config.demo = true;
  if (!cli.ui_map.empty()) config.ui_map = cli.ui_map;
  if (!cli.screenshot_dir.empty()) config.screenshot_dir = cli.screenshot_dir;
  if (auto v = kiosk::validate(config); !v) return failed("config: " + v.error().message);
  loop.ui_map = config.ui_map;
  loop.screenshot_dir = config.screenshot_dir;

  const std::string assets = kiosk::platform::find_assets(config.assets, argv[0]);
  ui::Translations tr;
  if (auto st =
          assets.empty() ? Status(fail("no assets folder with i18n/en.json found")) : tr.load_dir(assets + "/i18n");
      !st)
    return failed(st.error().message);

  auto store = Store::open(config.db);
  if (!store) return failed(store.error().message);
  if ((*store)->device_id().empty())
    if (auto st = (*store)->init_identity(config.shelter_id, config.device_id, config.shelter_name); !st)
      return failed(st.error().message);

  // Staff sign-in (core/volunteers.hpp): say at start what is unusual.
  if (config.demo)
    std::cerr << "shelter-kiosk: DEMO MODE (demo = true or --demo): the lead \"demo\" signs in with PIN 0000. "
                 "Never use this on a shelter's kiosk.\n";
  if (!config.staff_pin_hash.empty())
    std::cerr << "shelter-kiosk: staff_pin_hash in the config is no longer used: each volunteer has their own PIN "
                 "(echo PIN | shelterctl add-volunteer --name NAME --lead); remove the line\n";
  if (auto team = list_volunteers(**store); team && team->empty() && !config.demo)
    std::cerr << "shelter-kiosk: staff mode is not set up: no volunteer is enrolled "
                 "(echo PIN | shelterctl --db "
              << config.db << " add-volunteer --name NAME --lead)\n";

  auto window = kiosk::platform::Window::open(config, tr.all_text());
  if (!window) return failed(window.error().message);
  kiosk::Controller controller(**store, config);
  controller.vm().languages = tr.languages();
  const auto plan = kiosk::platform::camera_source(config, assets);
  std::cerr << "shelter-kiosk: " << plan.what << "\n";
  camera::Scanner scanner(plan.open, kiosk::platform::scanner_options(plan), [w = window->get()] { w->wake(); });
  scanner.start();
  kiosk::platform::run_frame_loop(**window, controller, scanner, tr, loop);
  return 0;
}
