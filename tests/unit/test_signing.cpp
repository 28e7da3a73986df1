// Ed25519 keys and signatures (core/signing), the device's secrets file
// (core/secrets), and the secrets kept out of the database and its backups.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <sodium.h>

#include <random>

#include "core/backup.hpp"
#include "core/base45.hpp"
#include "core/fs_util.hpp"
#include "core/qr_payload.hpp"
#include "core/secrets.hpp"
#include "core/signing.hpp"
#include "core/store.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;
using signing::Verdict;

namespace {
mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}
}  // namespace

TEST_CASE("a signature verifies with its key only, and over its message only", "[signing]") {
  const auto a = signing::generate(), b = signing::generate();
  REQUIRE(a.public_key.size() == 32);
  REQUIRE(a.secret_key.size() == 64);
  CHECK(a.public_key != b.public_key);
  const std::string record = "a pass record";
  const std::string sig = signing::sign(a, record);
  REQUIRE(sig.size() == 64);
  CHECK(signing::verify(a.public_key, record, sig));
  CHECK_FALSE(signing::verify(b.public_key, record, sig));  // wrong key
  std::string tampered = record;
  tampered[2] ^= 1;
  CHECK_FALSE(signing::verify(a.public_key, tampered, sig));
  CHECK_FALSE(signing::verify(a.public_key, record, sig.substr(1)));  // wrong size
  CHECK_FALSE(signing::verify("short", record, sig));
  CHECK(signing::sign(signing::KeyPair{}, record).empty());  // nothing to sign with
}

TEST_CASE("a key id is 16 hex digits of BLAKE2b of the public key", "[signing]") {
  const auto a = signing::generate();
  const std::string id = a.key_id();
  CHECK(id.size() == 16);
  CHECK(signing::is_key_id(id));
  CHECK(id == signing::to_hex(signing::key_id_bytes(a.public_key)));
  CHECK(id != signing::generate().key_id());
  CHECK_FALSE(signing::is_key_id("0123456789ABCDEF"));
  CHECK_FALSE(signing::is_key_id("0123"));
  // The same seed gives the same pair.
  auto again = signing::from_seed(signing::seed_of(a));
  REQUIRE(again.ok());
  CHECK(again->public_key == a.public_key);
  CHECK(again->secret_key == a.secret_key);
  CHECK_FALSE(signing::from_seed("too short").ok());
  CHECK(signing::from_hex("00ff", 2).value() == std::string("\x00\xff", 2));
  CHECK_FALSE(signing::from_hex("0g", 1).ok());
  CHECK_FALSE(signing::from_hex("00", 2).ok());
}

TEST_CASE("a key ring says valid, unsigned, unknown, revoked or bad", "[signing]") {
  const auto own = signing::generate(), other = signing::generate(), gone = signing::generate();
  signing::KeyRing ring({{"device", other.key_id(), "b-1", "b", other.public_key, false},
                         {"device", gone.key_id(), "c-1", "c", gone.public_key, true},
                         {"device", own.key_id(), "a-1", "a", own.public_key, true}});
  ring.add_own(own, "device");
  const std::string m = "record";
  CHECK(ring.check("device", other.key_id(), m, signing::sign(other, m)) == Verdict::Valid);
  CHECK(ring.check("device", "", "", "") == Verdict::Unsigned);
  CHECK(ring.check("device", signing::generate().key_id(), m, signing::sign(other, m)) == Verdict::UnknownKey);
  // Revoked: refused even with a good signature (a stolen tablet signs well).
  CHECK(ring.check("device", gone.key_id(), m, signing::sign(gone, m)) == Verdict::RevokedKey);
  CHECK(ring.check("device", other.key_id(), m, signing::sign(gone, m)) == Verdict::BadSignature);
  CHECK(ring.check("device", other.key_id(), m + "x", signing::sign(other, m)) == Verdict::BadSignature);
  // The kiosk's own key is always trusted, whatever the list says.
  CHECK(ring.check("device", own.key_id(), m, signing::sign(own, m)) == Verdict::Valid);
  // Kinds do not mix: a device key does not vouch for cards.
  CHECK(ring.check("card", other.key_id(), m, signing::sign(other, m)) == Verdict::UnknownKey);
  CHECK(signing::verdict_name(Verdict::RevokedKey) == "revoked_key");
}

