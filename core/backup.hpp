#pragma once
// Online backups of a store's SQLite file (the sqlite3 backup API: a
// consistent copy while the kiosk keeps writing) to a second location,
// rolling, and the one-command restore.
#include <string>

#include "core/result.hpp"
#include "core/store.hpp"

namespace shelter {

// Copies `store` to `path` atomically (a temporary file in the same folder,
// synced, then renamed): `path` is either the old file or a whole new one.
Status backup_store(Store& store, const std::string& path);

// A new backup "<dir>/<device>-<UTC stamp>.db" (mode 0600), then deletes the
// oldest of this device's backups in `dir` beyond `keep`. Returns the path.
Result<std::string> rolling_backup(Store& store, const std::string& dir, int keep);

// Puts `backup` in place of the database `db_path`: the backup must pass
// PRAGMA integrity_check and carry a device identity. An existing database
// is replaced only with `force` (and its -wal/-shm files go with it: stop
// the kiosk and the daemon first).
Status restore_backup(const std::string& backup, const std::string& db_path, bool force);

}  // namespace shelter
