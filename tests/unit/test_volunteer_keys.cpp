// Volunteers' signing keys (core/volunteer_keys.hpp): a staff event counts
// at the server only with the signature of a key registered for its
// volunteer at its shelter, and a key is registered only when a lead of
// that shelter (or the enrolment code) vouches for it.
#include <catch2/catch.hpp>

#include "core/model.hpp"
#include "core/signing.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"
#include "sync/server/routes.hpp"
#include "test_support.hpp"

using namespace shelter;
using namespace shelter::sync;

TEST_CASE("a volunteer's key comes from their PIN and salt, and only the right PIN gives it") {
  const std::string salt = new_volunteer_salt();
  auto a = derive_volunteer_key("246813", salt);
  auto b = derive_volunteer_key("246813", salt);
  auto other_pin = derive_volunteer_key("246814", salt);
  auto other_salt = derive_volunteer_key("246813", new_volunteer_salt());
  REQUIRE((a && b && other_pin && other_salt));
  CHECK(a->public_key == b->public_key);
  CHECK(a->public_key != other_pin->public_key);
  CHECK(a->public_key != other_salt->public_key);
  CHECK_FALSE(derive_volunteer_key("246813", "short").ok());
}

TEST_CASE("enrolling a volunteer stores their key, vouched for by the lead signed in") {
  test::TempDir dir;
  auto store = Store::open(dir.file("k.db"));
  REQUIRE(store);
  REQUIRE((*store)->init_identity("tama-01", "tama-01-a", "Tama"));
  REQUIRE(add_volunteer(**store, "佐藤", "246813", VolunteerRole::Lead, "shelterctl"));
  auto lead = find_volunteer(**store, "佐藤");
  REQUIRE((lead && *lead));
  CHECK((*lead)->vouch.empty());
  auto lead_key = volunteer_signing_key(**store, **lead, "246813");
  REQUIRE(lead_key);
  CHECK(lead_key->author == "staff:佐藤");
  CHECK(signing::to_hex(lead_key->pair.public_key) == (*lead)->public_key);
  CHECK_FALSE(volunteer_signing_key(**store, **lead, "135792").ok());

  REQUIRE(add_volunteer(**store, "伊藤", "975318", VolunteerRole::Volunteer, "佐藤", false, &*lead_key));
  auto ito = find_volunteer(**store, "伊藤");
  REQUIRE((ito && *ito));
  CHECK((*ito)->vouched_by == "佐藤");
  auto pub = signing::from_hex((*ito)->public_key, signing::kPublicKeyBytes);
  auto vouch = signing::from_hex((*ito)->vouch, signing::kSignatureBytes);
  REQUIRE((pub && vouch));
  CHECK(signing::verify(lead_key->pair.public_key, volunteer_statement("tama-01", "伊藤", "volunteer", *pub), *vouch));
  auto pending = volunteers_to_register(**store);
  REQUIRE(pending);
  CHECK(pending->size() == 2);
}

TEST_CASE("a volunteer enrolled before keys gets one at their next sign-in") {
  test::TempDir dir;
  auto store = Store::open(dir.file("k.db"));
  REQUIRE(store);
  REQUIRE((*store)->init_identity("tama-01", "tama-01-a", "Tama"));
  REQUIRE(add_volunteer(**store, "山田", "246813", VolunteerRole::Lead, "shelterctl"));
  REQUIRE((*store)->db().exec("UPDATE volunteer SET key_salt = '', public_key = ''"));
  auto old = find_volunteer(**store, "山田");
  REQUIRE((old && *old && (*old)->public_key.empty()));
  auto key = volunteer_signing_key(**store, **old, "246813");
  REQUIRE(key);
  auto now = find_volunteer(**store, "山田");
  CHECK((*now)->public_key == signing::to_hex(key->pair.public_key));
}

