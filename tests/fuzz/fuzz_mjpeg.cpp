// libFuzzer target for what a webcam or a USB glitch can hand the capture
// thread: any bytes as an MJPEG frame (take_mjpeg, then decode_mjpeg, as the
// capture thread calls them). Invariants: never crashes; a frame it accepts
// has the size its header says, a thumbnail of 1/8 of it, and pixels to
// match.
#include <cstdint>
#include <cstdlib>

#include "kiosk/camera/frame_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shelter::camera;
  Frame f;
  if (!take_mjpeg(data, size, f)) return 0;
  if (f.width <= 0 || f.height <= 0 || f.width > 8192 || f.height > 8192) std::abort();
  if (f.thumb.width != (f.width + 7) / 8 || f.thumb.height != (f.height + 7) / 8) std::abort();
  if (f.thumb.gray.size() != static_cast<size_t>(f.thumb.width) * f.thumb.height) std::abort();
  // Only small frames are decoded in full: the fuzzer's time goes to parsing.
  if (static_cast<long>(f.width) * f.height > 1 << 20) return 0;
  if (!decode_mjpeg(f.mjpeg.data(), f.mjpeg.size(), f)) return 0;
  const size_t n = static_cast<size_t>(f.width) * f.height;
  if (f.gray.size() != n || f.rgb.size() != n * 3 || !f.mjpeg.empty()) std::abort();
  return 0;
}
