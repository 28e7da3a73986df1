#include "core/backup.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "core/fs_util.hpp"
#include "core/sqlite.hpp"

namespace shelter {

namespace fs = std::filesystem;

namespace {

// Copies the database behind `from` into a new file `to` (which must not
// exist), page by page, with the destination synced on commit.
Status copy_database(sqlite3* from, const std::string& to) {
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(to.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    return fail("open " + to + ": " + msg);
  }
  sqlite3_exec(dest, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", from, "main");
  if (!b) {
    const std::string msg = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    return fail("start copy: " + msg);
  }
  int rc;
  // A few hundred pages at a time: the kiosk's writers are held up for
  // milliseconds at most; a write in between restarts the copy.
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    if (rc != SQLITE_OK) sqlite3_sleep(20);
  sqlite3_backup_finish(b);
  const std::string msg = sqlite3_errmsg(dest);
  if (sqlite3_close(dest) != SQLITE_OK || rc != SQLITE_DONE)
    return fail("copy: " + (rc == SQLITE_DONE ? "close" : msg));
  ::chmod(to.c_str(), 0600);
  return {};
}

std::string temp_beside(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
}

}  // namespace

Status backup_store(Store& store, const std::string& path) {
  const std::string tmp = temp_beside(path);
  std::error_code ec;
  fs::remove(tmp, ec);
  if (auto st = copy_database(store.db().handle(), tmp); !st) {
    fs::remove(tmp, ec);
    return st.error().context("backup to " + path);
  }
  if (auto st = rename_durable(tmp, path); !st) {
    fs::remove(tmp, ec);
    return st.error().context("backup to " + path);
  }
  return {};
}

Result<std::string> rolling_backup(Store& store, const std::string& dir, int keep) {
  if (keep < 1) return fail("backup: keep at least 1");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("backup: create " + dir + ": " + ec.message());
  const std::string prefix = store.device_id() + "-";
  const std::string path = (fs::path(dir) / (prefix + utc_now("%Y%m%dT%H%M%SZ") + ".db")).string();
  if (auto st = backup_store(store, path); !st) return st.error();
  std::vector<std::string> mine;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".db") mine.push_back(e.path().string());
  }
  std::sort(mine.begin(), mine.end());  // the stamp sorts by time
  for (size_t i = 0; i + static_cast<size_t>(keep) < mine.size(); ++i) fs::remove(mine[i], ec);
  return path;
}

Status restore_backup(const std::string& backup, const std::string& db_path, bool force) {
  const std::string ctx = "restore " + backup;
  Store::Options ro;
  ro.create = false;
  ro.read_only = true;
  auto src = Store::open(backup, ro);
  if (!src) return src.error().context(ctx);
  auto check = (*src)->integrity_check();
  if (!check) return check.error().context(ctx);
  if (*check != "ok") return fail(ctx + ": the backup is damaged: " + *check);
  if ((*src)->device_id().empty()) return fail(ctx + ": not a kiosk database (no device identity)");
  std::error_code ec;
  if (fs::exists(db_path, ec) && !force)
    return fail(ctx + ": " + db_path + " exists; stop the kiosk and the daemon, then give --force to replace it");
  const std::string tmp = temp_beside(db_path);
  fs::remove(tmp, ec);
  if (auto st = copy_database((*src)->db().handle(), tmp); !st) {
    fs::remove(tmp, ec);
    return st.error().context(ctx);
  }
  // The server may hold events this device wrote after the backup: new ones
  // must not reuse their sequence numbers (a count never reaches the time in
  // ms, so the time at restore is past them all).
  {
    auto db = sql::Db::open(tmp, SQLITE_OPEN_READWRITE);
    if (!db) return db.error().context(ctx);
    auto q = (*db)->prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
    if (!q) return q.error().context(ctx);
    (*q)->bind(1, kDeviceSeqFloorMeta).bind(2, std::to_string(system_millis()));
    if (auto st = (*q)->run(); !st) {
      fs::remove(tmp, ec);
      return st.error().context(ctx + ": mark the restored file");
    }
  }
  // The old file's write-ahead log must not be replayed into the new file.
  fs::remove(db_path + "-wal", ec);
  fs::remove(db_path + "-shm", ec);
  if (auto st = rename_durable(tmp, db_path); !st) {
    fs::remove(tmp, ec);
    return st.error().context(ctx);
  }
  return {};
}

}  // namespace shelter