TEST_CASE("the store signs the signed-in volunteer's events, and no one else's") {
  test::TempDir dir;
  auto store = Store::open(dir.file("k.db"));
  REQUIRE(store);
  Store& s = **store;
  REQUIRE(s.init_identity("tama-01", "tama-01-a", "Tama"));
  const StaffKey sato{"staff:sato", signing::generate()};
  s.set_staff_signer(sato);
  auto arrival = [&](const std::string& author) {
    return s.record(NewEvent{EventType::Arrived, new_id(), new_id(), "", author, {{"stay", "shelter"}}});
  };
  auto signed_event = arrival("staff:sato");
  auto other = arrival("staff:ito");
  auto self = arrival("self");
  s.set_staff_signer(std::nullopt);
  auto after = arrival("staff:sato");
  REQUIRE((signed_event && other && self && after));
  auto sigs = s.staff_signatures({*signed_event, *other, *self, *after});
  REQUIRE(sigs);
  REQUIRE(sigs->size() == 1);
  CHECK(signing::verify(sato.pair.public_key, staff_event_message(*signed_event), sigs->at(signed_event->id)));
}

namespace {

// A server with shelter tama-01, its kiosk enrolled with lead 佐藤.
struct World {
  test::TempDir dir;
  std::unique_ptr<ServerStore> st;
  Principal kiosk;
  signing::KeyPair lead = signing::generate();
  World() {
    auto opened = open_sqlite_server_store(dir.file("server.db"));
    REQUIRE(opened);
    st = std::move(*opened);
    std::string token;
    auto p = st->enrol(st->create_enrolment("tama-01", "tama-01-a", 24).value(), "tama-01-a", "", token,
                       {"佐藤", lead.public_key});
    REQUIRE(p);
    kiosk = *p;
  }
  Status add(const std::string& name, const std::string& role, const signing::KeyPair& key,
             const signing::KeyPair* voucher, const std::string& voucher_name = "佐藤") {
    std::string vouch;
    if (voucher) vouch = signing::sign(*voucher, volunteer_statement("tama-01", name, role, key.public_key));
    return st->register_volunteer(kiosk, {name, role, key.public_key, voucher ? voucher_name : "", vouch});
  }
  Event staff_event(const std::string& author, int n) {
    Event e;
    e.type = EventType::Arrived;
    e.person_id = new_id();
    e.household_id = new_id();
    e.shelter_id = "tama-01";
    e.device_id = "tama-01-a";
    e.device_seq = n;
    e.author = author;
    e.hlc = (static_cast<Hlc>(1'800'000'000'000 + n) << 16);
    e.id = make_event_id(e.device_id, e.hlc);
    e.body = {{"stay", "shelter"}};
    return e;
  }
  std::vector<std::string> refused_codes(const PushRequest& r) {
    auto reply = serve_push(*st, kiosk, encode(r), 1'800'000'000'000);
    INFO(reply.body);
    REQUIRE(reply.status == 200);
    auto decoded = decode_push_reply(reply.body);
    REQUIRE(decoded);
    std::vector<std::string> codes;
    for (const auto& f : decoded->refused) codes.push_back(f.code);
    return codes;
  }
};

}  // namespace

TEST_CASE("the server registers a volunteer's key only on a lead's word") {
  World w;
  const auto ito = signing::generate(), forged = signing::generate(), second_lead = signing::generate();
  CHECK_FALSE(w.add("伊藤", "volunteer", ito, nullptr).ok());           // nobody vouches
  CHECK_FALSE(w.add("伊藤", "volunteer", ito, &forged).ok());           // signed by a key that is no lead's
  CHECK_FALSE(w.add("伊藤", "volunteer", ito, &w.lead, "山田").ok());   // the lead's key under another name
  CHECK_FALSE(w.add("偽リーダー", "lead", second_lead, nullptr).ok());  // the shelter has its lead already
  CHECK(w.add("伊藤", "volunteer", ito, &w.lead).ok());
  CHECK(w.add("伊藤", "volunteer", ito, &w.lead).ok());        // again: a no-op
  CHECK_FALSE(w.add("別人", "volunteer", ito, &w.lead).ok());  // the same key for someone else
  auto keys = w.st->volunteer_keys("tama-01");
  REQUIRE(keys);
  CHECK(keys->size() == 2);
  // A shelter without a lead takes its first lead unvouched (a kiosk
  // enrolled before leads were named at enrolment).
  std::string token;
  auto other = w.st->enrol(w.st->create_enrolment("tama-02", "tama-02-a", 24).value(), "tama-02-a", "", token);
  REQUIRE(other);
  const auto first = signing::generate();
  CHECK_FALSE(w.st->register_volunteer(*other, {"鈴木", "volunteer", first.public_key, "", ""}).ok());
  CHECK(w.st->register_volunteer(*other, {"鈴木", "lead", first.public_key, "", ""}).ok());
  CHECK_FALSE(w.st->register_volunteer(*other, {"高橋", "lead", signing::generate().public_key, "", ""}).ok());
}

