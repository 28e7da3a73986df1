#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "core/qr_image.hpp"
#include "core/qr_payload.hpp"

using namespace shelter;

namespace {
const std::string kData = std::string(SHELTER_TEST_DATA) + "/qr/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string expected_card_text() {
  std::string t = slurp(kData + "card.txt");
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t;
}
}  // namespace

TEST_CASE("card images of every common kind decode to the same text", "[qrimage]") {
  const std::string expected = expected_card_text();
  REQUIRE(qr::parse(expected).card);
  auto file =
      GENERATE(as<std::string>{}, "card-gray.png", "card-gray16.png", "card-palette.png", "card-rgb.png",
               "card-alpha.png", "card-baseline.jpg", "card-grayscale.jpg", "card-progressive.jpg", "card-webcam.jpg");
  CAPTURE(file);
  auto found = qrimage::read_file(kData + file);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK(found->front().text == expected);
}

TEST_CASE("the committed card decodes to the residents in the CSV", "[qrimage]") {
  auto p = qr::parse(expected_card_text());
  REQUIRE(p.card);
  REQUIRE(p.card->members.size() == 4);
  CHECK(p.card->household_id == "0123456789abcdef");
  CHECK(p.card->members[0].info.name == "髙橋 一郎");
  CHECK(p.card->members[2].info.name == "髙橋 𠮷男");
  CHECK(p.card->members[3].info.name == "﨑山 邉子");
  CHECK(p.card->members[1].info.needs_other == "在宅酸素");
}

TEST_CASE("images without a card: none found, or a clear error", "[qrimage]") {
  auto url = qrimage::read_file(kData + "url.png");
  REQUIRE(url.ok());
  REQUIRE(url->size() == 1);
  CHECK(qr::parse(url->front().text).error == qr::ParseError::NotShelterCode);

  auto none = qrimage::read_file(kData + "no-qr.png");
  REQUIRE(none.ok());
  CHECK(none->empty());

  auto text = qrimage::read_file(kData + "not-an-image.png");
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message.find("not-an-image.png") != std::string::npos);

  auto cut = qrimage::read_file(kData + "truncated.png");
  REQUIRE_FALSE(cut.ok());

  auto missing = qrimage::read_file(kData + "does-not-exist.png");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("No such file") != std::string::npos);
}

TEST_CASE("encode -> PNG -> read gives the text back", "[qrimage]") {
  for (const std::string text : {"SC:ABC", "https://example.org/x?y=1", "日本語のテキスト"}) {
    auto m = qrimage::encode(text);
    REQUIRE(m.ok());
    CHECK(m->size == 17 + 4 * m->version);
    auto png = qrimage::to_png(*m, 4);
    REQUIRE(png.size() > 8);
    CHECK(png[1] == 'P');
    auto img = qrimage::load_image_from_memory(png.data(), png.size());
    REQUIRE(img.ok());
    CHECK(img->width == (m->size + 8) * 4);
    auto found = qrimage::QrReader{}.read(*img);
    REQUIRE(found.size() == 1);
    CHECK(found[0].text == text);
  }
  CHECK_FALSE(qrimage::encode(std::string(8000, 'x')).ok());
}

TEST_CASE("SVG output has one dark path inside a quiet zone", "[qrimage]") {
  auto m = qrimage::encode("SC:TEST");
  REQUIRE(m.ok());
  const std::string svg = qrimage::to_svg(*m);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("viewBox=\"0 0 " + std::to_string(m->size + 8)) != std::string::npos);
  CHECK(svg.find("M4 4h7") != std::string::npos);  // top-left finder pattern's first row
  CHECK(slurp(kData + "card.svg").find("<path") != std::string::npos);
}

