#pragma once
// Online backups of a store's SQLite file (the sqlite3 backup API: a
// consistent copy while the kiosk keeps writing) to a second location,
// rolling, and the one-command restore.
//
// A backup leaves the tablet (an SD card, a stick), so it is sealed: a
// random key K encrypts the copy (crypto_secretstream_xchacha20poly1305, 64
// KiB chunks, the last one tagged final, so a cut file is refused), and K is
// sealed (crypto_box_seal) to the device's own box key (from its signing
// key, core/sealing.hpp) and to headquarters' key when the kiosk has one:
//
//   {"shelter_checkin_backup":1,"device","shelter","keys":[
//     {"to":"device","key_id":DEVICE SIGNING KEY ID,"sealed":HEX},
//     {"to":"hq","key_id":HQ KEY ID,"sealed":HEX}]}\n
//   secretstream header (24 bytes), then chunks: 4-byte big-endian length,
//   ciphertext (each chunk's additional data: the header line)
//
// The same tablet restores it with the key in its secrets file; a
// replacement tablet gets it opened at headquarters (shelter-server
// open-backup) first. The plaintext copy is made beside the database (the
// tablet's own disk) and removed; it never touches the backup folder.
#include <string>

#include "core/result.hpp"
#include "core/sealing.hpp"
#include "core/signing.hpp"
#include "core/store.hpp"

namespace shelter {

// Copies `store` to `path` atomically (a temporary file in the same folder,
// synced, then renamed): `path` is either the old file or a whole new one.
// Plain SQLite: for a copy that stays on the tablet.
Status backup_store(Store& store, const std::string& path);

// A new sealed backup "<dir>/<device>-<UTC stamp>.backup" (mode 0600), then
// deletes the oldest of this device's backups in `dir` (.backup, and .db of
// earlier versions) beyond `keep`. Returns the path. `hq_sealed` (if given)
// is set to whether headquarters can open it too.
Result<std::string> rolling_backup(Store& store, const std::string& dir, int keep, bool* hq_sealed = nullptr);

// Whether `path` starts like a sealed backup.
bool is_sealed_backup(const std::string& path);

// Opens a sealed backup into a plain SQLite file `out` (mode 0600, written
// atomically) with headquarters' key, or with a device's signing key.
Status open_backup(const std::string& backup, const std::string& out, const sealing::BoxKeyPair& hq);
Status open_backup(const std::string& backup, const std::string& out, const signing::KeyPair& device_key);

// Puts `backup` in place of the database `db_path`: a sealed backup is
// opened with the device key in the secrets file beside `db_path` (or
// `device_key` when given); a plain one (opened at headquarters, or of an
// earlier version) is taken as it is. The copy must pass PRAGMA
// integrity_check and carry a device identity. An existing database is
// replaced only with `force` (and its -wal/-shm files go with it: stop the
// kiosk and the daemon first).
Status restore_backup(const std::string& backup, const std::string& db_path, bool force,
                      const signing::KeyPair* device_key = nullptr);

}  // namespace shelter
