// Sync benchmarks, printing figures:
//  - wire bytes per arrival event (a push batch of 500, JSON, gzip as sent);
//  - server merge rate without HTTP (ServerStore::push, SQLite);
//  - transfers (a fifth of the persons arriving again at another shelter):
//    storing them, and headquarters' list of them (SQLite, and PostgreSQL);
//  - catch-up of a kiosk with N unsynced events through the real daemon code
//    and the real server on loopback (HTTP, gzip, JSON, both SQLite files).
//  - with --pg URL: the server's merge rate on PostgreSQL, side by side with
//    a raw COPY of the same rows into a bare table and into a table indexed
//    like the server's event table (goal: within 3x).
// usage: bench_sync [--events N] [--pg URL [--rounds R]]   (default 100000 events, 3 rounds);
//        for PostgreSQL: tests/bench/bench_sync_pg.sh
#include <zlib.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "core/store.hpp"
#include "sync/daemon/syncer.hpp"
#include "sync/protocol.hpp"
#include "sync/server/pg/copy.hpp"
#include "sync/server/server.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double secs(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "bench_sync: %s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

// n arrivals. household_size 1: each person a household of their own (the
// projections' worst case: a new person and a new household per event);
// 0: households of 1, 2, 3 and 4 members in turn, as card check-ins come.
std::vector<Event> arrivals(const std::string& device, const std::string& shelter, int n, int first = 0,
                            int household_size = 1) {
  std::vector<Event> out;
  std::string household;
  int members_left = 0, next_size = 0;
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
    if (members_left == 0) {
      household = new_id();
      members_left = household_size ? household_size : 1 + next_size++ % 4;
    }
    --members_left;
    e.household_id = household;
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

// `events` in push requests of 2000, the most a daemon sends at once.
std::vector<sync::PushRequest> batches(const std::string& device, const std::vector<Event>& events) {
  std::vector<sync::PushRequest> out;
  for (size_t i = 0; i < events.size(); i += 2000) {
    sync::PushRequest& req = out.emplace_back();
    req.device_id = device;
    req.events.assign(events.begin() + static_cast<std::ptrdiff_t>(i),
                      events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + 2000)));
  }
  return out;
}

