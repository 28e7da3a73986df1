#include "tests/support/qr_model1_encoder.hpp"

#include <iconv.h>

#include <array>
#include <string>
#include <vector>

#include "core/qr_model1.hpp"

namespace shelter::testsupport {

namespace {

namespace m1 = qrimage::model1;

constexpr std::string_view kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

struct BitWriter {
  std::vector<bool> bits;
  void put(unsigned value, int count) {
    for (int i = count - 1; i >= 0; --i) bits.push_back(((value >> i) & 1) != 0);
  }
};

// GF(256) for the check bytes, written apart from the core's decoder: the
// generator is the product of (x - a^i), i = 0..n-1, and the check bytes are
// the remainder of data * x^n divided by it.
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
  unsigned r = 0, x = a;
  for (int i = 0; i < 8; ++i) {
    if (b & (1 << i)) r ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return static_cast<std::uint8_t>(r);
}

}  // namespace

std::vector<std::uint8_t> rs_check_bytes(const std::vector<std::uint8_t>& data, int n) {
  std::vector<std::uint8_t> gen{1};  // highest power first
  std::uint8_t root = 1;
  for (int i = 0; i < n; ++i) {
    std::vector<std::uint8_t> next(gen.size() + 1, 0);
    for (size_t j = 0; j < gen.size(); ++j) {
      next[j] ^= gen[j];
      next[j + 1] ^= gf_mul(gen[j], root);
    }
    gen = next;
    root = gf_mul(root, 2);
  }
  std::vector<std::uint8_t> rem(static_cast<size_t>(n), 0);
  for (std::uint8_t d : data) {
    const std::uint8_t factor = d ^ rem[0];
    rem.erase(rem.begin());
    rem.push_back(0);
    for (int j = 0; j < n; ++j) rem[static_cast<size_t>(j)] ^= gf_mul(gen[static_cast<size_t>(j) + 1], factor);
  }
  return rem;
}

namespace {

// BCH(15,5) with generator x^10+x^8+x^5+x^4+x^2+x+1, as polynomial division.
unsigned format_word(int ec_bits, int mask) {
  const unsigned data = static_cast<unsigned>((ec_bits << 3) | mask);
  unsigned rem = data << 10;
  for (int bit = 14; bit >= 10; --bit)
    if (rem & (1u << bit)) rem ^= 0x537u << (bit - 10);
  return ((data << 10) | rem) ^ 0x2825u;  // the Model 1 mask
}

// Kanji mode holds Shift_JIS double bytes; glibc's iconv converts.
std::string to_shift_jis(const std::string& utf8) {
  iconv_t cd = iconv_open("SHIFT_JIS", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return {};
  std::string in = utf8, out(utf8.size() * 2 + 4, '\0');
  char* src = in.data();
  char* dst = out.data();
  size_t src_left = in.size(), dst_left = out.size();
  const size_t done = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  if (done == static_cast<size_t>(-1)) return {};
  out.resize(out.size() - dst_left);
  return out;
}

bool alnum_only(std::string_view text) {
  for (char c : text)
    if (kAlnum.find(c) == std::string_view::npos) return false;
  return true;
}

}  // namespace

std::optional<qrimage::QrMatrix> encode_model1(std::string_view text, const Model1Options& options) {
  const bool alnum = !options.byte_mode && alnum_only(text);
  const m1::Ec ec = options.ec == 'L'   ? m1::Ec::L
                    : options.ec == 'Q' ? m1::Ec::Q
                    : options.ec == 'H' ? m1::Ec::H
                                        : m1::Ec::M;
  const int ec_bits = options.ec == 'L' ? 1 : options.ec == 'Q' ? 3 : options.ec == 'H' ? 2 : 0;
  for (int version = options.version ? options.version : 1; version <= 14; ++version) {
    const m1::Blocks blocks = m1::blocks_of(version, ec);
    const int capacity = blocks.count * blocks.data_per_block * 8;
    BitWriter w;
    w.put(0, 4);  // the corner nibble
    std::vector<std::pair<char, std::string>> segments = options.segments;
    if (segments.empty()) segments.push_back({alnum ? 'A' : 'B', std::string(text)});
    const bool wide = version >= 10;
    for (const auto& [mode, part] : segments) {
      if (mode == 'N') {
        w.put(1, 4);
        w.put(static_cast<unsigned>(part.size()), wide ? 12 : 10);
        for (size_t i = 0; i < part.size(); i += 3) {
          const std::string group = part.substr(i, 3);
          w.put(static_cast<unsigned>(std::stoi(group)), group.size() == 3 ? 10 : group.size() == 2 ? 7 : 4);
        }
      } else if (mode == 'A') {
        w.put(2, 4);
        w.put(static_cast<unsigned>(part.size()), wide ? 11 : 9);
        for (size_t i = 0; i + 1 < part.size(); i += 2)
          w.put(static_cast<unsigned>(kAlnum.find(part[i]) * 45 + kAlnum.find(part[i + 1])), 11);
        if (part.size() % 2) w.put(static_cast<unsigned>(kAlnum.find(part.back())), 6);
      } else if (mode == 'K') {
        const std::string sjis = to_shift_jis(part);
        w.put(8, 4);
        w.put(static_cast<unsigned>(sjis.size() / 2), wide ? 10 : 8);
        for (size_t i = 0; i + 1 < sjis.size(); i += 2) {
          unsigned c = static_cast<unsigned char>(sjis[i]) << 8 | static_cast<unsigned char>(sjis[i + 1]);
          c -= c >= 0xE040 ? 0xC140 : 0x8140;
          w.put((c >> 8) * 0xC0 + (c & 0xFF), 13);
        }
      } else {
        w.put(4, 4);
        w.put(static_cast<unsigned>(part.size()), wide ? 16 : 8);
        for (char c : part) w.put(static_cast<unsigned char>(c), 8);
      }
    }
    if (static_cast<int>(w.bits.size()) > capacity) {
      if (options.version) return std::nullopt;
      continue;
    }
    w.put(0, std::min(4, capacity - static_cast<int>(w.bits.size())));
    while (w.bits.size() % 8) w.bits.push_back(false);
    std::vector<std::uint8_t> data;
    for (size_t i = 0; i < w.bits.size(); i += 8) {
      unsigned byte = 0;
      for (size_t k = 0; k < 8; ++k) byte = (byte << 1) | (w.bits[i + k] ? 1u : 0u);
      data.push_back(static_cast<std::uint8_t>(byte));
    }
    for (bool odd = false; static_cast<int>(data.size()) * 8 < capacity; odd = !odd) data.push_back(odd ? 0x11 : 0xEC);

    // Data blocks back to back, then their check bytes in the same order.
    std::vector<std::uint8_t> stream = data;
    for (int b = 0; b < blocks.count; ++b) {
      const auto from = data.begin() + b * blocks.data_per_block;
      const auto check =
          rs_check_bytes(std::vector<std::uint8_t>(from, from + blocks.data_per_block), blocks.ec_per_block);
      stream.insert(stream.end(), check.begin(), check.end());
    }

    qrimage::QrMatrix m;
    m.size = m1::size_of(version);
    m.version = version;
    m.modules.assign(static_cast<size_t>(m.size) * m.size, 0);
    const int n = m.size;
    auto set = [&](int x, int y, bool dark) { m.modules[static_cast<size_t>(y) * n + x] = dark ? 1 : 0; };
    for (auto [fx, fy] : {std::array{0, 0}, std::array{n - 7, 0}, std::array{0, n - 7}})
      for (int y = 0; y < 7; ++y)
        for (int x = 0; x < 7; ++x) {
          const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
          set(fx + x, fy + y, ring != 2);
        }
    for (int i = 8; i < n - 8; ++i) {
      set(i, 6, i % 2 == 0);
      set(6, i, i % 2 == 0);
    }
    set(8, n - 8, true);
    const unsigned format = format_word(ec_bits, options.mask >= 0 ? options.mask : version % 8);
    std::vector<std::array<int, 2>> copy1, copy2;
    for (int x = 0; x <= 5; ++x) copy1.push_back({x, 8});
    copy1.insert(copy1.end(), {{7, 8}, {8, 8}, {8, 7}});
    for (int y = 5; y >= 0; --y) copy1.push_back({8, y});
    for (int y = n - 1; y >= n - 7; --y) copy2.push_back({8, y});
    for (int x = n - 8; x < n; ++x) copy2.push_back({x, 8});
    for (int i = 0; i < 15; ++i) {
      const bool bit = (format >> (14 - i)) & 1;
      set(copy1[static_cast<size_t>(i)][0], copy1[static_cast<size_t>(i)][1], bit);
      set(copy2[static_cast<size_t>(i)][0], copy2[static_cast<size_t>(i)][1], bit);
    }
    // Extension patterns: a dark line along the symbol's edge.
    for (auto [x, y, width, height] : m1::extension_areas(version))
      for (int dy = 0; dy < height; ++dy)
        for (int dx = 0; dx < width; ++dx) set(x + dx, y + dy, width == 2 ? dx == 1 : dy == 1);
    const int mask = options.mask >= 0 ? options.mask : version % 8;
    const auto layout = m1::codeword_layout(version);
    for (size_t c = 0; c < layout.size(); ++c) {
      const std::uint8_t byte = c < stream.size() ? stream[c] : 0;  // remainder codewords are zero
      for (int b = 0; b < 8; ++b) {
        const auto [x, y] = layout[c][static_cast<size_t>(b)];
        set(x, y, (((byte >> (7 - b)) & 1) != 0) != m1::mask_bit(mask, x, y));
      }
    }
    // The bottom-right corner holds no data but a fixed, unmasked pattern
    // (seen in both reference symbols).
    set(n - 1, n - 1, true);
    set(n - 2, n - 1, false);
    set(n - 1, n - 2, false);
    set(n - 2, n - 2, false);
    return m;
  }
  return std::nullopt;
}

}  // namespace shelter::testsupport
