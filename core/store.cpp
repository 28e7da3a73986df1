// The one SQLite schema and its fold: kept whole so each query sits by its table.
#include "core/store.hpp"

#include <chrono>
#include <thread>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "core/sqlite.hpp"

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
};
// The first schema whose projections follow today's fold: a store migrated
// from an earlier one is folded again from its log.
constexpr int kFoldSchema = 3;
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

constexpr const char* kEventColumns =
    "seq, id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body, clamp, origin";

Result<Event> read_event(sql::Stmt& s) {
  Event e;
  e.id = s.text(1);
  auto type = parse_event_type(s.text(2));
  if (!type) return fail("event " + e.id + ": unknown type in log");
  e.type = *type;
  e.person_id = s.text(3);
  e.household_id = s.text(4);
  e.shelter_id = s.text(5);
  e.device_id = s.text(6);
  e.device_seq = s.i64(7);
  e.author = s.text(8);
  e.hlc = s.u64(9);
  e.body = nlohmann::json::parse(s.text(10), nullptr, false);
  if (e.body.is_discarded()) return fail("event " + e.id + ": unreadable body in log");
  e.clamp = s.u64(11);
  return e;
}

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

Store::Store(std::unique_ptr<sql::Db> db, Options options) : db_(std::move(db)), clock_(std::move(options.wall_clock)) {}
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
  } else if (read_only_fs) {
    auto q = d.prepare("PRAGMA user_version");
    if (!q) return q.error().context(ctx);
    auto row = (*q)->step();
    if (!row) return row.error().context(ctx);
    if ((*q)->i64(0) != kSchemaVersion)
      return fail(ctx + ": opened read-only, and its schema " + std::to_string((*q)->i64(0)) + " is not this program's (" +
                  std::to_string(kSchemaVersion) + ")");
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
    if (auto st = db_->exec("PRAGMA user_version=" + std::to_string(version + 1)); !st) return st.error().context("migrate");
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

Status Store::set_meta(const std::string& key, const std::string& value) {
  auto q = db_->prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  if (!q) return q.error().context("write meta");
  return (*q)->bind(1, key).bind(2, value).run().context("write meta " + key);
}

Result<bool> Store::insert_event(const Event& e, const std::string& origin) {
  auto q = db_->prepare(
      "INSERT INTO event(id, type, person_id, household_id, shelter_id, device_id, device_seq, author, hlc, body, "
      "clamp, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(id) DO NOTHING");
  if (!q) return q.error();
  (*q)->bind(1, e.id)
      .bind(2, to_string(e.type))
      .bind(3, e.person_id)
      .bind(4, e.household_id)
      .bind(5, e.shelter_id)
      .bind(6, e.device_id)
      .bind(7, e.device_seq)
      .bind(8, e.author)
      .bind(9, e.hlc)
      .bind(10, e.body.dump())
      .bind(11, e.clamp)
      .bind(12, origin);
  if (auto st = (*q)->run(); !st) return st.error().context("append event " + e.id);
  return db_->changes() > 0;
}

Result<bool> Store::event_exists(const std::string& id) {
  auto q = db_->prepare("SELECT 1 FROM event WHERE id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("look up event");
  const bool found = *row;
  q->reset();
  return found;
}

Result<std::optional<Event>> Store::stored_event(const std::string& id) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("look up event");
  if (!*row) return std::optional<Event>{};
  auto e = read_event(**q);
  if (!e) return e.error();
  return std::optional<Event>(std::move(e).value());
}

// The latest stamp (as the merge compares them) of any event about `id`.
Result<Hlc> Store::person_floor(const PersonId& id) {
  auto q = db_->prepare("SELECT coalesce(max(CASE WHEN clamp <> 0 THEN clamp ELSE hlc END), 0) FROM event "
                        "WHERE person_id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  if (auto r = (*q)->step(); !r) return r.error();
  const Hlc floor = (*q)->u64(0);
  q->reset();
  return floor;
}

Status Store::load_clock_offset() {
  auto offset = meta(kClockOffsetMeta);
  if (!offset) return offset.error().context("clock offset");
  if (!offset->has_value()) return {};
  try {
    clock_.set_offset_ms(std::stoll(**offset));
  } catch (const std::exception&) {
    // A damaged value must not stop check-in: keep the last good offset.
  }
  return {};
}


// Where this device's log ends, read under the write lock: another process
// on the same device (shelterctl beside the kiosk) may have written since
// this one last did.
Status Store::resume_own_log() {
  auto q = db_->prepare(
      "SELECT device_seq, hlc FROM event WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, device_id_);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::int64_t next = 1;
  if (*row) {
    next = (*q)->i64(0) + 1;
    clock_.resume_after((*q)->u64(1));
  }
  q->reset();
  auto floor = meta(kDeviceSeqFloorMeta);
  if (!floor) return floor.error();
  if (floor->has_value()) {
    try {
      next = std::max<std::int64_t>(next, std::stoll(**floor));
    } catch (const std::exception&) {
      return fail(std::string(kDeviceSeqFloorMeta) + " is not a number");
    }
  }
  next_device_seq_ = std::max(next_device_seq_, next);
  return {};
}

Result<std::vector<Event>> Store::record(const std::vector<NewEvent>& drafts) {
  if (device_id_.empty()) return fail("record: this store has no device identity (run `shelterctl init`)");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("record");
  auto events = record_locked(drafts);
  if (!events) return events.error();
  if (auto st = (*tx)->commit(); !st) return st.error().context("record");
  next_device_seq_ += static_cast<std::int64_t>(events->size());
  return events;
}

// record() inside the caller's transaction; next_device_seq_ is moved on by
// the caller once it commits.
Result<std::vector<Event>> Store::record_locked(const std::vector<NewEvent>& drafts) {
  if (auto st = resume_own_log(); !st) return st.error().context("record: own log");
  // The daemon's latest clock correction; each event is then stamped after
  // every event this store knows about its person (pulled by the daemon in
  // another process), so "after" means after for each person even when
  // clocks disagree.
  if (auto st = load_clock_offset(); !st) return st.error().context("record: clock");
  std::vector<Event> events;
  events.reserve(drafts.size());
  std::int64_t seq = next_device_seq_;
  std::map<PersonId, Hlc> floors;  // persons of this batch: their latest stamp, ours included
  for (const NewEvent& d : drafts) {
    auto floor = floors.find(d.person_id);
    if (floor == floors.end()) {
      auto known = person_floor(d.person_id);
      if (!known) return known.error().context("record: clock");
      floor = floors.emplace(d.person_id, *known).first;
    }
    Event e;
    e.type = d.type;
    e.person_id = d.person_id;
    e.household_id = d.household_id;
    e.shelter_id = d.shelter_id.empty() ? shelter_id_ : d.shelter_id;
    e.device_id = device_id_;
    e.device_seq = seq++;
    e.author = d.author;
    e.hlc = d.stamp_after != 0 ? d.stamp_after + 1 : clock_.now_after(floor->second);
    e.id = make_event_id(device_id_, e.hlc);
    // A stamp passed to get after a far-ahead floor is not adopted by the
    // clock, so the clock may hand it out again later: ids stay unique.
    for (;;) {
      auto taken = event_exists(e.id);
      if (!taken) return taken.error().context("record");
      bool in_batch = false;
      for (const Event& o : events) in_batch |= o.id == e.id;
      if (!*taken && !in_batch) break;
      e.hlc = d.stamp_after != 0 ? e.hlc + 1 : clock_.now_after(e.hlc);
      e.id = make_event_id(device_id_, e.hlc);
    }
    floor->second = std::max(floor->second, e.hlc);
    e.body = d.body.is_null() ? nlohmann::json::object() : d.body;  // `{}` in C++ makes a JSON null
    if (auto st = validate(e); !st) return st.error().context("record");
    events.push_back(std::move(e));
  }
  for (const Event& e : events) {
    auto inserted = insert_event(e, "");
    if (!inserted) return inserted.error().context("record");
    // Never acknowledge what was not stored.
    if (!*inserted) return fail("record: event " + e.id + " already exists; try again");
    if (auto st = project(e); !st) return st.error().context("record: project " + e.id);
  }
  return events;
}

Result<Event> Store::record(const NewEvent& draft) {
  auto r = record(std::vector<NewEvent>{draft});
  if (!r) return r.error();
  return std::move(r->front());
}

Result<int> Store::apply_remote(const std::vector<Event>& events, const std::string& origin) {
  for (const Event& e : events)
    if (auto st = validate(e); !st) return st.error().context("apply remote events");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("apply remote events");
  int added = 0;
  std::vector<std::pair<std::string, Hlc>> clamps;
  for (const Event& e : events) {
    auto inserted = insert_event(e, origin);
    if (!inserted) return inserted.error().context("apply remote events");
    if (!*inserted) {
      if (e.clamp != 0) clamps.emplace_back(e.id, e.clamp);  // learnt with a later copy of the event
      continue;
    }
    ++added;
    if (auto st = project(e); !st) return st.error().context("apply remote events: project " + e.id);
  }
  if (!clamps.empty())
    if (auto st = apply_clamps(clamps); !st) return st.error().context("apply remote events");
  if (auto st = (*tx)->commit(); !st) return st.error().context("apply remote events");
  for (const Event& e : events) clock_.observe(e.effective_hlc());
  return added;  // own events among them move the next seq on at the next record (resume_own_log)
}

Result<std::vector<Admission>> Store::admit(const std::vector<Event>& events, std::int64_t now_ms,
                                            std::int64_t future_slack_ms) {
  for (const Event& e : events)
    if (auto st = validate(e); !st) return st.error().context("admit events");
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("admit events");
  auto holder = db_->prepare("SELECT id FROM event WHERE device_id = ?1 AND device_seq = ?2 LIMIT 1");
  auto last = db_->prepare("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = ?1");
  if (!holder || !last) return fail(db_->errmsg()).context("admit events");
  const Hlc limit = make_hlc(now_ms + future_slack_ms, 0);
  std::vector<Admission> out;
  out.reserve(events.size());
  for (const Event& in : events) {
    Admission a;
    auto stored = stored_event(in.id);
    if (!stored) return stored.error().context("admit events");
    if (stored->has_value()) {
      if ((*stored)->same_content(in)) {
        a.kind = Admission::Kind::Duplicate;
        a.clamp = (*stored)->clamp;
      } else {
        a.kind = Admission::Kind::Refused;
        a.code = "conflict";
        a.reason = "event " + in.id + " is stored already with other content";
      }
      out.push_back(std::move(a));
      continue;
    }
    (*holder)->bind(1, in.device_id).bind(2, in.device_seq);
    auto row = (*holder)->step();
    if (!row) return row.error().context("admit events");
    const bool taken = *row;
    (*holder)->reset();
    if (taken) {
      (*last)->bind(1, in.device_id);
      if (auto r = (*last)->step(); !r) return r.error().context("admit events");
      a.kind = Admission::Kind::Refused;
      a.code = "seq_taken";
      a.expected_seq = (*last)->i64(0) + 1;
      (*last)->reset();
      a.reason = "device " + in.device_id + " seq " + std::to_string(in.device_seq) +
                 " is another event's on the server (a database copied back from an older file?); the next "
                 "free seq is " + std::to_string(a.expected_seq);
      out.push_back(std::move(a));
      continue;
    }
    Event e = in;
    e.clamp = e.hlc > limit ? limit : 0;
    auto inserted = insert_event(e, "push");
    if (!inserted) return inserted.error().context("admit events");
    if (auto st = project(e); !st) return st.error().context("admit events: project " + e.id);
    a.clamp = e.clamp;
    out.push_back(std::move(a));
  }
  if (auto st = (*tx)->commit(); !st) return st.error().context("admit events");
  return out;
}

Status Store::apply_clamps(const std::vector<std::pair<std::string, Hlc>>& clamps) {
  std::unique_ptr<sql::Tx> tx;
  if (db_->autocommit()) {
    auto t = sql::Tx::begin(*db_);
    if (!t) return t.error().context("apply clamps");
    tx = std::move(t).value();
  }
  auto q = db_->prepare("UPDATE event SET clamp = ?2 WHERE id = ?1 AND clamp = 0 AND ?2 < hlc RETURNING person_id");
  if (!q) return q.error().context("apply clamps");
  std::vector<PersonId> persons;
  for (const auto& [id, clamp] : clamps) {
    if (clamp == 0) continue;
    (*q)->bind(1, id).bind(2, clamp);
    auto row = (*q)->step();
    if (!row) return row.error().context("apply clamps");
    if (*row) persons.push_back((*q)->text(0));
    (*q)->reset();
  }
  std::sort(persons.begin(), persons.end());
  persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
  for (const PersonId& p : persons)
    if (auto st = refold_person(p); !st) return st.error().context("apply clamps");
  if (tx)
    if (auto st = tx->commit(); !st) return st.error().context("apply clamps");
  return {};
}

Status Store::note_refused(const std::string& id, const std::string& code, const std::string& reason, bool reissue,
                           std::int64_t seq_floor) {
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("note refused event");
  auto seen = db_->prepare("SELECT 1 FROM refused_event WHERE id = ?1");
  if (!seen) return seen.error();
  (*seen)->bind(1, id);
  auto row = (*seen)->step();
  if (!row) return row.error().context("note refused event");
  if (*row) return {};
  seen->reset();
  std::string copy_id;
  std::int64_t recorded = 0;
  auto original = stored_event(id);
  if (!original) return original.error().context("note refused event");
  if (reissue) {
    if (original->has_value() && (*original)->device_id == device_id_) {
      if (seq_floor > 0) {
        auto floor = meta(kDeviceSeqFloorMeta);
        if (!floor) return floor.error();
        std::int64_t kept = 0;
        if (floor->has_value()) kept = std::atoll((*floor)->c_str());
        if (seq_floor > kept)
          if (auto st = set_meta(kDeviceSeqFloorMeta, std::to_string(seq_floor)); !st) return st;
      }
      const Event& o = **original;
      // The copy keeps the original's place in time: it is the same action.
      NewEvent copy{o.type, o.person_id, o.household_id, o.shelter_id, o.author, o.body, o.hlc};
      auto events = record_locked({copy});
      if (!events) return events.error().context("note refused event: record it again");
      copy_id = events->front().id;
      recorded = 1;
    }
  }
  auto q = db_->prepare("INSERT INTO refused_event(id, code, reason, at, reissued_as) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!q) return q.error();
  (*q)->bind(1, id).bind(2, code).bind(3, reason).bind(4, utc_now("%Y-%m-%dT%H:%M:%SZ")).bind(5, copy_id);
  if (auto st = (*q)->run(); !st) return st.error().context("note refused event");
  // The server will never have it: the person is folded here without it,
  // as everywhere else (the log keeps it, and staff see it).
  if (original->has_value())
    if (auto st = refold_person((*original)->person_id); !st) return st.error().context("note refused event");
  if (auto st = (*tx)->commit(); !st) return st.error().context("note refused event");
  next_device_seq_ += recorded;
  return {};
}

Result<std::vector<RefusedEvent>> Store::refused_events() {
  auto q = db_->prepare("SELECT id, code, reason, at, reissued_as FROM refused_event ORDER BY at, id");
  if (!q) return q.error().context("read refused events");
  return (*q)
      ->rows<RefusedEvent>([](sql::Stmt& r) {
        return RefusedEvent{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)};
      })
      .context("read refused events");
}

Result<std::vector<std::pair<std::int64_t, Event>>> Store::pushable_after(std::int64_t after_seq, int limit,
                                                                          std::int64_t* scanned_to) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!q) return q.error().context("read events to push");
  (*q)->bind(1, after_seq).bind(2, limit);
  std::vector<std::pair<std::int64_t, Event>> out;
  *scanned_to = after_seq;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        *scanned_to = r.i64(0);
        const bool own = r.text(6) == device_id_;
        const bool relayed = r.text(12) == "import" && r.text(5) == shelter_id_;
        if (!own && !relayed) return {};
        auto e = read_event(r);
        if (!e) return e.error();
        e->clamp = 0;  // the server sets clamps; it never takes one from a kiosk
        out.emplace_back(*scanned_to, std::move(e).value());
        return {};
      });
      !st)
    return st.error().context("read events to push");
  return out;
}

