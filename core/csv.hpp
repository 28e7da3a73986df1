#pragma once
// RFC 4180 CSV: quoted fields, embedded commas, quotes and newlines, CRLF or
// LF, and the UTF-8 byte-order mark that spreadsheet programs write.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::csv {

using Row = std::vector<std::string>;

// Parses a whole document; errors name the line ("line 4: unterminated quote").
Result<std::vector<Row>> parse(std::string_view text);

// One field, quoted when needed. Fields starting with = + - @ TAB or CR are prefixed
// with ' so a spreadsheet does not run them as formulas (CSV injection).
std::string escape(std::string_view field);
std::string format_row(const Row& row);  // with "\r\n"

// A header row mapped to column indexes.
class Header {
 public:
  explicit Header(const Row& header);
  // Index of `name` (case-insensitive, surrounding spaces ignored), or -1.
  int find(std::string_view name) const;
  // The row's value in column `name`; "" when the column or cell is missing.
  std::string get(const Row& row, std::string_view name) const;

 private:
  std::vector<std::string> names_;
};

}  // namespace shelter::csv
