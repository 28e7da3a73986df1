#include "kiosk/ime/vietnamese.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "core/utf8.hpp"

namespace shelter::ime {

namespace {

enum class Mark { none, hat, breve, horn, stroke };

struct Letter {
  char base;  // 'a'..'z'
  bool upper;
  Mark mark;
  bool from_w;  // a lone 'w' typed as ư: "ww" gives back w
};

struct Word {
  std::vector<Letter> letters;
  int tone = 0;         // 0 none, 1 sắc, 2 huyền, 3 hỏi, 4 ngã, 5 nặng
  std::u32string keys;  // as typed, less the keys that undid a doubling
  bool undid = false;   // the last key undid a doubling ("ss")
};

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// The last run of vowels, without the u of "qu" or the i of "gi" when
// another vowel follows (they belong to the consonant: quý, giá).
std::pair<size_t, size_t> vowel_run(const std::vector<Letter>& w) {
  size_t end = w.size();
  while (end > 0 && !is_vowel(w[end - 1].base)) --end;
  size_t begin = end;
  while (begin > 0 && is_vowel(w[begin - 1].base)) --begin;
  if (end - begin >= 2 && begin > 0 &&
      ((w[begin].base == 'u' && w[begin - 1].base == 'q') || (w[begin].base == 'i' && w[begin - 1].base == 'g')))
    ++begin;
  return {begin, end};
}

int tone_of(char key) {
  switch (key) {
    case 's':
      return 1;
    case 'f':
      return 2;
    case 'r':
      return 3;
    case 'x':
      return 4;
    case 'j':
      return 5;
    default:
      return 0;
  }
}

Letter literal(char32_t key) {
  const bool upper = key >= 'A' && key <= 'Z';
  return {static_cast<char>(upper ? key - 'A' + 'a' : key), upper, Mark::none, false};
}

// Doubling a/e/o: on the letter just before only (Anna is not Ânna).
bool apply_hat(Word& w, char lower, char32_t key) {
  if (w.letters.empty() || w.letters.back().base != lower) return false;
  Letter& l = w.letters.back();
  if (l.mark == Mark::hat) {
    l.mark = Mark::none;
    w.letters.push_back(literal(key));
    w.undid = true;
  } else {
    l.mark = Mark::hat;
  }
  return true;
}

void apply_w(Word& w, char32_t key) {
  auto [b, e] = vowel_run(w.letters);
  auto& ls = w.letters;
  auto undo = [&](Letter& l) {
    if (l.from_w) {
      ls.erase(ls.begin() + (&l - ls.data()));
    } else {
      l.mark = Mark::none;
    }
    ls.push_back(literal(key));
    w.undid = true;
  };
  // No vowel yet: w alone is ư (Tw -> Tư), but not first in a word, where
  // it is more likely a foreign name's W (Wang, Wei) than ư.
  if (b == e) {
    ls.push_back(ls.empty() ? literal(key) : Letter{'u', key == 'W', Mark::horn, true});
    return;
  }
  for (size_t i = b; i + 1 < e; ++i)
    if (ls[i].base == 'u' && ls[i + 1].base == 'o') {
      if (ls[i].mark == Mark::horn && ls[i + 1].mark == Mark::horn) {
        ls[i].mark = ls[i + 1].mark = Mark::none;
        ls.push_back(literal(key));
        w.undid = true;
      } else {
        ls[i].mark = ls[i + 1].mark = Mark::horn;
      }
      return;
    }
  // oa takes the breve on a (hoặc); otherwise o, then u, then a.
  Letter* target = nullptr;
  Mark mark = Mark::horn;
  for (size_t i = b; i < e && !target; ++i)
    if (ls[i].base == 'o' && !(i + 1 < e && ls[i + 1].base == 'a')) target = &ls[i];
  for (size_t i = b; i < e && !target; ++i)
    if (ls[i].base == 'u') target = &ls[i];
  for (size_t i = b; i < e && !target; ++i)
    if (ls[i].base == 'a') {
      target = &ls[i];
      mark = Mark::breve;
    }
  if (!target) {
    ls.push_back(literal(key));
  } else if (target->mark == mark) {
    undo(*target);
  } else {
    target->mark = mark;
  }
}

void add_key(Word& w, char32_t key) {
  const char lower = static_cast<char>(key >= 'A' && key <= 'Z' ? key - 'A' + 'a' : key);
  auto& ls = w.letters;
  if ((lower == 'a' || lower == 'e' || lower == 'o') && apply_hat(w, lower, key)) return;
  if (lower == 'w') return apply_w(w, key);
  if (lower == 'd' && !ls.empty() && ls.back().base == 'd') {
    if (ls.back().mark == Mark::stroke) {
      ls.back().mark = Mark::none;
      ls.push_back(literal(key));
      w.undid = true;
    } else {
      ls.back().mark = Mark::stroke;
    }
    return;
  }
  const auto [b, e] = vowel_run(ls);
  const bool has_vowel = b != e;
  if (const int tone = tone_of(lower); tone != 0 && has_vowel) {
    if (w.tone == tone) {
      w.tone = 0;
      ls.push_back(literal(key));
      w.undid = true;
    } else {
      w.tone = tone;
    }
    return;
  }
  if (lower == 'z' && w.tone != 0) {
    w.tone = 0;
    return;
  }
  ls.push_back(literal(key));
}

// Where the tone mark goes (modern rule), or npos when there is no vowel.
size_t tone_position(const std::vector<Letter>& ls) {
  const auto [b, e] = vowel_run(ls);
  if (b == e) return std::string::npos;
  for (size_t i = e; i-- > b;)
    if (ls[i].mark == Mark::hat || ls[i].mark == Mark::breve || ls[i].mark == Mark::horn) return i;
  if (e < ls.size()) return e - 1;  // a final consonant follows: hoàn, tuyến
  const size_t n = e - b;
  if (n == 1) return b;
  if (n == 2) {
    const char x = ls[b].base, y = ls[b + 1].base;
    const bool second = (x == 'o' && (y == 'a' || y == 'e')) || (x == 'u' && y == 'y');
    return second ? b + 1 : b;
  }
  return b + 1;
}

// Each vowel with its marks, by tone: none, sắc, huyền, hỏi, ngã, nặng.
struct VowelRow {
  char base;
  Mark mark;
  std::u32string_view lower, upper;
};
constexpr std::array<VowelRow, 12> kVowels = {{
    {'a', Mark::none, U"aáàảãạ", U"AÁÀẢÃẠ"},
    {'a', Mark::breve, U"ăắằẳẵặ", U"ĂẮẰẲẴẶ"},
    {'a', Mark::hat, U"âấầẩẫậ", U"ÂẤẦẨẪẬ"},
    {'e', Mark::none, U"eéèẻẽẹ", U"EÉÈẺẼẸ"},
    {'e', Mark::hat, U"êếềểễệ", U"ÊẾỀỂỄỆ"},
    {'i', Mark::none, U"iíìỉĩị", U"IÍÌỈĨỊ"},
    {'o', Mark::none, U"oóòỏõọ", U"OÓÒỎÕỌ"},
    {'o', Mark::hat, U"ôốồổỗộ", U"ÔỐỒỔỖỘ"},
    {'o', Mark::horn, U"ơớờởỡợ", U"ƠỚỜỞỠỢ"},
    {'u', Mark::none, U"uúùủũụ", U"UÚÙỦŨỤ"},
    {'u', Mark::horn, U"ưứừửữự", U"ƯỨỪỬỮỰ"},
    {'y', Mark::none, U"yýỳỷỹỵ", U"YÝỲỶỸỴ"},
}};

// Whether the letters can be a Vietnamese syllable: an initial consonant
// Vietnamese uses, one run of vowels, a final among c ch m n ng nh p t.
// Words with no vowel yet are still being typed and pass.
bool is_syllable(const std::vector<Letter>& ls) {
  size_t first = 0;
  while (first < ls.size() && !is_vowel(ls[first].base)) ++first;
  if (first == ls.size()) return true;
  size_t end = first;
  while (end < ls.size() && is_vowel(ls[end].base)) ++end;
  std::string initial, final;
  for (size_t i = 0; i < first; ++i) initial += ls[i].mark == Mark::stroke ? 'D' : ls[i].base;
  for (size_t i = end; i < ls.size(); ++i) final += ls[i].base;
  static const std::array<std::string_view, 28> kInitials = {"",  "b",  "c", "ch", "d",  "D",  "g",   "gh", "gi", "h",
                                                             "k", "kh", "l", "m",  "n",  "ng", "ngh", "nh", "p",  "ph",
                                                             "q", "r",  "s", "t",  "th", "tr", "v",   "x"};
  static const std::array<std::string_view, 9> kFinals = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"};
  return std::find(kInitials.begin(), kInitials.end(), initial) != kInitials.end() &&
         std::find(kFinals.begin(), kFinals.end(), final) != kFinals.end();
}

void render(const Word& w, std::u32string& out) {
  // Not Vietnamese (Sarah, Jane, Anna): the keys as typed, so that a
  // foreign name survives the Telex keyboard.
  if (!is_syllable(w.letters)) {
    out += w.keys;
    return;
  }
  const size_t at = w.tone ? tone_position(w.letters) : std::string::npos;
  for (size_t i = 0; i < w.letters.size(); ++i) {
    const Letter& l = w.letters[i];
    const int tone = i == at ? w.tone : 0;
    char32_t c = l.upper ? static_cast<char32_t>(l.base - 'a' + 'A') : static_cast<char32_t>(l.base);
    if (l.base == 'd' && l.mark == Mark::stroke) c = l.upper ? U'Đ' : U'đ';
    for (const VowelRow& row : kVowels)
      if (row.base == l.base && row.mark == l.mark) c = (l.upper ? row.upper : row.lower)[static_cast<size_t>(tone)];
    out.push_back(c);
  }
}

bool is_ascii_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string telex(std::u32string_view keys) {
  std::u32string out;
  Word word;
  for (char32_t k : keys) {
    if (is_ascii_letter(k)) {
      add_key(word, k);
      if (!word.undid) word.keys.push_back(k);
      word.undid = false;
      continue;
    }
    render(word, out);
    word = {};
    out.push_back(k);
  }
  render(word, out);
  return utf8_encode(out);
}

std::string telex(std::string_view keys) {
  return telex(std::u32string_view(utf8_decode(keys)));
}

bool TelexComposer::backspace() {
  if (keys_.empty()) return false;
  keys_.pop_back();
  return true;
}

}  // namespace shelter::ime