Result<std::int64_t> Store::pushable_count(std::int64_t after_seq) {
  auto q = db_->prepare("SELECT count(*) FROM event WHERE seq > ?1 AND (device_id = ?2 OR "
                        "(origin = 'import' AND shelter_id = ?3))");
  if (!q) return q.error().context("count events to push");
  (*q)->bind(1, after_seq).bind(2, device_id_).bind(3, shelter_id_);
  if (auto r = (*q)->step(); !r) return r.error().context("count events to push");
  return (*q)->i64(0);
}

Result<std::int64_t> Store::sync_pushed_seq() {
  auto v = meta(kSyncPushedSeqMeta);
  if (!v) return v.error();
  if (!v->has_value()) return std::int64_t{0};
  try {
    return std::stoll(**v);
  } catch (const std::exception&) {
    return fail(std::string("meta ") + kSyncPushedSeqMeta + " is not a number");
  }
}

Result<std::int64_t> Store::unsynced_count() {
  auto pushed = sync_pushed_seq();
  if (!pushed) return pushed.error();
  return pushable_count(*pushed);
}

Result<std::optional<PersonState>> Store::load_state(const PersonId& id) {
  auto q = db_->prepare("SELECT field, value, hlc, device_id, event_id FROM person_field WHERE person_id = ?1");
  if (!q) return q.error();
  (*q)->bind(1, id);
  PersonState p;
  p.id = id;
  bool any = false;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) {
        any = true;
        p.fields.emplace(r.text(0), FieldValue{r.text(1), Stamp{r.u64(2), r.text(3), r.text(4)}});
      });
      !st)
    return st.error().context("load person");
  if (!any) return std::optional<PersonState>{};
  auto h = db_->prepare("SELECT hidden FROM person WHERE person_id = ?1");
  if (!h) return h.error();
  (*h)->bind(1, id);
  auto row = (*h)->step();
  if (!row) return row.error().context("load person");
  p.hidden = *row && (*h)->i64(0) != 0;
  h->reset();
  return std::optional<PersonState>(std::move(p));
}

