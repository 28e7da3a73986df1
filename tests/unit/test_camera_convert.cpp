#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <random>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "kiosk/camera/frame_source.hpp"
#include "test_support.hpp"
#include "tests/bench/webcam_frames.hpp"

using namespace shelter;
using namespace shelter::camera;

namespace {

std::vector<std::uint8_t> encode_jpeg(const std::vector<std::uint8_t>& rgb, int w, int h, int quality) {
  std::vector<std::uint8_t> out;
  const int ok = stbi_write_jpg_to_func(
      [](void* ctx, void* data, int size) {
        auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
        const auto* p = static_cast<const std::uint8_t*>(data);
        v->insert(v->end(), p, p + size);
      },
      &out, w, h, 3, rgb.data(), quality);
  REQUIRE(ok);
  return out;
}

// Copies a JPEG without its DHT segments, the way many webcams send MJPEG.
std::vector<std::uint8_t> strip_dht(const std::vector<std::uint8_t>& jpeg) {
  REQUIRE(jpeg.size() > 4);
  REQUIRE(jpeg[0] == 0xFF);
  REQUIRE(jpeg[1] == 0xD8);
  return shelter::bench::strip_huffman_tables(jpeg);
}

int count_dht(const std::vector<std::uint8_t>& jpeg) {
  int n = 0;
  size_t pos = 2;
  while (pos + 4 <= jpeg.size() && jpeg[pos + 1] != 0xDA) {
    if (jpeg[pos + 1] == 0xC4) ++n;
    pos += 2 + ((static_cast<size_t>(jpeg[pos + 2]) << 8) | jpeg[pos + 3]);
  }
  return n;
}

// A smooth picture with colour in it: JPEG keeps it close, and all four
// Huffman tables (luma and chroma, DC and AC) get used.
std::vector<std::uint8_t> test_picture(int w, int h) {
  std::vector<std::uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<std::uint8_t>(x * 255 / (w - 1));
      p[1] = static_cast<std::uint8_t>(y * 255 / (h - 1));
      p[2] = static_cast<std::uint8_t>(128 + (x < w / 2 ? 60 : -60));
    }
  return rgb;
}

struct Rgb {
  int r, g, b;
};

Rgb yuyv_pixel(std::uint8_t y, std::uint8_t u, std::uint8_t v) {
  const std::uint8_t in[4] = {y, u, y, v};
  std::uint8_t out[6] = {};
  yuyv_to_rgb(in, 2, 1, 4, out);
  CHECK(out[0] == out[3]);
  CHECK(out[1] == out[4]);
  CHECK(out[2] == out[5]);
  return {out[0], out[1], out[2]};
}

}  // namespace

TEST_CASE("YUYV: gray is the Y plane, RGB is BT.601 limited range", "[camera]") {
  SECTION("white, black and mid gray") {
    Rgb white = yuyv_pixel(235, 128, 128);
    CHECK(white.r == 255);
    CHECK(white.g == 255);
    CHECK(white.b == 255);
    Rgb black = yuyv_pixel(16, 128, 128);
    CHECK(black.r == 0);
    CHECK(black.g == 0);
    CHECK(black.b == 0);
    Rgb mid = yuyv_pixel(126, 128, 128);  // 16 + 219/2
    CHECK(std::abs(mid.r - 128) <= 1);
    CHECK(mid.r == mid.g);
    CHECK(mid.g == mid.b);
  }
  SECTION("primaries, clamped") {
    Rgb red = yuyv_pixel(81, 90, 240);
    CHECK(red.r >= 250);
    CHECK(red.g <= 5);
    CHECK(red.b <= 5);
    Rgb green = yuyv_pixel(145, 54, 34);
    CHECK(green.r <= 5);
    CHECK(green.g >= 250);
    CHECK(green.b <= 5);
    Rgb blue = yuyv_pixel(41, 240, 110);
    CHECK(blue.r <= 5);
    CHECK(blue.g <= 5);
    CHECK(blue.b >= 250);
    // Out-of-range input (Y 255, extreme chroma) saturates instead of wrapping.
    Rgb over = yuyv_pixel(255, 255, 255);
    CHECK(over.r == 255);
    CHECK(over.b == 255);
    Rgb under = yuyv_pixel(0, 0, 0);
    CHECK(under.r == 0);
    CHECK(under.b == 0);
  }
  SECTION("gray") {
    const std::uint8_t in[8] = {235, 128, 16, 128, 81, 90, 145, 240};
    std::uint8_t gray[4] = {};
    yuyv_to_gray(in, 4, 1, 8, gray);
    CHECK(gray[0] == 235);
    CHECK(gray[1] == 16);
    CHECK(gray[2] == 81);
    CHECK(gray[3] == 145);
  }
}

