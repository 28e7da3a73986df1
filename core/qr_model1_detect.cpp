// Finding Model 1 symbols in a picture. ZXing 1.4 drops a QR code whose
// format information it cannot read without reporting where it was, so
// this is a small detector of its own: threshold, find the 1:1:3:1:1 finder
// patterns, pair them into symbols, sample the grid and decode.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <optional>

#include "core/qr_model1.hpp"

namespace shelter::qrimage {

namespace {

using model1::decode_modules;
using model1::size_of;

struct Point {
  double x = 0, y = 0;
};
double distance(Point a, Point b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

struct Bitmap {
  int width = 0, height = 0;
  std::vector<std::uint8_t> dark;  // 1 = dark
  bool at(int x, int y) const { return dark[static_cast<size_t>(y) * width + x] != 0; }
};

// Dark where darker than the mean of a window around it: survives uneven
// light. `window` must be larger than a finder's centre to keep it dark.
Bitmap threshold_local(const std::uint8_t* gray, int w, int h, int stride, int window) {
  std::vector<std::uint32_t> sum(static_cast<size_t>(w + 1) * (h + 1), 0);
  for (int y = 0; y < h; ++y) {
    std::uint32_t row = 0;
    for (int x = 0; x < w; ++x) {
      row += gray[static_cast<size_t>(y) * stride + x];
      sum[static_cast<size_t>(y + 1) * (w + 1) + x + 1] = sum[static_cast<size_t>(y) * (w + 1) + x + 1] + row;
    }
  }
  Bitmap bm{w, h, std::vector<std::uint8_t>(static_cast<size_t>(w) * h)};
  const int r = window / 2;
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - r), y1 = std::min(h, y + r + 1);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - r), x1 = std::min(w, x + r + 1);
      const auto at = [&](int xx, int yy) { return sum[static_cast<size_t>(yy) * (w + 1) + xx]; };
      const std::uint32_t total = at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0);
      const int area = (x1 - x0) * (y1 - y0);
      const int p = gray[static_cast<size_t>(y) * stride + x];
      // A small margin keeps flat noise from turning into speckles.
      bm.dark[static_cast<size_t>(y) * w + x] = (p + 4) * area < static_cast<int>(total) ? 1 : 0;
    }
  }
  return bm;
}

// Otsu's global threshold: for codes so large that a window sees only black.
Bitmap threshold_global(const std::uint8_t* gray, int w, int h, int stride) {
  std::array<long, 256> hist{};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ++hist[gray[static_cast<size_t>(y) * stride + x]];
  const double n = static_cast<double>(w) * h;
  double total = 0;
  for (int i = 0; i < 256; ++i) total += static_cast<double>(i) * hist[static_cast<size_t>(i)];
  double below = 0, below_sum = 0, best = -1;
  int cut = 128;
  for (int t = 0; t < 256; ++t) {
    below += hist[static_cast<size_t>(t)];
    below_sum += static_cast<double>(t) * hist[static_cast<size_t>(t)];
    if (below == 0 || below == n) continue;
    const double m0 = below_sum / below, m1 = (total - below_sum) / (n - below);
    const double between = below * (n - below) * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      cut = t;
    }
  }
  Bitmap bm{w, h, std::vector<std::uint8_t>(static_cast<size_t>(w) * h)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      bm.dark[static_cast<size_t>(y) * w + x] = gray[static_cast<size_t>(y) * stride + x] <= cut;
  return bm;
}

// Five runs dark-light-dark-light-dark in the ratio 1:1:3:1:1?
bool finder_ratio(const int (&runs)[5]) {
  int total = 0;
  for (int r : runs) {
    if (r == 0) return false;
    total += r;
  }
  if (total < 7) return false;
  const double m = total / 7.0, slack = m * 0.8;
  return std::abs(runs[0] - m) < slack && std::abs(runs[1] - m) < slack && std::abs(runs[2] - 3 * m) < 3 * slack &&
         std::abs(runs[3] - m) < slack && std::abs(runs[4] - m) < slack;
}

