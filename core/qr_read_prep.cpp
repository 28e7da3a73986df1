#include "core/qr_read_prep.hpp"

#include <algorithm>
#include <cstdlib>

namespace shelter::qrimage::prep {
namespace {

Gray make(int w, int h) {
  Gray g;
  g.width = w;
  g.height = h;
  g.px.resize(static_cast<size_t>(w) * static_cast<size_t>(h));
  return g;
}

const std::uint8_t* row(View v, int y) {
  return v.px + static_cast<long>(y) * v.stride;
}

// Column sums of a window over an integral image: (w+1)*(h+1) 32-bit sums
// hold up to 16 Mpx of 255s.
std::vector<std::uint32_t> integral(View v) {
  const size_t w1 = static_cast<size_t>(v.width) + 1;
  std::vector<std::uint32_t> s(w1 * (static_cast<size_t>(v.height) + 1), 0);
  for (int y = 0; y < v.height; ++y) {
    std::uint32_t acc = 0;
    const std::uint8_t* r = row(v, y);
    std::uint32_t* out = &s[(static_cast<size_t>(y) + 1) * w1 + 1];
    const std::uint32_t* above = &s[static_cast<size_t>(y) * w1 + 1];
    for (int x = 0; x < v.width; ++x) {
      acc += r[x];
      out[x] = above[x] + acc;
    }
  }
  return s;
}

// Calls f(x, y, window mean) for every pixel. The division is a multiply by
// a reciprocal: windows at the edges hold fewer pixels.
template <class F>
void window_means(View v, int radius, F&& f) {
  const auto s = integral(v);
  const size_t w1 = static_cast<size_t>(v.width) + 1;
  const int side = 2 * radius + 1;
  std::vector<std::uint32_t> reciprocal(static_cast<size_t>(side) * side + 1, 0);
  for (size_t n = 1; n < reciprocal.size(); ++n) reciprocal[n] = static_cast<std::uint32_t>((1u << 24) / n + 1);
  for (int y = 0; y < v.height; ++y) {
    const int y0 = std::max(0, y - radius), y1 = std::min(v.height, y + radius + 1);
    const std::uint32_t* top = &s[static_cast<size_t>(y0) * w1];
    const std::uint32_t* bottom = &s[static_cast<size_t>(y1) * w1];
    for (int x = 0; x < v.width; ++x) {
      const int x0 = std::max(0, x - radius), x1 = std::min(v.width, x + radius + 1);
      const std::uint32_t sum = bottom[x1] - top[x1] - bottom[x0] + top[x0];
      const auto n = static_cast<size_t>((x1 - x0) * (y1 - y0));
      f(x, y, static_cast<std::uint32_t>((static_cast<std::uint64_t>(sum) * reciprocal[n]) >> 24));
    }
  }
}

}  // namespace

Gray half(View v) {
  Gray g = make(v.width / 2, v.height / 2);
  for (int y = 0; y < g.height; ++y) {
    const std::uint8_t* a = row(v, 2 * y);
    const std::uint8_t* b = row(v, 2 * y + 1);
    std::uint8_t* out = &g.px[static_cast<size_t>(y) * g.width];
    for (int x = 0; x < g.width; ++x)
      out[x] = static_cast<std::uint8_t>((a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) / 4);
  }
  return g;
}

Gray twice(View v) {
  // Output pixel 2i takes 3/4 of source i and 1/4 of i-1; 2i+1 takes 3/4 of
  // i and 1/4 of i+1 (pixel centres), clamped at the edges. Each source row
  // is widened once, into a ring of three.
  Gray g = make(v.width * 2, v.height * 2);
  const size_t gw = static_cast<size_t>(g.width);
  std::vector<std::uint16_t> ring(3 * gw);
  auto widen = [&](int y) {
    std::uint16_t* out = &ring[static_cast<size_t>((y + 3) % 3) * gw];
    const std::uint8_t* r = row(v, std::clamp(y, 0, v.height - 1));
    for (int x = 0; x < v.width; ++x) {
      const int left = r[std::max(0, x - 1)], mid = r[x], right = r[std::min(v.width - 1, x + 1)];
      out[2 * x] = static_cast<std::uint16_t>(3 * mid + left);
      out[2 * x + 1] = static_cast<std::uint16_t>(3 * mid + right);
    }
  };
  widen(-1);
  widen(0);
  for (int y = 0; y < v.height; ++y) {
    widen(y + 1);
    const std::uint16_t* above = &ring[static_cast<size_t>((y + 2) % 3) * gw];
    const std::uint16_t* here = &ring[static_cast<size_t>(y % 3) * gw];
    const std::uint16_t* below = &ring[static_cast<size_t>((y + 1) % 3) * gw];
    std::uint8_t* top = &g.px[static_cast<size_t>(2 * y) * gw];
    std::uint8_t* bottom = top + gw;
    for (size_t x = 0; x < gw; ++x) {
      top[x] = static_cast<std::uint8_t>((3 * here[x] + above[x] + 8) / 16);
      bottom[x] = static_cast<std::uint8_t>((3 * here[x] + below[x] + 8) / 16);
    }
  }
  return g;
}

Gray invert(View v) {
  Gray g = make(v.width, v.height);
  for (int y = 0; y < v.height; ++y) {
    const std::uint8_t* r = row(v, y);
    std::uint8_t* out = &g.px[static_cast<size_t>(y) * g.width];
    for (int x = 0; x < v.width; ++x) out[x] = static_cast<std::uint8_t>(255 - r[x]);
  }
  return g;
}

Gray box_blur(View v, int radius) {
  Gray g = make(v.width, v.height);
  window_means(v, radius, [&](int x, int y, std::uint32_t mean) {
    g.px[static_cast<size_t>(y) * g.width + x] = static_cast<std::uint8_t>(mean);
  });
  return g;
}

Gray sharpen(View v) {
  Gray g = box_blur(v, 1);
  for (int y = 0; y < v.height; ++y) {
    const std::uint8_t* r = row(v, y);
    std::uint8_t* out = &g.px[static_cast<size_t>(y) * g.width];
    for (int x = 0; x < v.width; ++x) out[x] = static_cast<std::uint8_t>(std::clamp(2 * r[x] - out[x], 0, 255));
  }
  return g;
}

Gray stretch(View v) {
  std::size_t hist[256] = {};
  for (int y = 0; y < v.height; ++y)
    for (int x = 0; x < v.width; ++x) ++hist[row(v, y)[x]];
  const std::size_t total = static_cast<std::size_t>(v.width) * v.height, cut = total / 100;
  int lo = 0, hi = 255;
  for (std::size_t acc = 0; lo < 255 && (acc += hist[lo]) <= cut;) ++lo;
  for (std::size_t acc = 0; hi > 0 && (acc += hist[hi]) <= cut;) --hi;
  const int range = std::max(1, hi - lo);
  Gray g = make(v.width, v.height);
  for (int y = 0; y < v.height; ++y) {
    const std::uint8_t* r = row(v, y);
    std::uint8_t* out = &g.px[static_cast<size_t>(y) * g.width];
    for (int x = 0; x < v.width; ++x) out[x] = static_cast<std::uint8_t>(std::clamp((r[x] - lo) * 255 / range, 0, 255));
  }
  return g;
}

Gray local_threshold(View v, int radius, int percent) {
  Gray g = make(v.width, v.height);
  window_means(v, radius, [&](int x, int y, std::uint32_t mean) {
    const bool dark = static_cast<std::uint32_t>(row(v, y)[x]) * 100 < mean * static_cast<std::uint32_t>(percent);
    g.px[static_cast<size_t>(y) * g.width + x] = dark ? 0 : 255;
  });
  return g;
}

}  // namespace shelter::qrimage::prep

