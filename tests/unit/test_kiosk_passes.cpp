// The kiosk's controller and signed codes: passes it prints carry its key;
// a pass that is unsigned, altered, or signed by an unknown or revoked key
// moves nobody and says why; a card says whether the city signed it.
#include <catch2/catch.hpp>

#include <fstream>

#include <sodium.h>

#include "core/base45.hpp"
#include "core/qr_payload.hpp"
#include "core/secrets.hpp"
#include "core/store.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::card_text;
using shelter::test::TempDir;
using ui::Intent;
using ui::Screen;

namespace {

struct Kiosk {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<kiosk::Controller> c;
  Kiosk() {
    auto s = Store::open(dir.file("k.db"));
    REQUIRE(s.ok());
    store = std::move(s).value();
    REQUIRE(store->init_identity("tama-01", "tama-01-a", "Tama").ok());
    c = std::make_unique<kiosk::Controller>(*store, kiosk::Config{});
  }
  std::int64_t events() { return *store->event_count(); }
  const ui::ViewModel& vm() { return c->vm(); }
  // Checks in the fixture card; returns the pass the done screen shows.
  std::string check_in_card() {
    REQUIRE(c->on_scan(card_text()));
    c->apply(Intent{Intent::ConfirmArrival, {}, 0});
    REQUIRE(vm().screen == Screen::Done);
    const std::string pass = vm().done.passes.front().text;
    c->apply(Intent{Intent::Finish, {}, 0});
    return pass;
  }
};

void confirm_pass(Kiosk& k) {
  k.c->apply(Intent{Intent::ConfirmPass, {}, 0});
}

const qr::Pass kStranger{"abcdefabcdefabcd", "0123012301230123", "tama-02", {2026, 1, 1}};

}  // namespace

TEST_CASE("a kiosk signs its passes with its device key, kept beside the database", "[kiosk][signing]") {
  Kiosk k;
  const std::string pass = k.check_in_card();
  auto p = qr::parse(pass);
  REQUIRE(p.pass);
  REQUIRE(p.signature);
  auto secrets = load_secrets(secrets_path(k.store->path()));
  REQUIRE(secrets.ok());
  CHECK(p.signature->key_id == secrets->device_key.key_id());
  CHECK(k.c->device_key().public_key == secrets->device_key.public_key);
  // A second controller on the same store signs with the same key.
  kiosk::Controller again(*k.store, kiosk::Config{});
  CHECK(again.device_key().public_key == k.c->device_key().public_key);
  // Its own pass is accepted (going out?), with no key list at all.
  REQUIRE(k.c->on_scan(pass));
  CHECK(k.vm().screen == Screen::PassConfirm);
  confirm_pass(k);
  CHECK(k.vm().notice->key == "pass.went_out");
}

TEST_CASE("an unsigned, altered, unknown or revoked pass moves nobody and says why", "[kiosk][signing]") {
  Kiosk k;
  const auto other = signing::generate(), gone = signing::generate(), unknown = signing::generate();
  REQUIRE(k.store
              ->set_trusted_keys({{"device", other.key_id(), "tama-02-a", "tama-02", other.public_key, false},
                                  {"device", gone.key_id(), "tama-02-b", "tama-02", gone.public_key, true}})
              .ok());
  const auto before = k.events();
  auto scan = [&](const std::string& text) {
    REQUIRE(k.c->on_scan(text));
    REQUIRE(k.vm().notice);
    CHECK(k.vm().notice->error);
    CHECK(k.events() == before);
    CHECK_FALSE(k.store->person(kStranger.person_id)->has_value());
    return k.vm().notice->key;
  };
  CHECK(scan(*qr::encode_pass(kStranger, {})) == "pass.unsigned");
  CHECK(scan(*qr::encode_pass(kStranger, qr::signer_for(unknown))) == "pass.unknown_key");
  CHECK(scan(*qr::encode_pass(kStranger, qr::signer_for(gone))) == "pass.revoked_key");
  // A forger signs with their own key under a trusted kiosk's key id.
  qr::Signer lie{other.key_id(), [&](std::string_view m) { return signing::sign(unknown, m); }};
  CHECK(scan(*qr::encode_pass(kStranger, lie)) == "pass.bad_signature");
  // A good pass for another person id, checksum made good again.
  std::string rec = base45::decode(qr::encode_pass(kStranger, qr::signer_for(other))->substr(3)).bytes;
  rec.resize(rec.size() - 8);
  rec[2] ^= 0x01;
  unsigned char h[16];
  crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(rec.data()), rec.size(), nullptr, 0);
  CHECK(scan("SC:" + base45::encode(rec + std::string(reinterpret_cast<char*>(h), 8))) == "pass.bad_signature");
  // A version 1 pass (no signature at all).
  std::string v1 = "\x01P" + std::string(16, '\x11') + "\x07tama-02" + "\x07\xea\x01\x01";
  crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(v1.data()), v1.size(), nullptr, 0);
  CHECK(scan("SC:" + base45::encode(v1 + std::string(reinterpret_cast<char*>(h), 8))) == "qr.outdated_pass");
  // And the same pass signed by the trusted kiosk is accepted.
  REQUIRE(k.c->on_scan(*qr::encode_pass(kStranger, qr::signer_for(other))));
  CHECK(k.vm().notice->key == "pass.arrived_elsewhere");
  CHECK(k.events() == before + 1);
}

TEST_CASE("a card says whether the city signed it; an unsigned card is still a card", "[kiosk][signing]") {
  Kiosk k;
  const auto city = signing::generate(), stranger = signing::generate();
  REQUIRE(k.store->set_trusted_keys({{"card", city.key_id(), "", "", city.public_key, false}}).ok());
  auto card = qr::parse(card_text()).card;
  REQUIRE(card);

  REQUIRE(k.c->on_scan(card_text()));  // version 1: unsigned
  CHECK(k.vm().screen == Screen::ScanResult);
  CHECK_FALSE(k.c->card_city_signed());
  k.c->apply(Intent{Intent::Cancel, {}, 0});

  REQUIRE(k.c->on_scan(*qr::encode_card(*card, qr::signer_for(city))));
  CHECK(k.vm().screen == Screen::ScanResult);
  CHECK(k.c->card_city_signed());
  k.c->apply(Intent{Intent::Cancel, {}, 0});
  CHECK_FALSE(k.c->card_city_signed());  // forgotten with the card

  // Signed, but by a key the city never gave: read as an unsigned card.
  REQUIRE(k.c->on_scan(*qr::encode_card(*card, qr::signer_for(stranger))));
  CHECK(k.vm().screen == Screen::ScanResult);
  CHECK_FALSE(k.c->card_city_signed());
  // A device key does not vouch for cards either.
  k.c->apply(Intent{Intent::Cancel, {}, 0});
  REQUIRE(k.c->on_scan(*qr::encode_card(*card, qr::signer_for(k.c->device_key()))));
  CHECK_FALSE(k.c->card_city_signed());
}
