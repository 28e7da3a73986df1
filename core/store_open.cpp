// The store's schema, its migrations, and opening a store file: WAL, a
// private file mode, read-only file systems, and the device's identity.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/store_internal.hpp"

namespace shelter {

namespace {

// Schema migrations, applied in order; PRAGMA user_version is the number
// applied. Never edit a released step: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- The append-only log. seq is this store's own log position (the order
-- events arrived here), used by export and sync cursors.
CREATE TABLE event(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  person_id TEXT NOT NULL,
  household_id TEXT NOT NULL,
  shelter_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  device_seq INTEGER NOT NULL,
  author TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  body TEXT NOT NULL,
  UNIQUE(device_id, device_seq)
);
CREATE INDEX event_person ON event(person_id);
CREATE TRIGGER event_no_update BEFORE UPDATE ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- Projections: rebuildable from the log at any time.
CREATE TABLE person_field(
  person_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
  hlc INTEGER NOT NULL, device_id TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY(person_id, field)
) WITHOUT ROWID;
CREATE TABLE person(
  person_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, shelter_id TEXT NOT NULL,
  presence TEXT NOT NULL, stay TEXT NOT NULL, name TEXT NOT NULL, reading TEXT NOT NULL,
  sex TEXT NOT NULL, birth TEXT NOT NULL, address TEXT NOT NULL, phone TEXT NOT NULL,
  needs INTEGER NOT NULL, needs_other TEXT NOT NULL, consent INTEGER NOT NULL,
  merged_into TEXT NOT NULL, updated_hlc INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX person_shelter ON person(shelter_id, presence);
CREATE INDEX person_household ON person(household_id);
CREATE INDEX person_reading_birth ON person(reading, birth);
CREATE TABLE count_cell(
  shelter_id TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL CHECK(n > 0),
  PRIMARY KEY(shelter_id, dim, key)
) WITHOUT ROWID;
CREATE TABLE household_presence(
  shelter_id TEXT NOT NULL, household_id TEXT NOT NULL, n INTEGER NOT NULL CHECK(n > 0),
  PRIMARY KEY(shelter_id, household_id)
) WITHOUT ROWID;
)sql",
    // 2: sync pulls a shelter's feed in log order.
    R"sql(
CREATE INDEX event_shelter_seq ON event(shelter_id, seq);
)sql",
    // 3: the merge rules of docs/protocol.md ("Whereabouts", "Clocks",
    // "One event per (device, seq)", "Merges"). `clamp` is the stamp the
    // server gave an event whose clock was too far ahead (set once, learnt
    // after the event is stored here); `origin` says how an event came
    // (''/'push': written here or pushed to this server, 'pull', 'import'),
    // so a kiosk relays the imported events of its shelter. A kiosk keeps
    // the server's copy of its own events even when a plain file copy made
    // it reuse their seqs, so (device, seq) is no longer unique here: the
    // server enforces it. `hidden`: merge_visibility. Projections are
    // folded again by the new rules (Store::open).
    R"sql(
CREATE TABLE event_v3(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  person_id TEXT NOT NULL,
  household_id TEXT NOT NULL,
  shelter_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  device_seq INTEGER NOT NULL,
  author TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  body TEXT NOT NULL,
  clamp INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT ''
);
INSERT INTO event_v3(seq, id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body)
  SELECT seq, id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body FROM event;
DROP TRIGGER event_no_update;
DROP TRIGGER event_no_delete;
DROP TABLE event;
ALTER TABLE event_v3 RENAME TO event;
CREATE INDEX event_person ON event(person_id);
CREATE INDEX event_shelter_seq ON event(shelter_id, seq);
CREATE INDEX event_device_seq ON event(device_id, device_seq);
CREATE TRIGGER event_no_update BEFORE UPDATE OF seq, id, type, person_id, household_id, shelter_id, device_id,
  device_seq, author, hlc, body, origin ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER event_clamp_once BEFORE UPDATE OF clamp ON event WHEN OLD.clamp <> 0 OR NEW.clamp >= OLD.hlc
  BEGIN SELECT RAISE(ABORT, 'an event''s clamp is set once, earlier than its clock'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
ALTER TABLE person ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
CREATE INDEX person_merged_into ON person(merged_into) WHERE merged_into <> '';
-- Merges link persons across shelters; feeds follow the links.
CREATE INDEX event_merged ON event(person_id) WHERE type = 'merged';
-- Own events the server refused for good, shown to staff (never retried).
CREATE TABLE refused_event(
  id TEXT PRIMARY KEY, code TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL, reissued_as TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 4: the kiosk's named volunteers, each with their own PIN hash
    // (core/volunteers.hpp), and the staff sign-in lockout (one row), kept
    // here so that a restart does not reset it. Never synced.
    R"sql(
CREATE TABLE volunteer(
  name TEXT PRIMARY KEY,
  pin_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('lead', 'volunteer')),
  enrolled_at TEXT NOT NULL,
  enrolled_by TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE staff_lockout(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  failures INTEGER NOT NULL,
  locks INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL
);
)sql",
    // 5: the public keys this kiosk trusts (docs/protocol.md, "Keys"): every
    // enrolled device's pass key and the city's card keys, as the server's
    // GET /v1/keys gave them at the last sync (Store::set_trusted_keys).
    R"sql(
CREATE TABLE trusted_key(
  key_id TEXT NOT NULL, kind TEXT NOT NULL, device_id TEXT NOT NULL, shelter_id TEXT NOT NULL,
  public_key TEXT NOT NULL, revoked INTEGER NOT NULL,
  PRIMARY KEY(kind, key_id)
) WITHOUT ROWID;
)sql",
    // 6: volunteers' signing keys (core/volunteer_keys.hpp) and the
    // signatures of staff events, sent with them to the server.
    R"sql(
