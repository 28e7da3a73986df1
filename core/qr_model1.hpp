#pragma once
// QR Code Model 1, the obsolete original QR variant (ISO/IEC 18004:2000
// Annex M) that ZXing-C++ 1.4 does not read: versions 1-14 (21..73 modules),
// no alignment patterns, extension patterns on the right and bottom edges, a
// different format-information mask, a different codeword placement and
// data blocks stored back to back instead of interleaved.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/qr_image.hpp"

namespace shelter::qrimage {

// Finds and decodes Model 1 symbols in a gray picture. Only results whose
// Reed-Solomon check holds are returned. Slower than ZXing: a late fallback.
std::vector<Found> read_model1(const std::uint8_t* gray, int width, int height, int stride);

namespace model1 {

constexpr int kMinVersion = 1;
constexpr int kMaxVersion = 14;
constexpr std::uint32_t kFormatMask = 0x2825;  // Model 2 uses 0x5412

inline int size_of(int version) {
  return 17 + 4 * version;
}

// Error correction levels in the order the tables list them; the format
// information stores them as M=0, L=1, H=2, Q=3.
enum class Ec { L = 0, M = 1, Q = 2, H = 3 };

struct Blocks {
  int ec_per_block = 0;
  int count = 0;
  int data_per_block = 0;
};
Blocks blocks_of(int version, Ec ec);

// The modules of each codeword, most significant bit first; the symbol's
// codeword order. Extension patterns and function patterns are left out.
using Codeword = std::array<std::array<int, 2>, 8>;  // {x, y} per bit
std::vector<Codeword> codeword_layout(int version);
// Extension pattern areas (x, y, w, h), whose outer edge is dark.
std::vector<std::array<int, 4>> extension_areas(int version);

bool mask_bit(int mask, int x, int y);
// The 15 unmasked format bits (BCH(15,5)) for the 5 data bits.
std::uint32_t format_bits(int ec_bits, int mask);

// Reed-Solomon over GF(256) (QR polynomial 0x11d, generator roots a^0..).
// Corrects `block` (data then `ec_count` check bytes) in place; false when
// the errors are beyond repair. `corrected` gets the number of fixed bytes.
bool rs_correct(std::vector<std::uint8_t>& block, int ec_count, int* corrected = nullptr);

// A sampled module matrix (size*size, 1 = dark) to text; nullopt unless the
// format information, Reed-Solomon check and bit stream all hold.
std::optional<std::string> decode_modules(const std::vector<std::uint8_t>& modules, int size);

}  // namespace model1
}  // namespace shelter::qrimage