void push_all(sync::ServerStore& store, const std::vector<sync::PushRequest>& requests) {
  for (const auto& req : requests)
    if (auto r = store.push(req, system_millis()); !r) die("push", r.error());
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

// Transfers (ServerStore::transfers, read from the log at each call): a
// fifth of the persons of `arrived` arrive again at another shelter; times
// storing those arrivals, then headquarters' list of all transfers and of
// the latest 1000 (a `since` near now, as the dashboard asks).
void bench_transfers(sync::ServerStore& store, const std::vector<Event>& arrived, const char* backend) {
  std::vector<Event> moves;
  const size_t count = arrived.size() / 5;
  const Hlc after = arrived.back().hlc;
  for (size_t i = 0; i < count; ++i) {
    Event e = arrived[i];
    e.hlc = after + (static_cast<Hlc>(i + 1) << 16);
    e.device_id = "tama-08-a";
    e.device_seq = static_cast<std::int64_t>(i + 1);
    e.id = make_event_id(e.device_id, e.hlc);
    e.shelter_id = "tama-08";
    e.body = {{"stay", "shelter"}};
    moves.push_back(std::move(e));
  }
  auto t0 = Clock::now();
  push_all(store, batches("tama-08-a", moves));
  const double push_s = secs(t0);
  t0 = Clock::now();
  auto all = store.transfers(0);
  const double all_ms = secs(t0) * 1000;
  const std::int64_t since = hlc_millis(moves[count > 1000 ? count - 1000 : 0].hlc);
  t0 = Clock::now();
  auto recent = store.transfers(since);
  const double recent_ms = secs(t0) * 1000;
  if (!all || !recent) die("transfers", (!all ? all : recent).error());
  std::printf(
      "transfers, %s, %zu events: %zu arrivals at another shelter stored in %.2f s; all %zu transfers listed in "
      "%.0f ms, the latest %zu (since a time) in %.1f ms\n",
      backend, arrived.size() + count, count, push_s, all->size(), all_ms, recent->size(), recent_ms);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The server's merge on PostgreSQL next to a raw COPY of the very same rows,
// `rounds` times (this machine is shared, so single runs wander): each round
// starts from empty tables and a checkpoint, so neither side pays for the
// other's writes.
int bench_pg(const std::string& url, int n, int rounds) {
  auto st = sync::open_pg_server_store(url);
  if (!st) die("PostgreSQL", st.error());
  const auto events = arrivals("tama-09-a", "tama-09", n);
  const auto requests = batches("tama-09-a", events);
  const auto family_requests = batches("tama-09-a", arrivals("tama-09-a", "tama-09", n, 0, 0));
  try {
    pqxx::connection c(url);
    auto sql = [&](const std::string& q) { return pqxx::nontransaction(c).exec(q); };
    // WAL written, per event: what the commits have to wait for.
    auto wal_lsn = [&] { return sql("SELECT pg_current_wal_insert_lsn()::text")[0][0].as<std::string>(); };
    auto wal_per_event = [&](const std::string& since) {
      return sql("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '" + since + "')")[0][0].as<double>() / n;
    };
    // Baselines: a bare table with only a primary key, and one shaped and
    // indexed exactly like the server's event table (INCLUDING ALL copies
    // each of its indexes): what storing the rows at all costs.
    const std::pair<const char*, const char*> tables[] = {
        {"copy_bare",
         "CREATE TABLE copy_bare(id TEXT PRIMARY KEY, pos BIGINT, type TEXT, person_id TEXT, "
         "household_id TEXT, shelter_id TEXT, device_id TEXT, device_seq BIGINT, author TEXT, "
         "hlc BIGINT, body TEXT, clamp BIGINT)"},
        {"copy_indexed", "CREATE TABLE copy_indexed (LIKE event INCLUDING ALL)"}};
    std::vector<double> merges, family_merges, bare, indexed;
    auto merge = [&](const std::vector<sync::PushRequest>& batch_list, const char* what, std::vector<double>& times,
                     int round) {
      sql("TRUNCATE event, person, count_cell, device_status, refused_event; UPDATE feed_counter SET n = 0");
      sql("CHECKPOINT");
      const std::string lsn = wal_lsn();
      auto t0 = Clock::now();
      const std::clock_t cpu0 = std::clock();
      push_all(**st, batch_list);
      times.push_back(secs(t0));
      const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
      std::printf(
          "round %d: merge %d events, %s, in %.2f s = %.0f events/s (%.2f s of this process's CPU), %.0f B "
          "of WAL per event\n",
          round, n, what, times.back(), n / times.back(), cpu, wal_per_event(lsn));
      // Households are counted when asked (pg/store.cpp): what headquarters'
      // counts cost with all n persons present at the one shelter.
      sql("VACUUM ANALYZE person");
      t0 = Clock::now();
      auto counts = (*st)->counts("");
      if (!counts) die("counts", counts.error());
      std::printf("round %d: headquarters' counts after it, %s present at one shelter: %.1f ms\n", round,
                  std::to_string(counts->at(0).present).c_str(), secs(t0) * 1000);
    };
    for (int round = 1; round <= rounds; ++round) {
      merge(requests, "each a household of one", merges, round);
      sql("ANALYZE event");
      bench_transfers(**st, events, "PostgreSQL");
      merge(family_requests, "households of 1-4", family_merges, round);
      for (const auto& [table, ddl] : tables) {
        sql(std::string("DROP TABLE IF EXISTS ") + table + "; " + ddl);
        sql("CHECKPOINT");
        const std::string lsn = wal_lsn();
        const auto t0 = Clock::now();
        // The same rows, written the way the server writes them.
        pqxx::work w(c);
        sync::CopyStream copy(w, table);
        std::int64_t pos = 0;
        for (const auto& e : events) {
          sync::event_row(copy.rows(), e, ++pos);
          copy.end_row();
        }
        copy.complete();
        w.commit();
        const double raw = secs(t0);
        (table == std::string("copy_bare") ? bare : indexed).push_back(raw);
        std::printf("round %d: raw COPY of the same rows into %s: %.2f s = %.0f rows/s, %.0f B of WAL per row\n", round,
                    table, raw, n / raw, wal_per_event(lsn));
      }
    }
    const double worst = median(merges), family = median(family_merges), copy = median(indexed);
    std::printf(
        "server merge, PostgreSQL, no HTTP (batches of 2000), median of %d rounds: %.2f s = %.0f events/s "
        "with each arrival a household of one, %.2f s = %.0f events/s with households of 1-4\n",
        rounds, worst, n / worst, family, n / family);
    std::printf(
        "raw COPY of the same rows into a table indexed like event: median %.2f s; the merge takes %.1fx "
        "(households of one) and %.1fx (households of 1-4); goal: within 3x\n",
        copy, worst / copy, family / copy);
    std::printf("raw COPY into a bare table (primary key only): median %.2f s; the merge takes %.1fx and %.1fx\n",
                median(bare), worst / median(bare), family / median(bare));
  } catch (const std::exception& e) {
    die("PostgreSQL", fail(e.what()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int n = 100000;
  std::string pg;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--events") n = std::max(100, std::atoi(argv[i + 1]));
    if (std::string(argv[i]) == "--pg") pg = argv[i + 1];
    if (std::string(argv[i]) == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  if (!pg.empty()) return bench_pg(pg, n, rounds);

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
    const auto events = arrivals("tama-01-a", "tama-01", n);
    const auto requests = batches("tama-01-a", events);
    auto t0 = Clock::now();
    push_all(**st, requests);
    const double t = secs(t0);
    std::printf("server merge, SQLite, no HTTP (batches of 2000): %d events in %.1f s = %.0f events/s\n", n, t, n / t);
    bench_transfers(**st, events, "SQLite");
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
    std::printf(
        "kiosk catch-up over loopback HTTP (%d unsynced events, batches of 2000): %.1f s = %.0f events/s; "
        "sent %d\n",
        n, t, n / t, r->pushed);
    server.stop();
    serving.join();
  }
  fs::remove_all(dir);
  return 0;
}
