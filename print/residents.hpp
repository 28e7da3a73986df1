#pragma once
// A residents CSV, as a city's resident-register extract (住民基本台帳) or a
// 町会 member list holds it, read into household cards: one card per value
// of the household column. Header names in English or Japanese
// (docs/residents-csv.md); columns this reader does not know are ignored.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.hpp"
#include "core/qr_payload.hpp"
#include "core/result.hpp"

namespace shelter::print {

struct ResidentHousehold {
  std::string label;     // the household column's value (世帯番号)
  std::string district;  // 町丁目 / 地区, of the first member
  std::string shelter;   // the assigned shelter (指定避難所), of the first member
  qr::HouseholdCard card;
};

struct Residents {
  std::vector<ResidentHousehold> households;  // in the order they first appear
  // The residents with the ids the cards carry, in the columns make-card
  // reads back: printing from this file again gives the same cards.
  std::vector<csv::Row> with_ids;
};

// Reads the whole document or fails with "line N: what is wrong" (N counts
// physical lines from 1, the header being line 1). Ids not given are made.
Result<Residents> read_residents(std::string_view csv_text);

// Helpers for other readers of such lists (sync/server/district_list.cpp):
// a cell without surrounding spaces (U+3000 too); a birth date as registers
// write it (see docs/residents-csv.md; nullopt: not a date, "" is unknown);
// the physical line each CSV row starts on, from 1, as editors count.
std::string trimmed_cell(std::string_view s);
std::optional<BirthDate> resident_birth(std::string s);
std::vector<int> csv_row_lines(std::string_view text);

// The canonical column a header names ("世帯番号" -> "household"), "" for
// one this reader does not know.
std::string canonical_column(std::string_view header);

}  // namespace shelter::print
