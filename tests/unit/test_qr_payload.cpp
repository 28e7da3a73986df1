#include <catch2/catch.hpp>

#include <random>

#include <sodium.h>

#include <fstream>

#include "core/base45.hpp"
#include "core/qr_payload.hpp"

using namespace shelter;
using qr::ParseError;

namespace {

qr::CardMember member(const std::string& id, const std::string& name, const std::string& reading, Sex sex,
                      const char* birth, std::uint16_t needs = 0, bool consent = true) {
  qr::CardMember m;
  m.person_id = id;
  m.info.name = name;
  m.info.reading = reading;
  m.info.sex = sex;
  m.info.birth = *parse_birth(birth);
  m.info.needs = needs;
  m.info.consent = consent;
  return m;
}

// The household of the issue: four persons, names with 髙 﨑 邉 and 𠮷.
qr::HouseholdCard four_person_card() {
  qr::HouseholdCard c;
  c.household_id = "0123456789abcdef";
  c.address = "東京都多摩市落合1-2-3";
  c.phone = "042-000-0000";
  c.members.push_back(member("1111111111111111", "髙橋 一郎", "タカハシ イチロウ", Sex::Male, "1948-05-12", kNeedCare));
  c.members.push_back(
      member("2222222222222222", "髙橋 和子", "タカハシ カズコ", Sex::Female, "1951-09-30", kNeedMedicalDevice));
  c.members.back().info.needs_other = "在宅酸素";
  c.members.push_back(
      member("3333333333333333", "髙橋 𠮷男", "タカハシ ヨシオ", Sex::Male, "2021-01-20", kNeedInfant, false));
  c.members.push_back(member("4444444444444444", "﨑山 邉子", "サキヤマ ヘンコ", Sex::Female, "1990", kNeedPregnant));
  for (auto& m : c.members) {
    m.info.address = c.address;
    m.info.phone = c.phone;
  }
  return c;
}

std::string encode(const qr::HouseholdCard& c) {
  auto r = qr::encode_card(c);
  REQUIRE(r.ok());
  return *r;
}

// Re-encodes a raw record as a shelter code (for hand-made bad records).
std::string as_code(const std::string& bytes) {
  return std::string(qr::kPrefix) + base45::encode(bytes);
}
std::string record_of(const std::string& code) {
  return base45::decode(code.substr(qr::kPrefix.size())).bytes;
}

}  // namespace

TEST_CASE("base45 matches RFC 9285 examples and rejects bad text", "[qr]") {
  CHECK(base45::encode("AB") == "BB8");
  CHECK(base45::encode("Hello!!") == "%69 VD92EX0");
  CHECK(base45::encode("base-45") == "UJCLQE7W581");
  CHECK(base45::decode("QED8WEX0").bytes == "ietf!");
  CHECK(base45::decode("GGW").error == base45::DecodeError::BadValue);  // 65536+
  CHECK(base45::decode("abc").error == base45::DecodeError::BadCharacter);
  CHECK(base45::decode("BB8B").error == base45::DecodeError::Incomplete);
  CHECK(base45::decode("BB8::").error == base45::DecodeError::Incomplete);
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    CHECK(base45::decode(base45::encode(bytes)).bytes == bytes);
  }
}

TEST_CASE("a household card survives encode and parse byte-exact", "[qr]") {
  const auto card = four_person_card();
  const std::string text = encode(card);
  CHECK(text.rfind("SC:", 0) == 0);
  auto p = qr::parse(text);
  REQUIRE(p.ok());
  REQUIRE(p.card);
  CHECK_FALSE(p.pass);
  CHECK(*p.card == card);
  CHECK(p.card->members[2].info.name == "髙橋 𠮷男");  // U+20BB7, 4 bytes in UTF-8
  CHECK(p.card->members[2].info.name.size() == 3 + 3 + 1 + 4 + 3);
  CHECK(p.card->members[3].info.name == "﨑山 邉子");
  CHECK_FALSE(p.card->members[2].info.consent);
  // The size goal: a 4-person household under ~400 bytes.
  CHECK(qr::record_bytes(text) < 260);
  CHECK(text.size() < 400);
}

