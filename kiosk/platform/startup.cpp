#include "kiosk/platform/startup.hpp"

#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace shelter::kiosk::platform {

std::string find_assets(const std::string& configured, const char* argv0) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) candidates.emplace_back(configured);
  std::error_code ec;
  const fs::path exe = fs::canonical(argv0, ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "assets");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "shelter-checkin" / "assets");
  }
  candidates.emplace_back(SHELTER_SOURCE_ASSETS);
  for (const auto& c : candidates)
    if (fs::exists(c / "i18n" / "en.json", ec)) return c.string();
  return {};
}

camera::Scanner::SourceFactory camera_source(const Config& config, const std::string& assets) {
  if (config.camera == "replay" || (config.camera == "auto" && !fs::exists(config.device))) {
    camera::ReplayOptions ro;
    ro.paths = config.replay;
    ro.fps = config.replay_fps;
    if (ro.paths.empty()) {
      // No webcam and nothing to replay: the demo frames, a few seconds each.
      ro.paths.push_back(assets + "/demo-frames");
      ro.fps = 0.25;
    }
    return [ro] { return camera::open_replay(ro); };
  }
  camera::V4l2Options vo{config.device, config.camera_width, config.camera_height, config.camera_fps,
                         config.camera_format};
  return [vo] { return camera::open_v4l2(vo); };
}

}  // namespace shelter::kiosk::platform
