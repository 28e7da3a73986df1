#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <string>

#include "core/qr_image.hpp"
#include "core/qr_model1.hpp"
#include "tests/support/qr_model1_encoder.hpp"

using namespace shelter;
namespace m1 = qrimage::model1;

namespace {

struct Reference {
  std::string text;
  int size = 0;
  std::vector<std::uint8_t> modules;
};

// tests/data/qr/model1-*.txt: symbols transcribed from zxing-cpp's samples.
Reference load_reference(const std::string& name) {
  std::ifstream in(std::string(SHELTER_TEST_DATA) + "/qr/" + name);
  Reference r;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ';') continue;
    if (line.rfind("text:", 0) == 0) {
      r.text = line.substr(5);
      continue;
    }
    r.size = static_cast<int>(line.size());
    for (char c : line) r.modules.push_back(c == 'X' ? 1 : 0);
  }
  return r;
}

qrimage::GrayImage render(const qrimage::QrMatrix& m, int scale) {
  const auto png = qrimage::to_png(m, scale);
  auto img = qrimage::load_image_from_memory(png.data(), png.size());
  REQUIRE(img.ok());
  return *img;
}

// A photo of a printed card, roughly: the picture turned by `degrees` on a
// larger grey-white page, seen at a slant (`keystone`: the far edge looks
// shorter), lit unevenly, box-blurred and noisy.
qrimage::GrayImage photograph(const qrimage::GrayImage& src, double degrees, int out_w, int out_h, unsigned seed,
                              double keystone = 0) {
  qrimage::GrayImage out{out_w, out_h, std::vector<std::uint8_t>(static_cast<size_t>(out_w) * out_h)};
  const double a = degrees * M_PI / 180, c = std::cos(a), s = std::sin(a);
  const double cx = src.width / 2.0, cy = src.height / 2.0;
  std::vector<double> tmp(out.pixels.size());
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const double dx = x - out_w / 2.0, dy = y - out_h / 2.0;
      const double w = 1 - keystone * dy;
      const double sx = (c * dx + s * dy) / w + cx, sy = (-s * dx + c * dy) / w + cy;
      double v = 235;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < src.width && y0 + 1 < src.height) {
        const double fx = sx - x0, fy = sy - y0;
        auto p = [&](int xx, int yy) { return double(src.pixels[static_cast<size_t>(yy) * src.width + xx]); };
        v = (p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx) * (1 - fy) +
            (p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
        v = 30 + v * 0.8;  // ink is not black, paper not white
      }
      // Light falls off to one side.
      tmp[static_cast<size_t>(y) * out_w + x] = v * (0.55 + 0.45 * x / out_w);
    }
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 6);
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      double sum = 0;
      int n = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= out_w || yy >= out_h) continue;
          sum += tmp[static_cast<size_t>(yy) * out_w + xx];
          ++n;
        }
      out.pixels[static_cast<size_t>(y) * out_w + x] =
          static_cast<std::uint8_t>(std::clamp(sum / n + noise(rng), 0.0, 255.0));
    }
  return out;
}

std::vector<qrimage::Found> read(const qrimage::GrayImage& img) {
  return qrimage::read_model1(img.pixels.data(), img.width, img.height, img.width);
}

}  // namespace

TEST_CASE("Model 1 Reed-Solomon corrects up to t errors and refuses more", "[model1]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto [data_len, ec] : {std::pair{16, 10}, std::pair{19, 7}, std::pair{80, 40}, std::pair{163, 40}}) {
    CAPTURE(data_len, ec);
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<std::uint8_t> block(static_cast<size_t>(data_len));
      for (auto& b : block) b = static_cast<std::uint8_t>(byte(rng));
      const auto check = testsupport::rs_check_bytes(block, ec);
      block.insert(block.end(), check.begin(), check.end());
      const int n = static_cast<int>(block.size());
      const int t = ec / 2;
      for (int errors : {0, 1, t, t + 1}) {
        auto damaged = block;
        std::vector<int> positions(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) positions[static_cast<size_t>(i)] = i;
        std::shuffle(positions.begin(), positions.end(), rng);
        for (int e = 0; e < errors; ++e)
          damaged[static_cast<size_t>(positions[static_cast<size_t>(e)])] ^=
              static_cast<std::uint8_t>(1 + byte(rng) % 255);
        int fixed = -1;
        const bool ok = m1::rs_correct(damaged, ec, &fixed);
        if (errors <= t) {
          REQUIRE(ok);
          REQUIRE(fixed == errors);
          REQUIRE(damaged == block);
        } else {
          REQUIRE_FALSE(ok);
        }
      }
    }
  }
}

