#pragma once
// Which camera the kiosk uses, as a rule the tests can check without a
// window: a real kiosk uses only its real camera, waits for one that is not
// plugged in and says so; the demo frames (assets/demo-frames, with a
// sample household card) play only on a demo kiosk (--demo) that has no
// camera when it starts; recorded frames play only when asked for.
#include <filesystem>
#include <string>
#include <vector>

#include "kiosk/camera/frame_source.hpp"
#include "kiosk/camera/scanner.hpp"

namespace shelter::camera {

struct CameraChoice {
  std::string camera = "auto";  // auto | v4l2 | replay (kiosk::Config::camera)
  V4l2Options v4l2;             // its device is the one watched for
  ReplayOptions replay;         // paths: recorded frames asked for (--replay or the config); may be empty
  bool demo = false;            // --demo or demo = true
  std::string demo_frames;      // the assets' demo-frames folder
};

struct SourcePlan {
  Scanner::SourceFactory open;
  std::function<bool()> present;  // for Scanner::Options::present
  std::string absent_text;        // for Scanner::Options::absent_text
  std::string what;               // "camera /dev/video0", "replay DIR", "demo frames DIR"
};

// The rule:
//  - camera = "replay": the given files or folders, watched (a folder taken
//    away is a camera unplugged; the GUI test does this).
//  - a demo kiosk with no replay given whose device is missing when it
//    starts: the demo frames, a few seconds each.
//  - camera = "auto" with replay given and the device missing at start: the
//    replay (as before).
//  - otherwise the V4L2 device, watched: missing now is "not connected",
//    never the demo frames.
SourcePlan plan_camera(const CameraChoice& choice);

}  // namespace shelter::camera
