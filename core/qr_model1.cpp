// QR Model 1: symbol layout, format information and bit stream. The
// tables follow ISO/IEC 18004:2000 Annex M as zxing-cpp (PR #633 and later
// fixes) reads it; the code here is our own.
#include "core/qr_model1.hpp"

#include <iconv.h>

#include <bit>
#include <memory>

namespace shelter::qrimage::model1 {

namespace {

// {ec codewords per block, blocks, data codewords per block} for L, M, Q, H.
constexpr int kBlocks[kMaxVersion][4][3] = {
    {{7, 1, 19}, {10, 1, 16}, {13, 1, 13}, {17, 1, 9}},    {{10, 1, 36}, {16, 1, 30}, {22, 1, 24}, {30, 1, 16}},
    {{15, 1, 57}, {28, 1, 44}, {36, 1, 36}, {48, 1, 24}},  {{20, 1, 80}, {40, 1, 60}, {50, 1, 50}, {66, 1, 34}},
    {{26, 1, 108}, {52, 1, 82}, {66, 1, 68}, {44, 2, 23}}, {{34, 1, 136}, {32, 2, 53}, {42, 2, 43}, {56, 2, 29}},
    {{42, 1, 170}, {40, 2, 66}, {52, 2, 54}, {46, 3, 24}}, {{24, 2, 104}, {48, 2, 80}, {64, 2, 64}, {56, 3, 29}},
    {{30, 2, 123}, {60, 2, 93}, {50, 3, 52}, {68, 3, 34}}, {{34, 2, 145}, {68, 2, 111}, {58, 3, 61}, {58, 4, 31}},
    {{40, 2, 168}, {40, 4, 64}, {52, 4, 52}, {54, 5, 29}}, {{46, 2, 192}, {46, 4, 73}, {58, 4, 61}, {62, 5, 33}},
    {{36, 3, 144}, {52, 4, 83}, {66, 4, 69}, {58, 6, 32}}, {{40, 3, 163}, {60, 4, 92}, {60, 5, 62}, {66, 6, 35}},
};

// Codewords are 2x4 (vertical) or 4x2 (horizontal) module blocks; bits fill
// a block right to left, bottom to top, most significant bit first.
Codeword vertical_block(int x, int y) {
  Codeword cw{};
  for (int b = 0; b < 8; ++b) cw[static_cast<size_t>(b)] = {x - b % 2, y - b / 2};
  return cw;
}
Codeword horizontal_block(int x, int y) {
  Codeword cw{};
  for (int b = 0; b < 8; ++b) cw[static_cast<size_t>(b)] = {x - b % 4, y - b / 4};
  return cw;
}

// Column groups of the symbol, right to left: two 2-wide columns on the
// right (rows below the top-right finder), 4-wide columns in the middle
// (whole height but the timing row) and four 2-wide columns on the left
// between the finders. Extension patterns take some slots; `extension`
// says which.
template <typename Visit>
void walk_slots(int version, Visit visit) {
  const int n = size_of(version);
  const int groups = n / 4 + 3;
  for (int g = 0; g < groups; ++g) {
    if (g <= 1) {
      const int rows = (n - 8) / 4;
      for (int i = 0; i < rows; ++i) {
        const bool extension = g == 0 && i % 2 == 0 && i > 0 && i < rows - 1;
        visit(vertical_block(n - 1 - 2 * g, n - 1 - 4 * i), extension);
      }
    } else if (groups - g <= 4) {
      const int from_left = groups - g;                                  // 4..1
      const int x = (from_left - 1) * 2 + 1 + (from_left == 4 ? 1 : 0);  // skips the timing column
      for (int i = 0; i < (n - 16) / 4; ++i) visit(vertical_block(x, n - 9 - 4 * i), false);
    } else {
      const int rows = n / 2;
      const int x = n - 5 - (g - 2) * 4;
      for (int i = 0; i < rows; ++i) {
        if (g == 2 && i >= rows - 4) continue;  // the top-right finder and format information
        const bool extension = i == 0 && g % 2 == 1 && g + 1 != groups - 4;
        visit(horizontal_block(x, n - 1 - 2 * i - (i >= rows - 3 ? 1 : 0)), extension);
      }
    }
  }
}

int bits_available(const std::vector<std::uint8_t>& data, size_t pos) {
  return static_cast<int>(data.size() * 8 - pos);
}

struct BitReader {
  const std::vector<std::uint8_t>& data;
  size_t pos = 0;
  int left() const { return bits_available(data, pos); }
  int read(int count) {
    int v = 0;
    for (int i = 0; i < count; ++i, ++pos) v = (v << 1) | ((data[pos / 8] >> (7 - pos % 8)) & 1);
    return v;
  }
};

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    if (c >= 0xC2 && c < 0xE0) {
      extra = 1;
    } else if (c >= 0xE0 && c < 0xF0) {
      extra = 2;
    } else if (c >= 0xF0 && c < 0xF5) {
      extra = 3;
    } else if (c >= 0x80) {
      return false;
    }
    if (i + extra >= s.size() && extra > 0) return false;
    for (size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

// Kanji mode holds Shift_JIS double bytes; glibc's iconv knows the table.
std::optional<std::string> shift_jis_to_utf8(const std::string& sjis) {
  iconv_t cd = iconv_open("UTF-8", "SHIFT_JIS");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::unique_ptr<void, decltype(&iconv_close)> guard(cd, &iconv_close);
  std::string in = sjis, out(sjis.size() * 2 + 4, '\0');
  char* src = in.data();
  char* dst = out.data();
  size_t src_left = in.size(), dst_left = out.size();
  if (iconv(cd, &src, &src_left, &dst, &dst_left) == static_cast<size_t>(-1)) return std::nullopt;
  out.resize(out.size() - dst_left);
  return out;
}

constexpr char kAlnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// Model 1 streams start with 4 zero bits (the bottom-right corner modules
// hold no data) and have no ECI; counts are as wide as Model 2's.
std::optional<std::string> parse_stream(const std::vector<std::uint8_t>& data, int version) {
  BitReader in{data};
  if (in.left() < 4 || in.read(4) != 0) return std::nullopt;
  const int wide = version >= 10 ? 1 : 0;
  std::string text;
  bool any = false;
  while (in.left() >= 4) {
    const int mode = in.read(4);
    if (mode == 0) break;
    if (mode == 3) {  // structured append: index, count, parity
      if (in.left() < 16) return std::nullopt;
      in.read(16);
      continue;
    }
    if (mode == 5) continue;  // FNC1, first position
    if (mode == 9) {          // FNC1, second position
      if (in.left() < 8) return std::nullopt;
      in.read(8);
      continue;
    }
    const int count_bits = mode == 1   ? 10 + 2 * wide
                           : mode == 2 ? 9 + 2 * wide
                           : mode == 4 ? 8 + 8 * wide
                           : mode == 8 ? 8 + 2 * wide
                                       : -1;
    if (count_bits < 0 || in.left() < count_bits) return std::nullopt;
    int count = in.read(count_bits);
    any = true;
    if (mode == 1) {
      while (count > 0) {
        const int digits = count >= 3 ? 3 : count;
        const int bits = digits == 3 ? 10 : digits == 2 ? 7 : 4;
        if (in.left() < bits) return std::nullopt;
        const int v = in.read(bits);
        if (v >= (digits == 3 ? 1000 : digits == 2 ? 100 : 10)) return std::nullopt;
        const std::string s = std::to_string(v);
        text += std::string(static_cast<size_t>(digits) - s.size(), '0') + s;
        count -= digits;
      }
    } else if (mode == 2) {
      while (count > 0) {
        const bool pair = count >= 2;
        if (in.left() < (pair ? 11 : 6)) return std::nullopt;
        const int v = in.read(pair ? 11 : 6);
        if (pair) {
          if (v >= 45 * 45) return std::nullopt;
          text += kAlnum[v / 45];
          text += kAlnum[v % 45];
        } else {
          if (v >= 45) return std::nullopt;
          text += kAlnum[v];
        }
        count -= pair ? 2 : 1;
      }
    } else if (mode == 4) {
      if (in.left() < 8 * count) return std::nullopt;
      std::string bytes;
      for (int i = 0; i < count; ++i) bytes += static_cast<char>(in.read(8));
      if (valid_utf8(bytes)) {
        text += bytes;
      } else {  // ISO 8859-1, the standard's default
        for (unsigned char c : bytes) append_utf8(text, c);
      }
    } else {  // Kanji
      if (in.left() < 13 * count) return std::nullopt;
      std::string sjis;
      for (int i = 0; i < count; ++i) {
        const int v = in.read(13);
        int code = ((v / 0xC0) << 8) | (v % 0xC0);
        code += code < 0x1F00 ? 0x8140 : 0xC140;
        sjis += static_cast<char>(code >> 8);
        sjis += static_cast<char>(code & 0xFF);
      }
      auto utf8 = shift_jis_to_utf8(sjis);
      if (!utf8) return std::nullopt;
      text += *utf8;
    }
  }
  if (!any) return std::nullopt;
  return text;
}

}  // namespace

Blocks blocks_of(int version, Ec ec) {
  if (version < kMinVersion || version > kMaxVersion) return {};
  const auto& row = kBlocks[version - 1][static_cast<int>(ec)];
  return {row[0], row[1], row[2]};
}

std::vector<Codeword> codeword_layout(int version) {
  std::vector<Codeword> out;
  walk_slots(version, [&](const Codeword& cw, bool extension) {
    if (!extension) out.push_back(cw);
  });
  return out;
}

std::vector<std::array<int, 4>> extension_areas(int version) {
  std::vector<std::array<int, 4>> out;
  walk_slots(version, [&](const Codeword& cw, bool extension) {
    if (!extension) return;
    const auto& last = cw[7];  // the top-left module of the slot
    out.push_back({last[0], last[1], cw[0][0] - last[0] + 1, cw[0][1] - last[1] + 1});
  });
  return out;
}

bool mask_bit(int mask, int x, int y) {
  switch (mask) {
    case 0:
      return (x + y) % 2 == 0;
    case 1:
      return y % 2 == 0;
    case 2:
      return x % 3 == 0;
    case 3:
      return (x + y) % 3 == 0;
    case 4:
      return (y / 2 + x / 3) % 2 == 0;
    case 5:
      return (x * y) % 6 == 0;
    case 6:
      return (x * y) % 6 < 3;
    default:
      return (x + y + (x * y) % 3) % 2 == 0;
  }
}

std::uint32_t format_bits(int ec_bits, int mask) {
  const std::uint32_t data = static_cast<std::uint32_t>(((ec_bits & 3) << 3) | (mask & 7));
  std::uint32_t rem = data << 10;
  for (int bit = 14; bit >= 10; --bit)
    if (rem & (1u << bit)) rem ^= 0x537u << (bit - 10);
  return (data << 10) | rem;
}

std::optional<std::string> decode_modules(const std::vector<std::uint8_t>& modules, int size) {
  if (size < size_of(kMinVersion) || size > size_of(kMaxVersion) || (size - 17) % 4 != 0) return std::nullopt;
  if (modules.size() != static_cast<size_t>(size) * size) return std::nullopt;
  const int version = (size - 17) / 4;
  auto dark = [&](int x, int y) { return modules[static_cast<size_t>(y) * size + x] != 0; };

  // Both copies of the format information, as in Model 2 but for the mask.
  std::uint32_t copy1 = 0, copy2 = 0;
  for (int x = 0; x <= 5; ++x) copy1 = (copy1 << 1) | dark(x, 8);
  copy1 = (copy1 << 1) | dark(7, 8);
  copy1 = (copy1 << 1) | dark(8, 8);
  copy1 = (copy1 << 1) | dark(8, 7);
  for (int y = 5; y >= 0; --y) copy1 = (copy1 << 1) | dark(8, y);
  for (int y = size - 1; y >= size - 7; --y) copy2 = (copy2 << 1) | dark(8, y);
  for (int x = size - 8; x < size; ++x) copy2 = (copy2 << 1) | dark(x, 8);
  int best_distance = 16, ec_bits = 0, mask = 0;
  for (int d = 0; d < 32; ++d) {
    const std::uint32_t expected = format_bits(d >> 3, d & 7) ^ kFormatMask;
    for (std::uint32_t seen : {copy1, copy2}) {
      const int distance = std::popcount(seen ^ expected);
      if (distance < best_distance) {
        best_distance = distance;
        ec_bits = d >> 3;
        mask = d & 7;
      }
    }
  }
  // The 32 format codes are 7 bits apart: 3 wrong bits still point to one.
  if (best_distance > 3) return std::nullopt;
  static constexpr Ec kFromBits[4] = {Ec::M, Ec::L, Ec::H, Ec::Q};
  const Blocks blocks = blocks_of(version, kFromBits[ec_bits]);

  const std::vector<Codeword> layout = codeword_layout(version);
  std::vector<std::uint8_t> raw;
  raw.reserve(layout.size());
  for (const Codeword& cw : layout) {
    int byte = 0;
    for (const auto& [x, y] : cw) byte = (byte << 1) | (dark(x, y) != mask_bit(mask, x, y) ? 1 : 0);
    raw.push_back(static_cast<std::uint8_t>(byte));
  }
  raw[0] &= 0x0F;  // the corner's 4 modules are not part of the stream
  const int used = blocks.count * (blocks.ec_per_block + blocks.data_per_block);
  if (used > static_cast<int>(raw.size())) return std::nullopt;

  // Data blocks back to back, then the check blocks in the same order.
  std::vector<std::uint8_t> data;
  for (int b = 0; b < blocks.count; ++b) {
    std::vector<std::uint8_t> block;
    const auto data_at = raw.begin() + b * blocks.data_per_block;
    const auto ec_at = raw.begin() + blocks.count * blocks.data_per_block + b * blocks.ec_per_block;
    block.insert(block.end(), data_at, data_at + blocks.data_per_block);
    block.insert(block.end(), ec_at, ec_at + blocks.ec_per_block);
    if (!rs_correct(block, blocks.ec_per_block)) return std::nullopt;
    data.insert(data.end(), block.begin(), block.begin() + blocks.data_per_block);
  }
  return parse_stream(data, version);
}

}  // namespace shelter::qrimage::model1
