#pragma once
// Search keys for names as the engines type them. The rules are core's
// (core/name_match.hpp: kana_key, latin_key, person_match_key); this adds
// Hangul, which arrives either as syllables (libhangul) or as conjoining
// jamo (a pasted or NFD name), and must compare equal either way.
#include <string>
#include <string_view>

namespace shelter::ime {

// Conjoining jamo (U+1100 choseong, U+1161 jungseong, U+11A8 jongseong)
// composed into syllables as NFC does; all else kept.
std::string compose_hangul(std::string_view text);

// The key a typed search or a stored name is compared by: Hangul
// syllables composed and spaces dropped (김 민준 == 김민준); Latin
// lower-cased without diacritics (Nguyễn == NGUYEN); kana and kanji by
// the kana rules, so a reading typed in hiragana finds the katakana one.
// With a reading (a Japanese name's kana), the reading decides.
std::string name_search_key(std::string_view name, std::string_view reading = {});

}  // namespace shelter::ime
