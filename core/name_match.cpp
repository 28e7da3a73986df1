#include "core/name_match.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <array>

namespace shelter {

namespace {

// UTF-8 to code points; a bad byte is kept as U+FFFD (names are validated
// on the way in, so this only keeps a damaged one from matching by chance).
std::vector<char32_t> decode(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

// Half-width katakana U+FF66..U+FF9D as full-width.
constexpr std::array<char16_t, 56> kHalfWidth = {
    u'ヲ', u'ァ', u'ィ', u'ゥ', u'ェ', u'ォ', u'ャ', u'ュ', u'ョ', u'ッ', u'ー', u'ア', u'イ', u'ウ',
    u'エ', u'オ', u'カ', u'キ', u'ク', u'ケ', u'コ', u'サ', u'シ', u'ス', u'セ', u'ソ', u'タ', u'チ',
    u'ツ', u'テ', u'ト', u'ナ', u'ニ', u'ヌ', u'ネ', u'ノ', u'ハ', u'ヒ', u'フ', u'ヘ', u'ホ', u'マ',
    u'ミ', u'ム', u'メ', u'モ', u'ヤ', u'ユ', u'ヨ', u'ラ', u'リ', u'ル', u'レ', u'ロ', u'ワ', u'ン'};

bool voicable(char32_t k) {
  return (k >= u'カ' && k <= u'ヂ' && (k - u'カ') % 2 == 0) || k == u'ツ' || k == u'テ' || k == u'ト' ||
         (k >= u'ハ' && k <= u'ホ' && (k - u'ハ') % 3 == 0);
}
bool semi_voicable(char32_t k) {
  return k >= u'ハ' && k <= u'ホ' && (k - u'ハ') % 3 == 0;
}

char32_t large_kana(char32_t k) {
  switch (k) {
    case u'ァ':
    case u'ィ':
    case u'ゥ':
    case u'ェ':
    case u'ォ':
    case u'ッ':
    case u'ャ':
    case u'ュ':
    case u'ョ':
    case u'ヮ':
      return k + 1;
    case u'ヵ':
      return u'カ';
    case u'ヶ':
      return u'ケ';
    default:
      return k;
  }
}

// ヴ followed by a small vowel: the ba-row kana it is read as (0: none).
char32_t vu_with(char32_t small) {
  switch (small) {
    case u'ァ':
      return u'バ';
    case u'ィ':
      return u'ビ';
    case u'ゥ':
      return u'ブ';
    case u'ェ':
      return u'ベ';
    case u'ォ':
      return u'ボ';
    default:
      return 0;
  }
}

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == 0x3000;
}

// Latin letters with accents, as ASCII: U+00C0..U+00FF, then U+0100..U+017F.
constexpr std::string_view kLatin1 =
    "aaaaaaaceeeeiiiidnooooo_ouuuuyts"   // C0..DF (D7 is ×, DE þ, DF ß)
    "aaaaaaaceeeeiiiidnooooo_ouuuuyty";  // E0..FF (F7 is ÷)
constexpr std::string_view kLatinExtA =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllllllln"
    "nnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(kLatin1.size() == 64 && kLatinExtA.size() == 128);

// The ASCII letter of a Latin letter (0: not one).
char latin_base(char32_t c) {
  if (c >= 'a' && c <= 'z') return static_cast<char>(c);
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if (c >= 0xFF21 && c <= 0xFF3A) return static_cast<char>(c - 0xFF21 + 'a');
  if (c >= 0xFF41 && c <= 0xFF5A) return static_cast<char>(c - 0xFF41 + 'a');
  if (c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7) return kLatin1[c - 0xC0];
  if (c >= 0x100 && c <= 0x17F) return kLatinExtA[c - 0x100];
  if (c == 0x1A0 || c == 0x1A1) return 'o';    // Ơ ơ
  if (c == 0x1AF || c == 0x1B0) return 'u';    // Ư ư
  if (c >= 0x1EA0 && c <= 0x1EB7) return 'a';  // Vietnamese: Ạ .. ặ
  if (c >= 0x1EB8 && c <= 0x1EC7) return 'e';
  if (c >= 0x1EC8 && c <= 0x1ECB) return 'i';
  if (c >= 0x1ECC && c <= 0x1EE3) return 'o';
  if (c >= 0x1EE4 && c <= 0x1EF1) return 'u';
  if (c >= 0x1EF2 && c <= 0x1EF9) return 'y';
  if (c >= 0x1E00 && c <= 0x1EFF) return 0;  // other extended letters: kept as they are
  return 0;
}

bool is_combining_mark(char32_t c) {
  return c >= 0x300 && c <= 0x36F;
}

}  // namespace

bool has_kana(std::string_view text) {
  for (char32_t c : decode(text))
    if ((c >= 0x3041 && c <= 0x30FF) || (c >= 0xFF66 && c <= 0xFF9F) || (c >= 0x31F0 && c <= 0x31FF)) return true;
  return false;
}

bool is_latin(std::string_view text) {
  bool letter = false;
  for (char32_t c : decode(text)) {
    if (latin_base(c) != 0 || (c >= 0x1E00 && c <= 0x1EFF)) {
      letter = true;
    } else if (c >= 0x370 && !is_combining_mark(c) && !(c >= 0x2000 && c <= 0x206F) && c != 0x3000 &&
               !(c >= 0xFF01 && c <= 0xFF5E)) {
      return false;  // kana, kanji, Hangul, Cyrillic, ...
    }
  }
  return letter;
}

std::string kana_key(std::string_view text) {
  std::vector<char32_t> in = decode(text);
  // Katakana, full width, marks combined into the kana before them.
  std::vector<char32_t> kata;
  kata.reserve(in.size());
  for (char32_t c : in) {
    if (c >= 0x3041 && c <= 0x3096) c += 0x60;                   // hiragana
    if (c >= 0xFF66 && c <= 0xFF9D) c = kHalfWidth[c - 0xFF66];  // half-width katakana
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;                 // full-width ASCII
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    const bool voiced_mark = c == 0x3099 || c == 0x309B || c == 0xFF9E;
    const bool semi_mark = c == 0x309A || c == 0x309C || c == 0xFF9F;
    if (voiced_mark || semi_mark) {
      if (kata.empty()) continue;
      char32_t& k = kata.back();
      if (voiced_mark && k == u'ウ')
        k = u'ヴ';
      else if (voiced_mark && voicable(k))
        k += 1;
      else if (semi_mark && semi_voicable(k))
        k += 2;
      continue;
    }
    if (is_space(c) || c == u'・' || c == 0xFF65 || c == u'ー') continue;
    kata.push_back(c);
  }
  std::string out;
  out.reserve(kata.size() * 3);
  for (size_t i = 0; i < kata.size(); ++i) {
    char32_t c = kata[i];
    if (c == u'ヴ') {
      const char32_t with = i + 1 < kata.size() ? vu_with(kata[i + 1]) : 0;
      c = with ? with : u'ブ';
      if (with) ++i;
    }
    utf8_append(large_kana(c), out);
  }
  return out;
}

std::string latin_key(std::string_view text) {
  std::vector<std::string> words(1);
  for (char32_t c : decode(text)) {
    if (is_space(c) || c == '-' || c == ',' || (c >= 0x2010 && c <= 0x2015)) {
      if (!words.back().empty()) words.emplace_back();
    } else if (c == '\'' || c == '.' || c == '`' || c == 0x2018 || c == 0x2019 || c == 0x2BB || c == 0x2BC ||
               is_combining_mark(c)) {
      continue;
    } else if (char base = latin_base(c)) {
      words.back() += base;
    } else {
      utf8_append(c, words.back());
    }
  }
  std::sort(words.begin(), words.end());
  std::string out;
  for (const auto& w : words) out += w;
  return out;
}

std::string person_match_key(std::string_view name, std::string_view reading) {
  std::string key;
  if (has_kana(reading))
    key = kana_key(reading);
  else if (is_latin(name))
    return (key = latin_key(name)).empty() ? "" : "l:" + key;
  else if (is_latin(reading))
    return (key = latin_key(reading)).empty() ? "" : "l:" + key;
  else
    key = kana_key(name);
  return key;
}

bool births_compatible(std::string_view a, std::string_view b) {
  if (a.size() < 4 || b.size() < 4) return false;
  if (a.size() == b.size()) return a == b;
  return a.substr(0, 4) == b.substr(0, 4);  // a year and a date of that year
}

std::string without_spaces(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') continue;
    if (text.compare(i, 3, "\xE3\x80\x80") == 0) {
      i += 2;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::string search_kana_key(std::string_view text) {
  return has_kana(text) ? kana_key(text) : std::string();
}

}  // namespace shelter