Status Store::save_person(const PersonState& p, const std::vector<std::string>& changed_fields) {
  auto f = db_->prepare(
      "INSERT OR REPLACE INTO person_field(person_id, field, value, hlc, device_id, event_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!f) return f.error();
  for (const std::string& name : changed_fields) {
    const FieldValue& v = p.fields.find(name)->second;
    (*f)->bind(1, p.id).bind(2, name).bind(3, v.value).bind(4, v.stamp->hlc).bind(5, v.stamp->device_id).bind(
        6, v.stamp->event_id);
    if (auto st = (*f)->run(); !st) return st.error().context("save person field");
  }
  auto q = db_->prepare(
      "INSERT OR REPLACE INTO person(person_id, household_id, shelter_id, presence, stay, name, reading, sex, birth, "
      "address, phone, needs, needs_other, consent, merged_into, updated_hlc, hidden) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!q) return q.error();
  const PersonInfo info = p.info();
  (*q)->bind(1, p.id)
      .bind(2, p.household_id())
      .bind(3, p.shelter_id())
      .bind(4, to_string(p.presence()))
      .bind(5, to_string(p.stay()))
      .bind(6, info.name)
      .bind(7, info.reading)
      .bind(8, to_string(info.sex))
      .bind(9, to_string(info.birth))
      .bind(10, info.address)
      .bind(11, info.phone)
      .bind(12, static_cast<int>(info.needs))
      .bind(13, info.needs_other)
      .bind(14, info.consent ? 1 : 0)
      .bind(15, p.merged_into())
      .bind(16, p.updated_hlc())
      .bind(17, p.hidden ? 1 : 0);
  return (*q)->run().context("save person");
}

Status Store::adjust_counts(const PersonState* before, const PersonState& after) {
  const CountDelta delta = count_delta(before, after);
  if (delta.empty()) return {};
  const auto& removed = delta.removed;
  const auto& added = delta.added;
  const auto& hh_removed = delta.households_removed;
  const auto& hh_added = delta.households_added;

  auto dec = db_->prepare("UPDATE count_cell SET n = n - 1 WHERE shelter_id = ?1 AND dim = ?2 AND key = ?3 AND n > 1");
  auto del = db_->prepare("DELETE FROM count_cell WHERE shelter_id = ?1 AND dim = ?2 AND key = ?3 AND n = 1");
  auto inc = db_->prepare(
      "INSERT INTO count_cell(shelter_id, dim, key, n) VALUES(?1, ?2, ?3, 1) "
      "ON CONFLICT(shelter_id, dim, key) DO UPDATE SET n = n + 1");
  if (!dec || !del || !inc) return fail(db_->errmsg()).context("adjust counts");
  for (const CountKey& k : removed) {
    (*dec)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
    if (auto st = (*dec)->run(); !st) return st.error().context("adjust counts");
    if (db_->changes() == 0) {
      (*del)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
      if (auto st = (*del)->run(); !st) return st.error().context("adjust counts");
    }
  }
  for (const CountKey& k : added) {
    (*inc)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key);
    if (auto st = (*inc)->run(); !st) return st.error().context("adjust counts");
  }

  auto hdec = db_->prepare(
      "UPDATE household_presence SET n = n - 1 WHERE shelter_id = ?1 AND household_id = ?2 AND n > 1");
  auto hdel = db_->prepare("DELETE FROM household_presence WHERE shelter_id = ?1 AND household_id = ?2 AND n = 1");
  auto hinc = db_->prepare(
      "INSERT INTO household_presence(shelter_id, household_id, n) VALUES(?1, ?2, 1) "
      "ON CONFLICT(shelter_id, household_id) DO UPDATE SET n = n + 1");
  if (!hdec || !hdel || !hinc) return fail(db_->errmsg()).context("adjust household counts");
  for (const HouseholdKey& k : hh_removed) {
    (*hdec)->bind(1, k.shelter_id).bind(2, k.household_id);
    if (auto st = (*hdec)->run(); !st) return st.error().context("adjust household counts");
    if (db_->changes() == 0) {
      (*hdel)->bind(1, k.shelter_id).bind(2, k.household_id);
      if (auto st = (*hdel)->run(); !st) return st.error().context("adjust household counts");
    }
  }
  for (const HouseholdKey& k : hh_added) {
    (*hinc)->bind(1, k.shelter_id).bind(2, k.household_id);
    if (auto st = (*hinc)->run(); !st) return st.error().context("adjust household counts");
  }
  return {};
}

Status Store::project(const Event& e) {
  auto loaded = load_state(e.person_id);
  if (!loaded) return loaded.error();
  std::optional<PersonState> before = std::move(*loaded);
  PersonState after = before ? *before : PersonState{e.person_id, {}, false};
  const std::vector<std::string> changed = after.apply(e);
  return store_state(before, after, changed);
}

// Saves a person's new state, moves the counts, and settles merge
// visibility when merged_into changed.
Status Store::store_state(const std::optional<PersonState>& before, const PersonState& after,
                          const std::vector<std::string>& changed) {
  if (changed.empty()) return {};
  if (auto st = save_person(after, changed); !st) return st;
  if (auto st = adjust_counts(before ? &*before : nullptr, after); !st) return st;
  if (std::find(changed.begin(), changed.end(), field::kMergedInto) != changed.end())
    return settle_merges({after.id});
  return {};
}

// Merge visibility over the persons linked to `changed` (merge_visibility):
// each whose visibility moves is saved and moves the counts.
Status Store::settle_merges(const std::vector<PersonId>& changed) {
  auto into_q = db_->prepare("SELECT merged_into FROM person WHERE person_id = ?1");
  auto from_q = db_->prepare("SELECT person_id FROM person WHERE merged_into = ?1 AND merged_into <> ''");
  if (!into_q || !from_q) return fail(db_->errmsg()).context("settle merges");
  std::optional<Error> failed;
  MergeLinks links;
  links.into = [&](const PersonId& id) -> std::optional<PersonId> {
    (*into_q)->bind(1, id);
    auto row = (*into_q)->step();
    std::optional<PersonId> out;
    if (!row) failed = row.error();
    else if (*row) out = (*into_q)->text(0);
    (*into_q)->reset();
    return out;
  };
  links.sources = [&](const PersonId& id) {
    std::vector<PersonId> out;
    (*from_q)->bind(1, id);
    for (;;) {
      auto row = (*from_q)->step();
      if (!row) failed = row.error();
      if (!row || !*row) break;
      out.push_back((*from_q)->text(0));
    }
    (*from_q)->reset();
    return out;
  };
  const auto visibility = merge_visibility(changed, links);
  if (failed) return failed->context("settle merges");
  for (const auto& [id, hidden] : visibility) {
    auto state = load_state(id);
    if (!state) return state.error().context("settle merges");
    if (!state->has_value() || (*state)->hidden == hidden) continue;
    PersonState after = **state;
    after.hidden = hidden;
    if (auto st = save_person(after, {}); !st) return st.error().context("settle merges");
    if (auto st = adjust_counts(&**state, after); !st) return st.error().context("settle merges");
  }
  return {};
}

Status Store::refold_person(const PersonId& id) {
  auto before = load_state(id);
  if (!before) return before.error().context("refold person");
  auto events = person_events(id);
  if (!events) return events.error().context("refold person");
  auto refused = db_->prepare(
      "SELECT r.id FROM refused_event r JOIN event e ON e.id = r.id WHERE e.person_id = ?1");
  if (!refused) return refused.error().context("refold person");
  (*refused)->bind(1, id);
  std::set<std::string> left_out;
  if (auto st = (*refused)->each_row([&](sql::Stmt& r) { left_out.insert(r.text(0)); }); !st)
    return st.error().context("refold person");
  refused->reset();
  PersonState after{id, {}, before->has_value() && (*before)->hidden};
  for (const Event& e : *events)
    if (!left_out.count(e.id)) after.apply(e, nullptr);
  std::vector<std::string> changed;
  for (const auto& [name, v] : after.fields) changed.push_back(name);
  const bool merge_moved = !before->has_value() || (*before)->merged_into() != after.merged_into();
  if (!merge_moved && before->has_value()) after.hidden = (*before)->hidden;
  // Fields only the events left out had written go (the person row too,
  // when none is left): the state is exactly the fold.
  auto drop = db_->prepare("DELETE FROM person_field WHERE person_id = ?1");
  auto drop_row = db_->prepare("DELETE FROM person WHERE person_id = ?1");
  if (!drop || !drop_row) return fail(db_->errmsg()).context("refold person");
  if (auto st = (*drop)->bind(1, id).run(); !st) return st.error().context("refold person");
  if (after.fields.empty()) {
    if (auto st = (*drop_row)->bind(1, id).run(); !st) return st.error().context("refold person");
    return adjust_counts(before->has_value() ? &**before : nullptr, after).context("refold person");
  }
  if (auto st = save_person(after, changed); !st) return st.error().context("refold person");
  if (auto st = adjust_counts(before->has_value() ? &**before : nullptr, after); !st) return st.error().context("refold person");
  if (merge_moved) return settle_merges({id});
  return {};
}

PersonRecord Store::read_person_row(sql::Stmt& s) {
  PersonRecord r;
  r.id = s.text(0);
  r.household_id = s.text(1);
  r.shelter_id = s.text(2);
  r.presence = parse_presence(s.text(3)).value_or(Presence::None);
  r.stay = parse_stay(s.text(4)).value_or(StayType::Shelter);
  r.info.name = s.text(5);
  r.info.reading = s.text(6);
  r.info.sex = parse_sex(s.text(7)).value_or(Sex::Unknown);
  r.info.birth = parse_birth(s.text(8)).value_or(BirthDate{});
  r.info.address = s.text(9);
  r.info.phone = s.text(10);
  r.info.needs = static_cast<std::uint16_t>(s.i64(11));
  r.info.needs_other = s.text(12);
  r.info.consent = s.i64(13) != 0;
  r.merged_into = s.text(14);
  r.updated_hlc = s.u64(15);
  return r;
}

static constexpr const char* kPersonColumns =
    "person_id, household_id, shelter_id, presence, stay, name, reading, sex, birth, address, phone, needs, "
    "needs_other, consent, merged_into, updated_hlc";

Result<std::optional<PersonRecord>> Store::person(const PersonId& id) {
  auto q = db_->prepare(std::string("SELECT ") + kPersonColumns + " FROM person WHERE person_id = ?1");
  if (!q) return q.error().context("read person");
  (*q)->bind(1, id);
  auto row = (*q)->step();
  if (!row) return row.error().context("read person");
  if (!*row) return std::optional<PersonRecord>{};
  return std::optional<PersonRecord>(read_person_row(**q));
}

Result<std::vector<PersonRecord>> Store::persons(const PersonQuery& query) {
  auto q = db_->prepare(std::string("SELECT ") + kPersonColumns +
                        " FROM person WHERE (?1 = '' OR shelter_id = ?1) AND (?2 = '*' OR presence = ?2)"
                        " AND (?3 = '' OR instr(name, ?3) > 0 OR instr(reading, ?3) > 0)"
                        " AND (?4 OR hidden = 0) ORDER BY reading, name, person_id LIMIT ?5");
  if (!q) return q.error().context("list persons");
  (*q)->bind(1, query.shelter_id)
      .bind(2, query.presence ? std::string(to_string(*query.presence)) : std::string("*"))
      .bind(3, query.text)
      .bind(4, query.include_merged ? 1 : 0)
      .bind(5, query.limit);
  std::vector<PersonRecord> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(read_person_row(r)); }); !st)
    return st.error().context("list persons");
  return out;
}

