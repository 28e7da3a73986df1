// Camera benchmarks, printing figures, on synthetic 720p webcam frames
// (colour MJPEG 4:2:2, sensor noise, no Huffman tables: webcam_frames.hpp):
//  - MJPEG decode per frame: stb_image (what the kiosk used before),
//    libjpeg-turbo full decode, and the 1/8 thumbnail the motion gate reads;
//  - the live QR path per 720p frame (read_frame), with a card and without;
//  - the camera pipeline idle: replayed at 30 fps with nobody in front, its
//    CPU share, and how many frames the motion gate held back;
//  - a card appearing: frames held back after it appeared (0 = full speed
//    within one frame) and the time to its detection.
// usage: bench_camera [--seconds S] [--write-frames DIR [--count N]]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <stb/stb_image.h>

#include "kiosk/camera/scanner.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/bench/webcam_frames.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;

using bench::ms_since;
using bench::pct;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

const char* kCardText =
    "SC:D70L60$Y88IHO1Q4Z34.J9-SU%LKTGI1T9QJTII%1TWOGIDI/0TZ9H5W56W5FO1.Q63W56463W56467364724724724725T1QWJCN1E12EOTNK"
    "JNJL574RENJNT1/HR-3+.5A6CK946Y08E48E48E48E4 Y1X4KUZ3F24EOTNKJNJL674VNIR1TH9IR-3+.5H6CFD3GS19 JS1T";

std::vector<std::vector<std::uint8_t>> make_frames(int count, const qrimage::QrMatrix* code, unsigned seed,
                                                   bool tables = false) {
  std::mt19937 rng(seed);
  std::vector<std::vector<std::uint8_t>> out;
  for (int i = 0; i < count; ++i) {
    bench::SceneOptions o;
    o.code = code;
    o.code_dx = (i % 5) - 2;  // a hand is never quite still
    o.code_dy = (i % 3) - 1;
    out.push_back(bench::to_webcam_mjpeg(bench::scene_rgb(o, rng), o.width, o.height, o.quality, tables));
  }
  return out;
}

// Plays MJPEG frames at 30 fps as a webcam would; switches to `later` after
// `switch_after` frames and notes when.
class MjpegPlayer final : public camera::FrameSource {
 public:
  MjpegPlayer(const std::vector<std::vector<std::uint8_t>>& first, const std::vector<std::vector<std::uint8_t>>& later,
              int switch_after)
      : first_(first), later_(later), switch_after_(switch_after) {}
  std::string describe() const override { return "bench mjpeg"; }
  Result<bool> next(camera::Frame& out, std::chrono::milliseconds) override {
    if (due_ == Clock::time_point{}) due_ = Clock::now();
    std::this_thread::sleep_until(due_);
    due_ += std::chrono::microseconds(33333);
    const bool late = switch_after_ >= 0 && index_ >= switch_after_ && !later_.empty();
    if (late && switched_at_ == Clock::time_point{}) switched_at_ = Clock::now();
    const auto& frames = late ? later_ : first_;
    const auto& f = frames[static_cast<size_t>(index_++) % frames.size()];
    if (Status s = camera::take_mjpeg(f.data(), f.size(), out); !s) return s.error();
    out.captured = Clock::now();
    return true;
  }
  Clock::time_point switched_at() const { return switched_at_; }

 private:
  const std::vector<std::vector<std::uint8_t>>& first_;
  const std::vector<std::vector<std::uint8_t>>& later_;
  int switch_after_;
  int index_ = 0;
  Clock::time_point due_{};
  Clock::time_point switched_at_{};
};

void bench_mjpeg(const std::vector<std::vector<std::uint8_t>>& frames) {
  std::vector<double> stb, full, thumb;
  // stb_image cannot read table-less frames: it gets the same kind with tables.
  for (const auto& j : make_frames(10, nullptr, 3, true)) {
    const auto t0 = Clock::now();
    int w = 0, h = 0, comp = 0;
    stbi_uc* px = stbi_load_from_memory(j.data(), static_cast<int>(j.size()), &w, &h, &comp, 3);
    if (px) stb.push_back(ms_since(t0));
    stbi_image_free(px);
  }
  camera::Frame f;
  for (const auto& j : frames) {
    auto t0 = Clock::now();
    if (camera::decode_mjpeg(j.data(), j.size(), f)) full.push_back(ms_since(t0));
    t0 = Clock::now();
    if (camera::take_mjpeg(j.data(), j.size(), f)) thumb.push_back(ms_since(t0));
  }
  std::printf(
      "MJPEG 1280x720 4:2:2 noisy frame (%.0f KB): libjpeg-turbo RGB+gray p50 %.2f ms, p95 %.2f ms; "
      "1/8 thumbnail p50 %.2f ms, p95 %.2f ms",
      static_cast<double>(frames.front().size()) / 1024, pct(full, 0.5), pct(full, 0.95), pct(thumb, 0.5),
      pct(thumb, 0.95));
  std::printf("; stb_image (before) p50 %.2f ms\n", pct(stb, 0.5));
}

