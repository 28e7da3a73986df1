// Sealed USB exports (version 2) and sealed backups: signed by the device,
// sealed to headquarters, so a lost stick or card reveals nothing, and a
// file whose header, body or signature was touched is refused whole.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/backup.hpp"
#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/usb_export.hpp"
#include "store_helpers.hpp"
#include "sync/server/routes.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::arrival;
using shelter::test::open_store;
using shelter::test::sample_info;
using shelter::test::TempDir;

namespace {

const char* kName = "秘密 花子";

signing::TrustedKey hq_trusted(const sealing::BoxKeyPair& hq) {
  return {"hq", hq.key_id(), "", "", hq.public_key, false};
}

// A kiosk store with two arrivals, its device key, and headquarters' key.
struct SealedKiosk {
  TempDir dir;
  std::unique_ptr<Store> store = open_store(dir.file("kiosk.db"));
  sealing::BoxKeyPair hq = sealing::generate();
  signing::KeyPair device = ensure_device_key(secrets_path(dir.file("kiosk.db"))).value();
  SealedKiosk() {
    REQUIRE(store->record(arrival(new_id(), new_id(), sample_info(kName, Sex::Female, "1950"))).ok());
    REQUIRE(store->record(arrival(new_id(), new_id(), sample_info("二人目", Sex::Male, "1960"))).ok());
    REQUIRE(store->set_trusted_keys({hq_trusted(hq)}).ok());
  }
  // The server's key list: this device enrolled at tama-01.
  std::vector<signing::TrustedKey> server_keys(bool revoked = false) const {
    return {{"device", device.key_id(), "tama-01-a", "tama-01", device.public_key, revoked}, hq_trusted(hq)};
  }
  std::string file() {
    size_t n = 0;
    auto f = make_sealed_export(*store, true, n);
    REQUIRE(f.ok());
    CHECK(n == 2);
    return *f;
  }
};

template <typename T>
std::string refusal(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("a sealed USB export round-trips and holds nothing in clear", "[usb][sealed]") {
  SealedKiosk k;
  const std::string f = k.file();
  CHECK_FALSE(contains(f, kName));
  CHECK_FALSE(contains(f, "1950"));
  auto h = read_usb_header(f);
  REQUIRE(h.ok());
  CHECK(h->version == 2);
  CHECK(h->device_id == "tama-01-a");
  CHECK(h->shelter_id == "tama-01");
  CHECK(h->events == 2);
  CHECK(h->device_key_id == k.device.key_id());
  CHECK(h->hq_key_id == k.hq.key_id());
  auto x = sync::open_sealed_export(k.hq, k.server_keys(), f);
  REQUIRE(x.ok());
  REQUIRE(x->events.size() == 2);
  CHECK(x->device_id == "tama-01-a");
  auto mine = collect_unsynced(*k.store, true);
  CHECK(x->events == mine->events);
}

TEST_CASE("a kiosk without headquarters' key writes no export and says why", "[usb][sealed]") {
  SealedKiosk k;
  REQUIRE(k.store->set_trusted_keys({}).ok());
  size_t n = 0;
  auto f = make_sealed_export(*k.store, true, n);
  REQUIRE_FALSE(f.ok());
  CHECK(contains(f.error().message, "no headquarters key"));
  // A revoked headquarters key is not sealed to either.
  auto revoked = hq_trusted(k.hq);
  revoked.revoked = true;
  REQUIRE(k.store->set_trusted_keys({revoked}).ok());
  CHECK_FALSE(make_sealed_export(*k.store, true, n).ok());
}

TEST_CASE("headquarters' public key file holds no secret, and refuses damage", "[usb][sealed]") {
  TempDir dir;
  const auto hq = sealing::generate();
  const std::string pub = dir.file("hq.pub"), secret = dir.file("hq.key");
  REQUIRE(sealing::write_hq_public_file(pub, hq.public_key).ok());
  REQUIRE(sealing::write_hq_key_file(secret, hq).ok());
  const std::string text = read_all(pub);
  CHECK_FALSE(contains(text, signing::to_hex(hq.secret_key)));
  CHECK_FALSE(contains(text, "secret"));
  auto back = sealing::read_hq_public_file(pub);
  REQUIRE(back.ok());
  CHECK(back->public_key == hq.public_key);
  CHECK(back->secret_key.empty());
  CHECK(back->key_id() == hq.key_id());
  // The secret key file never goes to a kiosk, even though it holds the key.
  CHECK(contains(refusal(sealing::read_hq_public_file(secret)), "secret key file"));
  // Another key under the same id: damaged.
  std::string other = text;
  const std::string hex = signing::to_hex(hq.public_key);
  other.replace(other.find(hex), hex.size(), signing::to_hex(sealing::generate().public_key));
  REQUIRE(write_file_atomic(pub, other).ok());
  CHECK(contains(refusal(sealing::read_hq_public_file(pub)), "does not match"));
  // A low-order point nothing can be sealed to: all zeros, with its id.
  const std::string zeros(32, '\0');
  REQUIRE(sealing::write_hq_public_file(pub, zeros).ok());
  CHECK(contains(refusal(sealing::read_hq_public_file(pub)), "not a usable"));
  CHECK_FALSE(sealing::read_hq_public_file(dir.file("missing.pub")).ok());
  REQUIRE(write_file_atomic(pub, "{\"v\":1,\"kind\":\"card\"}").ok());
  CHECK(contains(refusal(sealing::read_hq_public_file(pub)), "not a headquarters key file"));
}

TEST_CASE("a touched, cut, foreign or unsigned export is refused whole", "[usb][sealed]") {
  SealedKiosk k;
  const std::string f = k.file();
  const auto keys = k.server_keys();
  const size_t body = f.find('\n') + 1;

  SECTION("a byte of the sealed body changed") {
    std::string bad = f;
    bad[body + 60] ^= 1;
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, bad)), "damaged, altered"));
  }
  SECTION("cut off") {
    CHECK_FALSE(sync::open_sealed_export(k.hq, keys, f.substr(0, f.size() - 1)).ok());
    CHECK_FALSE(sync::open_sealed_export(k.hq, keys, f.substr(0, body + 10)).ok());
    CHECK_FALSE(sync::open_sealed_export(k.hq, keys, f.substr(0, body - 1)).ok());
  }
  SECTION("the header changed: another shelter, device or count") {
    std::string other = f;
    other.replace(other.find("\"shelter\":\"tama-01\""), 19, "\"shelter\":\"tama-02\"");
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, other)), "enrolled at shelter tama-01"));
    // Even with a key list that would allow it, the signature covers the header.
    auto keys2 = keys;
    keys2[0].shelter_id = "tama-02";
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys2, other)), "signature does not match"));
    std::string count = f;
    count.replace(count.find("\"events\":2"), 10, "\"events\":1");
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, count)), "signature does not match"));
    std::string device = f;
    device.replace(device.find("\"device\":\"tama-01-a\""), 20, "\"device\":\"tama-01-b\"");
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, device)), "belongs to device tama-01-a"));
  }
  SECTION("another headquarters key") {
    CHECK(contains(refusal(sync::open_sealed_export(sealing::generate(), keys, f)), "sealed to headquarters key"));
    CHECK(contains(refusal(sync::open_sealed_export({}, keys, f)), "no headquarters key"));
  }
  SECTION("an unknown, revoked or substituted device key") {
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, {hq_trusted(k.hq)}, f)), "not known to this server"));
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, k.server_keys(true), f)), "revoked"));
    auto swapped = keys;
    swapped[0].public_key = signing::generate().public_key;
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, swapped, f)), "signature does not match"));
  }
  SECTION("a file signed by another kiosk's key under this kiosk's header") {
    // The attacker knows the public HQ key and signs with its own device key.
    auto mine = collect_unsynced(*k.store, true);
    const auto other = signing::generate();
    auto forged = seal_usb_export(*mine, other, k.hq.public_key);
    REQUIRE(forged.ok());
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, *forged)), "not known to this server"));
  }
  SECTION("a version 1 file") {
    auto mine = collect_unsynced(*k.store, true);
    const std::string v1 = format_usb_export(*mine);
    CHECK(contains(v1, kName));  // why version 1 is gone
    CHECK(contains(refusal(sync::open_sealed_export(k.hq, keys, v1)), "version 1"));
  }
}

