#pragma once
// The kiosk's settings: embedded defaults, overridden by a TOML file
// (config/kiosk.example.toml) and then by command-line flags.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::kiosk {

struct Config {
  // Store and identity (used the first time the database is created).
  std::string db = "shelter-kiosk.db";
  std::string shelter_id = "demo-01";
  std::string device_id = "demo-01-k1";
  std::string shelter_name = "Demo Shelter";
  // Camera (camera::plan_camera): "v4l2", "replay" or "auto": the device,
  // watched for while it is missing; `replay` files instead only if given
  // and the device is missing at start; the demo frames only with `demo`.
  std::string camera = "auto";
  std::string device = "/dev/video0";
  int camera_width = 1280;
  int camera_height = 720;
  int camera_fps = 30;
  std::string camera_format = "auto";
  std::vector<std::string> replay;  // image files or folders
  double replay_fps = 10;
  // Screen.
  int window_width = 1280;
  int window_height = 800;
  bool fullscreen = true;
  double screen_dpi = 150;  // for finger-sized targets (15 mm)
  std::string language = "ja";
  std::string assets = "";       // folder with i18n/ and sounds/; empty: next to the binary, then the source tree
  int idle_seconds = 90;         // back to Welcome after this long untouched
  int staff_idle_seconds = 120;  // staff mode locks after this long
  // Staff sign-in: each volunteer's own PIN, in the store (shelterctl
  // add-volunteer; leads add more in staff mode). After `pin_tries` wrong
  // PINs sign-in locks for pin_lock_seconds, then 5x, 30x, 120x as long.
  int pin_tries = 5;
  int pin_lock_seconds = 60;
  // The demo only (deploy/run-main.sh, shelter-kiosk --demo): a lead named
  // "demo" with PIN 0000 besides the enrolled volunteers, said on screen.
  bool demo = false;
  // No longer used (one shared PIN for everybody): kept so that an old
  // config still loads; the kiosk says to enrol volunteers instead.
  std::string staff_pin_hash;
  // Printing: argv with {file} replaced by an A4 PDF's path (a household's
  // passes, the roster, blank cards); empty: no pass print button, and staff
  // mode's roster and cards go to export_dir.
  std::string print_command;
  std::string export_dir = "/media";  // USB stick mount point, for the staff export
  // Test support.
  std::string ui_map;          // write widget rects here (JSON) for GUI tests
  std::string screenshot_dir;  // F12 / SIGUSR1 saves screen shots here
  bool sounds = true;
};

// Reads `path` over the defaults. Unknown keys and wrong types are errors
// naming the key, so that a typo is not silently ignored.
Result<Config> load_config(const std::string& path, Config base = {});
// The same from text (`path` names it in messages): for the fuzzer and tests.
Result<Config> parse_config(std::string_view text, const std::string& path, Config base = {});
Status validate(const Config& c);

}  // namespace shelter::kiosk