Result<std::vector<PersonId>> Store::person_ids_with_prefix(const std::string& prefix, int limit) {
  auto q = db_->prepare(
      "SELECT person_id FROM person WHERE substr(person_id, 1, length(?1)) = ?1 ORDER BY person_id LIMIT ?2");
  if (!q) return q.error().context("find person");
  (*q)->bind(1, prefix).bind(2, limit);
  std::vector<PersonId> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(r.text(0)); }); !st)
    return st.error().context("find person");
  return out;
}

Result<ShelterCounts> Store::counts(const std::string& shelter_id, const BirthDate& today) {
  ShelterCounts c;
  c.shelter_id = shelter_id;
  auto q = db_->prepare("SELECT dim, key, n FROM count_cell WHERE shelter_id = ?1");
  if (!q) return q.error().context("read counts");
  (*q)->bind(1, shelter_id);
  if (auto st = (*q)->each_row(
          [&](sql::Stmt& r) { add_count_cell(c, r.text(0), r.text(1), static_cast<int>(r.i64(2)), today); });
      !st)
    return st.error().context("read counts");
  auto h = db_->prepare("SELECT count(*) FROM household_presence WHERE shelter_id = ?1");
  if (!h) return h.error().context("read counts");
  (*h)->bind(1, shelter_id);
  if (auto r = (*h)->step(); !r) return r.error().context("read counts");
  c.households = static_cast<int>((*h)->i64(0));
  return c;
}

