// Sync benchmarks, printing figures:
//  - wire bytes per arrival event (a push batch of 500, JSON, gzip as sent);
//  - server merge rate without HTTP (ServerStore::push, SQLite);
//  - catch-up of a kiosk with N unsynced events through the real daemon code
//    and the real server on loopback (HTTP, gzip, JSON, both SQLite files).
//  - with --pg URL: the server's merge rate on PostgreSQL, side by side with
//    a raw COPY of the same rows into a bare table and into a table indexed
//    like the server's event table (goal: within 3x).
// usage: bench_sync [--events N] [--pg URL]   (default 100000 events);
//        for PostgreSQL: tests/bench/bench_sync_pg.sh
#include <pqxx/pqxx>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/store.hpp"
#include "sync/daemon/syncer.hpp"
#include "sync/protocol.hpp"
#include "sync/server/server.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double secs(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "bench_sync: %s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

std::vector<Event> arrivals(const std::string& device, const std::string& shelter, int n, int first = 0) {
  std::vector<Event> out;
  Hlc hlc = make_hlc(1'780'000'000'000, 0);
  for (int i = first; i < first + n; ++i) {
    Event e;
    e.type = EventType::Arrived;
    e.hlc = hlc + (static_cast<Hlc>(i) << 16);
    e.device_id = device;
    e.device_seq = i + 1;
    e.id = make_event_id(device, e.hlc);
    e.shelter_id = shelter;
    e.author = "self";
    e.person_id = new_id();
    e.household_id = new_id();
    PersonInfo p;
    p.name = "髙橋 太郎" + std::to_string(i % 1000);
    p.reading = "タカハシ タロウ";
    p.sex = i % 2 ? Sex::Male : Sex::Female;
    p.birth = *parse_birth(std::to_string(1930 + i % 90) + "-04-01");
    p.needs = static_cast<std::uint16_t>(i % 5 == 0 ? kNeedCare : 0);
    e.body = person_body(p);
    e.body["stay"] = "shelter";
    out.push_back(std::move(e));
  }
  return out;
}

// Pushes `events` to `store` in batches of 2000, as the daemon would.
void push_all(sync::ServerStore& store, const std::string& device, const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); i += 2000) {
    sync::PushRequest req;
    req.device_id = device;
    req.events.assign(events.begin() + static_cast<std::ptrdiff_t>(i),
                      events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + 2000)));
    if (auto r = store.push(req); !r) die("push", r.error());
  }
}

