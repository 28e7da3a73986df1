// Pixel conversions for camera frames: YUYV -> gray/RGB, RGB -> gray and
// MJPEG -> gray/RGB. Integer math only: these run on every frame.
#include <algorithm>
#include <climits>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <stb/stb_image.h>

#include "kiosk/camera/frame_source.hpp"

namespace shelter::camera {
namespace {

// Larger frames are not webcam frames; refusing them bounds the memory a
// corrupt or hostile header can make us allocate.
constexpr int kMaxMjpegSide = 8192;

// The standard Huffman tables of JPEG Annex K.3 as one DHT segment (the same
// 420 bytes ffmpeg's mjpeg2jpeg and libv4l insert). Most UVC webcams omit the
// DHT segment from MJPEG frames (the AVI1 convention) and expect the decoder
// to assume these tables; stb_image does not, so they are spliced in.
constexpr std::uint8_t kStandardDht[] = {
    0xFF,
    0xC4,
    0x01,
    0xA2,  // DHT, length 418
    // Class 0 (DC), table 0 (luminance): code counts per length 1..16, values.
    0x00,
    0x00,
    0x01,
    0x05,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
    0x07,
    0x08,
    0x09,
    0x0A,
    0x0B,
    // Class 0 (DC), table 1 (chrominance).
    0x01,
    0x00,
    0x03,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
    0x07,
    0x08,
    0x09,
    0x0A,
    0x0B,
    // Class 1 (AC), table 0 (luminance): 162 values.
    0x10,
    0x00,
    0x02,
    0x01,
    0x03,
    0x03,
    0x02,
    0x04,
    0x03,
    0x05,
    0x05,
    0x04,
    0x04,
    0x00,
    0x00,
    0x01,
    0x7D,
    0x01,
    0x02,
    0x03,
    0x00,
    0x04,
    0x11,
    0x05,
    0x12,
    0x21,
    0x31,
    0x41,
    0x06,
    0x13,
    0x51,
    0x61,
    0x07,
    0x22,
    0x71,
    0x14,
    0x32,
    0x81,
    0x91,
    0xA1,
    0x08,
    0x23,
    0x42,
    0xB1,
    0xC1,
    0x15,
    0x52,
    0xD1,
    0xF0,
    0x24,
    0x33,
    0x62,
    0x72,
    0x82,
    0x09,
    0x0A,
    0x16,
    0x17,
    0x18,
    0x19,
    0x1A,
    0x25,
    0x26,
    0x27,
    0x28,
    0x29,
    0x2A,
    0x34,
    0x35,
    0x36,
    0x37,
    0x38,
    0x39,
    0x3A,
    0x43,
    0x44,
    0x45,
    0x46,
    0x47,
    0x48,
    0x49,
    0x4A,
    0x53,
    0x54,
    0x55,
    0x56,
    0x57,
    0x58,
    0x59,
    0x5A,
    0x63,
    0x64,
    0x65,
    0x66,
    0x67,
    0x68,
    0x69,
    0x6A,
    0x73,
    0x74,
    0x75,
    0x76,
    0x77,
    0x78,
    0x79,
    0x7A,
    0x83,
    0x84,
    0x85,
    0x86,
    0x87,
    0x88,
    0x89,
    0x8A,
    0x92,
    0x93,
    0x94,
    0x95,
    0x96,
    0x97,
    0x98,
    0x99,
    0x9A,
    0xA2,
    0xA3,
    0xA4,
    0xA5,
    0xA6,
    0xA7,
    0xA8,
    0xA9,
    0xAA,
    0xB2,
    0xB3,
    0xB4,
    0xB5,
    0xB6,
    0xB7,
    0xB8,
    0xB9,
    0xBA,
    0xC2,
    0xC3,
    0xC4,
    0xC5,
    0xC6,
    0xC7,
    0xC8,
    0xC9,
    0xCA,
    0xD2,
    0xD3,
    0xD4,
    0xD5,
    0xD6,
    0xD7,
    0xD8,
    0xD9,
    0xDA,
    0xE1,
    0xE2,
    0xE3,
    0xE4,
    0xE5,
    0xE6,
    0xE7,
    0xE8,
    0xE9,
    0xEA,
    0xF1,
    0xF2,
    0xF3,
    0xF4,
    0xF5,
    0xF6,
    0xF7,
    0xF8,
    0xF9,
    0xFA,
    // Class 1 (AC), table 1 (chrominance): 162 values.
    0x11,
    0x00,
    0x02,
    0x01,
    0x02,
    0x04,
    0x04,
    0x03,
    0x04,
    0x07,
    0x05,
    0x04,
    0x04,
    0x00,
    0x01,
    0x02,
    0x77,
    0x00,
    0x01,
    0x02,
    0x03,
    0x11,
    0x04,
    0x05,
    0x21,
    0x31,
    0x06,
    0x12,
    0x41,
    0x51,
    0x07,
    0x61,
    0x71,
    0x13,
    0x22,
    0x32,
    0x81,
    0x08,
    0x14,
    0x42,
    0x91,
    0xA1,
    0xB1,
    0xC1,
    0x09,
    0x23,
    0x33,
    0x52,
    0xF0,
    0x15,
    0x62,
    0x72,
    0xD1,
    0x0A,
    0x16,
    0x24,
    0x34,
    0xE1,
    0x25,
    0xF1,
    0x17,
    0x18,
    0x19,
    0x1A,
    0x26,
    0x27,
    0x28,
    0x29,
    0x2A,
    0x35,
    0x36,
    0x37,
    0x38,
    0x39,
    0x3A,
    0x43,
    0x44,
    0x45,
    0x46,
    0x47,
    0x48,
    0x49,
    0x4A,
    0x53,
    0x54,
    0x55,
    0x56,
    0x57,
    0x58,
    0x59,
    0x5A,
    0x63,
    0x64,
    0x65,
    0x66,
    0x67,
    0x68,
    0x69,
    0x6A,
    0x73,
    0x74,
    0x75,
    0x76,
    0x77,
    0x78,
    0x79,
    0x7A,
    0x82,
    0x83,
    0x84,
    0x85,
    0x86,
    0x87,
    0x88,
    0x89,
    0x8A,
    0x92,
    0x93,
    0x94,
    0x95,
    0x96,
    0x97,
    0x98,
    0x99,
    0x9A,
    0xA2,
    0xA3,
    0xA4,
    0xA5,
    0xA6,
    0xA7,
    0xA8,
    0xA9,
    0xAA,
    0xB2,
    0xB3,
    0xB4,
    0xB5,
    0xB6,
    0xB7,
    0xB8,
    0xB9,
    0xBA,
    0xC2,
    0xC3,
    0xC4,
    0xC5,
    0xC6,
    0xC7,
    0xC8,
    0xC9,
    0xCA,
    0xD2,
    0xD3,
    0xD4,
    0xD5,
    0xD6,
    0xD7,
    0xD8,
    0xD9,
    0xDA,
    0xE2,
    0xE3,
    0xE4,
    0xE5,
    0xE6,
    0xE7,
    0xE8,
    0xE9,
    0xEA,
    0xF2,
    0xF3,
    0xF4,
    0xF5,
    0xF6,
    0xF7,
    0xF8,
    0xF9,
    0xFA,
};
static_assert(sizeof(kStandardDht) == 420, "DHT segment: 2 marker bytes + 418 length");

// Walks the marker segments from SOI up to the first SOS and says whether a
// DHT segment came before it. A frame whose segments cannot be followed
// counts as having none: stb_image does not zero its Huffman tables, so a
// frame without them would be decoded from uninitialised memory.
bool has_dht(const std::uint8_t* data, size_t size) {
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (data[pos] != 0xFF) return false;
    const std::uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    if (marker == 0xC4) return true;
    if (marker == 0xDA || marker == 0xD9) return false;  // SOS or EOI: no tables came first
    if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;  // markers without a length field
      continue;
    }
    const size_t length = (static_cast<size_t>(data[pos + 2]) << 8) | data[pos + 3];
    if (length < 2) return false;
    pos += 2 + length;
  }
  return false;
}

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

