// The motion gate: an empty hall's frames are held back, anything that moves
// is let through on its first frame (motion.hpp).
#include <catch2/catch.hpp>

#include <random>

#include "kiosk/camera/motion.hpp"
#include "tests/bench/webcam_frames.hpp"

using namespace shelter;
using namespace shelter::camera;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

Thumbnail flat(int w, int h, int value, std::mt19937* noise = nullptr, int spread = 0) {
  Thumbnail t;
  t.width = w;
  t.height = h;
  t.gray.assign(static_cast<size_t>(w) * h, static_cast<std::uint8_t>(value));
  if (noise) {
    std::uniform_int_distribution<int> d(-spread, spread);
    for (auto& v : t.gray) v = static_cast<std::uint8_t>(v + d(*noise));
  }
  return t;
}

Thumbnail webcam_thumb(const qrimage::QrMatrix* code, std::mt19937& rng, int dx = 0) {
  bench::SceneOptions o;
  o.width = 640;
  o.height = 480;
  o.code = code;
  o.code_dx = dx;
  const auto jpeg = bench::to_webcam_mjpeg(bench::scene_rgb(o, rng), o.width, o.height, o.quality);
  Frame f;
  REQUIRE(take_mjpeg(jpeg.data(), jpeg.size(), f).ok());
  return f.thumb;
}

}  // namespace

TEST_CASE("the gate holds back still frames and lets one through per idle period", "[camera][motion]") {
  MotionGate gate;
  std::mt19937 rng(1);
  auto t = Clock::now();
  CHECK(gate.admit(flat(80, 60, 120, &rng, 3), t));  // the first frame: nothing to compare with
  t += milliseconds(2100);                           // past the start's hold
  int admitted = 0;
  for (int i = 0; i < 90; ++i, t += milliseconds(33)) admitted += gate.admit(flat(80, 60, 120, &rng, 3), t);
  CHECK(admitted >= 2);  // 3 s at 30 fps: one a second
  CHECK(admitted <= 4);
  CHECK_FALSE(gate.active());
}

TEST_CASE("a change lets the very frame through, and full speed holds", "[camera][motion]") {
  MotionGate::Options o;
  MotionGate gate(o);
  auto t = Clock::now();
  REQUIRE(gate.admit(flat(80, 60, 120), t));
  t += milliseconds(2100);
  REQUIRE(gate.admit(flat(80, 60, 120), t));  // idle frame
  t += milliseconds(33);
  REQUIRE_FALSE(gate.admit(flat(80, 60, 120), t));
  // A small code entering: a 4x4 block patch changes.
  auto moved = flat(80, 60, 120);
  for (int y = 10; y < 14; ++y)
    for (int x = 20; x < 24; ++x) moved.gray[static_cast<size_t>(y) * 80 + x] = 40;
  t += milliseconds(33);
  CHECK(gate.admit(moved, t));
  CHECK(gate.active());
  // Held still afterwards: every frame goes through for `hold`.
  for (int i = 0; i < 50; ++i) {
    t += milliseconds(33);
    CHECK(gate.admit(moved, t));
  }
  t += o.hold + milliseconds(1);
  (void)gate.admit(moved, t);  // the hold has run out: idle again
  CHECK_FALSE(gate.active());
  t += milliseconds(33);
  CHECK_FALSE(gate.admit(moved, t));
}

TEST_CASE("a code in view keeps full speed; fewer changed blocks than the minimum do not", "[camera][motion]") {
  MotionGate gate;
  auto t = Clock::now();
  REQUIRE(gate.admit(flat(80, 60, 120), t));
  t += milliseconds(2100);
  REQUIRE(gate.admit(flat(80, 60, 120), t));
  auto speck = flat(80, 60, 120);
  speck.gray[100] = 250;  // one block: a dead pixel, a fly
  t += milliseconds(33);
  CHECK_FALSE(gate.admit(speck, t));
  gate.touch(t);
  t += milliseconds(33);
  CHECK(gate.admit(speck, t));
  CHECK(gate.active());
}

TEST_CASE("a different frame size is a change", "[camera][motion]") {
  MotionGate gate;
  auto t = Clock::now();
  REQUIRE(gate.admit(flat(80, 60, 120), t));
  t += milliseconds(2100);
  REQUIRE(gate.admit(flat(80, 60, 120), t));
  t += milliseconds(33);
  CHECK(gate.admit(flat(160, 90, 120), t));
}

TEST_CASE("webcam noise in MJPEG frames is still; a card held up is not", "[camera][motion]") {
  std::mt19937 rng(5);
  MotionGate gate;
  auto t = Clock::now();
  REQUIRE(gate.admit(webcam_thumb(nullptr, rng), t));
  t += milliseconds(2100);
  REQUIRE(gate.admit(webcam_thumb(nullptr, rng), t));
  for (int i = 0; i < 8; ++i) {
    t += milliseconds(33);
    CHECK_FALSE(gate.admit(webcam_thumb(nullptr, rng), t));
    CHECK(gate.last_changed_blocks() < 3);
  }
  auto code = qrimage::encode("SC:HELD-UP");
  REQUIRE(code.ok());
  t += milliseconds(33);
  CHECK(gate.admit(webcam_thumb(&*code, rng), t));
  CHECK(gate.last_changed_blocks() > 50);
}