TEST_CASE("Model 1 codeword layout fills each version's symbol", "[model1]") {
  constexpr int kTotal[14] = {26, 46, 72, 100, 134, 170, 212, 256, 306, 358, 416, 476, 542, 610};
  for (int v = 1; v <= 14; ++v) {
    CAPTURE(v);
    const auto layout = m1::codeword_layout(v);
    REQUIRE(static_cast<int>(layout.size()) == kTotal[v - 1]);
    for (auto ec : {m1::Ec::L, m1::Ec::M, m1::Ec::Q, m1::Ec::H}) {
      const auto b = m1::blocks_of(v, ec);
      REQUIRE(b.count * (b.ec_per_block + b.data_per_block) <= kTotal[v - 1]);
    }
    // No module twice, none on a finder, timing pattern or format module.
    const int n = m1::size_of(v);
    std::vector<int> uses(static_cast<size_t>(n) * n, 0);
    for (const auto& cw : layout)
      for (auto [x, y] : cw) {
        REQUIRE((x >= 0 && y >= 0 && x < n && y < n));
        REQUIRE(x != 6);
        REQUIRE(y != 6);
        REQUIRE_FALSE((x <= 8 && y <= 8));
        REQUIRE_FALSE((x >= n - 8 && y <= 8));
        REQUIRE_FALSE((x <= 8 && y >= n - 8));
        REQUIRE(++uses[static_cast<size_t>(y) * n + x] == 1);
      }
  }
}

TEST_CASE("Model 1 reference symbols: our decoder reads them, our encoder writes them", "[model1]") {
  auto name = GENERATE(as<std::string>{}, "model1-v2-sample.txt", "model1-v5-sample.txt");
  CAPTURE(name);
  const Reference ref = load_reference(name);
  REQUIRE(ref.size > 0);
  // The decoder on modules nobody of ours drew.
  const auto text = m1::decode_modules(ref.modules, ref.size);
  REQUIRE(text);
  CHECK(*text == ref.text);

  // The encoder, given the reference's version and segments, must
  // reproduce it for one error correction level and mask. The version 5
  // symbol (a user's, zxing-cpp issue #940) has 4 damaged data modules:
  // its check bytes match ours and the data we encode, not the damage.
  const int version = (ref.size - 17) / 4;
  const int damaged = version == 5 ? 4 : 0;
  std::vector<std::pair<char, std::string>> segments;
  if (version == 5) segments = {{'A', ref.text.substr(0, 33)}, {'N', ref.text.substr(33)}};
  int best = ref.size * ref.size;
  for (char ec : {'L', 'M', 'Q', 'H'})
    for (int mask = 0; mask < 8; ++mask) {
      testsupport::Model1Options options;
      options.version = version;
      options.ec = ec;
      options.mask = mask;
      options.segments = segments;
      const auto m = testsupport::encode_model1(ref.text, options);
      if (!m) continue;
      int differ = 0;
      for (size_t i = 0; i < m->modules.size(); ++i) differ += m->modules[i] != ref.modules[i];
      best = std::min(best, differ);
    }
  CHECK(best == damaged);
}

TEST_CASE("Model 1 round trip: encoder, picture, read_model1", "[model1]") {
  const std::string text = GENERATE(as<std::string>{}, "SHELTER-7 CHECK-IN", "山田 花子");
  const int version = GENERATE(1, 4, 8, 14);
  CAPTURE(text, version);
  testsupport::Model1Options options;
  options.version = version;
  const auto m = testsupport::encode_model1(text, options);
  REQUIRE(m);
  REQUIRE(m->size == m1::size_of(version));
  const auto img = render(*m, version >= 8 ? 4 : 6);
  const auto found = read(img);
  REQUIRE(found.size() == 1);
  CHECK(found[0].text == text);
  const int side = (m->size + 8) * (version >= 8 ? 4 : 6), quiet = 4 * (version >= 8 ? 4 : 6);
  CHECK(std::abs(found[0].x[0] - quiet) <= 3);
  CHECK(std::abs(found[0].y[2] - (side - quiet)) <= 3);

  SECTION("turned, slanted, blurred, noisy and unevenly lit") {
    for (auto [degrees, keystone] : {std::pair{4.0, 0.0}, std::pair{-11.0, 0.0}, std::pair{7.0, 0.0007}}) {
      CAPTURE(degrees, keystone);
      const auto photo = photograph(img, degrees, 640, 480, static_cast<unsigned>(version), keystone);
      const auto seen = read(photo);
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].text == text);
    }
  }
}

TEST_CASE("Model 1 reader: every error correction level and mask", "[model1]") {
  for (char ec : {'L', 'M', 'Q', 'H'})
    for (int mask = 0; mask < 8; ++mask) {
      CAPTURE(ec, mask);
      testsupport::Model1Options options;
      options.ec = ec;
      options.mask = mask;
      const auto m = testsupport::encode_model1("HTTPS://EXAMPLE.ORG/SHELTER", options);
      REQUIRE(m);
      const auto found = read(render(*m, 5));
      REQUIRE(found.size() == 1);
      CHECK(found[0].text == "HTTPS://EXAMPLE.ORG/SHELTER");
    }
}

