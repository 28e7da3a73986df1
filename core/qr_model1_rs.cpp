// Reed-Solomon error correction for QR Model 1 blocks: syndromes,
// Berlekamp-Massey for the error locator, Chien search for the positions,
// Forney for the values. ZXing 1.4 keeps its decoder private.
#include <array>

#include "core/qr_model1.hpp"

namespace shelter::qrimage::model1 {

namespace {

struct Gf256 {
  std::array<std::uint8_t, 512> exp{};  // doubled so that exp[a + b] needs no modulo
  std::array<int, 256> log{};
  Gf256() {
    int x = 1;
    for (int i = 0; i < 255; ++i) {
      exp[i] = static_cast<std::uint8_t>(x);
      log[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11d;
    }
    for (int i = 255; i < 512; ++i) exp[i] = exp[i - 255];
  }
  std::uint8_t mul(std::uint8_t a, std::uint8_t b) const { return a == 0 || b == 0 ? 0 : exp[log[a] + log[b]]; }
  std::uint8_t div(std::uint8_t a, std::uint8_t b) const {  // b != 0
    return a == 0 ? 0 : exp[log[a] + 255 - log[b]];
  }
  std::uint8_t pow_alpha(int e) const { return exp[((e % 255) + 255) % 255]; }
};

const Gf256& gf() {
  static const Gf256 field;
  return field;
}

// Polynomials are lowest degree first. Evaluates p at x.
std::uint8_t eval(const std::vector<std::uint8_t>& p, std::uint8_t x) {
  std::uint8_t y = 0;
  for (size_t i = p.size(); i-- > 0;) y = static_cast<std::uint8_t>(gf().mul(y, x) ^ p[i]);
  return y;
}

// S_j = R(a^j), where block[0] is the coefficient of the highest power.
std::vector<std::uint8_t> syndromes(const std::vector<std::uint8_t>& block, int ec_count, bool* all_zero) {
  std::vector<std::uint8_t> s(static_cast<size_t>(ec_count));
  *all_zero = true;
  for (int j = 0; j < ec_count; ++j) {
    const std::uint8_t x = gf().pow_alpha(j);
    std::uint8_t y = 0;
    for (std::uint8_t b : block) y = static_cast<std::uint8_t>(gf().mul(y, x) ^ b);
    s[static_cast<size_t>(j)] = y;
    if (y != 0) *all_zero = false;
  }
  return s;
}

}  // namespace

bool rs_correct(std::vector<std::uint8_t>& block, int ec_count, int* corrected) {
  if (corrected) *corrected = 0;
  const int n = static_cast<int>(block.size());
  if (ec_count <= 0 || ec_count >= n || n > 255) return false;
  bool clean = false;
  const std::vector<std::uint8_t> s = syndromes(block, ec_count, &clean);
  if (clean) return true;

  // Berlekamp-Massey: the shortest LFSR (error locator) producing S.
  std::vector<std::uint8_t> c{1}, b{1};
  int errors = 0, shift = 1;
  std::uint8_t last_discrepancy = 1;
  for (int r = 0; r < ec_count; ++r) {
    std::uint8_t d = s[static_cast<size_t>(r)];
    for (int i = 1; i <= errors && i < static_cast<int>(c.size()); ++i)
      d ^= gf().mul(c[static_cast<size_t>(i)], s[static_cast<size_t>(r - i)]);
    if (d == 0) {
      ++shift;
      continue;
    }
    const std::uint8_t coef = gf().div(d, last_discrepancy);
    std::vector<std::uint8_t> next = c;
    if (next.size() < b.size() + static_cast<size_t>(shift)) next.resize(b.size() + static_cast<size_t>(shift), 0);
    for (size_t i = 0; i < b.size(); ++i) next[i + static_cast<size_t>(shift)] ^= gf().mul(coef, b[i]);
    if (2 * errors <= r) {
      b = c;
      errors = r + 1 - errors;
      last_discrepancy = d;
      shift = 1;
    } else {
      ++shift;
    }
    c = std::move(next);
  }
  if (2 * errors > ec_count) return false;
  c.resize(static_cast<size_t>(errors) + 1);

  // Chien search: position i has locator X = a^(n-1-i), a root of C at X^-1.
  std::vector<int> positions;
  for (int i = 0; i < n; ++i)
    if (eval(c, gf().pow_alpha(-(n - 1 - i))) == 0) positions.push_back(i);
  if (static_cast<int>(positions.size()) != errors) return false;

  // Forney (first root a^0): e = X * Omega(X^-1) / C'(X^-1).
  std::vector<std::uint8_t> omega(static_cast<size_t>(ec_count), 0);
  for (int i = 0; i < ec_count; ++i)
    for (int j = 0; j <= errors && j <= i; ++j)
      omega[static_cast<size_t>(i)] ^= gf().mul(s[static_cast<size_t>(i - j)], c[static_cast<size_t>(j)]);
  std::vector<std::uint8_t> derivative(c.size() > 1 ? c.size() - 1 : 1, 0);
  for (size_t i = 1; i < c.size(); i += 2) derivative[i - 1] = c[i];
  for (int pos : positions) {
    const std::uint8_t x = gf().pow_alpha(n - 1 - pos);
    const std::uint8_t x_inv = gf().pow_alpha(-(n - 1 - pos));
    const std::uint8_t denom = eval(derivative, x_inv);
    if (denom == 0) return false;
    block[static_cast<size_t>(pos)] ^= gf().mul(x, gf().div(eval(omega, x_inv), denom));
  }
  syndromes(block, ec_count, &clean);
  if (!clean) return false;
  if (corrected) *corrected = errors;
  return true;
}

}  // namespace shelter::qrimage::model1
