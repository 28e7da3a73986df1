// Benchmarks for the foundation, printing figures (not asserting them):
//   durable single-person check-ins per second (WAL, synchronous=FULL),
//   4-person household check-ins (one transaction each),
//   applying synced events in batches, rebuilding projections from the log,
//   the size of a 4-person household card and its QR version.
// usage: bench_store [--events N] [--checkins N] [--persons N] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/qr_image.hpp"
#include "core/qr_payload.hpp"
#include "core/store.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "bench: %s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

PersonInfo person(int i) {
  PersonInfo p;
  p.name = "避難 者" + std::to_string(i);
  p.reading = "ヒナン シャ";
  p.sex = i % 2 ? Sex::Male : Sex::Female;
  p.birth = *parse_birth(std::to_string(1930 + i % 90));
  p.needs = static_cast<std::uint16_t>(i % 7 == 0 ? 1u << (i % kNeedCount) : 0u);
  return p;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

std::unique_ptr<Store> open_fresh(const std::string& path, const std::string& device) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto s = Store::open(path);
  if (!s) die("open " + path, s.error());
  if (auto st = (*s)->init_identity("bench-01", device, "Bench"); !st) die("init", st.error());
  return std::move(s).value();
}

void bench_checkins(const std::string& dir, int n) {
  auto store = open_fresh(dir + "/checkins.db", "bench-01-a");
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(n));
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    NewEvent e;
    e.person_id = new_id();
    e.household_id = new_id();
    e.body = person_body(person(i));
    if (auto r = store->record(e); !r) die("record", r.error());
    lat.push_back(seconds_since(t) * 1000);
  }
  double total = seconds_since(t0);
  std::printf(
      "durable check-ins (1 person, 1 commit each, synchronous=FULL): %d in %.2f s = %.0f/s; "
      "latency p50 %.2f ms, p99 %.2f ms\n",
      n, total, n / total, percentile(lat, 0.5), percentile(lat, 0.99));

  lat.clear();
  const int households = std::max(1, n / 4);
  t0 = Clock::now();
  for (int i = 0; i < households; ++i) {
    auto t = Clock::now();
    std::vector<NewEvent> batch;
    const HouseholdId h = new_id();
    for (int m = 0; m < 4; ++m) {
      NewEvent e;
      e.person_id = new_id();
      e.household_id = h;
      e.body = person_body(person(i * 4 + m));
      batch.push_back(std::move(e));
    }
    if (auto r = store->record(batch); !r) die("record household", r.error());
    lat.push_back(seconds_since(t) * 1000);
  }
  total = seconds_since(t0);
  std::printf(
      "household check-ins (4 persons, 1 commit each): %d in %.2f s = %.0f households/s; "
      "latency p50 %.2f ms, p99 %.2f ms\n",
      households, total, households / total, percentile(lat, 0.5), percentile(lat, 0.99));
}

void bench_log(const std::string& dir, int n) {
  auto store = open_fresh(dir + "/log.db", "bench-01-hq");
  // Events as another device would send them: arrivals, then a mix of
  // out/back/corrections over a pool of persons.
  const int persons = std::max(1, n / 5);
  std::vector<PersonId> ids(static_cast<size_t>(persons));
  for (auto& id : ids) id = new_id();
  Hlc hlc = make_hlc(1'780'000'000'000, 0);
  std::int64_t seq = 0;
  const int batch_size = 5000;
  auto t0 = Clock::now();
  int made = 0;
  while (made < n) {
    std::vector<Event> batch;
    for (int k = 0; k < batch_size && made < n; ++k, ++made) {
      Event e;
      hlc += 1 << 16;
      e.hlc = hlc;
      e.device_id = "bench-01-b";
      e.device_seq = ++seq;
      e.id = make_event_id(e.device_id, e.hlc);
      e.shelter_id = "bench-01";
      e.author = "self";
      const int p = made < persons ? made : made % persons;
      e.person_id = ids[static_cast<size_t>(p)];
      if (made < persons) {
        e.type = EventType::Arrived;
        e.household_id = ids[static_cast<size_t>(p - p % 3)];
        e.body = person_body(person(p));
      } else {
        switch (made % 3) {
          case 0:
            e.type = EventType::WentOut;
            break;
          case 1:
            e.type = EventType::CameBack;
            break;
          default:
            e.type = EventType::Corrected;
            e.author = "staff:bench";
            e.body = {{"phone", "090-0000-" + std::to_string(1000 + made % 9000)}};
        }
      }
      batch.push_back(std::move(e));
    }
    if (auto r = store->apply_remote(batch); !r) die("apply_remote", r.error());
  }
  double total = seconds_since(t0);
  std::printf("apply synced events (batches of %d, %d persons): %d in %.2f s = %.0f events/s\n", batch_size, persons, n,
              total, n / total);
  t0 = Clock::now();
  if (auto st = store->rebuild_projections(); !st) die("rebuild", st.error());
  total = seconds_since(t0);
  std::printf("rebuild projections from %d events: %.2f s = %.0f events/s\n", n, total, n / total);
  t0 = Clock::now();
  auto c = store->counts("bench-01");
  if (!c) die("counts", c.error());
  std::printf("counts for one shelter: %.3f ms (present %d)\n", seconds_since(t0) * 1000, c->present);
  std::printf("database size: %.1f MB\n", static_cast<double>(std::filesystem::file_size(dir + "/log.db")) / 1e6);
}

