#include "core/model.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <ctime>

#include "core/vocabulary.hpp"

namespace shelter {

static_assert(vocab::kAgeBands.size() == kAgeBandCount && vocab::kStays.size() == 3 && vocab::kSexes.size() == 4);

std::string new_id() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::array<unsigned char, 8> raw{};
  randombytes_buf(raw.data(), raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(16);
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool is_valid_id(std::string_view id) {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 32) return false;
  for (char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

std::string_view to_string(Sex s) {
  const auto i = static_cast<size_t>(s);
  return i < vocab::kSexes.size() ? vocab::kSexes[i] : "";
}

std::optional<Sex> parse_sex(std::string_view s) {
  if (s.empty() || s == "?" || s == "unknown") return Sex::Unknown;
  if (s == "M" || s == "m" || s == "male") return Sex::Male;
  if (s == "F" || s == "f" || s == "female") return Sex::Female;
  if (s == "X" || s == "x" || s == "other") return Sex::Other;
  return std::nullopt;
}

std::string_view to_string(StayType s) {
  const auto i = static_cast<size_t>(s);
  return i < vocab::kStays.size() ? vocab::kStays[i] : vocab::kStays[0];
}

std::optional<StayType> parse_stay(std::string_view s) {
  if (s.empty()) return StayType::Shelter;
  for (size_t i = 0; i < vocab::kStays.size(); ++i)
    if (vocab::kStays[i] == s) return static_cast<StayType>(i);
  return std::nullopt;
}

static constexpr const auto& kNeedNames = vocab::kNeeds;

std::string_view need_name(int bit) {
  if (bit < 0 || bit >= kNeedCount) return "";
  return kNeedNames[static_cast<size_t>(bit)];
}

std::optional<std::uint16_t> parse_needs(std::string_view list) {
  std::uint16_t needs = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    bool found = false;
    for (int i = 0; i < kNeedCount; ++i) {
      if (kNeedNames[static_cast<size_t>(i)] == item) {
        needs = static_cast<std::uint16_t>(needs | (1u << i));
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  return needs;
}

std::string needs_to_string(std::uint16_t needs) {
  std::string out;
  for (int i = 0; i < kNeedCount; ++i) {
    if (needs & (1u << i)) {
      if (!out.empty()) out += ',';
      out += kNeedNames[static_cast<size_t>(i)];
    }
  }
  return out;
}

int Pets::total() const {
  int n = 0;
  for (int c : count) n += c;
  return n;
}

std::optional<Pets> parse_pets(std::string_view s) {
  Pets pets;
  std::array<bool, vocab::kPetKinds.size()> seen{};
  while (!s.empty()) {
    const size_t comma = s.find(',');
    const std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    if (comma != std::string_view::npos && s.empty()) return std::nullopt;  // a trailing comma
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view kind = item.substr(0, eq), digits = item.substr(eq + 1);
    // A plain decimal: no sign, no leading zero, at most two digits.
    if (digits.empty() || digits.size() > 2 || (digits.size() == 2 && digits[0] == '0')) return std::nullopt;
    int n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n > kMaxPetsPerKind) return std::nullopt;
    size_t k = 0;
    while (k < vocab::kPetKinds.size() && vocab::kPetKinds[k] != kind) ++k;
    if (k == vocab::kPetKinds.size() || seen[k]) return std::nullopt;
    seen[k] = true;
    pets.count[k] = n;
  }
  return pets;
}

std::string to_string(const Pets& p) {
  if (p.total() == 0) return "";
  std::string out;
  for (size_t k = 0; k < vocab::kPetKinds.size(); ++k) {
    if (k) out += ',';
    out.append(vocab::kPetKinds[k]).append("=").append(std::to_string(p.count[k]));
  }
  return out;
}

static int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

std::string to_string(const BirthDate& b) {
  if (!b.known()) return "";
  char buf[16];
  if (b.year > 9999) {  // never from parse_birth; written as snprintf would
    std::snprintf(buf, sizeof buf, b.month == 0 ? "%04u" : "%04u-%02u-%02u", unsigned{b.year}, unsigned{b.month},
                  unsigned{b.day});
    return buf;
  }
  // By hand, not snprintf: every count update of a person formats one.
  auto put = [&](int at, unsigned v, int n) {
    for (int i = n - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, b.year, 4);
  if (b.month == 0) return std::string(buf, 4);
  buf[4] = '-';
  put(5, b.month, 2);
  buf[7] = '-';
  put(8, b.day, 2);
  return std::string(buf, 10);
}

static bool parse_uint(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

std::optional<BirthDate> parse_birth(std::string_view s) {
  if (s.empty()) return BirthDate{};
  int y = 0, m = 0, d = 0;
  if (s.size() == 4) {
    if (!parse_uint(s, y)) return std::nullopt;
  } else if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!parse_uint(s.substr(0, 4), y) || !parse_uint(s.substr(5, 2), m) || !parse_uint(s.substr(8, 2), d))
      return std::nullopt;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (y < 1900 || y > 2999) return std::nullopt;
  return BirthDate{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(d)};
}

std::string_view to_string(AgeBand b) {
  const auto i = static_cast<size_t>(b);
  return i < vocab::kAgeBands.size() ? vocab::kAgeBands[i] : vocab::kAgeBands.back();
}

AgeBand age_band(const BirthDate& birth, const BirthDate& today) {
  if (!birth.known() || !today.known()) return AgeBand::Unknown;
  const int bm = birth.month ? birth.month : 7;
  const int bd = birth.month ? birth.day : 1;
  int age = today.year - birth.year;
  if (today.month < bm || (today.month == bm && today.day < bd)) --age;
  if (age < 0) return AgeBand::Unknown;
  if (age <= 5) return AgeBand::B0_5;
  if (age <= 12) return AgeBand::B6_12;
  if (age <= 17) return AgeBand::B13_17;
  if (age <= 64) return AgeBand::B18_64;
  if (age <= 74) return AgeBand::B65_74;
  return AgeBand::B75Plus;
}

BirthDate today_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return BirthDate{static_cast<std::uint16_t>(tm.tm_year + 1900), static_cast<std::uint8_t>(tm.tm_mon + 1),
                   static_cast<std::uint8_t>(tm.tm_mday)};
}

std::string_view to_string(Presence p) {
  switch (p) {
    case Presence::Present:
      return "present";
    case Presence::Out:
      return "out";
    case Presence::Left:
      return "left";
    case Presence::None:
      break;
  }
  return "";
}

std::optional<Presence> parse_presence(std::string_view s) {
  if (s.empty()) return Presence::None;
  if (s == "present") return Presence::Present;
  if (s == "out") return Presence::Out;
  if (s == "left") return Presence::Left;
  return std::nullopt;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(len) > n) return false;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

bool has_control_chars(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;  // U+0080..U+009F
  }
  return false;
}

}  // namespace shelter
