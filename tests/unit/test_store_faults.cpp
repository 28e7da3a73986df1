// SQLite's own way of testing failure: a VFS shim between SQLite and the
// real file system fails every write, sync or truncate from the Nth on (a
// disk that fills up, a failing card), for every N a check-in needs. Each
// time the check-in must report an error and leave either the whole
// household or none of it; what was acknowledged before must still be
// there; and once the fault clears, the same open store records again.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "core/store.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;

namespace {

std::atomic<long> g_budget{-1};  // writes left before failing; -1: no fault
std::atomic<bool> g_tripped{false};
int g_error = SQLITE_FULL;
sqlite3_vfs* g_real = nullptr;

struct FaultFile {
  sqlite3_file base;   // pMethods = &kFaultMethods
  sqlite3_file* real;  // the real VFS's file, allocated right after this struct
};

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<FaultFile*>(f)->real;
}

// True when this write must fail (and keeps failing: a full disk stays full).
bool fault_now() {
  long left = g_budget.load();
  while (left > 0 && !g_budget.compare_exchange_weak(left, left - 1)) {
  }
  if (left != 0) return false;
  g_tripped = true;
  return true;
}

int f_close(sqlite3_file* f) {
  return real_of(f)->pMethods->xClose(real_of(f));
}
int f_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int f_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (fault_now()) return g_error == SQLITE_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int f_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (fault_now()) return SQLITE_IOERR_TRUNCATE;
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int f_sync(sqlite3_file* f, int flags) {
  if (fault_now()) return SQLITE_IOERR_FSYNC;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int f_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int f_lock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int f_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int f_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int f_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int f_sector(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int f_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int f_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** p) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
}
int f_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void f_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int f_shm_unmap(sqlite3_file* f, int del) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
int f_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, n, p);
}
int f_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

const sqlite3_io_methods kFaultMethods = {
    3,         f_close,  f_read,   f_write,   f_truncate, f_sync,        f_size,      f_lock,  f_unlock, f_reserved,
    f_control, f_sector, f_device, f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch, f_unfetch};

int f_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  ff->base.pMethods = nullptr;
  const int rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
  if (rc == SQLITE_OK && ff->real->pMethods) ff->base.pMethods = &kFaultMethods;
  return rc;
}

// Installs the shim as the default VFS for as long as it lives.
struct FaultVfs {
  sqlite3_vfs vfs{};
  FaultVfs() {
    g_real = sqlite3_vfs_find(nullptr);
    vfs = *g_real;
    vfs.zName = "shelter-fault";
    vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
    vfs.xOpen = f_open;
    vfs.pNext = nullptr;
    sqlite3_vfs_register(&vfs, 1);
  }
  ~FaultVfs() {
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(g_real, 1);
  }
};

NewEvent arrival(const PersonId& person, const HouseholdId& household, const std::string& name) {
  PersonInfo info;
  info.name = name;
  info.sex = Sex::Female;
  info.birth = *parse_birth("1980");
  NewEvent e;
  e.person_id = person;
  e.household_id = household;
  e.body = person_body(info);
  return e;
}

bool present(Store& store, const PersonId& id) {
  auto p = store.person(id);
  REQUIRE(p.ok());
  return p->has_value();
}

}  // namespace

TEST_CASE("a full disk or I/O error at every write of a check-in: an error, never a lost or half household",
          "[store][faults]") {
  for (const int error : {SQLITE_FULL, SQLITE_IOERR}) {
    int faults_seen = 0, full_messages = 0;
    for (long budget = 0; budget < 400; ++budget) {
      CAPTURE(error, budget);
      TempDir dir;
      const std::string path = dir.file("kiosk.db");
      const PersonId before = new_id(), a = new_id(), b = new_id(), after = new_id();
      bool ok = false;
      {
        FaultVfs shim;
        g_error = error;
        g_budget = -1;
        g_tripped = false;
        auto opened = Store::open(path);
        REQUIRE(opened.ok());
        Store& store = **opened;
        REQUIRE(store.init_identity("tama-01", "tama-01-a", "Tama").ok());
        REQUIRE(store.record(arrival(before, new_id(), "Before")).ok());

        g_budget = budget;
        const HouseholdId h = new_id();
        auto r = store.record({arrival(a, h, "First"), arrival(b, h, "Second")});
        ok = r.ok();
        const bool tripped = g_tripped;
        if (!ok) {
          CHECK(tripped);
          CHECK(!r.error().message.empty());
          if (r.error().message.find("full") != std::string::npos) ++full_messages;
          UNSCOPED_INFO(r.error().message);
          ++faults_seen;
        }
        g_budget = -1;  // the card is swapped, space is freed: the same store goes on
        auto next = store.record(arrival(after, new_id(), "After"));
        INFO((next.ok() ? std::string() : next.error().message));
        CHECK(next.ok());
        if (!tripped) {  // this check-in needed fewer writes than the budget: every point is covered
          REQUIRE(ok);
          break;
        }
      }
      auto reopened = Store::open(path);  // the real file system, as after a restart
      REQUIRE(reopened.ok());
      Store& store = **reopened;
      CHECK(store.integrity_check().value() == "ok");
      CHECK(present(store, before));
      CHECK(present(store, after));
      CHECK(present(store, a) == present(store, b));  // the household whole or not at all
      if (ok) CHECK(present(store, a));
      auto c = store.counts("tama-01");
      REQUIRE(c.ok());
      CHECK(c->present == 2 + (present(store, a) ? 2 : 0));  // the projection matches the log
    }
    CHECK(faults_seen > 3);                              // the loop really hit the writes of a check-in
    if (error == SQLITE_FULL) CHECK(full_messages > 0);  // a failed write says the disk is full
  }
}
