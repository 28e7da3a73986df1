#include "core/qr_read_prep.hpp"

#include <algorithm>

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

// Calls f(x, y, window mean) for every pixel.
template <class F>
void window_means(View v, int radius, F&& f) {
  const auto s = integral(v);
  const size_t w1 = static_cast<size_t>(v.width) + 1;
  for (int y = 0; y < v.height; ++y) {
    const int y0 = std::max(0, y - radius), y1 = std::min(v.height, y + radius + 1);
    for (int x = 0; x < v.width; ++x) {
      const int x0 = std::max(0, x - radius), x1 = std::min(v.width, x + radius + 1);
      const std::uint32_t sum = s[y1 * w1 + x1] - s[y0 * w1 + x1] - s[y1 * w1 + x0] + s[y0 * w1 + x0];
      f(x, y, sum / static_cast<std::uint32_t>((x1 - x0) * (y1 - y0)));
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
  // i and 1/4 of i+1 (pixel centres), clamped at the edges.
  Gray g = make(v.width * 2, v.height * 2);
  std::vector<std::uint16_t> lo(static_cast<size_t>(g.width)), hi(static_cast<size_t>(g.width));
  auto widen = [&](int y, std::vector<std::uint16_t>& out) {
    const std::uint8_t* r = row(v, std::clamp(y, 0, v.height - 1));
    for (int x = 0; x < v.width; ++x) {
      const int left = r[std::max(0, x - 1)], mid = r[x], right = r[std::min(v.width - 1, x + 1)];
      out[static_cast<size_t>(2 * x)] = static_cast<std::uint16_t>(3 * mid + left);
      out[static_cast<size_t>(2 * x + 1)] = static_cast<std::uint16_t>(3 * mid + right);
    }
  };
  std::vector<std::uint16_t> above(static_cast<size_t>(g.width)), here(static_cast<size_t>(g.width)),
      below(static_cast<size_t>(g.width));
  for (int y = 0; y < v.height; ++y) {
    widen(y - 1, above);
    widen(y, here);
    widen(y + 1, below);
    std::uint8_t* top = &g.px[static_cast<size_t>(2 * y) * g.width];
    std::uint8_t* bottom = top + g.width;
    for (int x = 0; x < g.width; ++x) {
      top[x] = static_cast<std::uint8_t>((3 * here[static_cast<size_t>(x)] + above[static_cast<size_t>(x)] + 8) / 16);
      bottom[x] =
          static_cast<std::uint8_t>((3 * here[static_cast<size_t>(x)] + below[static_cast<size_t>(x)] + 8) / 16);
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
