#pragma once
// Duplicate candidates (docs/ARCHITECTURE.md, "Duplicates"): two persons
// are proposed as the same when their names' match keys are equal and
// their births are compatible. Pure functions, shared by the kiosk's store
// and both server backends, so every node proposes the same pairs.
#include <string>
#include <string_view>
#include <vector>

namespace shelter {

// Kana rules: hiragana -> katakana, half-width -> full-width katakana,
// small kana -> large (ァ->ア, ッ->ツ, ャ->ヤ), ヴ -> ブ (ヴァ->バ, ヴィ->ビ,
// ヴェ->ベ, ヴォ->ボ), ー, spaces (ASCII, U+3000) and ・ dropped; other
// characters kept as they are (full-width Latin made ASCII, lowercased).
std::string kana_key(std::string_view text);

// Latin rules: lowercase, accents dropped (Vietnamese too: ễ->e, đ->d),
// apostrophes and dots dropped, words (split at spaces, hyphens, commas)
// sorted and joined: "Nguyen Thi Bich" == "BICH Nguyễn Thị".
std::string latin_key(std::string_view text);

bool has_kana(std::string_view text);

// What a typed search is also compared by, so that spaces and the kana's
// form do not hide a person: the text without spaces (ASCII and U+3000;
// "山田 花子" finds 山田　花子, "김 민준" finds 김민준), and, for a query
// with kana, its kana key against the person's match key ("やまだ" finds
// the reading ヤマダ). Either is "" when it has nothing to compare.
std::string without_spaces(std::string_view text);
std::string search_kana_key(std::string_view text);
// Letters only from the Latin script (at least one), whatever else.
bool is_latin(std::string_view text);

// A person's key: from the reading when it has kana; else from the name
// when it is Latin (then a Latin reading); else from the name by the kana
// rules (a walk-in's typed katakana name, or kanji alone). Latin keys are
// prefixed so that they never equal a kana key. "" = nothing to match on.
std::string person_match_key(std::string_view name, std::string_view reading);

// Canonical births ("1950" or "1950-04-01"): a year matches any date of
// that year; two dates or two years must be equal; "" never matches.
bool births_compatible(std::string_view a, std::string_view b);

// One person who may have a duplicate: the store's row, in key order.
struct MatchRow {
  std::string person_id, key, birth;
};
// The pairs (a < b) among rows sorted by key that share a key and have
// compatible births, leaving out those `dismissed(a, b)` says are not the
// same person.
template <typename Dismissed>
std::vector<std::pair<std::string, std::string>> match_pairs(const std::vector<MatchRow>& rows, Dismissed&& dismissed) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = i + 1; j < rows.size() && rows[j].key == rows[i].key; ++j) {
      if (!births_compatible(rows[i].birth, rows[j].birth)) continue;
      const bool less = rows[i].person_id < rows[j].person_id;
      const std::string& a = less ? rows[i].person_id : rows[j].person_id;
      const std::string& b = less ? rows[j].person_id : rows[i].person_id;
      if (!dismissed(a, b)) out.emplace_back(a, b);
    }
  return out;
}

}  // namespace shelter
