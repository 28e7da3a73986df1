#pragma once
// A QR Code Model 1 encoder for tests only: nothing in the product writes
// Model 1, but the reader must be tested on symbols of every version.
// Checked against reference symbols (tests/data/qr/model1-*.txt), not
// against our decoder, so that the two cannot share one mistake.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/qr_image.hpp"

namespace shelter::testsupport {

struct Model1Options {
  int version = 0;         // 0: the smallest that fits
  int mask = -1;           // -1: the version number modulo 8
  char ec = 'M';           // L, M, Q or H
  bool byte_mode = false;  // else alphanumeric when the text allows it
  // Explicit segments {mode, text}, mode 'N'umeric, 'A'lphanumeric, 'B'yte
  // or 'K'anji (UTF-8 text, written as Shift_JIS), used instead of the
  // text when given (as other encoders split).
  std::vector<std::pair<char, std::string>> segments;
};

// The module matrix (no quiet zone), or nullopt when the text does not fit.
std::optional<qrimage::QrMatrix> encode_model1(std::string_view text, const Model1Options& options = {});

// Reed-Solomon check bytes (QR generator, roots a^0..a^(count-1)).
std::vector<std::uint8_t> rs_check_bytes(const std::vector<std::uint8_t>& data, int count);

}  // namespace shelter::testsupport