TEST_CASE("readings that are not pure katakana are kept as UTF-8", "[qr]") {
  auto card = four_person_card();
  card.members[0].info.reading = "Takahashi Ichirō";
  card.members[1].info.reading = "たかはし かずこ";  // hiragana
  card.members[2].info.reading = "";
  card.members[3].info.reading = "サキヤマ　ヘンコ";  // ideographic space, packed
  auto p = qr::parse(encode(card));
  REQUIRE(p.card);
  CHECK(*p.card == card);
}

TEST_CASE("encode_card refuses what it could not represent", "[qr]") {
  auto card = four_person_card();
  SECTION("no members") {
    card.members.clear();
  }
  SECTION("16 members") {
    while (card.members.size() < 16) card.members.push_back(card.members[0]);
  }
  SECTION("empty name") {
    card.members[1].info.name.clear();
  }
  SECTION("invalid UTF-8") {
    card.members[1].info.name = "\xff\xfe";
  }
  SECTION("control character") {
    card.address = "a\nb";
  }
  SECTION("field over 255 bytes") {
    card.address = std::string(256, 'x');
  }
  SECTION("bad id") {
    card.members[0].person_id = "XYZ";
  }
  SECTION("bad date") {
    card.members[0].info.birth = BirthDate{2001, 2, 29};
  }
  CHECK_FALSE(qr::encode_card(card).ok());
}

TEST_CASE("a pass carries ids and its kiosk's signature", "[qr]") {
  qr::Pass pass{"1111111111111111", "0123456789abcdef", "tama-01", {2026, 11, 24}};
  const auto kiosk = signing::generate();
  auto text = qr::encode_pass(pass, qr::signer_for(kiosk));
  REQUIRE(text.ok());
  auto p = qr::parse(*text);
  REQUIRE(p.pass);
  CHECK(*p.pass == pass);
  CHECK(p.version == 2);
  REQUIRE(p.signature);
  CHECK(p.signature->key_id == kiosk.key_id());
  // ids, shelter slug, date, signature type, key id, signature, checksum
  CHECK(qr::record_bytes(*text) == 30 + 1 + 8 + 64 + 8);
  CHECK(text->size() < 175);

  signing::KeyRing ring;
  CHECK(qr::verify(p, ring) == signing::Verdict::UnknownKey);
  ring.add_own(kiosk, "device");
  CHECK(qr::verify(p, ring) == signing::Verdict::Valid);
  signing::KeyRing as_card;  // a card key does not sign passes
  as_card.add_own(kiosk, "card");
  CHECK(qr::verify(p, as_card) == signing::Verdict::UnknownKey);

  auto plain = qr::encode_pass(pass, {});
  REQUIRE(plain.ok());
  CHECK(qr::parse(*plain).pass);
  CHECK(qr::verify(qr::parse(*plain), ring) == signing::Verdict::Unsigned);
  CHECK_FALSE(qr::encode_pass(pass, qr::signer_for(signing::KeyPair{})).ok());  // no key to sign with
}

TEST_CASE("a changed pass fails its signature, whoever signs it again", "[qr]") {
  qr::Pass pass{"1111111111111111", "0123456789abcdef", "tama-01", {2026, 11, 24}};
  const auto kiosk = signing::generate();
  const std::string rec = record_of(*qr::encode_pass(pass, qr::signer_for(kiosk)));
  signing::KeyRing ring;
  ring.add_own(kiosk, "device");
  // Another person's id, with the checksum made good again (anyone can):
  // the signature no longer matches.
  std::string r = rec.substr(0, rec.size() - 8);
  r[2] = '\x22';
  unsigned char h[16];
  crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(r.data()), r.size(), nullptr, 0);
  auto p = qr::parse(as_code(r + std::string(reinterpret_cast<char*>(h), 8)));
  REQUIRE(p.pass);
  CHECK(p.pass->person_id == "2211111111111111");
  CHECK(qr::verify(p, ring) == signing::Verdict::BadSignature);
  // Signed by a forger's key under the kiosk's key id: same answer.
  const auto forger = signing::generate();
  qr::Signer lie{kiosk.key_id(), [&](std::string_view m) { return signing::sign(forger, m); }};
  CHECK(qr::verify(qr::parse(*qr::encode_pass(pass, lie)), ring) == signing::Verdict::BadSignature);
}