TEST_CASE("YUYV: rows are read at the stride, padding is ignored", "[camera]") {
  constexpr int w = 4, h = 3, stride = 12;  // 8 bytes of pixels + 4 of padding per row
  std::vector<std::uint8_t> yuyv(static_cast<size_t>(stride) * h, 0xEE);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      yuyv[static_cast<size_t>(y) * stride + x * 2] = static_cast<std::uint8_t>(16 + 20 * (y * w + x));
      yuyv[static_cast<size_t>(y) * stride + x * 2 + 1] = 128;  // U and V alternate; both neutral
    }
  std::vector<std::uint8_t> gray(w * h), rgb(w * h * 3);
  yuyv_to_gray(yuyv.data(), w, h, stride, gray.data());
  yuyv_to_rgb(yuyv.data(), w, h, stride, rgb.data());
  for (int i = 0; i < w * h; ++i) {
    CAPTURE(i);
    CHECK(gray[i] == 16 + 20 * i);
    const int expect = std::clamp(((16 + 20 * i - 16) * 298 + 128) >> 8, 0, 255);
    CHECK(rgb[i * 3] == expect);
    CHECK(rgb[i * 3 + 1] == expect);
    CHECK(rgb[i * 3 + 2] == expect);
  }
}

TEST_CASE("YUYV: an odd width does not read past the row", "[camera]") {
  // 3 pixels need 6 bytes; the third pixel's V would be byte 7.
  std::vector<std::uint8_t> yuyv = {235, 128, 235, 128, 16, 128};
  std::vector<std::uint8_t> gray(3), rgb(9);
  yuyv_to_gray(yuyv.data(), 3, 1, 6, gray.data());
  yuyv_to_rgb(yuyv.data(), 3, 1, 6, rgb.data());
  CHECK(gray == std::vector<std::uint8_t>{235, 235, 16});
  CHECK(rgb == std::vector<std::uint8_t>{255, 255, 255, 255, 255, 255, 0, 0, 0});
}

TEST_CASE("rgb_to_gray uses integer BT.601 weights", "[camera]") {
  const std::uint8_t rgb[] = {255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 100, 100};
  std::uint8_t gray[6] = {};
  rgb_to_gray(rgb, 3, 2, gray);
  CHECK(gray[0] == 255);
  CHECK(gray[1] == 0);
  CHECK(gray[2] == 76);   // (77*255)>>8
  CHECK(gray[3] == 149);  // (150*255)>>8
  CHECK(gray[4] == 28);   // (29*255)>>8
  CHECK(gray[5] == 100);
}

TEST_CASE("decode_mjpeg decodes a normal JPEG", "[camera]") {
  constexpr int w = 64, h = 48;
  const auto rgb = test_picture(w, h);
  std::vector<std::uint8_t> expected_gray(w * h);
  rgb_to_gray(rgb.data(), w, h, expected_gray.data());
  const int quality = GENERATE(60, 95);  // stb_image_write subsamples chroma at 90 and below
  CAPTURE(quality);
  const auto jpeg = encode_jpeg(rgb, w, h, quality);

  Frame f;
  f.width = 1;  // stale contents get replaced
  f.gray = {1, 2, 3};
  Status s = decode_mjpeg(jpeg.data(), jpeg.size(), f);
  INFO((s ? std::string() : s.error().message));
  REQUIRE(s.ok());
  CHECK(f.width == w);
  CHECK(f.height == h);
  REQUIRE(f.gray.size() == static_cast<size_t>(w * h));
  REQUIRE(f.rgb.size() == static_cast<size_t>(w * h * 3));
  long total = 0;
  int worst = 0;
  for (size_t i = 0; i < f.gray.size(); ++i) {
    const int d = std::abs(f.gray[i] - expected_gray[i]);
    total += d;
    worst = std::max(worst, d);
  }
  CHECK(total / static_cast<long>(f.gray.size()) <= 3);
  CHECK(worst <= 24);
  // gray is derived from the decoded RGB.
  std::vector<std::uint8_t> again(w * h);
  rgb_to_gray(f.rgb.data(), w, h, again.data());
  CHECK(again == f.gray);
}

