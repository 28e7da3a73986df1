#include "sync/server/pg/copy.hpp"

#include <pqxx/tablewriter>

#include <array>
#include <charconv>

#include "core/byte_scan.hpp"
#include "core/json_text.hpp"

namespace shelter::sync {

namespace {
// The bytes COPY's text format escapes.
constexpr auto kEscaped = [] {
  std::array<bool, 256> t{};
  t['\\'] = t['\t'] = t['\n'] = t['\r'] = true;
  return t;
}();
}  // namespace

CopyRows& CopyRows::text(std::string_view s) {
  if (!first_in_row_) data_ += '\t';
  first_in_row_ = false;
  auto word_may_hold = [](std::uint64_t w) {
    return may_have_byte(w, '\\') || may_have_byte(w, '\t') || may_have_byte(w, '\n') || may_have_byte(w, '\r');
  };
  auto is_special = [](unsigned char c) { return kEscaped[c]; };
  size_t plain = 0;
  for (size_t i = find_special(s, 0, word_may_hold, is_special); i < s.size();
       i = find_special(s, i + 1, word_may_hold, is_special)) {
    const char c = s[i];
    data_.append(s.data() + plain, i - plain);
    plain = i + 1;
    data_ += '\\';
    data_ += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
  }
  data_.append(s.data() + plain, s.size() - plain);
  return *this;
}

CopyRows& CopyRows::number(std::int64_t n) {
  if (!first_in_row_) data_ += '\t';
  first_in_row_ = false;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  data_.append(digits, end);
  return *this;
}

CopyRows& CopyRows::null() {
  if (!first_in_row_) data_ += '\t';
  first_in_row_ = false;
  data_ += "\\N";
  return *this;
}

void CopyRows::end_row() {
  data_ += '\n';
  first_in_row_ = true;
}

namespace {
constexpr size_t kChunk = 256 * 1024;

// tablewriter is deprecated for its own escaping, which is not used here:
// its write_raw_line is libpqxx 6's only public way to send text rows.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::unique_ptr<pqxx::tablewriter> open_copy(pqxx::transaction_base& w, const std::string& table,
                                             const std::vector<std::string>& columns = {}) {
  if (columns.empty()) return std::make_unique<pqxx::tablewriter>(w, table);
  return std::make_unique<pqxx::tablewriter>(w, table, columns.begin(), columns.end());
}
#pragma GCC diagnostic pop

// write_raw_line adds a newline: send whole rows without their last one.
void send(pqxx::tablewriter& copy, std::string_view rows) {
  if (!rows.empty()) copy.write_raw_line(std::string(rows.substr(0, rows.size() - 1)));
}
}  // namespace

CopyStream::CopyStream(pqxx::transaction_base& w, const std::string& table) : copy_(open_copy(w, table)) {}
CopyStream::~CopyStream() = default;

void CopyStream::end_row() {
  rows_.end_row();
  if (rows_.data().size() >= kChunk) flush();
}

void CopyStream::flush() {
  send(*copy_, rows_.data());
  rows_.clear();
}

void CopyStream::complete() {
  flush();
  copy_->complete();
}

void copy_rows(pqxx::transaction_base& w, const std::string& table, const CopyRows& rows,
               const std::vector<std::string>& columns) {
  auto copy = open_copy(w, table, columns);
  send(*copy, rows.data());
  copy->complete();
}

void event_row(CopyRows& rows, const Event& e, std::int64_t pos) {
  rows.text(e.id)
      .number(pos)
      .text(to_string(e.type))
      .text(e.person_id)
      .text(e.household_id)
      .text(e.shelter_id)
      .text(e.device_id)
      .number(e.device_seq)
      .text(e.author)
      .number(static_cast<std::int64_t>(e.hlc))
      .text(dump_json(e.body))
      .number(static_cast<std::int64_t>(e.clamp));
}

}  // namespace shelter::sync
