#pragma once
// What the kiosk needs before its window: the assets folder and the camera.
#include <string>

#include "kiosk/app/config.hpp"
#include "kiosk/camera/scanner.hpp"
#include "kiosk/camera/source_plan.hpp"

namespace shelter::kiosk::platform {

// The first folder with i18n/en.json: the configured one, next to the
// executable, the installed share/shelter-checkin/assets, the source tree's.
// "" if none.
std::string find_assets(const std::string& configured, const char* argv0);

// The camera the config asks for (camera::plan_camera: the real camera,
// watched for; replayed files when asked; the demo frames only on a demo
// kiosk without a camera).
camera::SourcePlan camera_source(const Config& config, const std::string& assets);
// The scanner's options for that plan.
camera::Scanner::Options scanner_options(const camera::SourcePlan& plan);

}  // namespace shelter::kiosk::platform