Result<std::vector<std::string>> Store::shelters_with_counts() {
  auto q = db_->prepare("SELECT DISTINCT shelter_id FROM count_cell ORDER BY shelter_id");
  if (!q) return q.error().context("list shelters");
  std::vector<std::string> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back(r.text(0)); }); !st)
    return st.error().context("list shelters");
  return out;
}

Result<std::vector<Event>> Store::person_events(const PersonId& id) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE person_id = ?1 ORDER BY hlc, device_id, id");
  if (!q) return q.error().context("read audit trail");
  (*q)->bind(1, id);
  std::vector<Event> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        out.push_back(std::move(e).value());
        return {};
      });
      !st)
    return st.error().context("read audit trail");
  return out;
}

namespace {
// Rows of kEventColumns with their log position, for the log readers below.
Result<std::vector<std::pair<std::int64_t, Event>>> read_positioned_events(sql::Stmt& q, const char* what) {
  std::vector<std::pair<std::int64_t, Event>> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error().context(what);
    if (!*row) break;
    auto e = read_event(q);
    if (!e) return e.error().context(what);
    out.emplace_back(q.i64(0), std::move(e).value());
  }
  return out;
}
}  // namespace

Result<std::vector<std::pair<std::int64_t, Event>>> Store::events_after(std::int64_t after_seq, int limit) {
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns + " FROM event WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!q) return q.error().context("read events");
  (*q)->bind(1, after_seq).bind(2, limit);
  return read_positioned_events(**q, "read events");
}

