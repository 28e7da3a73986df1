#pragma once
// QR codes as pictures: text -> QR matrix (libqrencode) -> PNG or SVG, and
// image file or camera frame -> texts of the QR codes in it (ZXing-C++).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::qrimage {

struct QrMatrix {
  int size = 0;                       // modules per side
  int version = 0;                    // 1..40
  std::vector<std::uint8_t> modules;  // size*size, 1 = dark
  bool dark(int x, int y) const { return modules[static_cast<size_t>(y) * size + x] != 0; }
};

// Error correction level M (15%): a printed card survives creases and a
// webcam's blur. Whole-text alphanumeric mode when the text allows it.
Result<QrMatrix> encode(std::string_view text);

// PNG, 8-bit gray, `scale` pixels per module, a 4-module quiet zone.
std::vector<unsigned char> to_png(const QrMatrix& m, int scale = 8);
// SVG with one path of unit squares; scales to any print size.
std::string to_svg(const QrMatrix& m);

// An 8-bit grayscale picture.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width*height
};

// Decodes PNG or JPEG (gray, palette, RGB, alpha, 16-bit, progressive) into
// gray. Errors name the file and the reason.
Result<GrayImage> load_image(const std::string& path);
Result<GrayImage> load_image_from_memory(const std::uint8_t* data, size_t size);

struct Found {
  std::string text;
  // Corners in image pixels (top-left, top-right, bottom-right, bottom-left).
  int x[4] = {0, 0, 0, 0};
  int y[4] = {0, 0, 0, 0};
};

// Finds QR codes in gray pictures. Webcam frames are often dim, low-contrast,
// large or hold small codes.
class QrReader {
 public:
  // Thorough, for image files: plain, then stretched contrast with another
  // binarizer, then half size, then double size (small codes).
  std::vector<Found> read(const std::uint8_t* gray, int width, int height, int stride) const;
  // Budgeted, for a live camera (a few ms per 720p frame): a fast half-size
  // pass, then one harder pass that changes from frame to frame (full size,
  // stretched contrast, try-harder), so consecutive frames cover them all.
  std::vector<Found> read_frame(const std::uint8_t* gray, int width, int height, int stride,
                                std::uint64_t frame_index) const;
  std::vector<Found> read(const GrayImage& img) const {
    return read(img.pixels.data(), img.width, img.height, img.width);
  }
};

// load_image + QrReader: an error when the file cannot be read as an image,
// an empty list when it is an image without a QR code.
Result<std::vector<Found>> read_file(const std::string& path);

}  // namespace shelter::qrimage