TEST_CASE("property: any signed code verifies, and any single-byte change fails", "[signing][property]") {
  std::mt19937_64 rng(19);
  const auto key = signing::generate();
  const signing::KeyRing ring({{"device", key.key_id(), "a-1", "a", key.public_key, false},
                               {"card", key.key_id(), "", "", key.public_key, false}});
  auto hex = [&] {
    std::string s;
    for (int i = 0; i < 16; ++i) s += "0123456789abcdef"[rng() % 16];
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    // A random record: a raw message, and a random pass as a kiosk prints it.
    std::string message(rng() % 300, '\0');
    for (auto& c : message) c = static_cast<char>(rng());
    const std::string sig = signing::sign(key, message);
    REQUIRE(signing::verify(key.public_key, message, sig));
    if (!message.empty()) {
      std::string flipped = message;
      flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
      CHECK_FALSE(signing::verify(key.public_key, flipped, sig));
    }
    std::string bad_sig = sig;
    bad_sig[rng() % bad_sig.size()] ^= static_cast<char>(1 + rng() % 255);
    CHECK_FALSE(signing::verify(key.public_key, message, bad_sig));

    const std::string shelter = "s-" + std::to_string(rng() % 1000);
    BirthDate issued;
    issued.year = static_cast<std::uint16_t>(2000 + rng() % 50);
    issued.month = static_cast<std::uint8_t>(1 + rng() % 12);
    issued.day = static_cast<std::uint8_t>(1 + rng() % 28);
    qr::Pass pass{hex(), hex(), shelter, issued};
    auto text = qr::encode_pass(pass, qr::signer_for(key));
    REQUIRE(text.ok());
    auto p = qr::parse(*text);
    REQUIRE(p.pass);
    CHECK(*p.pass == pass);
    CHECK(qr::verify(p, ring) == Verdict::Valid);
    // Any one byte of the record changed, signature included, with the
    // checksum made good again (anyone can): parse may accept it (the
    // checksum is no key), verification never does.
    std::string rec = base45::decode(text->substr(qr::kPrefix.size())).bytes;
    rec.resize(rec.size() - 8);
    rec[rng() % rec.size()] ^= static_cast<char>(1 + rng() % 255);
    unsigned char h[16];
    crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(rec.data()), rec.size(), nullptr, 0);
    auto changed =
        qr::parse(std::string(qr::kPrefix) + base45::encode(rec + std::string(reinterpret_cast<char*>(h), 8)));
    if (changed.ok()) CHECK(qr::verify(changed, ring) != Verdict::Valid);
  }
}

TEST_CASE("key files are whole, private, and refuse damage", "[signing]") {
  TempDir dir;
  const auto key = signing::generate();
  const std::string path = dir.file("card.key");
  REQUIRE(signing::write_key_file(path, key, "card").ok());
  CHECK(mode_of(path) == 0600);
  auto back = signing::read_key_file(path);
  REQUIRE(back.ok());
  CHECK(back->kind == "card");
  CHECK(back->pair.public_key == key.public_key);
  CHECK(back->pair.secret_key == key.secret_key);
  // Another public key than the seed's: damaged, refused.
  auto text = read_file_bytes(path).value();
  const std::string other = signing::to_hex(signing::generate().public_key);
  text.replace(text.find(signing::to_hex(key.public_key)), other.size(), other);
  REQUIRE(write_file_atomic(path, text).ok());
  auto bad = signing::read_key_file(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "does not belong"));
  CHECK_FALSE(signing::read_key_file(dir.file("missing.key")).ok());
  REQUIRE(write_file_atomic(path, "not json").ok());
  CHECK_FALSE(signing::read_key_file(path).ok());
  CHECK_FALSE(signing::write_key_file(path, signing::KeyPair{}, "card").ok());
}

