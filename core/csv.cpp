#include "core/csv.hpp"

#include <algorithm>
#include <cctype>

namespace shelter::csv {

Result<std::vector<Row>> parse(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Row> rows;
  Row row;
  std::string cell;
  bool quoted = false, cell_started = false;
  int line = 1, quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!cell.empty()) return fail("line " + std::to_string(line) + ": quote inside an unquoted field");
        quoted = true;
        cell_started = true;
        quote_line = line;
        break;
      case ',':
        row.push_back(std::move(cell));
        cell.clear();
        cell_started = true;
        break;
      case '\r':
        break;
      case '\n':
        if (cell_started || !cell.empty() || !row.empty()) {
          row.push_back(std::move(cell));
          rows.push_back(std::move(row));
        }
        row.clear();
        cell.clear();
        cell_started = false;
        ++line;
        break;
      default:
        cell += c;
        cell_started = true;
    }
  }
  if (quoted) return fail("line " + std::to_string(quote_line) + ": unterminated quote");
  if (cell_started || !cell.empty() || !row.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string escape(std::string_view field) {
  std::string value;
  // A spreadsheet runs a cell starting with = + - @ as a formula, and one
  // starting with TAB or CR may be taken for one after trimming.
  if (!field.empty() && std::string_view("=+-@\t\r").find(field[0]) != std::string_view::npos) value = "'";
  value += field;
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_row(const Row& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out += ',';
    out += escape(row[i]);
  }
  out += "\r\n";
  return out;
}

static std::string normalise(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Header::Header(const Row& header) {
  for (const auto& h : header) names_.push_back(normalise(h));
}

int Header::find(std::string_view name) const {
  const std::string n = normalise(name);
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == n) return static_cast<int>(i);
  return -1;
}

std::string Header::get(const Row& row, std::string_view name) const {
  const int i = find(name);
  if (i < 0 || static_cast<size_t>(i) >= row.size()) return {};
  return row[static_cast<size_t>(i)];
}

}  // namespace shelter::csv