// Along a line through (x, y) in direction (dx, dy), from the dark centre
// outwards: the centre's offset along the line and the pattern's length,
// or a negative length when the runs do not fit.
double cross_check(const Bitmap& bm, int x, int y, int dx, int dy, int max_run, double* centre_offset) {
  auto inside = [&](int i) {
    const int xx = x + i * dx, yy = y + i * dy;
    return xx >= 0 && yy >= 0 && xx < bm.width && yy < bm.height;
  };
  auto dark = [&](int i) { return bm.at(x + i * dx, y + i * dy); };
  if (!dark(0)) return -1;
  int runs[5] = {0, 0, 0, 0, 0};
  int i = 0;
  // Backwards: centre, light, outer dark.
  for (int state = 2; state >= 0; --state) {
    const bool want_dark = state != 1;
    while (inside(i) && dark(i) == want_dark && runs[state] <= max_run) {
      ++runs[state];
      --i;
    }
    if (!inside(i) && state > 0) return -1;
    if (runs[state] > max_run) return -1;
  }
  const int start = i + 1;
  i = 1;
  for (int state = 2; state < 5; ++state) {
    const bool want_dark = state != 3;
    int& run = runs[state];
    while (inside(i) && dark(i) == want_dark && run <= max_run) {
      ++run;
      ++i;
    }
    if (!inside(i) && state < 4) return -1;
    if (run > max_run) return -1;
  }
  if (!finder_ratio(runs)) return -1;
  const int centre_start = start + runs[0] + runs[1];
  *centre_offset = centre_start + runs[2] / 2.0 - 0.5;
  return runs[0] + runs[1] + runs[2] + runs[3] + runs[4];
}

struct Finder {
  Point centre;
  double module = 0;
  int hits = 0;
};

void add_candidate(const Bitmap& bm, std::vector<Finder>& finders, int end_x, int y, const int (&runs)[5]) {
  const int total = runs[0] + runs[1] + runs[2] + runs[3] + runs[4];
  const int cx = end_x - runs[4] - runs[3] - runs[2] + runs[2] / 2;
  double off_y = 0, off_x = 0;
  const double vertical = cross_check(bm, cx, y, 0, 1, total * 2, &off_y);
  if (vertical < 0) return;
  const int cy = static_cast<int>(std::lround(y + off_y));
  if (cy < 0 || cy >= bm.height) return;
  const double horizontal = cross_check(bm, cx, cy, 1, 0, total * 2, &off_x);
  if (horizontal < 0) return;
  const Point c{cx + off_x + 0.5, y + off_y + 0.5};
  const double module = (vertical + horizontal) / 14.0;
  if (std::abs(vertical - horizontal) > 0.5 * std::max(vertical, horizontal)) return;
  for (Finder& f : finders) {
    const double dx = f.centre.x - c.x, dy = f.centre.y - c.y, near = 2 * f.module;
    if (dx * dx + dy * dy < near * near && std::abs(f.module - module) < 0.5 * f.module) {
      const double n = f.hits;
      f.centre = {(f.centre.x * n + c.x) / (n + 1), (f.centre.y * n + c.y) / (n + 1)};
      f.module = (f.module * n + module) / (n + 1);
      ++f.hits;
      return;
    }
  }
  finders.push_back({c, module, 1});
}

std::vector<Finder> find_finders(const Bitmap& bm) {
  std::vector<Finder> finders;
  for (int y = 0; y < bm.height; ++y) {
    int runs[5] = {0, 0, 0, 0, 0};
    int state = 0;  // the run being counted; even runs are dark
    for (int x = 0; x < bm.width; ++x) {
      const bool d = bm.at(x, y);
      if (d == (state % 2 == 0)) {
        ++runs[state];
      } else if (state == 0 && runs[0] == 0) {
        continue;  // light before the first dark run
      } else if (state < 4) {
        runs[++state] = 1;
      } else {  // a light pixel ends the fifth run
        if (finder_ratio(runs)) add_candidate(bm, finders, x, y, runs);
        // Keep the last dark run: it may begin the next pattern.
        runs[0] = runs[2];
        runs[1] = runs[3];
        runs[2] = runs[4];
        runs[3] = 1;
        runs[4] = 0;
        state = 3;
      }
    }
    if (state == 4 && finder_ratio(runs)) add_candidate(bm, finders, bm.width, y, runs);
  }
  std::erase_if(finders, [](const Finder& f) { return f.hits < 2 && f.module >= 2; });
  std::sort(finders.begin(), finders.end(), [](const Finder& a, const Finder& b) { return a.hits > b.hits; });
  if (finders.size() > 12) finders.resize(12);
  return finders;
}