Status decode_mjpeg(const std::uint8_t* data, size_t size, Frame& out) {
  if (data == nullptr || size == 0) return fail("decode MJPEG frame: empty buffer");
  if (size > static_cast<size_t>(INT_MAX) - sizeof(kStandardDht)) return fail("decode MJPEG frame: frame too large");

  const std::uint8_t* jpeg = data;
  size_t jpeg_size = size;
  // Reused across frames: the capture thread decodes one frame after another.
  thread_local std::vector<std::uint8_t> patched;
  // Right after SOI is as good a place as before SOS: tables only have to
  // precede the scan that uses them.
  if (size >= 2 && data[0] == 0xFF && data[1] == 0xD8 && !has_dht(data, size)) {
    patched.clear();
    patched.reserve(size + sizeof(kStandardDht));
    patched.insert(patched.end(), data, data + 2);
    patched.insert(patched.end(), std::begin(kStandardDht), std::end(kStandardDht));
    patched.insert(patched.end(), data + 2, data + size);
    jpeg = patched.data();
    jpeg_size = patched.size();
  }

  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(jpeg, static_cast<int>(jpeg_size), &w, &h, &comp))
    return fail(std::string("decode MJPEG frame: ") + stbi_failure_reason());
  if (w <= 0 || h <= 0 || w > kMaxMjpegSide || h > kMaxMjpegSide)
    return fail("decode MJPEG frame: " + std::to_string(w) + "x" + std::to_string(h) + " is larger than " +
                std::to_string(kMaxMjpegSide) + "x" + std::to_string(kMaxMjpegSide));

  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels(
      stbi_load_from_memory(jpeg, static_cast<int>(jpeg_size), &w, &h, &comp, 3), &stbi_image_free);
  if (!pixels) return fail(std::string("decode MJPEG frame: ") + stbi_failure_reason());
  // stb_image re-parses the header; a frame cannot change size between calls,
  // but do not trust that with memory.
  if (w <= 0 || h <= 0 || w > kMaxMjpegSide || h > kMaxMjpegSide)
    return fail("decode MJPEG frame: unexpected size " + std::to_string(w) + "x" + std::to_string(h));

  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h);
  out.width = w;
  out.height = h;
  out.rgb.assign(pixels.get(), pixels.get() + n * 3);
  out.gray.resize(n);
  rgb_to_gray(out.rgb.data(), w, h, out.gray.data());
  return {};
}

}  // namespace shelter::camera