// Persons linked by merges, both ways (merged events name the other record
// in body.into; an undo names ""). Merges are rare: a small set.
static constexpr const char* kMergeEdges =
    "edges(x, y) AS (SELECT person_id, json_extract(body, '$.into') FROM event WHERE type = 'merged' "
    "AND json_extract(body, '$.into') <> '' UNION ALL SELECT json_extract(body, '$.into'), person_id FROM event "
    "WHERE type = 'merged' AND json_extract(body, '$.into') <> '')";

Result<std::vector<std::pair<std::int64_t, Event>>> Store::shelter_feed_after(const std::string& shelter_id,
                                                                             std::int64_t after_seq, int limit) {
  // A shelter needs its own events and every later event about a person who
  // was ever there (a move to shelter B must reach shelter A's kiosks), and
  // about the persons merged with them, wherever those were: which record of
  // a merge chain stays visible depends on every merge in it
  // (merge_visibility), so every node that counts one of them must know all.
  auto q = db_->prepare(std::string("WITH RECURSIVE ") + kMergeEdges +
                        ", linked(p) AS (SELECT y FROM edges WHERE x IN (SELECT person_id FROM event WHERE "
                        "shelter_id = ?2) UNION SELECT e.y FROM edges e JOIN linked l ON e.x = l.p) "
                        "SELECT " + kEventColumns +
                        " FROM event WHERE seq > ?1 AND (shelter_id = ?2 OR person_id IN "
                        "(SELECT person_id FROM event WHERE shelter_id = ?2) OR person_id IN linked) ORDER BY seq "
                        "LIMIT ?3");
  if (!q) return q.error().context("read shelter feed");
  (*q)->bind(1, after_seq).bind(2, shelter_id).bind(3, limit);
  return read_positioned_events(**q, "read shelter feed");
}

