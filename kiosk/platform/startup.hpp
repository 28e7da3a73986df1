#pragma once
// What the kiosk needs before its window: the assets folder and the camera.
#include <string>

#include "kiosk/app/config.hpp"
#include "kiosk/camera/scanner.hpp"

namespace shelter::kiosk::platform {

// The first folder with i18n/en.json: the configured one, next to the
// executable, the installed share/shelter-checkin/assets, the source tree's.
// "" if none.
std::string find_assets(const std::string& configured, const char* argv0);

// The camera the config asks for: a V4L2 device, or replayed image files
// (with no device and nothing to replay: the demo frames, a few seconds each).
camera::Scanner::SourceFactory camera_source(const Config& config, const std::string& assets);

}  // namespace shelter::kiosk::platform