// Unit square -> quadrilateral p0..p3 (corners in order around it).
struct Projection {
  double a11 = 0, a12 = 0, a13 = 0, a21 = 0, a22 = 0, a23 = 0, a31 = 0, a32 = 0;
  static Projection square_to(Point p0, Point p1, Point p2, Point p3) {
    Projection t;
    const double dx3 = p0.x - p1.x + p2.x - p3.x, dy3 = p0.y - p1.y + p2.y - p3.y;
    if (std::abs(dx3) < 1e-9 && std::abs(dy3) < 1e-9) {
      t = {p1.x - p0.x, p1.y - p0.y, 0, p2.x - p1.x, p2.y - p1.y, 0, p0.x, p0.y};
      return t;
    }
    const double dx1 = p1.x - p2.x, dx2 = p3.x - p2.x, dy1 = p1.y - p2.y, dy2 = p3.y - p2.y;
    const double den = dx1 * dy2 - dx2 * dy1;
    t.a13 = (dx3 * dy2 - dx2 * dy3) / den;
    t.a23 = (dx1 * dy3 - dx3 * dy1) / den;
    t.a11 = p1.x - p0.x + t.a13 * p1.x;
    t.a21 = p3.x - p0.x + t.a23 * p3.x;
    t.a31 = p0.x;
    t.a12 = p1.y - p0.y + t.a13 * p1.y;
    t.a22 = p3.y - p0.y + t.a23 * p3.y;
    t.a32 = p0.y;
    return t;
  }
  Point map(double u, double v) const {
    const double w = a13 * u + a23 * v + 1;
    return {(a11 * u + a21 * v + a31) / w, (a12 * u + a22 * v + a32) / w};
  }
};

// The finder centres sit 3.5 modules in from the symbol's corners.
struct Grid {
  Projection projection;
  int size = 0;
  Point module_to_image(double mx, double my) const {
    const double span = size - 7;
    return projection.map((mx - 3.5) / span, (my - 3.5) / span);
  }
};

bool sample(const Bitmap& bm, const Grid& grid, int mx, int my, bool* dark) {
  const Point p = grid.module_to_image(mx + 0.5, my + 0.5);
  // Written so that NaN (a degenerate grid) fails too.
  if (!(p.x >= 0 && p.y >= 0 && p.x < bm.width && p.y < bm.height)) return false;
  const int x = static_cast<int>(p.x), y = static_cast<int>(p.y);
  *dark = bm.at(x, y);
  return true;
}

// Both copies of the format information, checked before the costly
// sampling: they sit next to the finders, so a rough grid reads them, and
// most candidate grids (and every Model 2 code) stop here.
bool format_plausible(const Bitmap& bm, const Grid& grid) {
  std::uint32_t copy1 = 0, copy2 = 0;
  auto add = [&](std::uint32_t& bits, int x, int y) {
    bool d = false;
    if (!sample(bm, grid, x, y, &d)) return false;
    bits = (bits << 1) | (d ? 1u : 0u);
    return true;
  };
  bool inside = true;
  for (int x = 0; x <= 5; ++x) inside = inside && add(copy1, x, 8);
  inside = inside && add(copy1, 7, 8) && add(copy1, 8, 8) && add(copy1, 8, 7);
  for (int y = 5; y >= 0; --y) inside = inside && add(copy1, 8, y);
  for (int y = grid.size - 1; y >= grid.size - 7; --y) inside = inside && add(copy2, 8, y);
  for (int x = grid.size - 8; x < grid.size; ++x) inside = inside && add(copy2, x, 8);
  if (!inside) return false;
  // One copy may be damaged, but then the other must be close.
  for (int d = 0; d < 32; ++d) {
    const std::uint32_t code = model1::format_bits(d >> 3, d & 7) ^ model1::kFormatMask;
    const int d1 = std::popcount(copy1 ^ code), d2 = std::popcount(copy2 ^ code);
    if (std::min(d1, d2) <= 2 && d1 + d2 <= 6) return true;
  }
  return false;
}

// Modules of both timing patterns that alternate as they should. Their
// spacing shows the perspective along the top and left edges, which the
// unseen fourth corner sets.
int timing_score(const Bitmap& bm, const Grid& grid) {
  int right = 0;
  for (int i = 8; i < grid.size - 8; ++i) {
    bool row = false, column = false;
    if (!sample(bm, grid, i, 6, &row) || !sample(bm, grid, 6, i, &column)) return -1;
    right += (row == (i % 2 == 0)) + (column == (i % 2 == 0));
  }
  return right;
}