TEST_CASE("version 1 codes: passes are refused, cards read as unsigned", "[qr]") {
  // A version 1 pass as kiosks printed it (ids, shelter, date, checksum).
  std::string v1 = "\x01P" + std::string(8, '\x11') + std::string(8, '\x22') + "\x07tama-01" + "\x07\xea\x0b\x18";
  unsigned char h[16];
  crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(v1.data()), v1.size(), nullptr, 0);
  CHECK(qr::parse(as_code(v1 + std::string(reinterpret_cast<char*>(h), 8))).error == ParseError::OutdatedPass);
  // The card fixture is version 1.
  std::ifstream in(std::string(SHELTER_TEST_DATA) + "/qr/card.txt");
  std::string card;
  std::getline(in, card);
  auto p = qr::parse(card);
  REQUIRE(p.card);
  CHECK(p.version == 1);
  CHECK_FALSE(p.signature);
  CHECK(qr::verify(p, signing::KeyRing{}) == signing::Verdict::Unsigned);
}

TEST_CASE("a card may carry the city's signature", "[qr]") {
  const auto card = four_person_card();
  const auto city = signing::generate();
  auto text = qr::encode_card(card, qr::signer_for(city));
  REQUIRE(text.ok());
  auto p = qr::parse(*text);
  REQUIRE(p.card);
  CHECK(*p.card == card);
  REQUIRE(p.signature);
  CHECK(p.signature->key_id == city.key_id());
  CHECK(qr::record_bytes(*text) == qr::record_bytes(encode(card)) + 8 + 64);
  CHECK(text->size() < 520);
  signing::KeyRing ring({{"card", city.key_id(), "", "", city.public_key, false}});
  CHECK(qr::verify(p, ring) == signing::Verdict::Valid);
  CHECK(qr::verify(qr::parse(encode(card)), ring) == signing::Verdict::Unsigned);
  signing::KeyRing revoked({{"card", city.key_id(), "", "", city.public_key, true}});
  CHECK(qr::verify(p, revoked) == signing::Verdict::RevokedKey);
  signing::KeyRing device_only;  // a kiosk's key does not vouch for cards
  device_only.add_own(city, "device");
  CHECK(qr::verify(p, device_only) == signing::Verdict::UnknownKey);
}

TEST_CASE("each kind of bad QR content gets its own error", "[qr]") {
  const std::string good = encode(four_person_card());
  const std::string rec = record_of(good);
  auto err = [](const std::string& text) { return qr::parse(text).error; };

  CHECK(err("https://www.city.example.lg.jp/") == ParseError::NotShelterCode);
  CHECK(err("hello") == ParseError::NotShelterCode);
  CHECK(err("") == ParseError::NotShelterCode);
  CHECK(err("sc:" + good.substr(3)) == ParseError::NotShelterCode);
  CHECK(err("SC:abc") == ParseError::BadEncoding);
  CHECK(err("SC:GGW") == ParseError::BadEncoding);
  CHECK(err("SC:" + std::string(3000, 'A')) == ParseError::Oversized);
  CHECK(err(good.substr(0, good.size() - 1)) == ParseError::Truncated);  // ends mid-group
  CHECK(err(as_code(rec.substr(0, rec.size() - 3))) == ParseError::Truncated);
  CHECK(err(as_code(rec.substr(0, 1))) == ParseError::Truncated);
  CHECK(err("SC:") == ParseError::Truncated);
  {
    std::string r = rec;
    r[0] = 3;
    CHECK(err(as_code(r)) == ParseError::UnsupportedVersion);
  }
  {
    std::string r = rec;
    r[1] = 'Z';
    CHECK(err(as_code(r)) == ParseError::UnknownKind);
  }
  {
    std::string r = rec;
    // ver kind hh(8) address(1+29) phone(1+12) count | id(8) flags birth(4) needs(2) name(1+...)
    REQUIRE(static_cast<unsigned char>(r[69]) == 13);  // the first name's length
    r[72] = static_cast<char>(r[72] ^ 0x01);           // a bit inside the first member's name
    CHECK(err(as_code(r)) == ParseError::BadChecksum);
  }
  CHECK(err(as_code(rec + "x")) == ParseError::TrailingData);
}

