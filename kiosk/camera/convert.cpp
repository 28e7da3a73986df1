// Pixel conversions for camera frames: YUYV -> gray/RGB, RGB -> gray and
// MJPEG -> gray/RGB. Integer math only: these run on every frame.
#include <algorithm>
#include <string>
#include <vector>

#include "core/jpeg.hpp"
#include "kiosk/camera/frame_source.hpp"

namespace shelter::camera {
namespace {

// Larger frames are not webcam frames; refusing them bounds the memory a
// corrupt or hostile header can make us allocate.
constexpr int kMaxMjpegSide = 8192;
constexpr jpeg::Limits kMjpegLimits{static_cast<long long>(kMaxMjpegSide) * kMaxMjpegSide, kMaxMjpegSide};

std::uint8_t clamp_u8(int v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// BT.601 limited range (Y 16..235, U/V 16..240) to full-range RGB, in 8.8
// fixed point (the classic 298/409/100/208/516 coefficients).
void yuv_to_rgb_pixel(int y, int u, int v, std::uint8_t* rgb) {
  const int c = 298 * (y - 16) + 128;
  const int d = u - 128;
  const int e = v - 128;
  rgb[0] = clamp_u8((c + 409 * e) >> 8);
  rgb[1] = clamp_u8((c - 100 * d - 208 * e) >> 8);
  rgb[2] = clamp_u8((c + 516 * d) >> 8);
}

}  // namespace

void yuyv_to_gray(const std::uint8_t* yuyv, int width, int height, int stride, std::uint8_t* gray) {
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* src = yuyv + static_cast<size_t>(y) * static_cast<size_t>(stride);
    std::uint8_t* dst = gray + static_cast<size_t>(y) * static_cast<size_t>(width);
    for (int x = 0; x < width; ++x) dst[x] = src[2 * x];  // Y0 U Y1 V: every other byte is luma
  }
}

void yuyv_to_rgb(const std::uint8_t* yuyv, int width, int height, int stride, std::uint8_t* rgb) {
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* src = yuyv + static_cast<size_t>(y) * static_cast<size_t>(stride);
    std::uint8_t* dst = rgb + static_cast<size_t>(y) * static_cast<size_t>(width) * 3;
    int x = 0;
    for (; x + 1 < width; x += 2, src += 4, dst += 6) {
      const int u = src[1];
      const int v = src[3];
      yuv_to_rgb_pixel(src[0], u, v, dst);
      yuv_to_rgb_pixel(src[2], u, v, dst + 3);
    }
    // YUYV widths are even; should an odd one turn up, the last pixel's V
    // byte lies past width*2, so it is not read (neutral chroma instead).
    if (x < width) yuv_to_rgb_pixel(src[0], src[1], 128, dst);
  }
}

void rgb_to_gray(const std::uint8_t* rgb, int width, int height, std::uint8_t* gray) {
  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  for (size_t i = 0; i < n; ++i, rgb += 3) {
    // Weights sum to 256, so white stays 255.
    gray[i] = static_cast<std::uint8_t>((77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2]) >> 8);
  }
}

// libjpeg-turbo reads the frames of webcams that leave out the standard
// Huffman tables (the AVI1 convention) by itself.
Status decode_mjpeg(const std::uint8_t* data, size_t size, Frame& out) {
  jpeg::Image rgb;  // its pixels become the frame's: no copy of a frame per frame
  if (Status s = jpeg::decode(data, size, jpeg::Pixels::Rgb, 1, kMjpegLimits, rgb); !s)
    return s.error().context("decode MJPEG frame");
  out.width = rgb.width;
  out.height = rgb.height;
  out.rgb = std::move(rgb.pixels);
  out.gray.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
  rgb_to_gray(out.rgb.data(), out.width, out.height, out.gray.data());
  out.mjpeg.clear();
  return {};
}

Status take_mjpeg(const std::uint8_t* data, size_t size, Frame& out) {
  jpeg::Image small;
  if (Status s = jpeg::decode(data, size, jpeg::Pixels::Gray, 8, kMjpegLimits, small); !s)
    return s.error().context("decode MJPEG frame");
  out.width = small.full_width;
  out.height = small.full_height;
  out.gray.clear();
  out.rgb.clear();
  out.mjpeg.assign(data, data + size);
  out.thumb.width = small.width;
  out.thumb.height = small.height;
  out.thumb.gray = std::move(small.pixels);
  return {};
}

void gray_thumbnail(const std::uint8_t* gray, int width, int height, Thumbnail& out) {
  // Block means over 8x8, as the JPEG's 1/8 scale gives (edge blocks partial).
  out.width = (width + 7) / 8;
  out.height = (height + 7) / 8;
  out.gray.assign(static_cast<size_t>(out.width) * out.height, 0);
  std::vector<unsigned> sum(static_cast<size_t>(out.width), 0), count(static_cast<size_t>(out.width), 0);
  for (int ty = 0; ty < out.height; ++ty) {
    std::fill(sum.begin(), sum.end(), 0u);
    std::fill(count.begin(), count.end(), 0u);
    for (int y = ty * 8; y < std::min(height, ty * 8 + 8); ++y) {
      const std::uint8_t* row = gray + static_cast<size_t>(y) * static_cast<size_t>(width);
      for (int x = 0; x < width; ++x) {
        sum[static_cast<size_t>(x / 8)] += row[x];
        ++count[static_cast<size_t>(x / 8)];
      }
    }
    for (int tx = 0; tx < out.width; ++tx)
      out.gray[static_cast<size_t>(ty) * out.width + tx] =
          static_cast<std::uint8_t>(sum[static_cast<size_t>(tx)] / std::max(1u, count[static_cast<size_t>(tx)]));
  }
}

}  // namespace shelter::camera
