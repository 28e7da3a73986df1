// Reading QR codes from gray pictures with ZXing-C++ 1.4, and the passes
// that help it with what real cameras and photos give (qr_read_prep.hpp).
// The order of the passes and which of them the live path takes come from
// measuring each pass alone on tests/data/qr_set (docs/performance.md):
// cheap passes that read many codes first, rare rescues last.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

// ZXing 1.4: make Result::text() return UTF-8 std::string (the next API).
#define ZX_USE_UTF8 1
#include <ReadBarcode.h>

#include "core/qr_image.hpp"
#include "core/qr_model1.hpp"
#include "core/qr_read_prep.hpp"

namespace shelter::qrimage {

namespace {

using prep::Gray;
using prep::View;

// Where a prepared picture sits in the original: scale, then offset.
struct Placement {
  float scale = 1;
  int dx = 0, dy = 0;
  // ZXing 1.4 also scans smaller copies of a large picture; pointless for
  // one that was doubled to make its modules larger.
  bool downscale = true;
};

std::vector<Found> zxing_read(View v, ZXing::Binarizer binarizer, bool try_harder, Placement at = {}) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(try_harder);
  hints.setTryRotate(try_harder);
  hints.setBinarizer(binarizer);
  hints.setMaxNumberOfSymbols(8);
  hints.setTryDownscale(at.downscale);
  ZXing::ImageView view(v.px, v.width, v.height, ZXing::ImageFormat::Lum, v.stride);
  std::vector<Found> out;
  for (const auto& r : ZXing::ReadBarcodes(view, hints)) {
    if (!r.isValid()) continue;
    Found f;
    f.text = r.text();
    const auto& pos = r.position();
    for (int i = 0; i < 4; ++i) {
      f.x[i] = static_cast<int>(static_cast<float>(pos[i].x) * at.scale) + at.dx;
      f.y[i] = static_cast<int>(static_cast<float>(pos[i].y) * at.scale) + at.dy;
    }
    out.push_back(std::move(f));
  }
  return out;
}

constexpr auto kLocal = ZXing::Binarizer::LocalAverage;
constexpr auto kGlobal = ZXing::Binarizer::GlobalHistogram;
// For pictures that are already black and white (local_threshold's).
constexpr auto kFixed = ZXing::Binarizer::FixedThreshold;

// The local-mean window: about a card's module size at arm's length, more
// in larger pictures.
int threshold_radius(View v) {
  return std::clamp(std::min(v.width, v.height) / 24, 8, 60);
}

// The picture at half size, made once and shared by the passes that use it.
class Halved {
 public:
  explicit Halved(View src) : src_(src) {}
  View view() {
    if (!half_) half_ = prep::half(src_);
    return View::of(*half_);
  }

 private:
  View src_;
  std::optional<Gray> half_;
};

// Halving helps only where the picture is large enough to keep a code's
// modules at 2 px or more.
bool halvable(View v) {
  return v.width >= 480 && v.height >= 360;
}

// A code has three finder patterns; one may be lost to glare or blur.
constexpr int kMinFinders = 2;

}  // namespace