std::optional<std::string> sample_and_decode(const Bitmap& bm, const Grid& grid) {
  std::vector<std::uint8_t> modules(static_cast<size_t>(grid.size) * grid.size);
  for (int y = 0; y < grid.size; ++y)
    for (int x = 0; x < grid.size; ++x) {
      bool d = false;
      if (!sample(bm, grid, x, y, &d)) return std::nullopt;
      modules[static_cast<size_t>(y) * grid.size + x] = d ? 1 : 0;
    }
  return decode_modules(modules, grid.size);
}

// Where the fourth finder would be. Under perspective a finder's module
// size is inversely proportional to the projective weight w at it, and
// w * position is affine in the symbol's coordinates, so
// BR = sum(+-p_i / m_i) / sum(+-1 / m_i) over TR, BL and (minus) TL.
Point fourth_corner(const Finder& tl, const Finder& tr, const Finder& bl) {
  const double wtl = 1 / tl.module, wtr = 1 / tr.module, wbl = 1 / bl.module;
  const double w = wtr + wbl - wtl;
  if (w <= 0.2 * wtl) return {tr.centre.x + bl.centre.x - tl.centre.x, tr.centre.y + bl.centre.y - tl.centre.y};
  return {(tr.centre.x * wtr + bl.centre.x * wbl - tl.centre.x * wtl) / w,
          (tr.centre.y * wtr + bl.centre.y * wbl - tl.centre.y * wtl) / w};
}

Found found_at(const Grid& grid, std::string text) {
  Found f;
  f.text = std::move(text);
  const Point corners[4] = {grid.module_to_image(0, 0), grid.module_to_image(grid.size, 0),
                            grid.module_to_image(grid.size, grid.size), grid.module_to_image(0, grid.size)};
  for (int k = 0; k < 4; ++k) {
    f.x[k] = static_cast<int>(std::lround(corners[k].x));
    f.y[k] = static_cast<int>(std::lround(corners[k].y));
  }
  return f;
}

// Three finders as top-left, top-right, bottom-left: tries each plausible
// size and, as Model 1 has no alignment pattern to fix perspective, nudges
// the unseen fourth corner until the Reed-Solomon check holds.
std::optional<Found> try_triple(const Bitmap& bm, const Finder& ftl, const Finder& ftr, const Finder& fbl) {
  const Point tl = ftl.centre, tr = ftr.centre, bl = fbl.centre;
  const double module = (ftl.module + ftr.module + fbl.module) / 3;
  const double across = (distance(tl, tr) + distance(tl, bl)) / (2 * module) + 7;
  const int nearest = static_cast<int>(std::lround((across - 17) / 4.0));
  const Point affine{tr.x + bl.x - tl.x, tr.y + bl.y - tl.y};
  const Point perspective = fourth_corner(ftl, ftr, fbl);
  std::vector<Point> starts{perspective};
  if (distance(affine, perspective) > module / 2) starts.push_back(affine);
  // Offsets of the fourth corner in modules, nearest first.
  std::vector<std::pair<double, double>> offsets;
  for (int i = -4; i <= 4; ++i)
    for (int j = -4; j <= 4; ++j) offsets.emplace_back(i * 0.5, j * 0.5);
  std::stable_sort(offsets.begin(), offsets.end(), [](auto a, auto b) {
    return a.first * a.first + a.second * a.second < b.first * b.first + b.second * b.second;
  });
  for (int version : {nearest, nearest - 1, nearest + 1}) {
    if (version < model1::kMinVersion || version > model1::kMaxVersion) continue;
    Grid grid;
    grid.size = size_of(version);
    const Point ux{(tr.x - tl.x) / (grid.size - 7), (tr.y - tl.y) / (grid.size - 7)};
    const Point uy{(bl.x - tl.x) / (grid.size - 7), (bl.y - tl.y) / (grid.size - 7)};
    auto grid_to = [&](Point br) {
      Grid g = grid;
      g.projection = Projection::square_to(tl, tr, br, bl);
      return g;
    };
    auto moved = [&](Point br, double ox, double oy) {
      return Point{br.x + ox * ux.x + oy * uy.x, br.y + ox * ux.y + oy * uy.y};
    };
    std::vector<Point> tried;
    for (const Point& start : starts) {
      if (!format_plausible(bm, grid_to(start))) continue;
      // Climb the timing patterns' agreement, in ever smaller steps.
      Point br = start;
      int score = timing_score(bm, grid_to(br));
      for (double step : {4.0, 2.0, 1.0, 0.5, 0.25})
        for (int round = 0; round < 12; ++round) {
          Point best = br;
          int best_score = score;
          for (int i = -1; i <= 1; ++i)
            for (int j = -1; j <= 1; ++j) {
              if (i == 0 && j == 0) continue;
              const Point p = moved(br, i * step, j * step);
              const int s = timing_score(bm, grid_to(p));
              if (s > best_score) {
                best = p;
                best_score = s;
              }
            }
          if (best_score == score) break;
          br = best;
          score = best_score;
        }
      if (score < 2 * (grid.size - 16) * 3 / 4) continue;
      if (std::any_of(tried.begin(), tried.end(), [&](Point p) { return distance(p, br) < module / 4; })) continue;
      tried.push_back(br);
      for (auto [ox, oy] : offsets)
        if (auto text = sample_and_decode(bm, grid_to(moved(br, ox, oy))))
          return found_at(grid_to(moved(br, ox, oy)), std::move(*text));
    }
  }
  return std::nullopt;
}

