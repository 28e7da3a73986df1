// The store file shared by processes (the kiosk and shelterctl), and its
// rolling online backups.
#include <sys/stat.h>
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include "core/backup.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "store_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::arrival;
using shelter::test::open_store;
using shelter::test::sample_info;
using shelter::test::TempDir;

TEST_CASE("two processes creating the same new database at once both succeed", "[store]") {
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    const std::string path = dir.file("new.db");
    std::atomic<int> ok{0};
    std::vector<std::thread> openers;
    for (int i = 0; i < 4; ++i)
      openers.emplace_back([&] {
        if (Store::open(path).ok()) ++ok;
      });
    for (auto& t : openers) t.join();
    CHECK(ok == 4);
  }
}

TEST_CASE("two processes writing as the same device (kiosk and shelterctl) never clash", "[store]") {
  TempDir dir;
  auto kiosk = open_store(dir.file("k.db"));
  auto ctl_r = Store::open(dir.file("k.db"));
  REQUIRE(ctl_r.ok());
  auto& ctl = **ctl_r;
  std::set<std::int64_t> seqs;
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto& s = i % 3 == 0 ? ctl : *kiosk;
    auto e = s.record(arrival(new_id(), new_id(), sample_info("P", Sex::Male, "1990")));
    REQUIRE(e.ok());
    seqs.insert(e->device_seq);
    ids.insert(e->id);
  }
  CHECK(seqs.size() == 20);
  CHECK(ids.size() == 20);
  CHECK(*kiosk->event_count() == 20);
}

TEST_CASE("rolling online backups while writing, and the one-command restore", "[store][backup]") {
  TempDir dir;
  auto s = open_store(dir.file("kiosk.db"));
  for (int i = 0; i < 20; ++i)
    REQUIRE(s->record(arrival(new_id(), new_id(), sample_info("P", Sex::Male, "1990"))).ok());
  const std::string backups = dir.file("usb/backups");
  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) {
    auto b = rolling_backup(*s, backups, 2);
    REQUIRE(b.ok());
    made.push_back(*b);
    REQUIRE(s->record(arrival(new_id(), new_id(), sample_info("Q", Sex::Female, "1991"))).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // stamps are per second
  }
  int left = 0;
  for (const auto& e : std::filesystem::directory_iterator(backups)) left += e.path().extension() == ".backup";
  CHECK(left == 2);  // the oldest went
  CHECK_FALSE(std::filesystem::exists(made[0]));
  struct stat st {};
  REQUIRE(::stat(made[2].c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Restore: a new place, then over the existing file only with force. The
  // backups are sealed to the device key kept beside kiosk.db: the new place
  // has it too, as the same tablet would.
  const std::string restored = dir.file("restored.db");
  std::filesystem::copy_file(dir.file("kiosk.db.secret"), dir.file("restored.db.secret"));
  REQUIRE(restore_backup(made[2], restored, false).ok());
  {
    auto r = Store::open(restored);
    REQUIRE(r.ok());
    CHECK(*(*r)->event_count() == 22);
    CHECK((*r)->device_id() == "tama-01-a");
    CHECK(*(*r)->integrity_check() == "ok");
  }
  auto refused = restore_backup(made[1], restored, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("--force") != std::string::npos);
  REQUIRE(restore_backup(made[1], restored, true).ok());
  CHECK(*(*Store::open(restored))->event_count() == 21);
  {
    // The original went on to seq 23 after this backup (and the server may
    // hold those): the restored file's next event must not reuse 22 or 23.
    auto r = Store::open(restored);
    REQUIRE(r.ok());
    auto e = (*r)->record(arrival(new_id(), new_id(), sample_info("R", Sex::Male, "1992")));
    REQUIRE(e.ok());
    CHECK(e->device_seq > 23);
  }
  // A damaged backup is refused and the database is left alone.
  {
    std::FILE* f = std::fopen(made[1].c_str(), "r+b");
    REQUIRE(f);
    std::fseek(f, 2 * 4096, SEEK_SET);  // the header of page 3, the event table's root
    const std::string junk(200, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto damaged = restore_backup(made[1], restored, true);
  REQUIRE_FALSE(damaged.ok());
  CHECK(*(*Store::open(restored))->event_count() == 22);  // as it was
}