TEST_CASE("decode_mjpeg supplies the standard Huffman tables webcams leave out", "[camera]") {
  constexpr int w = 80, h = 40;
  const int quality = GENERATE(60, 95);
  CAPTURE(quality);
  const auto jpeg = encode_jpeg(test_picture(w, h), w, h, quality);
  const auto bare = strip_dht(jpeg);
  REQUIRE(count_dht(jpeg) >= 1);
  REQUIRE(count_dht(bare) == 0);
  REQUIRE(bare.size() < jpeg.size());
  Frame with, without;
  REQUIRE(decode_mjpeg(jpeg.data(), jpeg.size(), with).ok());
  Status s = decode_mjpeg(bare.data(), bare.size(), without);
  INFO((s ? std::string() : s.error().message));
  REQUIRE(s.ok());
  CHECK(without.width == w);
  CHECK(without.height == h);
  CHECK(without.rgb == with.rgb);
  CHECK(without.gray == with.gray);
}

TEST_CASE("decode_mjpeg rejects what is not a usable JPEG", "[camera]") {
  Frame f;
  SECTION("empty") {
    Status s = decode_mjpeg(nullptr, 0, f);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::StartsWith("decode MJPEG frame: "));
    const std::uint8_t one = 0;
    CHECK_FALSE(decode_mjpeg(&one, 0, f).ok());
  }
  SECTION("random bytes") {
    std::mt19937 rng(42);
    std::vector<std::uint8_t> junk(4096);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    Status s = decode_mjpeg(junk.data(), junk.size(), f);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::StartsWith("decode MJPEG frame: "));
    CHECK(s.error().message.size() > std::string("decode MJPEG frame: ").size());
  }
  SECTION("a JPEG start followed by junk") {
    std::vector<std::uint8_t> junk = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9};
    CHECK_FALSE(decode_mjpeg(junk.data(), junk.size(), f).ok());
    junk = {0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF};  // segment length runs off the end
    CHECK_FALSE(decode_mjpeg(junk.data(), junk.size(), f).ok());
    junk = {0xFF, 0xD8};
    CHECK_FALSE(decode_mjpeg(junk.data(), junk.size(), f).ok());
  }
  SECTION("headers cut short") {
    const auto jpeg = encode_jpeg(test_picture(16, 16), 16, 16, 80);
    for (size_t n : {size_t{3}, size_t{20}, size_t{100}}) {
      CAPTURE(n);
      CHECK_FALSE(decode_mjpeg(jpeg.data(), n, f).ok());
    }
  }
  SECTION("larger than 8192x8192") {
    // A small frame whose SOF0 header claims 8193 pixels across: refused on
    // the header, before anything that size is allocated.
    auto jpeg = encode_jpeg(test_picture(16, 8), 16, 8, 50);
    size_t sof = 2;
    while (sof + 9 < jpeg.size() && !(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) ++sof;
    REQUIRE(sof + 9 < jpeg.size());
    jpeg[sof + 7] = 8193 >> 8;
    jpeg[sof + 8] = 8193 & 0xFF;
    Status s = decode_mjpeg(jpeg.data(), jpeg.size(), f);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::Contains("8192"));
  }
  CHECK(f.width == 0);  // failures leave the frame alone
  CHECK(f.gray.empty());
}

TEST_CASE("open_v4l2 fails cleanly without a camera", "[camera]") {
  SECTION("no such device") {
    V4l2Options o;
    o.device = "/dev/video-nonexistent";
    auto r = open_v4l2(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("/dev/video-nonexistent"));
    CHECK_THAT(r.error().message, Catch::Contains("No such file or directory"));
  }
  SECTION("a character device that is not V4L2") {
    V4l2Options o;
    o.device = "/dev/null";
    auto r = open_v4l2(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("/dev/null"));
    CHECK_THAT(r.error().message, Catch::Contains("not a V4L2 device"));
  }
  SECTION("a regular file") {
    shelter::test::TempDir dir;
    const std::string path = dir.file("video0");
    std::ofstream(path) << "not a camera";
    V4l2Options o;
    o.device = path;
    auto r = open_v4l2(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(path));
  }
  SECTION("bad options are caught before the device is touched") {
    V4l2Options o;
    o.device = "/dev/video-nonexistent";
    o.format = "h264";
    auto r = open_v4l2(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("h264"));
    o.format = "MJPEG";  // case does not matter
    o.width = 0;
    r = open_v4l2(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("0x720"));
  }
}