TEST_CASE("the server's log of volunteer registrations names keys, never volunteers") {
  World w;
  const auto ito = signing::generate(), kato = signing::generate(), taken = signing::generate();
  REQUIRE(w.add("渡辺", "volunteer", taken, &w.lead).ok());
  VolunteersRequest r;
  r.device_id = w.kiosk.device_id;
  auto vouched = [&](const std::string& name, const signing::KeyPair& key) {
    return VolunteerKey{name, "volunteer", key.public_key, "佐藤",
                        signing::sign(w.lead, volunteer_statement("tama-01", name, "volunteer", key.public_key))};
  };
  r.volunteers = {vouched("伊藤", ito), VolunteerKey{"加藤", "volunteer", kato.public_key, "", ""},
                  vouched("別人", taken)};
  const auto reply = serve_volunteers(*w.st, w.kiosk, encode(r));
  REQUIRE(reply.status == 200);
  auto answers = decode_volunteers_reply(reply.body);
  REQUIRE(answers);
  REQUIRE(answers->size() == 3);
  CHECK((*answers)[0].registered);
  CHECK_FALSE((*answers)[1].registered);  // nobody vouched
  CHECK_FALSE((*answers)[2].registered);  // another volunteer's key
  REQUIRE(reply.log.size() == 3);
  for (const auto& line : reply.log) {
    INFO(line);
    for (const char* name : {"伊藤", "加藤", "別人", "渡辺", "佐藤"}) CHECK(line.find(name) == std::string::npos);
  }
  CHECK(reply.log[0].find(signing::key_id(ito.public_key)) != std::string::npos);
  CHECK(reply.log[1].find(signing::key_id(kato.public_key)) != std::string::npos);
}

TEST_CASE("a staff event counts only with its volunteer's signature") {
  World w;
  const auto ito = signing::generate();
  REQUIRE(w.add("伊藤", "volunteer", ito, &w.lead));
  PushRequest r{"tama-01-a", {}, {}};
  const Event lead_signed = w.staff_event("staff:佐藤", 1);
  const Event ito_signed = w.staff_event("staff:伊藤", 2);
  const Event unsigned_event = w.staff_event("staff:佐藤", 3);
  const Event wrong_key = w.staff_event("staff:佐藤", 4);  // signed with 伊藤's key
  const Event unknown = w.staff_event("staff:mayor", 5);   // nobody registered
  Event altered = w.staff_event("staff:佐藤", 6);          // signed, then changed
  const Event self = w.staff_event("self", 7);
  r.events = {lead_signed, ito_signed, unsigned_event, wrong_key, unknown, altered, self};
  r.staff_signatures[lead_signed.id] = signing::sign(w.lead, staff_event_message(lead_signed));
  r.staff_signatures[ito_signed.id] = signing::sign(ito, staff_event_message(ito_signed));
  r.staff_signatures[wrong_key.id] = signing::sign(ito, staff_event_message(wrong_key));
  r.staff_signatures[unknown.id] = signing::sign(ito, staff_event_message(unknown));
  r.staff_signatures[altered.id] = signing::sign(w.lead, staff_event_message(altered));
  r.events[5].body = {{"stay", "car"}};
  const auto codes = w.refused_codes(r);
  CHECK(codes == std::vector<std::string>(4, "unverified_volunteer"));
  // A revoked key signs nothing more.
  auto keys = w.st->volunteer_keys("tama-01");
  REQUIRE(keys);
  for (const auto& k : *keys)
    if (k.name == "伊藤") REQUIRE(w.st->revoke_key(k.key_id));
  const Event after_revoke = w.staff_event("staff:伊藤", 8);
  PushRequest again{
      "tama-01-a", {after_revoke}, {{after_revoke.id, signing::sign(ito, staff_event_message(after_revoke))}}};
  CHECK(w.refused_codes(again) == std::vector<std::string>{"unverified_volunteer"});
}
