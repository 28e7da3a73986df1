#pragma once
// Thin RAII over the SQLite C API: a connection with a statement cache, and
// statements whose failures come back as Error values.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace shelter::sql {

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { reset(); }

  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }

  // Steps once: true with a row, false when done; an error otherwise.
  Result<bool> step();
  // Steps to completion (for statements without rows).
  Status run();
  // Calls row(*this) for each row; row returns void, or a Status to stop at
  // (its error). The error of a failed step or row is returned.
  template <class F>
  Status each_row(F&& row) {
    for (;;) {
      auto more = step();
      if (!more) return more.error();
      if (!*more) return {};
      if constexpr (std::is_void_v<decltype(row(*this))>) {
        row(*this);
      } else if (auto st = row(*this); !st) {
        return st;
      }
    }
  }
  // Every row read by read(*this) (returning T or Result<T>), in order.
  template <class T, class F>
  Result<std::vector<T>> rows(F&& read) {
    std::vector<T> out;
    Status st = each_row([&](Stmt& s) -> Status {
      if constexpr (std::is_same_v<std::decay_t<decltype(read(s))>, Result<T>>) {
        auto v = read(s);
        if (!v) return v.error();
        out.push_back(std::move(v).value());
      } else {
        out.push_back(read(s));
      }
      return {};
    });
    if (!st) return st.error();
    return out;
  }

  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::uint64_t u64(int col) const { return static_cast<std::uint64_t>(sqlite3_column_int64(s_, col)); }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string{};
  }
  int columns() const { return sqlite3_column_count(s_); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

  void reset() {
    if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A cached prepared statement; reset when the returned Stmt goes away.
  // Only one Stmt per SQL text may be alive at a time.
  Result<std::unique_ptr<Stmt>> prepare(std::string_view sql);
  Status exec(std::string_view sql);  // one or more statements, no rows
  // ALTER TABLE ADD COLUMN unless `table` has `column` (an upgrade step).
  Status add_column_if_missing(const std::string& table, const std::string& column, const std::string& decl);
  std::string errmsg() const { return sqlite3_errmsg(db_); }
  sqlite3* handle() const { return db_; }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }  // no transaction open

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// RAII transaction: rolls back unless commit() succeeded.
class Tx {
 public:
  static Result<std::unique_ptr<Tx>> begin(Db& db, bool immediate = true);
  ~Tx();
  Status commit();

 private:
  explicit Tx(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

}  // namespace shelter::sql
