#include "kiosk/camera/source_plan.hpp"

namespace shelter::camera {

namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

SourcePlan replay_plan(ReplayOptions ro, std::string what) {
  SourcePlan plan;
  plan.what = std::move(what);
  plan.absent_text = "camera not connected: " + (ro.paths.empty() ? std::string("no frames") : ro.paths.front());
  auto paths = ro.paths;
  plan.present = [paths] {
    for (const auto& p : paths)
      if (!exists(p)) return false;
    return true;
  };
  plan.open = [ro = std::move(ro)] { return open_replay(ro).context("camera"); };
  return plan;
}

}  // namespace

SourcePlan plan_camera(const CameraChoice& choice) {
  const bool device_now = exists(choice.v4l2.device);
  if (choice.camera == "replay" || (choice.camera == "auto" && !choice.replay.paths.empty() && !device_now))
    return replay_plan(choice.replay, "replay " + (choice.replay.paths.empty() ? "" : choice.replay.paths.front()));
  if (choice.demo && choice.replay.paths.empty() && !device_now) {
    ReplayOptions ro;
    ro.paths = {choice.demo_frames};
    ro.fps = 0.25;  // a few seconds each
    return replay_plan(std::move(ro), "demo frames " + choice.demo_frames);
  }
  SourcePlan plan;
  plan.what = "camera " + choice.v4l2.device;
  plan.absent_text = "camera not connected: " + choice.v4l2.device;
  plan.present = [device = choice.v4l2.device] { return exists(device); };
  plan.open = [vo = choice.v4l2] { return open_v4l2(vo).context("camera"); };
  return plan;
}

}  // namespace shelter::camera
