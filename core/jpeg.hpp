#pragma once
// JPEG decoding with libjpeg-turbo (TurboJPEG API): photos of cards read by
// shelterctl, and a webcam's MJPEG frames. libjpeg-turbo supplies the
// standard Huffman tables that webcams leave out of their frames, decodes
// only the luma when asked for gray, and scales by 1/2, 1/4 or 1/8 inside
// the IDCT, so a thumbnail costs little more than reading the bits.
#include <cstdint>
#include <vector>

#include "core/result.hpp"

namespace shelter::jpeg {

enum class Pixels { Gray, Rgb };
// A warning is libjpeg's word for data it could decode only in part or with
// guesses (cut short, stray bytes between segments).
enum class Warnings { Fail, Accept };

struct Image {
  int width = 0;  // as decoded (scaled)
  int height = 0;
  int full_width = 0;  // the picture's own size, from its header
  int full_height = 0;
  std::vector<std::uint8_t> pixels;  // width*height (gray) or width*height*3 (RGB)
};

// What a header may claim before anything is allocated for it.
struct Limits {
  long long max_pixels = 64LL * 1024 * 1024;
  int max_side = 1 << 16;
};

// Decodes at 1/`scale` (1, 2, 4 or 8; the size rounds up). Refuses a
// header beyond `limits` before allocating. Webcam frames fail on warnings
// (a damaged frame is skipped rather than shown half grey); photos accept
// them, as phones' files often have stray bytes. Errors start "JPEG: ". On
// error `out` is left as it was.
Status decode(const std::uint8_t* data, size_t size, Pixels pixels, int scale, const Limits& limits, Image& out,
              Warnings warnings = Warnings::Fail);

}  // namespace shelter::jpeg
