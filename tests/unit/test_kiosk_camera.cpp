// The kiosk's camera rules without a window or a webcam: which source a
// kiosk plays (the demo frames only with --demo), a camera that appears
// later is taken within 3 s, one that goes away is said on screen while the
// walk-in still works. A replayed folder stands for the device: it is
// there, or not.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "kiosk/camera/scanner.hpp"
#include "kiosk/camera/source_plan.hpp"
#include "kiosk_helpers.hpp"

using namespace shelter;
using namespace shelter::test;
using ui::CameraStatus;
using ui::Intent;
using ui::Screen;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

const std::string kFrames = std::string(SHELTER_TEST_DATA) + "/frames/card";

camera::CameraChoice choice_without_camera(const TempDir& dir) {
  camera::CameraChoice c;
  c.v4l2.device = dir.file("video0");  // never made: no webcam
  c.demo_frames = kFrames;             // stands for assets/demo-frames
  return c;
}

ui::CameraStatus status_of(camera::CameraState s) {
  switch (s) {
    case camera::CameraState::Live:
      return CameraStatus::Live;
    case camera::CameraState::NotConnected:
      return CameraStatus::NotConnected;
    case camera::CameraState::Failed:
      return CameraStatus::Failed;
    case camera::CameraState::Starting:
      break;
  }
  return CameraStatus::Starting;
}

// The frame loop's part: drain the scanner's events into the controller
// until `want`, or `limit` has passed. Returns how long it took.
std::optional<Clock::duration> wait_for(camera::Scanner& scanner, Kiosk& k, CameraStatus want,
                                        std::chrono::milliseconds limit) {
  const auto t0 = Clock::now();
  while (Clock::now() - t0 < limit) {
    for (const auto& e : scanner.take_camera_events()) k.c->on_camera(status_of(e.state), e.text);
    if (k.vm().preview.camera == want) return Clock::now() - t0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

// Makes `dir` with the card's frames in one step (as a webcam's node
// appears whole).
void plug_in(const std::string& dir) {
  const std::string tmp = dir + ".tmp";
  fs::create_directories(tmp);
  fs::copy(kFrames, tmp);
  fs::rename(tmp, dir);
}

}  // namespace

TEST_CASE("a kiosk without --demo never plays the demo frames", "[kiosk][camera]") {
  TempDir dir;
  auto c = choice_without_camera(dir);
  auto plan = camera::plan_camera(c);
  CHECK(plan.what == "camera " + c.v4l2.device);
  REQUIRE(plan.present);
  CHECK_FALSE(plan.present());
  CHECK(plan.absent_text.find("camera not connected") == 0);
  auto opened = plan.open();
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().message.find("camera: ") == 0);  // a context chain, not a demo picture
  c.camera = "v4l2";
  CHECK(camera::plan_camera(c).what == "camera " + c.v4l2.device);

  // A demo kiosk without a webcam at start: the demo frames, always there.
  c.camera = "auto";
  c.demo = true;
  plan = camera::plan_camera(c);
  CHECK(plan.what == "demo frames " + kFrames);
  CHECK(plan.present());
  CHECK(plan.open().ok());
  // A demo kiosk with a camera plugged in uses the camera.
  std::ofstream(c.v4l2.device) << "";
  CHECK(camera::plan_camera(c).what == "camera " + c.v4l2.device);

  // Recorded frames play only when asked for.
  c.demo = false;
  c.camera = "replay";
  c.replay.paths = {kFrames};
  plan = camera::plan_camera(c);
  CHECK(plan.what == "replay " + kFrames);
  CHECK(plan.open().ok());
}