void bench_live(const std::vector<std::vector<std::uint8_t>>& card,
                const std::vector<std::vector<std::uint8_t>>& empty) {
  qrimage::QrReader reader;
  for (const auto* set : {&card, &empty}) {
    std::vector<double> t;
    int found = 0;
    camera::Frame f;
    std::uint64_t index = 0;
    for (int round = 0; round < 3; ++round)
      for (const auto& j : *set) {
        if (!camera::decode_mjpeg(j.data(), j.size(), f)) continue;
        auto t0 = Clock::now();
        found += !reader.read_frame(f.gray.data(), f.width, f.height, f.width, index++).empty();
        t.push_back(ms_since(t0));
      }
    std::printf("live QR path per 1280x720 frame %s: p50 %.2f ms, p95 %.2f ms, max %.2f ms (found in %d/%zu)\n",
                set == &card ? "with a card " : "with no code", pct(t, 0.5), pct(t, 0.95), pct(t, 1.0), found,
                t.size());
  }
}

void bench_idle(const std::vector<std::vector<std::uint8_t>>& empty, const std::vector<std::vector<std::uint8_t>>& card,
                double seconds) {
  MjpegPlayer* player = nullptr;
  const int switch_after = static_cast<int>((seconds + 2.5) * 30);
  camera::Scanner scanner(
      [&]() -> Result<std::unique_ptr<camera::FrameSource>> {
        auto p = std::make_unique<MjpegPlayer>(empty, card, switch_after);
        player = p.get();
        return std::unique_ptr<camera::FrameSource>(std::move(p));
      },
      {}, nullptr);
  scanner.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the start's full-speed hold
  const auto s0 = scanner.stats();
  const double c0 = cpu_seconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double cpu = cpu_seconds() - c0, wall = ms_since(t0) / 1000;
  const auto s1 = scanner.stats();
  std::printf(
      "camera pipeline idle at 30 fps (capture, motion gate, decoder; no UI): %.1f%% of one core; "
      "%llu frames captured, %llu held back, %llu decoded, %llu to the preview\n",
      100 * cpu / wall, static_cast<unsigned long long>(s1.frames - s0.frames),
      static_cast<unsigned long long>(s1.held_back - s0.held_back),
      static_cast<unsigned long long>((s1.frames - s1.held_back) - (s0.frames - s0.held_back)),
      static_cast<unsigned long long>(s1.shown - s0.shown));
  // The card appears: every frame from then on is decoded.
  while (!player || player->switched_at() == Clock::time_point{})
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto held_at_switch = scanner.stats().held_back;
  const auto appeared = player->switched_at();
  double to_detection = -1;
  for (int i = 0; i < 300 && to_detection < 0; ++i) {
    for (const auto& d : scanner.take_detections())
      if (d.captured >= appeared)
        to_detection = std::chrono::duration<double, std::milli>(d.decoded - appeared).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto s2 = scanner.stats();
  scanner.stop();
  std::printf(
      "a card appears: %llu frames held back in the next 0.5 s (0 = full speed from the first frame), "
      "detected %.0f ms after it appeared\n",
      static_cast<unsigned long long>(s2.held_back - held_at_switch), to_detection);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::string write_dir;
  int count = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::max(3.0, std::atof(argv[++i]));
    else if (a == "--write-frames" && i + 1 < argc)
      write_dir = argv[++i];
    else if (a == "--count" && i + 1 < argc)
      count = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: bench_camera [--seconds S] [--write-frames DIR [--count N]]\n");
      return 2;
    }
  }
  if (!write_dir.empty()) {
    // Frames for bench_kiosk_window.sh: nobody in front, noise in each.
    std::filesystem::create_directories(write_dir);
    const auto frames = make_frames(count, nullptr, 11);
    for (size_t i = 0; i < frames.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "/%04zu.jpg", i);
      std::ofstream(write_dir + name, std::ios::binary)
          .write(reinterpret_cast<const char*>(frames[i].data()), static_cast<std::streamsize>(frames[i].size()));
    }
    return 0;
  }
  auto code = qrimage::encode(kCardText);
  if (!code) return 1;
  const auto empty = make_frames(30, nullptr, 1);
  const auto card = make_frames(30, &*code, 2);
  bench_mjpeg(empty);
  bench_live(card, empty);
  bench_idle(empty, card, seconds);
  return 0;
}