namespace {

// Every pass over one picture; `at` places its corners in the original.
std::vector<Found> read_all_passes(const View src, const float at) {
  const int width = src.width, height = src.height;
  Halved halved(src);
  const bool halve = halvable(src);
  const Placement here{at, 0, 0}, from_half{2 * at, 0, 0};
  using Pass = std::function<std::vector<Found>()>;
  // Each pass returns what it found; the first that finds anything wins.
  const Pass first[] = {
      // Large codes, and noise averaged away: about a millisecond.
      [&] { return halve ? zxing_read(halved.view(), kLocal, false, from_half) : std::vector<Found>{}; },
      // A global threshold: clean prints, strong blur.
      [&] { return zxing_read(src, kFixed, true, here); },
      // Light on dark (phone screens in dark mode).
      [&] {
        if (!halve) return std::vector<Found>{};
        const Gray inv = prep::invert(halved.view());
        return zxing_read(View::of(inv), kLocal, false, from_half);
      },
      // Full size: small and tilted codes.
      [&] { return zxing_read(src, kLocal, true, here); },
  };
  for (const auto& pass : first)
    if (auto found = pass(); !found.empty()) return found;

  // The rescues cost more; a picture in which nothing looks like a finder
  // pattern skips them, so that pictures without a code cost what they did
  // before the rescues. Half size first: noise has been averaged there.
  const prep::FinderHints hints = prep::finder_hints(halve ? halved.view() : src);
  const bool dark_finders = hints.dark_on_light >= kMinFinders;
  const bool light_finders = hints.light_on_dark >= kMinFinders;
  // Codes of 2 px per module lose their finders at half size: the passes for
  // them look at full size, once.
  struct Polarities {
    bool dark = false, light = false;
  };
  std::optional<Polarities> small_finders;
  auto fine_finders = [&] {
    if (!small_finders) {
      const prep::FinderHints full = halve ? prep::finder_hints(src) : hints;
      small_finders = Polarities{full.dark_on_light >= kMinFinders, full.light_on_dark >= kMinFinders};
    }
    return *small_finders;
  };
  const Pass rescues[] = {
      [&] {
        if (!light_finders) return std::vector<Found>{};
        const Gray inv = prep::invert(src);
        return zxing_read(View::of(inv), kLocal, true, here);
      },
      // A wider local mean than ZXing's: glare, uneven light, screens.
      [&] {
        if (!dark_finders) return std::vector<Found>{};
        const Gray bw = prep::local_threshold(src, threshold_radius(src), 90);
        return zxing_read(View::of(bw), kFixed, true, here);
      },
      // Blurred, then halved: sensor noise and a screen's pixel grid.
      [&] {
        if (!halve || !dark_finders) return std::vector<Found>{};
        const Gray smooth = prep::half(View::of(prep::box_blur(src, 1)));
        return zxing_read(View::of(smooth), kLocal, false, from_half);
      },
      // Dim or low-contrast pictures.
      [&] {
        if (!dark_finders) return std::vector<Found>{};
        const Gray stretched = prep::stretch(src);
        return zxing_read(View::of(stretched), kGlobal, true, here);
      },
      // Soft edges (focus, motion, small codes): sharpened.
      [&] {
        if (!dark_finders) return std::vector<Found>{};
        const Gray sharp = prep::sharpen(src);
        return zxing_read(View::of(sharp), kLocal, true, here);
      },
      // Glare across the whole code: a still wider window.
      [&] {
        if (!dark_finders) return std::vector<Found>{};
        const Gray bw = prep::local_threshold(src, 2 * threshold_radius(src), 92);
        return zxing_read(View::of(bw), kFixed, true, here);
      },
      // Codes of about 2 px per module: doubled (bilinear), in pictures
      // small enough for that to stay cheap; dark on light, then light on
      // dark.
      [&] {
        if (static_cast<long>(width) * height > 1'300'000 || !fine_finders().dark) return std::vector<Found>{};
        const Gray big = prep::twice(src);
        return zxing_read(View::of(big), kLocal, false, Placement{0.5f * at, 0, 0, false});
      },
      // Soft codes of 1.6-2.5 px per module (dense cards turned in a 720p
      // frame, small prints): sharpened twice before doubling, so that the
      // module edges survive the bilinear step, and ZXing's harder search
      // for the turned finders. Sharpening once read fewer.
      [&] {
        if (static_cast<long>(width) * height > 1'300'000 || !fine_finders().dark) return std::vector<Found>{};
        const Gray big = prep::twice(View::of(prep::sharpen(View::of(prep::sharpen(src)))));
        return zxing_read(View::of(big), kLocal, true, Placement{0.5f * at, 0, 0, false});
      },
      [&] {
        if (static_cast<long>(width) * height > 1'300'000 || !fine_finders().light) return std::vector<Found>{};
        const Gray big = prep::invert(View::of(prep::twice(src)));
        return zxing_read(View::of(big), kLocal, false, Placement{0.5f * at, 0, 0, false});
      },
      // Old QR Code Model 1 symbols (qr_model1.hpp), which ZXing 1.4 does
      // not read; their finder patterns are Model 2's.
      [&] {
        if (!fine_finders().dark) return std::vector<Found>{};
        auto found = read_model1(src.px, src.width, src.height, src.stride);
        for (auto& f : found)
          for (int i = 0; i < 4; ++i) {
            f.x[i] = static_cast<int>(static_cast<float>(f.x[i]) * at);
            f.y[i] = static_cast<int>(static_cast<float>(f.y[i]) * at);
          }
        return found;
      },
  };
  for (const auto& pass : rescues)
    if (auto found = pass(); !found.empty()) return found;
  return {};
}

// Above this many pixels (phone photos), the passes run on a halved copy,
// again and again if need be: a code in such a photo keeps modules of
// several pixels, and the passes' cost stays what a 1 Mpx picture costs.
constexpr long kMaxPassPixels = 1'000'000;

}  // namespace

