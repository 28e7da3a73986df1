#include "kiosk/ime/name_key.hpp"

#include "core/name_match.hpp"
#include "core/utf8.hpp"

namespace shelter::ime {

namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;

bool is_syllable(char32_t c) {
  return c >= kSBase && c < kSBase + kLCount * kVCount * kTCount;
}

}  // namespace

std::string compose_hangul(std::string_view text) {
  std::u32string out;
  for (char32_t c : utf8_decode(text)) {
    if (!out.empty()) {
      char32_t& last = out.back();
      if (last >= kLBase && last < kLBase + kLCount && c >= kVBase && c < kVBase + kVCount) {
        last = kSBase + ((last - kLBase) * kVCount + (c - kVBase)) * kTCount;
        continue;
      }
      if (is_syllable(last) && (last - kSBase) % kTCount == 0 && c > kTBase && c < kTBase + kTCount) {
        last += c - kTBase;
        continue;
      }
    }
    out.push_back(c);
  }
  return utf8_encode(out);
}

std::string name_search_key(std::string_view name, std::string_view reading) {
  const std::string composed = compose_hangul(name);
  bool hangul = false;
  std::u32string syllables;
  for (char32_t c : utf8_decode(composed)) {
    if (is_syllable(c)) hangul = true;
    if (c != U' ' && c != U'\u3000') syllables.push_back(c);
  }
  if (hangul && reading.empty()) return utf8_encode(syllables);
  return person_match_key(composed, reading);
}

}  // namespace shelter::ime