ALTER TABLE volunteer ADD COLUMN key_salt TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer ADD COLUMN vouched_by TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer ADD COLUMN vouch TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer ADD COLUMN server_note TEXT NOT NULL DEFAULT '';
CREATE TABLE staff_signature(event_id TEXT PRIMARY KEY, signature TEXT NOT NULL) WITHOUT ROWID;
)sql",
    // 7: duplicate candidates by a normalised name (core/name_match.hpp):
    // each person's match key, filled by folding the log again
    // (kFoldSchema), and the dismissals staff made ("not the same person").
    R"sql(
ALTER TABLE person ADD COLUMN match_key TEXT NOT NULL DEFAULT '';
CREATE INDEX person_match_key ON person(match_key) WHERE match_key <> '';
CREATE INDEX event_not_duplicate ON event(person_id) WHERE type = 'not_duplicate';
)sql",
};
// The first schema whose projections follow today's fold: a store migrated
// from an earlier one is folded again from its log.
constexpr int kFoldSchema = 7;
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// SQLite creates -wal and -shm with the main file's mode, so making the file
// 0600 first keeps personal data out of other users' reach.
Status create_private_file(const std::string& path) {
  if (path.empty() || path == ":memory:") return {};
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return fail("create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return {};
}

}  // namespace

Store::Store(std::unique_ptr<sql::Db> db, Options options)
    : db_(std::move(db)), clock_(std::move(options.wall_clock)) {}
Store::~Store() = default;