std::vector<Found> QrReader::read(const std::uint8_t* gray, int width, int height, int stride) const {
  if (!gray || width <= 0 || height <= 0 || stride < width) return {};
  const View src{gray, width, height, stride};
  if (static_cast<long>(width) * height <= kMaxPassPixels) return read_all_passes(src, 1);
  Gray smaller = prep::half(src);
  float at = 2;
  while (static_cast<long>(smaller.width) * smaller.height > kMaxPassPixels) {
    smaller = prep::half(View::of(smaller));
    at *= 2;
  }
  if (auto found = read_all_passes(View::of(smaller), at); !found.empty()) return found;
  // Last, the photo itself once, quickly: a small code far away.
  return zxing_read(src, kLocal, false);
}

std::vector<Found> QrReader::read_frame(const std::uint8_t* gray, int width, int height, int stride,
                                        std::uint64_t frame_index) const {
  if (!gray || width <= 0 || height <= 0 || stride < width) return {};
  const View src{gray, width, height, stride};
  // In a large frame a card held up to the camera has modules of several
  // pixels: a fast pass at half size finds it in about a millisecond.
  const bool large = width >= 960 && height >= 540;
  Halved halved(src);
  const Placement from_half{2, 0, 0};
  if (large) {
    auto found = zxing_read(halved.view(), kLocal, false, from_half);
    if (!found.empty()) return found;
  }
  // Then one harder pass, a different one on each frame, so that six
  // consecutive frames (a fifth of a second) try them all within the budget
  // of a few milliseconds a frame.
  const View work = large ? halved.view() : src;
  const Placement back = large ? from_half : Placement{};
  switch (frame_index % 6) {
    case 0:  // full size: small or distant codes (the half-size pass was
             // the smaller copy, so ZXing need not make its own)
      return zxing_read(src, kLocal, !large, Placement{1, 0, 0, !large});
    case 1: {  // light on dark: a phone in dark mode
      const Gray inv = prep::invert(work);
      return zxing_read(View::of(inv), kLocal, !large, back);
    }
    case 2:  // a global threshold: motion blur, clean prints
      return zxing_read(src, kFixed, !large);
    case 3: {  // a wide local mean: glare, uneven light, a screen
      const Gray bw = prep::local_threshold(work, threshold_radius(work), 90);
      return zxing_read(View::of(bw), kFixed, !large, back);
    }
    case 4: {
      // Codes of about 2 px per module: one part of the frame sharpened and
      // doubled, the four quarters and the centre in turn.
      const int tile = static_cast<int>((frame_index / 6) % 5);
      const int tw = width / 2, th = height / 2;
      const int tx = tile == 4 ? width / 4 : (tile % 2) * (width - tw);
      const int ty = tile == 4 ? height / 4 : (tile / 2) * (height - th);
      const Gray big = prep::twice(View::of(prep::sharpen(src.crop(tx, ty, tw, th))));
      return zxing_read(View::of(big), kLocal, false, Placement{0.5f, tx, ty, false});
    }
    default: {  // dim light: stretched contrast, another binarizer
      const Gray stretched = prep::stretch(work);
      return zxing_read(View::of(stretched), kGlobal, false, back);
    }
  }
}

}  // namespace shelter::qrimage
