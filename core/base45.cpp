#include "core/base45.hpp"

#include <array>

namespace shelter::base45 {

namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

constexpr std::array<signed char, 256> make_reverse() {
  std::array<signed char, 256> r{};
  for (auto& x : r) x = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i)
    r[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return r;
}
constexpr auto kReverse = make_reverse();
}  // namespace

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() / 2 * 3 + 2);
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    unsigned n = static_cast<unsigned char>(bytes[i]) * 256u + static_cast<unsigned char>(bytes[i + 1]);
    out += kAlphabet[n % 45];
    out += kAlphabet[n / 45 % 45];
    out += kAlphabet[n / 2025];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]);
    out += kAlphabet[n % 45];
    out += kAlphabet[n / 45];
  }
  return out;
}

Decoded decode(std::string_view text) {
  Decoded d;
  for (unsigned char c : text)
    if (kReverse[c] < 0) return {DecodeError::BadCharacter, {}};
  if (text.size() % 3 == 1) return {DecodeError::Incomplete, {}};
  d.bytes.reserve(text.size() / 3 * 2 + 1);
  size_t i = 0;
  auto v = [&](size_t k) { return static_cast<unsigned>(kReverse[static_cast<unsigned char>(text[k])]); };
  for (; i + 2 < text.size(); i += 3) {
    unsigned n = v(i) + v(i + 1) * 45 + v(i + 2) * 2025;
    if (n > 0xFFFF) return {DecodeError::BadValue, {}};
    d.bytes += static_cast<char>(n >> 8);
    d.bytes += static_cast<char>(n & 0xFF);
  }
  if (i < text.size()) {
    unsigned n = v(i) + v(i + 1) * 45;
    if (n > 0xFF) return {DecodeError::Incomplete, {}};
    d.bytes += static_cast<char>(n);
  }
  return d;
}

}  // namespace shelter::base45