Result<std::vector<std::pair<std::int64_t, Event>>> Store::feed_backfill(const std::string& shelter_id,
                                                                        std::int64_t after_seq,
                                                                        const std::vector<PersonId>& persons) {
  // The persons of the page and those merged with them (a merge in the page
  // can link in a person whose events all lie before the cursor).
  auto q = db_->prepare(std::string("WITH RECURSIVE ") + kMergeEdges +
                        ", linked(p) AS (SELECT value FROM json_each(?3) UNION SELECT e.y FROM edges e JOIN linked l "
                        "ON e.x = l.p) SELECT " + kEventColumns +
                        " FROM event e WHERE e.seq <= ?2 AND e.person_id IN linked"
                        " AND NOT EXISTS (SELECT 1 FROM event f WHERE f.person_id = e.person_id AND f.shelter_id = ?1"
                        " AND f.seq <= ?2) ORDER BY e.seq");
  if (!q) return q.error().context("read feed backfill");
  (*q)->bind(1, shelter_id).bind(2, after_seq).bind(3, nlohmann::json(persons).dump());
  return read_positioned_events(**q, "read feed backfill");
}

Result<std::int64_t> Store::event_count() {
  auto q = db_->prepare("SELECT count(*) FROM event");
  if (!q) return q.error();
  if (auto r = (*q)->step(); !r) return r.error().context("count events");
  return (*q)->i64(0);
}

Result<std::vector<DuplicatePair>> Store::possible_duplicates() {
  auto q = db_->prepare(
      "SELECT a.person_id, b.person_id FROM person a JOIN person b"
      " ON a.reading = b.reading AND a.birth = b.birth AND a.person_id < b.person_id"
      " WHERE a.reading <> '' AND a.birth <> '' AND a.hidden = 0 AND b.hidden = 0"
      " ORDER BY a.person_id, b.person_id");
  if (!q) return q.error().context("find duplicates");
  std::vector<DuplicatePair> out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) { out.push_back({r.text(0), r.text(1)}); }); !st)
    return st.error().context("find duplicates");
  return out;
}

