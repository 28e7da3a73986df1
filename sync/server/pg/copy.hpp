#pragma once
// COPY ... FROM STDIN in PostgreSQL's text format, written here rather than
// by pqxx::stream_to: libpqxx 6 runs every byte through an encoding-aware
// scanner, which was 40 % of a push's CPU. Every connection of ours speaks
// UTF-8 (the server store sets client_encoding), and in UTF-8 no byte of a
// multi-byte character is an ASCII byte, so escaping the four ASCII
// characters COPY treats specially is exact.
#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace pqxx {
class tablewriter;
}

namespace shelter::sync {

// Rows in COPY text format, built up field by field.
class CopyRows {
 public:
  CopyRows& text(std::string_view s);
  CopyRows& number(std::int64_t n);
  CopyRows& null();  // SQL NULL
  void end_row();    // after the last field of each row
  bool empty() const { return data_.empty(); }
  const std::string& data() const { return data_; }
  void clear() { data_.clear(); }

 private:
  std::string data_;
  bool first_in_row_ = true;
};

// One COPY table FROM STDIN inside w: rows go out in chunks as they are
// written, so PostgreSQL takes them in while the rest are made.
class CopyStream {
 public:
  CopyStream(pqxx::transaction_base& w, const std::string& table);
  ~CopyStream();
  CopyRows& rows() { return rows_; }
  void end_row();   // ends the row and sends the chunk once it is large
  void complete();  // sends the rest and ends the COPY

 private:
  void flush();
  std::unique_ptr<pqxx::tablewriter> copy_;
  CopyRows rows_;
};

// COPY table FROM STDIN with these rows, inside w; into `columns`, in that
// order, or else every column in the table's order.
void copy_rows(pqxx::transaction_base& w, const std::string& table, const CopyRows& rows,
               const std::vector<std::string>& columns = {});

// The fields of the server's `event` row for e at feed position pos, in
// the table's column order (end_row() is the caller's).
void event_row(CopyRows& rows, const Event& e, std::int64_t pos);

}  // namespace shelter::sync