TEST_CASE("the secrets file keeps the token and the device key, mode 0600", "[signing][secrets]") {
  TempDir dir;
  const std::string db = dir.file("k.db");
  const std::string path = secrets_path(db);
  CHECK(path == db + ".secret");
  CHECK(secrets_path(":memory:").empty());
  auto none = load_secrets(path);
  REQUIRE(none.ok());
  CHECK(none->sync_token.empty());
  CHECK(none->device_key.empty());
  auto key = ensure_device_key(path);
  REQUIRE(key.ok());
  CHECK(mode_of(path) == 0600);
  CHECK(ensure_device_key(path)->public_key == key->public_key);  // made once
  REQUIRE(update_secrets(path, [](DeviceSecrets& s) {
            s.sync_token = "tok";
            return true;
          }).ok());
  auto both = load_secrets(path);
  REQUIRE(both.ok());
  CHECK(both->sync_token == "tok");
  CHECK(both->device_key.secret_key == key->secret_key);
  REQUIRE(write_file_atomic(path, "{\"v\": 1, \"device_key\": {\"v\": 1}}").ok());
  CHECK_FALSE(load_secrets(path).ok());
  CHECK_FALSE(update_secrets("", [](DeviceSecrets&) { return true; }).ok());
}

TEST_CASE("a token kept in meta by an earlier version moves out, and backups carry no secret", "[signing][secrets]") {
  TempDir dir;
  const std::string db = dir.file("k.db");
  const std::string token(64, 'f');
  {
    auto s = Store::open(db);
    REQUIRE(s.ok());
    REQUIRE((*s)->init_identity("tama-01", "tama-01-a", "Tama").ok());
    REQUIRE((*s)->set_meta("sync_token", token).ok());  // as versions before the secrets file did
  }
  auto s = Store::open(db);
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->meta("sync_token")->has_value());
  auto secrets = load_secrets(secrets_path(db));
  REQUIRE(secrets.ok());
  CHECK(secrets->sync_token == token);
  CHECK(mode_of(secrets_path(db)) == 0600);
  auto key = ensure_device_key(secrets_path(db));
  REQUIRE(key.ok());

  // A newer token in the file wins over an old one in a restored database.
  REQUIRE((*s)->set_meta("sync_token", std::string(64, 'e')).ok());
  s->reset();
  s = Store::open(db);
  REQUIRE(s.ok());
  CHECK(load_secrets(secrets_path(db))->sync_token == token);
  CHECK_FALSE((*s)->meta("sync_token")->has_value());

  // The backup is a page copy of the database: neither the token (deleted
  // with secure_delete) nor the key (never there) is in its bytes.
  const std::string backup = dir.file("backup.db");
  REQUIRE(backup_store(**s, backup).ok());
  const std::string bytes = read_file_bytes(backup).value();
  CHECK_FALSE(contains(bytes, token));
  CHECK_FALSE(contains(bytes, std::string(64, 'e')));
  CHECK_FALSE(contains(bytes, key->secret_key.substr(0, 32)));
  CHECK_FALSE(contains(bytes, signing::to_hex(key->secret_key.substr(0, 32))));
  // Nor is the live file.
  s->reset();
  CHECK_FALSE(contains(read_file_bytes(db).value(), token));
}

TEST_CASE("the kiosk's store keeps the trusted keys, replaced whole", "[signing][store]") {
  TempDir dir;
  auto s = Store::open(dir.file("k.db"));
  REQUIRE(s.ok());
  const auto a = signing::generate(), b = signing::generate();
  std::vector<signing::TrustedKey> keys = {{"device", a.key_id(), "a-1", "a", a.public_key, false},
                                           {"card", b.key_id(), "", "", b.public_key, true}};
  REQUIRE((*s)->set_trusted_keys(keys).ok());
  auto back = (*s)->trusted_keys();
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK(back->front().kind == "card");  // by kind, then key id
  CHECK(back->front().revoked);
  CHECK(back->back() == keys.front());
  REQUIRE((*s)->set_trusted_keys({keys.front()}).ok());
  CHECK((*s)->trusted_keys()->size() == 1);
}
