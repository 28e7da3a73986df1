#include "tests/bench/webcam_frames.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace shelter::bench {

std::vector<std::uint8_t> scene_rgb(const SceneOptions& o, std::mt19937& rng) {
  const int w = o.width, h = o.height;
  std::vector<std::uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  std::normal_distribution<double> noise(0, o.noise_sigma);
  const int card = h / 3, quiet = 4;
  const int cx0 = w / 2 - card / 2 + o.code_dx, cy0 = h / 2 - card / 2 + o.code_dy;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      // A beige wall lit from the left, a dark door, a poster with lines.
      double r = 200 - 50.0 * x / w, g = 185 - 45.0 * x / w, b = 150 - 40.0 * x / w;
      if (x > w * 7 / 10 && x < w * 9 / 10 && y > h / 5) r = 90, g = 60, b = 40;
      if (x > w / 12 && x < w / 4 && y > h / 6 && y < h / 2) {
        const bool line = (y / 9) % 3 == 0 && x % 40 < 32;
        r = line ? 40 : 235, g = line ? 60 : 235, b = line ? 120 : 225;
      }
      if (y > h * 8 / 10) r = 120, g = 110, b = 95;  // the floor
      if (o.code && x >= cx0 && y >= cy0 && x < cx0 + card && y < cy0 + card) {
        const int modules = o.code->size + 2 * quiet;
        const int mx = (x - cx0) * modules / card - quiet, my = (y - cy0) * modules / card - quiet;
        const bool dark = mx >= 0 && my >= 0 && mx < o.code->size && my < o.code->size && o.code->dark(mx, my);
        r = g = b = dark ? 35 : 215;
      }
      std::uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<std::uint8_t>(std::clamp(r + noise(rng), 0.0, 255.0));
      p[1] = static_cast<std::uint8_t>(std::clamp(g + noise(rng), 0.0, 255.0));
      p[2] = static_cast<std::uint8_t>(std::clamp(b + noise(rng), 0.0, 255.0));
    }
  return rgb;
}

std::vector<std::uint8_t> strip_huffman_tables(const std::vector<std::uint8_t>& jpeg) {
  if (jpeg.size() < 4) return jpeg;
  std::vector<std::uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  size_t pos = 2;
  while (pos + 4 <= jpeg.size() && jpeg[pos] == 0xFF) {
    const std::uint8_t marker = jpeg[pos + 1];
    if (marker == 0xDA) break;  // the scan and everything after it is kept
    const size_t len = (static_cast<size_t>(jpeg[pos + 2]) << 8) | jpeg[pos + 3];
    if (marker != 0xC4)
      out.insert(out.end(), jpeg.begin() + static_cast<long>(pos), jpeg.begin() + static_cast<long>(pos + 2 + len));
    pos += 2 + len;
  }
  out.insert(out.end(), jpeg.begin() + static_cast<long>(std::min(pos, jpeg.size())), jpeg.end());
  return out;
}

std::vector<std::uint8_t> to_webcam_mjpeg(const std::vector<std::uint8_t>& rgb, int width, int height, int quality,
                                          bool keep_tables) {
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj, rgb.data(), width, width * 3, height, TJPF_RGB, &buf, &size, TJSAMP_422, quality, 0);
  std::vector<std::uint8_t> jpeg;
  if (rc == 0) jpeg.assign(buf, buf + size);
  tjFree(buf);
  tjDestroy(tj);
  if (rc != 0) throw std::runtime_error("tjCompress2 failed");
  if (keep_tables) return jpeg;
  return strip_huffman_tables(jpeg);
}

}  // namespace shelter::bench
