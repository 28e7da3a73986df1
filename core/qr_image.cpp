#include "core/qr_image.hpp"

#include <qrencode.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

// ZXing 1.4: make Result::text() return UTF-8 std::string (the next API).
#define ZX_USE_UTF8 1
#include <ReadBarcode.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "core/fs_util.hpp"

namespace shelter::qrimage {

namespace {
constexpr int kQuietZone = 4;
// A phone photo is ~12 Mpx; anything far larger is not a card picture and
// could exhaust memory when decoded.
constexpr long long kMaxPixels = 64LL * 1024 * 1024;
}  // namespace

Result<QrMatrix> encode(std::string_view text) {
  const std::string s(text);
  if (s.find('\0') != std::string::npos) return fail("QR text contains a NUL byte");
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString(s.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                       &QRcode_free);
  if (!code) return fail("QR encode: text too long for a QR code (" + std::to_string(s.size()) + " characters)");
  QrMatrix m;
  m.size = code->width;
  m.version = code->version;
  m.modules.resize(static_cast<size_t>(m.size) * m.size);
  for (size_t i = 0; i < m.modules.size(); ++i) m.modules[i] = code->data[i] & 1;
  return m;
}

std::vector<unsigned char> to_png(const QrMatrix& m, int scale) {
  const int side = (m.size + 2 * kQuietZone) * scale;
  std::vector<unsigned char> px(static_cast<size_t>(side) * side, 255);
  for (int y = 0; y < m.size; ++y)
    for (int x = 0; x < m.size; ++x)
      if (m.dark(x, y))
        for (int dy = 0; dy < scale; ++dy)
          std::fill_n(px.begin() + static_cast<long>((y + kQuietZone) * scale + dy) * side + (x + kQuietZone) * scale,
                      scale, 0);
  std::vector<unsigned char> out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) {
        auto* v = static_cast<std::vector<unsigned char>*>(ctx);
        v->insert(v->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
      },
      &out, side, side, 1, px.data(), side);
  return out;
}

std::string to_svg(const QrMatrix& m) {
  const int side = m.size + 2 * kQuietZone;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
      std::to_string(side) + " " + std::to_string(side) + "\" width=\"" + std::to_string(side * 8) + "\" height=\"" +
      std::to_string(side * 8) +
      "\" shape-rendering=\"crispEdges\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<path fill=\"#000\" "
      "d=\"";
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size;) {
      if (!m.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size && m.dark(x + run, y)) ++run;
      out += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" + std::to_string(run) +
             "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  out += "\"/>\n</svg>\n";
  return out;
}

Result<GrayImage> load_image_from_memory(const std::uint8_t* data, size_t size) {
  if (size > static_cast<size_t>(INT_MAX)) return fail("image file too large");
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp))
    return fail(std::string("not a PNG or JPEG image (") + stbi_failure_reason() + ")");
  if (w <= 0 || h <= 0 || static_cast<long long>(w) * h > kMaxPixels)
    return fail("image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels: too large");
  // Four channels so that transparency can be laid over white paper: a QR
  // drawn black on a transparent background would otherwise be black on black.
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> rgba(
      stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &comp, 4), &stbi_image_free);
  if (!rgba) return fail(std::string("cannot decode image (") + stbi_failure_reason() + ")");
  GrayImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h);
  const stbi_uc* p = rgba.get();
  for (size_t i = 0; i < img.pixels.size(); ++i, p += 4) {
    // ITU-R BT.601 luma, then composite over white.
    unsigned lum = (299u * p[0] + 587u * p[1] + 114u * p[2]) / 1000u;
    unsigned a = p[3];
    img.pixels[i] = static_cast<std::uint8_t>((lum * a + 255u * (255u - a)) / 255u);
  }
  return img;
}

Result<GrayImage> load_image(const std::string& path) {
  auto bytes = read_file_bytes(path, 256u << 20);
  if (!bytes) return bytes.error();
  auto img = load_image_from_memory(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
  if (!img) return img.error().context(path);
  return img;
}

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

Result<std::vector<Found>> read_file(const std::string& path) {
  auto img = load_image(path);
  if (!img) return img.error();
  return QrReader{}.read(*img);
}

}  // namespace shelter::qrimage
