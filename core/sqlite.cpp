#include "core/sqlite.hpp"

namespace shelter::sql {

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(s_);  // ready to be bound and run again
    return false;
  }
  std::string msg = sqlite3_errmsg(db_);
  reset();
  return fail(msg);
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return fail(msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Result<std::unique_ptr<Stmt>> Db::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
        SQLITE_OK)
      return fail(errmsg());
    it = cache_.emplace(std::string(sql), s).first;
  }
  return std::make_unique<Stmt>(db_, it->second);
}

Status Db::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : errmsg();
    sqlite3_free(err);
    return fail(msg);
  }
  return {};
}

Status Db::add_column_if_missing(const std::string& table, const std::string& column, const std::string& decl) {
  // Checked and added under the write lock: two processes opening an older
  // file at once (the server and `shelter-server enrol-code`) would both
  // see the column missing, and the second ALTER would fail.
  std::unique_ptr<Tx> tx;
  if (autocommit()) {
    auto t = Tx::begin(*this);
    if (!t) return t.error();
    tx = std::move(t).value();
  }
  bool has = false;
  sqlite3_stmt* q = nullptr;
  const std::string sql = "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2";
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) return fail(errmsg());
  sqlite3_bind_text(q, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q, 2, column.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(q) == SQLITE_ROW) has = sqlite3_column_int(q, 0) > 0;
  sqlite3_finalize(q);
  if (!has)
    if (auto st = exec("ALTER TABLE " + table + " ADD COLUMN " + column + " " + decl); !st) return st;
  return tx ? tx->commit() : Status{};
}

Result<std::unique_ptr<Tx>> Tx::begin(Db& db, bool immediate) {
  // Opened read-only because its file system is (Store::open): say so
  // rather than SQLite's "attempt to write a readonly database".
  if (immediate && sqlite3_db_readonly(db.handle(), "main") == 1)
    return fail(
        "begin: the database is read-only (its file system is mounted read-only); "
        "remount it read-write or move the file");
  if (auto st = db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"); !st) return st.error().context("begin");
  return std::unique_ptr<Tx>(new Tx(db));
}

Tx::~Tx() {
  if (!done_) (void)db_.exec("ROLLBACK");
}

Status Tx::commit() {
  if (auto st = db_.exec("COMMIT"); !st) return st.error().context("commit");
  done_ = true;
  return {};
}

}  // namespace shelter::sql