size_t gzip_size(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, s.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  const size_t n = z.total_out;
  deflateEnd(&z);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int n = 100000;
  std::string pg;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--events") n = std::max(100, std::atoi(argv[i + 1]));
    if (std::string(argv[i]) == "--pg") pg = argv[i + 1];
  }
  if (!pg.empty()) {
    auto st = sync::open_pg_server_store(pg);
    if (!st) die("PostgreSQL", st.error());
    auto events = arrivals("tama-09-a", "tama-09", n);
    auto t0 = Clock::now();
    push_all(**st, "tama-09-a", events);
    const double merge = secs(t0);
    std::printf("server merge, PostgreSQL, no HTTP (batches of 2000): %d events in %.1f s = %.0f events/s\n", n, merge,
                n / merge);
    try {
      pqxx::connection c(pg);
      // Two baselines: a bare table with only a primary key, and a table
      // shaped and indexed like the server's event table (what storing the
      // rows at all costs, before any merge).
      const char* tables[][2] = {
          {"copy_bare", "CREATE TABLE copy_bare(id TEXT PRIMARY KEY, pos BIGINT, type TEXT, person_id TEXT, "
                        "household_id TEXT, shelter_id TEXT, device_id TEXT, device_seq BIGINT, author TEXT, "
                        "hlc BIGINT, body TEXT)"},
          {"copy_indexed", "CREATE TABLE copy_indexed (LIKE event INCLUDING ALL); "
                           "CREATE INDEX ON copy_indexed(shelter_id, pos); CREATE INDEX ON copy_indexed(person_id)"}};
      int round = 0;
      for (const auto& [table, ddl] : tables) {
        {
          pqxx::work w(c);
          w.exec(std::string("DROP TABLE IF EXISTS ") + table + "; " + ddl);
          w.commit();
        }
        const std::string device = "tama-0" + std::to_string(++round) + "-a";
        auto copy_events = arrivals(device, "tama-0" + std::to_string(round), n);
        t0 = Clock::now();
        pqxx::work w(c);
        pqxx::stream_to copy(w, table);
        std::int64_t pos = 0;
        for (const auto& e : copy_events)
          copy << std::make_tuple(e.id, ++pos, std::string(to_string(e.type)), e.person_id, e.household_id,
                                  e.shelter_id, e.device_id, e.device_seq, e.author, static_cast<std::int64_t>(e.hlc),
                                  e.body.dump());
        copy.complete();
        w.commit();
        const double raw = secs(t0);
        std::printf("raw PostgreSQL COPY of the same rows into %s: %.2f s = %.0f rows/s; the merge takes %.1fx\n",
                    table, raw, n / raw, merge / raw);
      }
    } catch (const std::exception& e) {
      die("COPY", fail(e.what()));
    }
    return 0;
  }

  const fs::path dir = fs::temp_directory_path() / "shelter-bench-sync";
  fs::remove_all(dir);
  fs::create_directories(dir);

  {
    sync::PushRequest req;
    req.device_id = "tama-01-a";
    req.events = arrivals("tama-01-a", "tama-01", 500);
    const std::string body = sync::encode(req);
    std::printf("wire bytes per arrival (batch of 500): %.0f B JSON, %.0f B gzip as sent\n",
                static_cast<double>(body.size()) / 500, static_cast<double>(gzip_size(body)) / 500);
  }
  {
    auto st = sync::open_sqlite_server_store((dir / "direct.db").string());
    if (!st) die("server store", st.error());
    auto events = arrivals("tama-01-a", "tama-01", n);
    auto t0 = Clock::now();
    push_all(**st, "tama-01-a", events);
    const double t = secs(t0);
    std::printf("server merge, SQLite, no HTTP (batches of 2000): %d events in %.1f s = %.0f events/s\n", n, t, n / t);
  }
  {
    // The kiosk: n own events not yet pushed.
    auto kiosk = Store::open((dir / "kiosk.db").string());
    if (!kiosk || !(*kiosk)->init_identity("tama-01", "tama-01-a", "Bench").ok()) die("kiosk", fail("open"));
    auto events = arrivals("tama-01-a", "tama-01", n);
    for (size_t i = 0; i < events.size(); i += 5000) {
      std::vector<Event> b(events.begin() + static_cast<std::ptrdiff_t>(i),
                           events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + 5000)));
      if (auto r = (*kiosk)->apply_remote(b); !r) die("fill kiosk", r.error());
    }
    auto server_store = sync::open_sqlite_server_store((dir / "server.db").string());
    if (!server_store) die("server store", server_store.error());
    auto code = (*server_store)->create_enrolment("tama-01", "tama-01-a", 1);
    if (!code) die("code", code.error());
    sync::Server server(**server_store, {"127.0.0.1", 0, ""});
    std::thread serving([&] { (void)server.run(); });
    while (server.port() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sync::SyncOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(server.port());
    o.batch = 2000;
    sync::Syncer syncer(**kiosk, o);
    if (auto st = syncer.enrol(*code); !st) die("enrol", st.error());
    auto t0 = Clock::now();
    auto r = syncer.sync_once();
    const double t = secs(t0);
    if (!r) die("sync", r.error());
    std::printf("kiosk catch-up over loopback HTTP (%d unsynced events, batches of 2000): %.1f s = %.0f events/s; "
                "sent %d\n",
                n, t, n / t, r->pushed);
    server.stop();
    serving.join();
  }
  fs::remove_all(dir);
  return 0;
}