namespace shelter::qrimage::prep {
namespace {

// Runs of 1:1:3:1:1, each within half a module of that (ZXing's own
// tolerance), with a pixel to spare for codes of 2 px per module.
bool finder_runs(const int* r) {
  const int total = r[0] + r[1] + r[2] + r[3] + r[4];
  if (total < 7) return false;
  auto near = [&](int run, int modules) { return std::abs(7 * run - modules * total) <= modules * total / 2 + 7; };
  return near(r[0], 1) && near(r[1], 1) && near(r[2], 3) && near(r[3], 1) && near(r[4], 1);
}

// Runs along the column through (x, y), centred there: the pattern seen
// across the row must also be there up and down, as in a finder's square.
bool column_runs(const Gray& bw, int x, int y) {
  auto at = [&](int yy) { return bw.px[static_cast<size_t>(yy) * bw.width + x]; };
  const std::uint8_t inner = at(y);
  if (inner == 128) return false;
  int runs[5] = {0, 0, 0, 0, 0};
  int up = y, down = y;
  while (up >= 0 && at(up) == inner) --up, ++runs[2];
  while (down < bw.height && at(down) == inner) ++down, ++runs[2];
  --runs[2];  // y counted twice
  for (int k : {1, 0}) {
    if (up < 0) return false;
    const std::uint8_t c = at(up);
    if (c == 128) return false;
    while (up >= 0 && at(up) == c) --up, ++runs[k];
  }
  for (int k : {3, 4}) {
    if (down >= bw.height) return false;
    const std::uint8_t c = at(down);
    if (c == 128) return false;
    while (down < bw.height && at(down) == c) ++down, ++runs[k];
  }
  return finder_runs(runs);
}

}  // namespace

FinderHints finder_hints(View v) {
  FinderHints hints;
  if (v.width < 21 || v.height < 21) return hints;
  // Dark below 93 % of the local mean, light above 107 %, and neither in
  // between: a flat wall's sensor noise makes no runs.
  Gray bw = box_blur(v, 8);
  for (int y = 0; y < v.height; ++y) {
    const std::uint8_t* src = row(v, y);
    std::uint8_t* m = &bw.px[static_cast<size_t>(y) * bw.width];
    for (int x = 0; x < v.width; ++x) {
      const int p = src[x] * 100, mean = m[x];
      m[x] = p < mean * 93 ? 0 : p > mean * 107 ? 255 : 128;
    }
  }
  // Confirmed centres by polarity (0: dark on light), one per finder.
  std::vector<std::pair<int, int>> found[2];
  for (int y = 0; y < bw.height; ++y) {
    const std::uint8_t* r = &bw.px[static_cast<size_t>(y) * bw.width];
    int runs[5] = {0, 0, 0, 0, 0};
    int n = 0;  // runs completed since the last flat stretch
    int x0 = 0;
    for (int x = 1; x <= bw.width; ++x) {
      if (x < bw.width && r[x] == r[x - 1]) continue;
      // A run of r[x-1] from x0 to x ends.
      for (int k = 0; k < 4; ++k) runs[k] = runs[k + 1];
      runs[4] = x - x0;
      x0 = x;
      n = r[x - 1] == 128 ? 0 : n + 1;  // a flat stretch breaks the pattern
      if (n < 5 || !finder_runs(runs)) continue;
      const int centre = x - runs[4] - runs[3] - runs[2] / 2;
      const int polarity = r[x - 1] == 0 ? 0 : 1;  // the outer run's colour
      if (!column_runs(bw, centre, y)) continue;
      const int near = std::max(3, (runs[0] + runs[1] + runs[2] + runs[3] + runs[4]) / 2);
      auto& list = found[polarity];
      const bool known = std::any_of(list.begin(), list.end(), [&](const auto& c) {
        return std::abs(c.first - centre) <= near && std::abs(c.second - y) <= near;
      });
      if (!known) list.emplace_back(centre, y);
    }
  }
  hints.dark_on_light = static_cast<int>(found[0].size());
  hints.light_on_dark = static_cast<int>(found[1].size());
  return hints;
}

}  // namespace shelter::qrimage::prep
