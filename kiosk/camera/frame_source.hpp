#pragma once
// Where camera frames come from: a V4L2 webcam, or recorded frames / image
// files played back (tests, demos, machines without a camera). The capture
// thread owns a FrameSource; nothing else touches it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace shelter::camera {

struct Frame {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> gray;  // width*height, for the decoder
  std::vector<std::uint8_t> rgb;   // width*height*3, for the preview; empty: show gray
  std::uint64_t seq = 0;           // set by the capture thread
  std::chrono::steady_clock::time_point captured{};
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // "v4l2 /dev/video0 1280x720 MJPEG", "replay tests/data/frames (12 files)"
  virtual std::string describe() const = 0;
  // Waits up to `timeout` for the next frame. true: `out` holds a new frame;
  // false: none yet. An error means the device is gone or broken: the caller
  // drops this source and opens a new one later (unplugged webcam).
  virtual Result<bool> next(Frame& out, std::chrono::milliseconds timeout) = 0;
};

struct V4l2Options {
  std::string device = "/dev/video0";
  int width = 1280;
  int height = 720;
  int fps = 30;
  std::string format = "auto";  // "auto" (MJPEG if offered, else YUYV), "mjpeg", "yuyv"
};
// Opens the device, negotiates the format (the driver may pick another
// size: the frames say what they are) and starts streaming (mmap buffers).
Result<std::unique_ptr<FrameSource>> open_v4l2(const V4l2Options& options);

struct ReplayOptions {
  // Image files (PNG/JPEG) or folders of them, played in name order.
  std::vector<std::string> paths;
  double fps = 15;
  bool loop = true;  // false: after the last frame, next() returns false for ever
};
Result<std::unique_ptr<FrameSource>> open_replay(const ReplayOptions& options);

// Pixel conversions, exposed for tests and for the V4L2 source.
// YUYV 4:2:2 -> gray (the Y plane) and RGB24.
void yuyv_to_gray(const std::uint8_t* yuyv, int width, int height, int stride, std::uint8_t* gray);
void yuyv_to_rgb(const std::uint8_t* yuyv, int width, int height, int stride, std::uint8_t* rgb);
// One MJPEG frame (a JPEG that may lack Huffman tables: webcams often omit
// the standard DHT segment, which is then inserted) -> gray and RGB.
Status decode_mjpeg(const std::uint8_t* data, size_t size, Frame& out);
// RGB24 -> gray with integer BT.601 weights.
void rgb_to_gray(const std::uint8_t* rgb, int width, int height, std::uint8_t* gray);

}  // namespace shelter::camera
