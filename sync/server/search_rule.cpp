#include "sync/server/search_rule.hpp"

#include <cstdint>
#include <vector>

namespace shelter::sync {

namespace {

// The next code point of valid UTF-8 (the route checks validity first; a
// bad byte is taken as itself and is not a name character).
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int extra = b < 0x80 ? 0 : b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
  if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t c = extra == 0 ? b : b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(extra) + 1;
  return c;
}

bool is_space(char32_t c) {
  return c == U' ' || c == U'\u3000';
}

bool is_name_char(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  if (c <= 0xBF) return false;                   // C1, Latin-1 punctuation and symbols
  if (c == 0xD7 || c == 0xF7) return false;      // × ÷
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // general punctuation, arrows, maths, shapes
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK symbols and punctuation
  if (c == 0x30FB || c == 0x30FC) return false;  // ・ ー
  if (c >= 0xFF01 && c <= 0xFF20) return false;  // full-width ! to @, digits included
  if (c >= 0xFF3B && c <= 0xFF40) return false;  // ［ ＼ ］ ＾ ＿ ｀
  if (c >= 0xFF5B && c <= 0xFF65) return false;  // ｛ to ･
  if (c == 0xFFFD) return false;
  return true;
}

}  // namespace

std::string search_refusal(std::string_view text, bool with_birth_year) {
  std::vector<int> parts;  // name characters per part
  bool in_part = false;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = next_code_point(text, i);
    if (is_space(c)) {
      in_part = false;
      continue;
    }
    if (!in_part) parts.push_back(0);
    in_part = true;
    if (is_name_char(c)) ++parts.back();
  }
  int total = 0;
  for (int n : parts) {
    if (n == 0)
      return "search: every part of the name needs letters (wildcards, digits and punctuation alone match nobody "
             "in particular)";
    total += n;
  }
  if (parts.size() >= 2 && total >= kSearchMinNameChars) return "";
  if (with_birth_year && total >= kSearchMinWithYearChars) return "";
  return "search: name the person: a family and a given name, or at least " + std::to_string(kSearchMinWithYearChars) +
         " letters of a name with a birth year";
}

}  // namespace shelter::sync
