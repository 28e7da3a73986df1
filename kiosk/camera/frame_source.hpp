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

// A frame at 1/8 size (one gray value per 8x8 block): enough to see whether
// anything moved, at a fraction of a full decode.
struct Thumbnail {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> gray;  // width*height
};

struct Frame {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> gray;  // width*height, for the decoder
  std::vector<std::uint8_t> rgb;   // width*height*3, for the preview; empty: show gray
  // An MJPEG frame not decoded yet (gray and rgb empty): the capture thread
  // decodes it only when the thumbnail shows a change, or for the slow
  // preview while nothing moves (scanner.hpp).
  std::vector<std::uint8_t> mjpeg;
  Thumbnail thumb;        // set by the source for MJPEG frames, else by the capture thread
  std::uint64_t seq = 0;  // set by the capture thread
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
// the standard DHT segment) -> gray and RGB; clears out.mjpeg.
Status decode_mjpeg(const std::uint8_t* data, size_t size, Frame& out);
// Keeps an MJPEG frame undecoded (out.mjpeg) with its 1/8-size gray
// thumbnail, which also proves the frame decodes; costs a fraction of a full
// decode. The capture thread calls decode_mjpeg on the frames it keeps.
Status take_mjpeg(const std::uint8_t* data, size_t size, Frame& out);
// A decoded gray frame's 8x8 block means.
void gray_thumbnail(const std::uint8_t* gray, int width, int height, Thumbnail& out);
// RGB24 -> gray with integer BT.601 weights.
void rgb_to_gray(const std::uint8_t* rgb, int width, int height, std::uint8_t* gray);

}  // namespace shelter::camera
