#pragma once
// Hand-authored kanji strokes (tests/data/ime/kanji_strokes.txt) and
// finger-like variants of them, for the handwriting test and benchmark.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/ime/handwriting.hpp"

namespace shelter::test {

struct InkSample {
  std::string kanji;
  std::vector<ime::InkStroke> strokes;  // turning points, 0..100 box
};

inline std::vector<InkSample> load_ink_samples(const std::string& path) {
  std::vector<InkSample> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("= ", 0) == 0) {
      out.push_back({line.substr(2), {}});
      continue;
    }
    if (out.empty()) continue;
    ime::InkStroke stroke;
    std::istringstream points(line);
    std::string p;
    while (points >> p) {
      const auto comma = p.find(',');
      stroke.push_back({std::stof(p.substr(0, comma)), std::stof(p.substr(comma + 1))});
    }
    out.back().strokes.push_back(stroke);
  }
  return out;
}

// A finger's version of a sample: the whole character scaled, moved and
// turned a little, each turning point moved by N(0, jitter) units (people
// vary where a stroke bends or ends, smoothly, not point by point), then
// points every ~3 units along each stroke (a touch screen's rate) with a
// tremor of a third of a unit. jitter = 0 gives the clean strokes.
inline std::vector<ime::InkStroke> finger_strokes(const InkSample& s, float jitter, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.f, 1.f);
  const float tremor = jitter > 0 ? 0.3f : 0.f;
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  const float scale = 1.f + 0.08f * jitter / 2.f * unit(rng);
  const float angle = 0.05f * jitter / 2.f * unit(rng);  // radians
  const float dx = 3.f * jitter / 2.f * unit(rng), dy = 3.f * jitter / 2.f * unit(rng);
  auto place = [&](float x, float y) {
    x -= 50, y -= 50;
    const float rx = x * std::cos(angle) - y * std::sin(angle), ry = x * std::sin(angle) + y * std::cos(angle);
    return ime::InkPoint{50 + rx * scale + dx, 50 + ry * scale + dy};
  };
  std::vector<ime::InkStroke> out;
  for (ime::InkStroke stroke : s.strokes) {
    for (ime::InkPoint& p : stroke) p = place(p.x + jitter * normal(rng), p.y + jitter * normal(rng));
    ime::InkStroke dense;
    for (size_t i = 0; i < stroke.size(); ++i) {
      if (i == 0) {
        dense.push_back(stroke[0]);
        continue;
      }
      const ime::InkPoint a = stroke[i - 1], b = stroke[i];
      const int steps = std::max(1, static_cast<int>(std::hypot(b.x - a.x, b.y - a.y) / 3.f));
      for (int k = 1; k <= steps; ++k) {
        const float t = static_cast<float>(k) / static_cast<float>(steps);
        dense.push_back({a.x + (b.x - a.x) * t + tremor * normal(rng), a.y + (b.y - a.y) * t + tremor * normal(rng)});
      }
    }
    out.push_back(dense);
  }
  return out;
}

}  // namespace shelter::test