namespace {
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char* hex = "0123456789ABCDEF";
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 15];
    } else {
      uri += static_cast<char>(c);
    }
  }
  return uri + "?immutable=1";
}
}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, Options options) {
  const std::string ctx = "open store " + path;
  int flags = SQLITE_OPEN_READWRITE;
  // An existing file on a file system mounted read-only (a failing SD card
  // is remounted so by the kernel) is opened for reading: counts and the
  // roster stay available, and each write says why it cannot be done.
  struct statvfs fs {};
  const bool exists = access(path.c_str(), F_OK) == 0;
  const bool read_only_fs = exists && statvfs(path.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
  if (options.read_only || read_only_fs) {
    flags = SQLITE_OPEN_READONLY;
  } else if (options.create) {
    if (access(path.c_str(), F_OK) != 0) {
      if (auto st = create_private_file(path); !st) return st.error().context(ctx);
    }
    flags |= SQLITE_OPEN_CREATE;
  }
  // WAL needs its -shm file, which cannot be made on a read-only file
  // system; nothing can change the file there, so SQLite may treat it as
  // immutable.
  auto db = read_only_fs ? sql::Db::open(immutable_uri(path), flags | SQLITE_OPEN_URI) : sql::Db::open(path, flags);
  if (!db) return db.error().context(ctx);
  const bool read_only = options.read_only || read_only_fs;
  std::unique_ptr<Store> store(new Store(std::move(db).value(), std::move(options)));
  store->path_ = path;
  auto& d = *store->db_;
  if (auto st = d.exec("PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"); !st)
    return st.error().context(ctx);
  if (!read_only) {
    auto wal = d.prepare("PRAGMA journal_mode=WAL");
    if (!wal) return wal.error().context(ctx);
    // Switching a new file to WAL needs it to itself, and SQLite does not
    // wait for that: another process opening the same new file gets BUSY at
    // once. Retry for up to 5 s, as busy_timeout does for everything else.
    auto row = (*wal)->step();
    for (int tries = 0; !row && tries < 200 && row.error().message.find("locked") != std::string::npos; ++tries) {
      (*wal)->reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      row = (*wal)->step();
    }
    if (!row) return row.error().context(ctx + ": set WAL mode");
    if ((*wal)->text(0) != "wal") return fail(ctx + ": WAL mode unavailable (" + (*wal)->text(0) + ")");
    (*wal)->reset();
    if (auto st = store->migrate(); !st) return st.error().context(ctx);
    if (auto st = store->move_secrets_out(); !st) return st.error().context(ctx);
  } else if (read_only_fs) {
    auto q = d.prepare("PRAGMA user_version");
    if (!q) return q.error().context(ctx);
    auto row = (*q)->step();
    if (!row) return row.error().context(ctx);
    if ((*q)->i64(0) != kSchemaVersion)
      return fail(ctx + ": opened read-only, and its schema " + std::to_string((*q)->i64(0)) +
                  " is not this program's (" + std::to_string(kSchemaVersion) + ")");
  }
  if (auto st = store->load_identity(); !st) return st.error().context(ctx);
  return store;
}

Status Store::migrate() {
  // Each step re-reads the version inside its write transaction: two
  // processes opening a new file at once (server and its admin command,
  // kiosk and daemon) must not both apply the same step.
  for (;;) {
    auto tx = sql::Tx::begin(*db_);
    if (!tx) return tx.error().context("migrate");
    auto q = db_->prepare("PRAGMA user_version");
    if (!q) return q.error();
    auto row = (*q)->step();
    if (!row) return row.error().context("read schema version");
    const int version = static_cast<int>((*q)->i64(0));
    q->reset();
    if (version > kSchemaVersion)
      return fail("database schema " + std::to_string(version) + " is newer than this program's (" +
                  std::to_string(kSchemaVersion) + "); upgrade the program");
    if (version == kSchemaVersion) return {};  // the transaction rolls back: nothing written
    if (auto st = db_->exec(kMigrations[version]); !st)
      return st.error().context("migrate to schema " + std::to_string(version + 1));
    if (auto st = db_->exec("PRAGMA user_version=" + std::to_string(version + 1)); !st)
      return st.error().context("migrate");
    // A log written under an earlier fold is folded again in the same
    // transaction: a crash leaves the old schema or the new one, never the
    // new schema with old projections.
    if (version > 0 && version + 1 == kFoldSchema)
      if (auto st = rebuild_locked(); !st) return st.error().context("migrate: fold the log by the new rules");
    if (auto st = (*tx)->commit(); !st) return st.error().context("migrate");
  }
}

Status Store::load_identity() {
  auto dev = meta("device_id");
  if (!dev) return dev.error();
  auto shelter = meta("shelter_id");
  if (!shelter) return shelter.error();
  device_id_ = dev->value_or("");
  shelter_id_ = shelter->value_or("");
  if (auto st = load_clock_offset(); !st) return st;
  // The clock resumes past everything this device wrote, so a wall clock
  // that went backwards while we were off cannot reorder our own edits; and
  // past everything else in the log, within the bound on remote clocks.
  auto q = db_->prepare("SELECT coalesce(max(hlc), 0) FROM event");
  if (!q) return q.error();
  if (auto r = (*q)->step(); !r) return r.error();
  clock_.observe((*q)->u64(0));
  (*q)->reset();
  return resume_own_log();
}

Status Store::init_identity(const std::string& shelter_id, const std::string& device_id,
                            const std::string& shelter_name) {
  if (!is_valid_slug(shelter_id)) return fail("shelter id '" + shelter_id + "' must be 1-32 of a-z 0-9 - _");
  if (!is_valid_slug(device_id)) return fail("device id '" + device_id + "' must be 1-32 of a-z 0-9 - _");
  if (!device_id_.empty() && (device_id_ != device_id || shelter_id_ != shelter_id))
    return fail("store already belongs to device " + device_id_ + " at shelter " + shelter_id_);
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error();
  if (auto st = set_meta("device_id", device_id); !st) return st;
  if (auto st = set_meta("shelter_id", shelter_id); !st) return st;
  if (auto st = set_meta("shelter_name", shelter_name); !st) return st;
  if (auto st = (*tx)->commit(); !st) return st;
  return load_identity();
}

Result<std::optional<std::string>> Store::meta(const std::string& key) {
  auto q = db_->prepare("SELECT value FROM meta WHERE key = ?1");
  if (!q) return q.error().context("read meta");
  (*q)->bind(1, key);
  auto row = (*q)->step();
  if (!row) return row.error().context("read meta");
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>((*q)->text(0));
}

Result<std::int64_t> Store::meta_int(const std::string& key) {
  auto v = meta(key);
  if (!v) return v.error();
  if (!v->has_value()) return std::int64_t{0};
  try {
    return std::stoll(**v);
  } catch (const std::exception&) {
    return fail("meta " + key + " is not a number");
  }
}

Status Store::set_meta(const std::string& key, const std::string& value) {
  auto q = db_->prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  if (!q) return q.error().context("write meta");
  return (*q)->bind(1, key).bind(2, value).run().context("write meta " + key);
}

}  // namespace shelter