TEST_CASE("a dim, low-contrast camera frame is read after contrast stretching", "[qrimage]") {
  auto m = qrimage::encode(expected_card_text());
  REQUIRE(m.ok());
  // 640x480 frame, grey 100..128: what a webcam gives in a dark gym.
  const int w = 640, h = 480, scale = 5, ox = 150, oy = 60;
  std::vector<std::uint8_t> frame(static_cast<size_t>(w) * h, 120);
  for (int y = 0; y < (m->size + 8) * scale; ++y)
    for (int x = 0; x < (m->size + 8) * scale; ++x) {
      const int mx = x / scale - 4, my = y / scale - 4;
      const bool dark = mx >= 0 && my >= 0 && mx < m->size && my < m->size && m->dark(mx, my);
      frame[static_cast<size_t>(y + oy) * w + x + ox] = dark ? 100 : 128;
    }
  auto found = qrimage::QrReader{}.read(frame.data(), w, h, w);
  REQUIRE(found.size() == 1);
  CHECK(found[0].text == expected_card_text());
  CHECK(found[0].x[0] >= ox);
  CHECK(qrimage::QrReader{}.read(nullptr, 0, 0, 0).empty());
}

namespace {

// A camera-like frame: the code rotated by `degrees`, modules `module_px`
// wide, dark/light levels given, on a noisy background.
std::vector<std::uint8_t> camera_frame(const shelter::qrimage::QrMatrix& m, int w, int h, double module_px,
                                       double degrees, int dark, int light) {
  std::vector<std::uint8_t> f(static_cast<size_t>(w) * h);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> noise(-6, 6);
  const double a = degrees * 3.14159265358979 / 180, c = std::cos(a), s = std::sin(a);
  const double side = (m.size + 8) * module_px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double dx = x - w / 2.0, dy = y - h / 2.0;
      const double u = (c * dx + s * dy + side / 2) / module_px - 4, v = (-s * dx + c * dy + side / 2) / module_px - 4;
      int value = (light + dark) / 2 + 10;
      if (u >= -4 && v >= -4 && u < m.size + 4 && v < m.size + 4) {
        const int mu = static_cast<int>(std::floor(u)), mv = static_cast<int>(std::floor(v));
        const bool on = mu >= 0 && mv >= 0 && mu < m.size && mv < m.size && m.dark(mu, mv);
        value = on ? dark : light;
      }
      f[static_cast<size_t>(y) * w + x] = static_cast<std::uint8_t>(std::clamp(value + noise(rng), 0, 255));
    }
  return f;
}

bool found_within_three_frames(const std::vector<std::uint8_t>& f, int w, int h, const std::string& text) {
  shelter::qrimage::QrReader reader;
  for (std::uint64_t i = 0; i < 3; ++i)
    for (const auto& found : reader.read_frame(f.data(), w, h, w, i))
      if (found.text == text) return true;
  return false;
}

}  // namespace

TEST_CASE("the camera path reads low-contrast, small and tilted codes within three frames", "[qrimage]") {
  const std::string text = expected_card_text();
  auto m = shelter::qrimage::encode(text);
  REQUIRE(m.ok());
  SECTION("low contrast (dark 95, light 135) at 720p") {
    CHECK(found_within_three_frames(camera_frame(*m, 1280, 720, 6, 0, 95, 135), 1280, 720, text));
  }
  SECTION("small: 2.5-pixel modules at 720p") {
    CHECK(found_within_three_frames(camera_frame(*m, 1280, 720, 2.5, 0, 30, 220), 1280, 720, text));
  }
  SECTION("tilted 20 degrees at 640x480") {
    CHECK(found_within_three_frames(camera_frame(*m, 640, 480, 4, 20, 30, 220), 640, 480, text));
  }
  SECTION("tilted 35 degrees and dim at 720p") {
    CHECK(found_within_three_frames(camera_frame(*m, 1280, 720, 5, 35, 60, 150), 1280, 720, text));
  }
  SECTION("nothing is found in an empty frame") {
    std::vector<std::uint8_t> empty(1280 * 720, 128);
    CHECK_FALSE(found_within_three_frames(empty, 1280, 720, text));
  }
}