TEST_CASE("a kiosk queues a sealed file of its shelter for relay, nothing else", "[usb][sealed]") {
  SealedKiosk k;
  const std::string f = k.file();
  TempDir other;
  auto same = open_store(other.file("b.db"), "tama-01", "tama-01-b");
  auto elsewhere = open_store(other.file("c.db"), "tama-02", "tama-02-a");
  auto q = queue_for_relay(*same, f);
  REQUIRE(q.ok());
  CHECK(queue_for_relay(*same, f).value() == *q);
  CHECK(relay_queue(other.file("b.db")) == std::vector<std::string>{*q});
  CHECK(read_all(*q) == f);
  auto refused = queue_for_relay(*elsewhere, f);
  REQUIRE_FALSE(refused.ok());
  CHECK(contains(refused.error().message, "carry it to headquarters"));
  auto v1 = queue_for_relay(*same, format_usb_export(*collect_unsynced(*k.store, true)));
  REQUIRE_FALSE(v1.ok());
  CHECK(contains(v1.error().message, "version 1"));
}

TEST_CASE("a sealed backup holds nothing in clear; this tablet or headquarters opens it", "[backup][sealed]") {
  SealedKiosk k;
  bool hq = false;
  auto b = rolling_backup(*k.store, k.dir.file("card"), 3, &hq);
  REQUIRE(b.ok());
  CHECK(hq);
  CHECK(std::filesystem::path(*b).extension() == ".backup");
  CHECK(is_sealed_backup(*b));
  const std::string bytes = read_all(*b);
  CHECK_FALSE(contains(bytes, kName));
  CHECK_FALSE(contains(bytes, "SQLite format"));
  // Nothing plain is left beside the database or in the backup folder.
  for (const auto& e : std::filesystem::directory_iterator(k.dir.file("card")))
    CHECK(e.path().extension() == ".backup");
  for (const auto& e : std::filesystem::directory_iterator(k.dir.path()))
    CHECK(e.path().filename().string().find("tmp") == std::string::npos);

  SECTION("restored on the same tablet with the key beside the database") {
    std::filesystem::remove(k.dir.file("kiosk.db"));
    std::filesystem::remove(k.dir.file("kiosk.db-wal"));
    std::filesystem::remove(k.dir.file("kiosk.db-shm"));
    REQUIRE(restore_backup(*b, k.dir.file("kiosk.db"), false).ok());
    auto r = Store::open(k.dir.file("kiosk.db"));
    REQUIRE(r.ok());
    CHECK(*(*r)->event_count() == 2);
  }
  SECTION("another tablet cannot; headquarters opens it for a plain restore") {
    TempDir tablet;
    auto refused = restore_backup(*b, tablet.file("kiosk.db"), false);
    REQUIRE_FALSE(refused.ok());
    CHECK(contains(refused.error().message, "open-backup"));
    const auto stranger = signing::generate();
    auto wrong = restore_backup(*b, tablet.file("kiosk.db"), false, &stranger);
    REQUIRE_FALSE(wrong.ok());
    CHECK(contains(wrong.error().message, "not sealed to this device's key"));
    CHECK_FALSE(open_backup(*b, tablet.file("plain.db"), sealing::generate()).ok());
    REQUIRE(open_backup(*b, tablet.file("plain.db"), k.hq).ok());
    REQUIRE(restore_backup(tablet.file("plain.db"), tablet.file("kiosk.db"), false).ok());
    auto r = Store::open(tablet.file("kiosk.db"));
    REQUIRE(r.ok());
    CHECK(*(*r)->event_count() == 2);
    CHECK((*r)->device_id() == "tama-01-a");
  }
  SECTION("a touched or cut backup is refused and the database left alone") {
    std::string bad = bytes;
    bad[bad.size() / 2] ^= 1;
    REQUIRE(write_file_atomic(k.dir.file("bad.backup"), bad).ok());
    auto r1 = restore_backup(k.dir.file("bad.backup"), k.dir.file("kiosk.db"), true);
    REQUIRE_FALSE(r1.ok());
    CHECK(contains(r1.error().message, "damaged"));
    REQUIRE(write_file_atomic(k.dir.file("cut.backup"), bytes.substr(0, bytes.size() - 100)).ok());
    auto r2 = restore_backup(k.dir.file("cut.backup"), k.dir.file("kiosk.db"), true);
    REQUIRE_FALSE(r2.ok());
    CHECK(*k.store->event_count() == 2);
  }
  SECTION("without headquarters' key only this tablet opens it") {
    REQUIRE(k.store->set_trusted_keys({}).ok());
    auto b2 = rolling_backup(*k.store, k.dir.file("card2"), 3, &hq);
    REQUIRE(b2.ok());
    CHECK_FALSE(hq);
    TempDir hqdir;
    CHECK_FALSE(open_backup(*b2, hqdir.file("plain.db"), k.hq).ok());
    CHECK(open_backup(*b2, hqdir.file("plain.db"), k.device).ok());
  }
}
