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

camera::SourcePlan camera_source(const Config& config, const std::string& assets) {
  camera::CameraChoice choice;
  choice.camera = config.camera;
  choice.v4l2 = camera::V4l2Options{config.device, config.camera_width, config.camera_height, config.camera_fps,
                                    config.camera_format};
  choice.replay.paths = config.replay;
  choice.replay.fps = config.replay_fps;
  choice.demo = config.demo;
  choice.demo_frames = assets + "/demo-frames";
  return camera::plan_camera(choice);
}

camera::Scanner::Options scanner_options(const camera::SourcePlan& plan) {
  camera::Scanner::Options o;
  o.present = plan.present;
  o.absent_text = plan.absent_text;
  return o;
}

}  // namespace shelter::kiosk::platform