Status Store::rebuild_projections() {
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("rebuild projections");
  if (auto st = rebuild_locked(); !st) return st.error().context("rebuild projections");
  return (*tx)->commit().context("rebuild projections");
}

Status Store::rebuild_locked() {
  if (auto st = db_->exec("DELETE FROM person_field; DELETE FROM person; DELETE FROM count_cell;"
                          " DELETE FROM household_presence;");
      !st)
    return st;
  // Fold one person at a time (the log sorted by person), so memory stays
  // bounded by the largest person's history, not by the log. Persons merged
  // into someone are counted at the end, once every merge is known
  // (merge_visibility); there are few of them.
  // Own events the server refused are not folded (note_refused).
  auto q = db_->prepare(std::string("SELECT ") + kEventColumns +
                        " FROM event WHERE id NOT IN (SELECT id FROM refused_event) ORDER BY person_id");
  if (!q) return q.error();
  std::map<CountKey, int> counts;
  std::map<HouseholdKey, int> households;
  std::map<PersonId, PersonState> merged;
  std::optional<PersonState> current;
  std::vector<std::string> all_fields;
  auto count = [&](const PersonState& p) {
    for (auto& k : count_contributions(p)) ++counts[k];
    for (auto& k : household_contributions(p)) ++households[k];
  };
  auto flush = [&]() -> Status {
    if (!current) return {};
    all_fields.clear();
    for (const auto& [name, v] : current->fields) all_fields.push_back(name);
    if (auto st = save_person(*current, all_fields); !st) return st;
    if (current->merged_into().empty())
      count(*current);
    else
      merged.emplace(current->id, std::move(*current));
    current.reset();
    return {};
  };
  if (auto st = (*q)->each_row([&](sql::Stmt& r) -> Status {
        auto e = read_event(r);
        if (!e) return e.error();
        if (current && current->id != e->person_id) {
          if (auto st = flush(); !st) return st;
        }
        if (!current) current = PersonState{e->person_id, {}, false};
        (void)current->apply(*e);
        return {};
      });
      !st)
    return st.error();
  if (auto st = flush(); !st) return st;
  q->reset();
  if (!merged.empty()) {
    MergeLinks links;
    links.into = [&](const PersonId& id) -> std::optional<PersonId> {
      auto it = merged.find(id);
      if (it != merged.end()) return it->second.merged_into();
      auto known = person(id);
      if (!known || !known->has_value()) return std::nullopt;
      return (*known)->merged_into;
    };
    links.sources = [&](const PersonId&) { return std::vector<PersonId>{}; };  // every merged person is a start
    std::vector<PersonId> starts;
    for (const auto& [id, p] : merged) starts.push_back(id);
    const auto visibility = merge_visibility(starts, links);
    for (auto& [id, p] : merged) {
      auto v = visibility.find(id);
      p.hidden = v == visibility.end() || v->second;
      if (auto st = save_person(p, {}); !st) return st;
      count(p);
    }
  }
  auto ins = db_->prepare("INSERT INTO count_cell(shelter_id, dim, key, n) VALUES(?1, ?2, ?3, ?4)");
  if (!ins) return ins.error();
  for (const auto& [k, n] : counts) {
    (*ins)->bind(1, k.shelter_id).bind(2, k.dim).bind(3, k.key).bind(4, n);
    if (auto st = (*ins)->run(); !st) return st;
  }
  auto hins = db_->prepare("INSERT INTO household_presence(shelter_id, household_id, n) VALUES(?1, ?2, ?3)");
  if (!hins) return hins.error();
  for (const auto& [k, n] : households) {
    (*hins)->bind(1, k.shelter_id).bind(2, k.household_id).bind(3, n);
    if (auto st = (*hins)->run(); !st) return st;
  }
  return {};
}

Result<std::string> Store::projection_dump() {
  static constexpr const char* kQueries[] = {
      "SELECT 'person_field', person_id, field, value, hlc, device_id, event_id FROM person_field "
      "ORDER BY person_id, field",
      "SELECT 'person', * FROM person ORDER BY person_id",
      "SELECT 'count_cell', * FROM count_cell ORDER BY shelter_id, dim, key",
      "SELECT 'household_presence', * FROM household_presence ORDER BY shelter_id, household_id",
  };
  std::string out;
  for (const char* sql_text : kQueries) {
    auto q = db_->prepare(sql_text);
    if (!q) return q.error().context("dump projections");
    if (auto st = (*q)->each_row([&](sql::Stmt& r) {
          for (int c = 0; c < r.columns(); ++c) {
            if (c) out += '|';
            out += r.text(c);
          }
          out += '\n';
        });
        !st)
      return st.error().context("dump projections");
  }
  return out;
}

Result<std::string> Store::integrity_check() {
  auto q = db_->prepare("PRAGMA integrity_check");
  if (!q) return q.error().context("integrity check");
  std::string out;
  if (auto st = (*q)->each_row([&](sql::Stmt& r) {
        if (!out.empty()) out += '\n';
        out += r.text(0);
      });
      !st)
    return st.error().context("integrity check");
  return out;
}

}  // namespace shelter