void find_symbols(const Bitmap& bm, std::vector<Found>& out) {
  const std::vector<Finder> finders = find_finders(bm);
  const size_t n = finders.size();
  std::vector<bool> used(n, false);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      for (size_t k = j + 1; k < n; ++k) {
        if (used[i] || used[j] || used[k]) continue;
        const Finder* f[3] = {&finders[i], &finders[j], &finders[k]};
        const double mmax = std::max({f[0]->module, f[1]->module, f[2]->module});
        const double mmin = std::min({f[0]->module, f[1]->module, f[2]->module});
        if (mmax > 1.5 * mmin) continue;
        // The corner finder is the one opposite the longest side.
        const double d01 = distance(f[0]->centre, f[1]->centre), d02 = distance(f[0]->centre, f[2]->centre),
                     d12 = distance(f[1]->centre, f[2]->centre);
        int corner = 0;
        if (d02 >= d01 && d02 >= d12) corner = 1;
        if (d01 >= d02 && d01 >= d12) corner = 2;
        const Finder &fc = *f[corner], &fa = *f[(corner + 1) % 3], &fb = *f[(corner + 2) % 3];
        const Point c = fc.centre, a = fa.centre, b = fb.centre;
        const double da = distance(c, a), db = distance(c, b);
        if (std::max(da, db) > 1.4 * std::min(da, db)) continue;
        const double cosine = ((a.x - c.x) * (b.x - c.x) + (a.y - c.y) * (b.y - c.y)) / (da * db);
        if (std::abs(cosine) > 0.35) continue;
        const double module = (f[0]->module + f[1]->module + f[2]->module) / 3;
        const double span = (da + db) / (2 * module);
        if (span < 10 || span > 72) continue;
        // Image y grows downwards: top-right x bottom-left is positive.
        const bool clockwise = (a.x - c.x) * (b.y - c.y) - (a.y - c.y) * (b.x - c.x) > 0;
        auto found = clockwise ? try_triple(bm, fc, fa, fb) : try_triple(bm, fc, fb, fa);
        if (!found) continue;
        used[i] = used[j] = used[k] = true;
        const bool duplicate = std::any_of(out.begin(), out.end(), [&](const Found& o) {
          return o.text == found->text && std::abs(o.x[0] - found->x[0]) + std::abs(o.y[0] - found->y[0]) < 8 * module;
        });
        if (!duplicate) out.push_back(std::move(*found));
      }
}

}  // namespace

std::vector<Found> read_model1(const std::uint8_t* gray, int width, int height, int stride) {
  std::vector<Found> out;
  if (!gray || width < 21 || height < 21 || stride < width) return out;
  const int window = std::max(15, std::min(width, height) / 6) | 1;
  find_symbols(threshold_local(gray, width, height, stride, window), out);
  if (out.empty()) find_symbols(threshold_global(gray, width, height, stride), out);
  return out;
}

}  // namespace shelter::qrimage
