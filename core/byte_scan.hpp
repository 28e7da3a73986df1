#pragma once
// Finding the rare bytes an escaper must change, eight at a time: text is
// almost all plain, so the escapers copy long runs instead of testing each
// byte (the classic "has a zero byte" word tricks; a hit only sends that
// word to the byte-by-byte test, so they need not be exact).
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shelter {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// Some byte of w may be c.
constexpr bool may_have_byte(std::uint64_t w, unsigned char c) {
  const std::uint64_t x = w ^ (kOnes * c);
  return ((x - kOnes) & ~x & kHighs) != 0;
}
// Some byte of w may be below n (n <= 128).
constexpr bool may_have_below(std::uint64_t w, unsigned char n) {
  return ((w - kOnes * n) & ~w & kHighs) != 0;
}

// The index of the first byte of s at or after `from` for which is_special
// holds, or s.size(). word_may_hold(w) must be true for any 8 bytes that
// hold such a byte.
template <typename WordTest, typename ByteTest>
size_t find_special(std::string_view s, size_t from, WordTest word_may_hold, ByteTest is_special) {
  size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (!word_may_hold(w)) continue;
    for (size_t j = i; j < i + 8; ++j)
      if (is_special(static_cast<unsigned char>(s[j]))) return j;
  }
  for (; i < s.size(); ++i)
    if (is_special(static_cast<unsigned char>(s[i]))) return i;
  return s.size();
}

}  // namespace shelter