void bench_card() {
  qr::HouseholdCard card;
  card.household_id = "0123456789abcdef";
  card.address = "東京都多摩市落合1-2-3";
  card.phone = "042-000-0000";
  const char* names[][3] = {{"髙橋 一郎", "タカハシ イチロウ", "1948-05-12"},
                            {"髙橋 和子", "タカハシ カズコ", "1951-09-30"},
                            {"髙橋 𠮷男", "タカハシ ヨシオ", "2021-01-20"},
                            {"﨑山 邉子", "サキヤマ ヘンコ", "1990-03-03"}};
  for (auto& n : names) {
    qr::CardMember m;
    m.person_id = new_id();
    m.info.name = n[0];
    m.info.reading = n[1];
    m.info.birth = *parse_birth(n[2]);
    m.info.consent = true;
    card.members.push_back(m);
  }
  card.members[1].info.needs_other = "在宅酸素";
  auto text = qr::encode_card(card);
  if (!text) die("encode card", text.error());
  auto matrix = qrimage::encode(*text);
  if (!matrix) die("QR", matrix.error());
  auto t0 = Clock::now();
  const int rounds = 10000;
  for (int i = 0; i < rounds; ++i)
    if (!qr::parse(*text).card) die("parse", fail("card did not parse"));
  const double parse_us = seconds_since(t0) * 1e6 / rounds;
  std::printf("4-person household card: %zu record bytes, %zu QR characters, QR version %d (ECC M); parse %.1f us\n",
              qr::record_bytes(*text), text->size(), matrix->version, parse_us);
}

// Duplicate candidates among n persons, each with a reading of its own but
// one in a hundred registered again as a walk-in (katakana name, no
// reading, birth year only): the staff tab's and headquarters' query.
void bench_duplicates(const std::string& dir, int n) {
  auto store = open_fresh(dir + "/dups.db", "bench-01-a");
  static const char* const kKana[] = {"ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ",
                                      "サ", "シ", "ス", "セ", "ソ", "タ", "チ", "ツ", "テ", "ト",
                                      "ナ", "ニ", "ヌ", "ネ", "ノ", "ハ", "ヒ", "フ", "ヘ", "ホ",
                                      "マ", "ミ", "ム", "メ", "モ", "ヤ", "ユ", "ヨ", "ラ", "リ"};
  auto reading = [](int i) {
    std::string r;
    for (int k = 0; k < 3; ++k, i /= 40) r += kKana[i % 40];
    return r + " ハナコ";
  };
  std::vector<NewEvent> batch;
  int expected = 0;
  for (int i = 0; i < n; ++i) {
    PersonInfo p = person(i);
    p.reading = reading(i);
    p.birth = *parse_birth(std::to_string(1930 + i % 90) + "-04-01");
    batch.push_back(NewEvent{EventType::Arrived, new_id(), new_id(), "", "self", person_body(p)});
    if (i % 100 == 0) {
      PersonInfo w = p;
      w.name = p.reading;
      w.reading.clear();
      w.birth = BirthDate{p.birth.year, 0, 0};
      batch.push_back(NewEvent{EventType::Arrived, new_id(), new_id(), "", "self", person_body(w)});
      ++expected;
    }
  }
  auto t0 = Clock::now();
  if (auto r = store->record(batch); !r) die("record persons", r.error());
  const double load = seconds_since(t0);
  std::vector<double> times;
  size_t found = 0;
  for (int run = 0; run < 5; ++run) {
    t0 = Clock::now();
    auto d = store->possible_duplicates();
    if (!d) die("possible duplicates", d.error());
    times.push_back(seconds_since(t0) * 1000);
    found = d->size();
  }
  std::printf("duplicates among %zu persons (%d planted): %zu found in %.1f ms (median of 5; loaded in %.2f s)\n",
              batch.size(), expected, found, percentile(times, 0.5), load);
  if (static_cast<int>(found) != expected) {
    std::fprintf(stderr, "bench: expected %d duplicate pairs, found %zu\n", expected, found);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  int events = 1'000'000, checkins = 2000, persons = 20'000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--events")
      events = std::atoi(argv[i + 1]);
    else if (a == "--checkins")
      checkins = std::atoi(argv[i + 1]);
    else if (a == "--persons")
      persons = std::atoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: bench_store [--events N] [--checkins N] [--dir DIR]\n");
      return 2;
    }
  }
  if (dir.empty()) dir = (std::filesystem::temp_directory_path() / "shelter-bench").string();
  std::filesystem::create_directories(dir);
  std::printf("bench_store: %d check-ins, %d log events, files in %s\n", checkins, events, dir.c_str());
  bench_card();
  bench_checkins(dir, checkins);
  bench_log(dir, events);
  bench_duplicates(dir, persons);
  std::filesystem::remove_all(dir);
  return 0;
}
