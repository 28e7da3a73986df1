// Reading QR codes from gray pictures with ZXing-C++ 1.4, and the passes
// that help it with what real cameras and photos give: see QrReader.
#include <algorithm>
#include <cstdint>
#include <vector>

// ZXing 1.4: make Result::text() return UTF-8 std::string (the next API).
#define ZX_USE_UTF8 1
#include <ReadBarcode.h>

#include "core/qr_image.hpp"

namespace shelter::qrimage {

namespace {

std::vector<Found> zxing_read(const std::uint8_t* gray, int w, int h, int stride, ZXing::Binarizer binarizer,
                              bool try_harder = true) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(try_harder);
  hints.setTryRotate(try_harder);
  hints.setBinarizer(binarizer);
  hints.setMaxNumberOfSymbols(8);
  ZXing::ImageView view(gray, w, h, ZXing::ImageFormat::Lum, stride);
  std::vector<Found> out;
  for (const auto& r : ZXing::ReadBarcodes(view, hints)) {
    if (!r.isValid()) continue;
    Found f;
    f.text = r.text();
    const auto& pos = r.position();
    for (int i = 0; i < 4; ++i) {
      f.x[i] = pos[i].x;
      f.y[i] = pos[i].y;
    }
    out.push_back(std::move(f));
  }
  return out;
}

// Stretches the darkest..brightest 1% range to 0..255: dim webcam frames.
std::vector<std::uint8_t> stretch_contrast(const std::uint8_t* gray, int w, int h, int stride) {
  std::size_t hist[256] = {};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ++hist[gray[static_cast<size_t>(y) * stride + x]];
  const std::size_t total = static_cast<std::size_t>(w) * h, cut = total / 100;
  int lo = 0, hi = 255;
  for (std::size_t acc = 0; lo < 255 && (acc += hist[lo]) <= cut;) ++lo;
  for (std::size_t acc = 0; hi > 0 && (acc += hist[hi]) <= cut;) --hi;
  std::vector<std::uint8_t> out(total);
  const int range = std::max(1, hi - lo);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int v = (gray[static_cast<size_t>(y) * stride + x] - lo) * 255 / range;
      out[static_cast<size_t>(y) * w + x] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
    }
  return out;
}

std::vector<std::uint8_t> double_size(const std::uint8_t* gray, int w, int h, int stride) {
  const int dw = w * 2, dh = h * 2;
  std::vector<std::uint8_t> out(static_cast<size_t>(dw) * dh);
  for (int y = 0; y < dh; ++y)
    for (int x = 0; x < dw; ++x)
      out[static_cast<size_t>(y) * dw + x] = gray[static_cast<size_t>(y / 2) * stride + x / 2];
  return out;
}

void scale_corners(std::vector<Found>& found, float by) {
  for (auto& f : found)
    for (int i = 0; i < 4; ++i) {
      f.x[i] = static_cast<int>(static_cast<float>(f.x[i]) * by);
      f.y[i] = static_cast<int>(static_cast<float>(f.y[i]) * by);
    }
}

std::vector<std::uint8_t> half_size(const std::uint8_t* gray, int w, int h, int stride) {
  const int hw = w / 2, hh = h / 2;
  std::vector<std::uint8_t> out(static_cast<size_t>(hw) * hh);
  for (int y = 0; y < hh; ++y)
    for (int x = 0; x < hw; ++x) {
      const std::uint8_t* p = gray + static_cast<size_t>(2 * y) * stride + 2 * x;
      out[static_cast<size_t>(y) * hw + x] =
          static_cast<std::uint8_t>((p[0] + p[1] + p[stride] + p[stride + 1] + 2) / 4);
    }
  return out;
}

}  // namespace

std::vector<Found> QrReader::read(const std::uint8_t* gray, int width, int height, int stride) const {
  if (!gray || width <= 0 || height <= 0 || stride < width) return {};
  auto found = zxing_read(gray, width, height, stride, ZXing::Binarizer::LocalAverage);
  if (!found.empty()) return found;
  auto stretched = stretch_contrast(gray, width, height, stride);
  found = zxing_read(stretched.data(), width, height, width, ZXing::Binarizer::GlobalHistogram);
  if (!found.empty()) return found;
  if (width >= 64 && height >= 64) {
    auto half = half_size(stretched.data(), width, height, width);
    found = zxing_read(half.data(), width / 2, height / 2, width / 2, ZXing::Binarizer::LocalAverage);
    scale_corners(found, 2);
    if (!found.empty()) return found;
  }
  // Small codes in small pictures: modules of one or two pixels.
  if (static_cast<long>(width) * height <= 1'000'000) {
    auto twice = double_size(stretched.data(), width, height, width);
    found = zxing_read(twice.data(), width * 2, height * 2, width * 2, ZXing::Binarizer::LocalAverage);
    scale_corners(found, 0.5f);
  }
  return found;
}

std::vector<Found> QrReader::read_frame(const std::uint8_t* gray, int width, int height, int stride,
                                        std::uint64_t frame_index) const {
  if (!gray || width <= 0 || height <= 0 || stride < width) return {};
  // In a large frame a card held up to the camera has modules of several
  // pixels: a fast pass at half size finds it in about a millisecond.
  const bool large = width >= 960 && height >= 540;
  std::vector<std::uint8_t> half;
  if (large) {
    half = half_size(gray, width, height, stride);
    auto found = zxing_read(half.data(), width / 2, height / 2, width / 2, ZXing::Binarizer::LocalAverage, false);
    scale_corners(found, 2);
    if (!found.empty()) return found;
  }
  // Then one harder pass, a different one on each frame, so that three
  // consecutive frames try them all within the time budget.
  std::vector<Found> found;
  switch (frame_index % 3) {
    case 0:  // full size: small or distant codes
      found = zxing_read(gray, width, height, stride, ZXing::Binarizer::LocalAverage, !large);
      break;
    case 1: {  // stretched contrast, another binarizer: dim light, glare
      if (large) {
        auto stretched = stretch_contrast(half.data(), width / 2, height / 2, width / 2);
        found =
            zxing_read(stretched.data(), width / 2, height / 2, width / 2, ZXing::Binarizer::GlobalHistogram, false);
        scale_corners(found, 2);
      } else {
        auto stretched = stretch_contrast(gray, width, height, stride);
        found = zxing_read(stretched.data(), width, height, width, ZXing::Binarizer::GlobalHistogram, false);
      }
      break;
    }
    default:  // try harder (tilted, partly covered)
      if (large) {
        found = zxing_read(half.data(), width / 2, height / 2, width / 2, ZXing::Binarizer::LocalAverage, true);
        scale_corners(found, 2);
      } else {
        found = zxing_read(gray, width, height, stride, ZXing::Binarizer::LocalAverage, true);
      }
  }
  return found;
}

}  // namespace shelter::qrimage
