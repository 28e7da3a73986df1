#include "core/qr_image.hpp"

#include <qrencode.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "core/fs_util.hpp"
#include "core/jpeg.hpp"

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
  // JPEG (photos, webcam frames) through libjpeg-turbo: luma only, about
  // twice as fast as stb_image; it also reads progressive and CMYK files.
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    jpeg::Image gray;
    if (Status s = jpeg::decode(data, size, jpeg::Pixels::Gray, 1, {kMaxPixels}, gray, jpeg::Warnings::Accept); !s)
      return fail("cannot decode image (" + s.error().message + ")");
    GrayImage img;
    img.width = gray.width;
    img.height = gray.height;
    img.pixels = std::move(gray.pixels);
    return img;
  }
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

Result<std::vector<Found>> read_file(const std::string& path) {
  auto img = load_image(path);
  if (!img) return img.error();
  return QrReader{}.read(*img);
}

}  // namespace shelter::qrimage
