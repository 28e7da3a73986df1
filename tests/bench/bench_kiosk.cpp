// Kiosk benchmarks, printing figures:
//  - QR decode cost per frame (640x480 and 1280x720), with a card in view and
//    with nothing in view (the common case), on one core;
//  - frame-to-committed-arrival latency through the real pipeline: replay
//    camera -> capture thread -> decoder thread -> controller -> SQLite commit
//    (synchronous=FULL), with the confirm tap made at once (the human's time
//    is not the system's).
// usage: bench_kiosk [--households N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "core/fs_util.hpp"
#include "core/qr_image.hpp"
#include "core/qr_payload.hpp"
#include "core/store.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/camera/scanner.hpp"
#include "tests/bench/bench_util.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using bench::ms_since;
using bench::pct;

namespace {

qr::HouseholdCard make_card(int i) {
  qr::HouseholdCard c;
  c.household_id = new_id();
  c.address = "東京都多摩市落合" + std::to_string(i);
  for (int m = 0; m < 4; ++m) {
    qr::CardMember cm;
    cm.person_id = new_id();
    cm.info.name = "髙橋 " + std::to_string(i) + "-" + std::to_string(m);
    cm.info.reading = "タカハシ";
    cm.info.birth = *parse_birth(std::to_string(1940 + m * 20));
    c.members.push_back(cm);
  }
  return c;
}

// A webcam-like gray frame: noisy, uneven light, the QR about a third of the
// height, a little dim.
std::vector<std::uint8_t> frame_with(const qrimage::QrMatrix* m, int w, int h, std::mt19937& rng) {
  std::vector<std::uint8_t> f(static_cast<size_t>(w) * h);
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      f[static_cast<size_t>(y) * w + x] = static_cast<std::uint8_t>(std::clamp(110 + x * 40 / w + noise(rng), 0, 255));
  if (m) {
    const int quiet = 4, side = h / 3, modules = m->size + 2 * quiet;
    const int x0 = w / 2 - side / 2, y0 = h / 2 - side / 2;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int mx = x * modules / side - quiet, my = y * modules / side - quiet;
        const bool dark = mx >= 0 && my >= 0 && mx < m->size && my < m->size && m->dark(mx, my);
        f[static_cast<size_t>(y0 + y) * w + x0 + x] =
            static_cast<std::uint8_t>(std::clamp((dark ? 40 : 200) + noise(rng), 0, 255));
      }
  }
  return f;
}

void bench_decode() {
  std::mt19937 rng(7);
  auto text = qr::encode_card(make_card(0));
  auto m = qrimage::encode(*text);
  qrimage::QrReader reader;
  for (auto [w, h] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    for (bool with_code : {true, false}) {
      auto f = frame_with(with_code ? &*m : nullptr, w, h, rng);
      std::vector<double> t, thorough;
      int found = 0;
      for (int i = 0; i < 60; ++i) {
        auto t0 = Clock::now();
        found += !reader.read_frame(f.data(), w, h, w, static_cast<std::uint64_t>(i)).empty();
        t.push_back(ms_since(t0));
      }
      for (int i = 0; i < 10; ++i) {
        auto t0 = Clock::now();
        (void)reader.read(f.data(), w, h, w);
        thorough.push_back(ms_since(t0));
      }
      std::printf("decode %dx%d %s: camera path p50 %.2f ms, p95 %.2f ms (found in %d/60); file path p50 %.1f ms\n", w,
                  h, with_code ? "with a 4-person card" : "with no code        ", pct(t, 0.5), pct(t, 0.95), found,
                  pct(thorough, 0.5));
    }
  }
}

void bench_latency(int households) {
  const fs::path dir = fs::temp_directory_path() / "shelter-bench-kiosk";
  fs::remove_all(dir);
  fs::create_directories(dir / "frames");
  for (int i = 0; i < households; ++i) {
    auto text = qr::encode_card(make_card(i));
    auto m = qrimage::encode(*text);
    auto png = qrimage::to_png(*m, 4);
    char name[32];
    std::snprintf(name, sizeof name, "%04d.png", i);
    (void)write_file_atomic((dir / "frames" / name).string(), std::string(png.begin(), png.end()), 0644);
  }
  auto store = Store::open((dir / "kiosk.db").string());
  if (!store || !(*store)->init_identity("bench-01", "bench-01-k", "Bench").ok()) {
    std::fprintf(stderr, "bench_kiosk: cannot open the store\n");
    std::exit(1);
  }
  kiosk::Config config;
  kiosk::Controller controller(**store, config);
  camera::ReplayOptions ro;
  ro.paths = {(dir / "frames").string()};
  ro.fps = 8;
  ro.loop = false;
  camera::Scanner scanner([ro] { return camera::open_replay(ro); }, {}, nullptr);
  std::vector<double> latency;
  const auto start = Clock::now();
  scanner.start();
  while (static_cast<int>(latency.size()) < households && ms_since(start) < households * 1000.0 / ro.fps + 5000) {
    for (const auto& d : scanner.take_detections()) {
      if (!controller.on_scan(d.text)) continue;
      controller.apply(ui::Intent{ui::Intent::ConfirmArrival, {}, 0});
      if (controller.vm().screen == ui::Screen::Done)
        latency.push_back(std::chrono::duration<double, std::milli>(Clock::now() - d.captured).count());
      controller.apply(ui::Intent{ui::Intent::Finish, {}, 0});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  scanner.stop();
  auto counts = (*store)->counts("bench-01");
  std::printf(
      "frame-to-committed-arrival (4-person card, replay camera, synchronous=FULL): %zu households, "
      "p50 %.1f ms, p95 %.1f ms, max %.1f ms; %d persons present\n",
      latency.size(), pct(latency, 0.5), pct(latency, 0.95), pct(latency, 1.0), counts ? counts->present : -1);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int households = 40;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--households") households = std::max(1, std::atoi(argv[i + 1]));
  bench_decode();
  bench_latency(households);
  return 0;
}