TEST_CASE("a camera that appears is taken within 3 s; one that goes away is said", "[kiosk][camera]") {
  TempDir dir;
  Kiosk k;
  auto c = choice_without_camera(dir);
  c.camera = "replay";
  c.replay.paths = {dir.file("camera")};
  c.replay.fps = 30;
  const auto plan = camera::plan_camera(c);
  camera::Scanner::Options options;
  options.present = plan.present;
  options.absent_text = plan.absent_text;
  camera::Scanner scanner(plan.open, options, nullptr);
  scanner.start();

  // Nothing plugged in: "not connected", and the walk-in still works.
  REQUIRE(wait_for(scanner, k, CameraStatus::NotConnected, std::chrono::seconds(3)));
  CHECK_FALSE(k.vm().preview.camera_ok());
  CHECK(k.vm().preview.camera_text.find("camera not connected") == 0);
  CHECK(scanner.latest_frame(0) == nullptr);
  k.tap(Intent::NoCard);
  CHECK(k.vm().screen == Screen::WalkIn);
  k.tap(Intent::Cancel);
  CHECK(k.vm().screen == Screen::Welcome);

  // Plugged in: taken within 3 s, frames flow and the card is read.
  plug_in(dir.file("camera"));
  auto took = wait_for(scanner, k, CameraStatus::Live, std::chrono::seconds(3));
  REQUIRE(took);
  CHECK(*took < std::chrono::seconds(3));
  CHECK(k.vm().preview.camera_ok());
  CHECK(k.vm().preview.camera_text.find("replay") == 0);
  std::vector<camera::Detection> got;
  for (auto end = Clock::now() + std::chrono::seconds(5); Clock::now() < end && got.empty();) {
    got = scanner.take_detections();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == card_text());

  // Unplugged: said within 3 s; the last picture is not kept on screen.
  k.c->vm().preview.texture = 7;  // as the frame loop's preview would have set it
  fs::remove_all(dir.file("camera"));
  took = wait_for(scanner, k, CameraStatus::NotConnected, std::chrono::seconds(3));
  REQUIRE(took);
  CHECK(k.vm().preview.texture == 0);
  CHECK_FALSE(k.vm().preview.camera_ok());
  k.tap(Intent::NoCard);
  CHECK(k.vm().screen == Screen::WalkIn);

  // And back again.
  k.tap(Intent::Cancel);
  plug_in(dir.file("camera"));
  CHECK(wait_for(scanner, k, CameraStatus::Live, std::chrono::seconds(3)));
  scanner.stop();
}

TEST_CASE("a device that is there but does not work is not 'not connected'", "[kiosk][camera]") {
  TempDir dir;
  Kiosk k;
  auto c = choice_without_camera(dir);
  std::ofstream(c.v4l2.device) << "not a camera";  // a plain file where the webcam should be
  const auto plan = camera::plan_camera(c);
  camera::Scanner::Options options;
  options.present = plan.present;
  options.absent_text = plan.absent_text;
  options.reopen_delay = std::chrono::milliseconds(20);
  camera::Scanner scanner(plan.open, options, nullptr);
  scanner.start();
  REQUIRE(wait_for(scanner, k, CameraStatus::Failed, std::chrono::seconds(3)));
  CHECK(k.vm().preview.camera_text.find("camera: ") == 0);
  CHECK(k.vm().preview.camera_text.find("not a video device") != std::string::npos);
  fs::remove(c.v4l2.device);
  CHECK(wait_for(scanner, k, CameraStatus::NotConnected, std::chrono::seconds(3)));
  scanner.stop();
  CHECK(scanner.stats().state == camera::CameraState::NotConnected);
}

TEST_CASE("the controller shows the camera's state, once per change", "[kiosk][camera]") {
  Kiosk k;
  CHECK(k.vm().preview.camera == CameraStatus::Starting);
  CHECK(k.c->on_camera(CameraStatus::Live, "camera /dev/shelter-camera"));
  CHECK_FALSE(k.c->on_camera(CameraStatus::Live, "camera /dev/shelter-camera"));
  CHECK(k.vm().preview.camera_ok());
  k.c->vm().preview.texture = 3;
  k.c->vm().preview.width = 640;
  CHECK(k.c->on_camera(CameraStatus::NotConnected, "camera not connected: /dev/shelter-camera"));
  CHECK(k.vm().preview.texture == 0);
  CHECK(k.vm().preview.width == 0);
  CHECK(k.vm().screen == Screen::Welcome);  // no screen of its own: the welcome says it
}