TEST_CASE("Model 1 reader: numeric, alphanumeric, byte and Kanji segments", "[model1]") {
  testsupport::Model1Options options;
  options.segments = {{'K', "山田花子"}, {'B', " / "}, {'N', "0312345678"}, {'A', " TOKYO-3"}, {'K', "避難所"}};
  const auto m = testsupport::encode_model1("", options);
  REQUIRE(m);
  const auto found = read(render(*m, 5));
  REQUIRE(found.size() == 1);
  CHECK(found[0].text == "山田花子 / 0312345678 TOKYO-3避難所");
}

TEST_CASE("Model 1 reader leaves Model 2 codes and noise alone", "[model1]") {
  SECTION("Model 2") {
    for (int length : {1, 5, 12, 20, 33, 47, 60, 90, 130, 200, 300}) {
      std::string text;
      for (int i = 0; i < length; ++i) text += static_cast<char>(i % 3 == 0 ? 'A' + i % 26 : 'a' + (i * 7) % 26);
      CAPTURE(text);
      auto m = qrimage::encode(text);
      REQUIRE(m.ok());
      const auto img = render(*m, 6);
      CHECK(read(img).empty());
      CHECK(read(photograph(img, 5, 640, 480, 3)).empty());
    }
  }
  SECTION("noise") {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 6; ++trial) {
      qrimage::GrayImage img{320, 240, std::vector<std::uint8_t>(320 * 240)};
      const int block = 1 + trial;  // speckles of several sizes
      std::uniform_int_distribution<int> v(0, 255);
      for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
          img.pixels[static_cast<size_t>(y) * img.width + x] =
              static_cast<std::uint8_t>((((x / block) * 7919 + (y / block) * 104729 + trial) % 97) < 48 ? 20 : 230);
      for (auto& p : img.pixels)
        if (v(rng) < 64) p = static_cast<std::uint8_t>(v(rng));
      CHECK(read(img).empty());
    }
  }
  SECTION("empty and tiny pictures") {
    CHECK(qrimage::read_model1(nullptr, 0, 0, 0).empty());
    std::vector<std::uint8_t> flat(30 * 30, 128);
    CHECK(qrimage::read_model1(flat.data(), 30, 30, 30).empty());
  }
}

// Timing for the report; hidden: ./unit_tests "[model1-bench]"
TEST_CASE("Model 1 reader timing", "[.][model1-bench]") {
  auto time_ms = [](const qrimage::GrayImage& img) {
    const auto t0 = std::chrono::steady_clock::now();
    const int runs = 5;
    size_t found = 0;
    for (int i = 0; i < runs; ++i) found += read(img).size();
    const auto t1 = std::chrono::steady_clock::now();
    return std::pair{std::chrono::duration<double, std::milli>(t1 - t0).count() / runs, found / runs};
  };
  std::mt19937 rng(5);
  for (auto [w, h] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    // Worst case: every pixel random. A room: smooth light, a few shapes.
    qrimage::GrayImage noise_img{w, h, std::vector<std::uint8_t>(static_cast<size_t>(w) * h)};
    std::normal_distribution<double> noise(128, 30), grain(0, 3);
    for (auto& p : noise_img.pixels) p = static_cast<std::uint8_t>(std::clamp(noise(rng), 0.0, 255.0));
    qrimage::GrayImage room = noise_img;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        double v = 90 + 100.0 * x / w + 40.0 * y / h;
        if ((x / (w / 5) + y / (h / 3)) % 3 == 0) v *= 0.5;  // furniture
        room.pixels[static_cast<size_t>(y) * w + x] = static_cast<std::uint8_t>(std::clamp(v + grain(rng), 0.0, 255.0));
      }
    const auto [ms_noise, n_noise] = time_ms(noise_img);
    const auto [ms_room, n_room] = time_ms(room);
    WARN(w << "x" << h << " no code: random pixels " << ms_noise << " ms (" << n_noise << " found), room " << ms_room
           << " ms (" << n_room << " found)");
    for (int version : {3, 14}) {
      testsupport::Model1Options options;
      options.version = version;
      const auto m = testsupport::encode_model1("SHELTER-7 CHECK-IN 42 山田 花子", options);
      const auto photo = photograph(render(*m, version == 14 ? w / 200 : w / 160), 6, w, h, 1, 0.0003);
      const auto [ms_code, n_code] = time_ms(photo);
      WARN(w << "x" << h << " version " << version << " code: " << ms_code << " ms (" << n_code << " found)");
    }
  }
}
