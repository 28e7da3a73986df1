#pragma once
// Picture preparations that help ZXing read what cameras and photos give:
// halving (noise, large codes), inverting (light-on-dark phone screens),
// blurring (noise, a screen's pixel grid), doubling (codes of 2 px per
// module), stretching contrast (dim light) and a local-mean threshold with a
// window wider than ZXing's own (glare, uneven light). Integer math over
// 8-bit gray; each returns a new, tightly packed picture.
#include <cstdint>
#include <vector>

namespace shelter::qrimage::prep {

struct Gray {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> px;  // width*height
};

// A view of someone else's pixels, rows `stride` apart.
struct View {
  const std::uint8_t* px = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;
  static View of(const Gray& g) { return {g.px.data(), g.width, g.height, g.width}; }
  View crop(int x, int y, int w, int h) const { return {px + static_cast<long>(y) * stride + x, w, h, stride}; }
};

Gray half(View v);                  // 2x2 means
Gray twice(View v);                 // bilinear, 2x each way
Gray invert(View v);                // 255 - v
Gray box_blur(View v, int radius);  // mean over (2r+1)^2, edges clamped
Gray stretch(View v);               // darkest..brightest 1% to 0..255
Gray sharpen(View v);               // 2v - (3x3 mean): an unsharp mask
// 0 where a pixel is darker than `percent` % of the mean of the
// (2r+1)^2 window around it, else 255.
Gray local_threshold(View v, int radius, int percent);

}  // namespace shelter::qrimage::prep

namespace shelter::qrimage::prep {

// How many places look like a QR finder pattern (runs of 1:1:3:1:1 across
// a row and down the column through its centre, against the local mean), of
// dark on light and of light on dark. A code has three; a picture with
// fewer than two has no code the rescue passes could read. Costs about a
// millisecond for 640x480.
struct FinderHints {
  int dark_on_light = 0;
  int light_on_dark = 0;
};
FinderHints finder_hints(View v);

}  // namespace shelter::qrimage::prep