namespace {
// A card record written by hand with a valid checksum, to reach the value
// checks that run after the checksum.
std::string handmade_card(const std::string& name, std::uint8_t flags = 0, std::uint16_t year = 1990,
                          std::uint8_t count = 1, const std::string& reading = "") {
  qr::HouseholdCard c;
  c.household_id = "0123456789abcdef";
  c.members.push_back(member("1111111111111111", "X", "", Sex::Unknown, "1990"));
  std::string rec = record_of(encode(c));
  rec.resize(rec.size() - 8);  // drop the checksum
  // Layout: ver kind hh(8) addr(1) phone(1) count | id(8) flags birth(4) needs(2) name...
  rec[12] = static_cast<char>(count);
  rec[21] = static_cast<char>(flags);
  rec[22] = static_cast<char>(year >> 8);
  rec[23] = static_cast<char>(year & 0xFF);
  rec = rec.substr(0, 28) + static_cast<char>(name.size()) + name + rec.substr(30);
  const size_t at = 29 + name.size();  // the reading's length byte
  rec = rec.substr(0, at) + static_cast<char>(reading.size()) + reading + rec.substr(at + 1);
  unsigned char h[16];
  crypto_generichash(h, 16, reinterpret_cast<const unsigned char*>(rec.data()), rec.size(), nullptr, 0);
  return as_code(rec + std::string(reinterpret_cast<char*>(h), 8));
}
}  // namespace

TEST_CASE("values are checked after the checksum", "[qr]") {
  REQUIRE(qr::parse(handmade_card("Yamada")).ok());
  CHECK(qr::parse(handmade_card("\xc0\xaf")).error == ParseError::InvalidUtf8);      // overlong '/'
  CHECK(qr::parse(handmade_card("\xed\xa0\x80")).error == ParseError::InvalidUtf8);  // surrogate
  CHECK(qr::parse(handmade_card("a\x07")).error == ParseError::InvalidField);
  CHECK(qr::parse(handmade_card("")).error == ParseError::InvalidField);
  CHECK(qr::parse(handmade_card("Yamada", 0x80)).error == ParseError::InvalidField);  // unknown flag
  CHECK(qr::parse(handmade_card("Yamada", 0, 1234)).error == ParseError::InvalidField);
  CHECK(qr::parse(handmade_card("Yamada", 0, 1990, 0)).error == ParseError::InvalidField);
  CHECK(qr::parse(handmade_card("Yamada", 0x08, 1990, 1, "\x01\x60")).ok());  // packed reading
  CHECK(qr::parse(handmade_card("Yamada", 0x08, 1990, 1, "\x01\x62")).error == ParseError::InvalidField);
  CHECK(qr::parse(handmade_card("Yamada", 0, 1990, 1, "\xff")).error == ParseError::InvalidUtf8);
  auto p = qr::parse(handmade_card("\xc0\xaf"));
  CHECK(p.detail.find("name") != std::string::npos);
  CHECK_FALSE(p.card);
}

TEST_CASE("random damage is never accepted as a different card", "[qr]") {
  const auto card = four_person_card();
  const std::string rec = record_of(encode(card));
  std::mt19937 rng(2026);
  int rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string r = rec;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) r[rng() % r.size()] ^= static_cast<char>(1 + rng() % 255);
    if (rng() % 4 == 0) r.resize(rng() % r.size());
    auto p = qr::parse(as_code(r));
    if (p.ok()) {
      REQUIRE(p.card);
      CHECK(*p.card == card);  // only possible if the flips cancelled out
    } else {
      ++rejected;
      CHECK_FALSE(p.card);
      CHECK_FALSE(p.pass);
    }
  }
  CHECK(rejected > 4900);
}

TEST_CASE("every error has a message and a name", "[qr]") {
  for (int e = 0; e <= static_cast<int>(ParseError::TrailingData); ++e) {
    CHECK_FALSE(qr::describe(static_cast<ParseError>(e)).empty());
    CHECK(qr::error_name(static_cast<ParseError>(e)) != "unknown");
  }
}
