#pragma once
// How specific a 安否 (safety) search must be (docs/security.md, "A curious
// headquarters user"). A relative looking for someone names them; a query
// that would list many people (one character, a bare family name, only
// punctuation or wildcards) is refused before the store is asked.
//
// The query is split into parts at spaces (ASCII or U+3000). A name
// character is a letter: an ASCII letter, or any other character that is
// not punctuation, a symbol or a space (kana, kanji, accented letters).
// Digits, ASCII punctuation, the ideographic symbols U+3000-U+303F, the
// katakana middle dot and long vowel mark (・ ー) and the full-width ASCII
// forms other than letters are not. The query must:
//   - have at least one name character in every part, and
//   - name the person: a family and a given name (two or more parts, at
//     least 3 name characters in all: "山田 花子", "ヤマダ ハナコ"), or
//     one part of at least 2 name characters with a birth year.
// Matching itself is unchanged: the whole query, verbatim, as a part of a
// name or reading, of persons who consented only.
#include <string>
#include <string_view>

namespace shelter::sync {

inline constexpr int kSearchMinNameChars = 3;      // with a family and a given name
inline constexpr int kSearchMinWithYearChars = 2;  // with a birth year

// "" when `text` (with a birth year given or not) names a person
// specifically enough; otherwise the reason, for a 400 reply.
std::string search_refusal(std::string_view text, bool with_birth_year);

}  // namespace shelter::sync
