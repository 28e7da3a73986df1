// A shelter hub (sync/server/hub_relay.hpp) in the in-process world: kiosks
// of one shelter agree through the hub with no line to the city; the city
// then gets every event, once, through the hub's relay or a kiosk that
// syncs with it directly; volunteers' signatures and the keys of kiosks the
// hub enrolled follow.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/checkin.hpp"
#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/usb_export.hpp"
#include "sync/server/routes.hpp"
#include "tests/sim/sim.hpp"
#include "tests/sim/sim_checks.hpp"
#include "tests/unit/test_support.hpp"

using namespace shelter;
using namespace shelter::sim;

namespace {

struct HubWorld {
  test::TempDir dir;
  WorldClock clock;
  std::unique_ptr<Server> city;
  std::unique_ptr<Hub> hub;
  std::mt19937_64 rng{11};
  std::ostringstream quiet;
  std::streambuf* cerr_was = std::cerr.rdbuf(quiet.rdbuf());

  // pg: the city on PostgreSQL (a hub is always SQLite).
  explicit HubWorld(const std::string& pg) {
    auto c = Server::open(dir.path().string(), pg, clock);
    REQUIRE(c.ok());
    city = std::move(c).value();
    auto h = Hub::open(dir.path().string() + "/hub", "tama-01", "tama-01-hub", clock, *city);
    INFO((h ? std::string() : h.error().message));
    REQUIRE(h.ok());
    hub = std::move(h).value();
  }
  ~HubWorld() { std::cerr.rdbuf(cerr_was); }
  std::unique_ptr<Kiosk> kiosk(const std::string& device) {
    auto k = std::make_unique<Kiosk>(dir.path().string(), "tama-01", device, clock, 0);
    REQUIRE(k->open().ok());
    return k;
  }
  void sync_hub(Kiosk& k) {
    auto r = k.sync(hub->server(), NetFaults{}, rng, true);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->refused == 0);
  }
  // A person checked in at another shelter, kawa-02, by a kiosk enrolled
  // at the city.
  PersonId checked_in_elsewhere(const std::string& name) {
    Kiosk other(dir.path().string(), "kawa-02", "kawa-02-a", clock, 0);
    REQUIRE(other.open().ok());
    REQUIRE(other.enrol(*city).ok());
    const PersonId p = walk_in(other, name);
    REQUIRE(other.sync(*city, NetFaults{}, rng).ok());
    other.close();
    return p;
  }
  sync::RelayReport relay() {
    auto r = hub->relay(NetFaults{}, rng);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    return *r;
  }
};

void went_out(Kiosk& k, const PersonId& id) {
  auto e = presence_event(k.store(), id, EventType::WentOut, "staff:sato");
  INFO((e ? std::string() : e.error().message));
  REQUIRE(e.ok());
  REQUIRE(k.store().record(*e).ok());
}

std::vector<std::pair<int, int>> present_out(Store& s) {
  auto c = s.counts("tama-01");
  REQUIRE(c.ok());
  return {{c->present, c->out}};
}

std::vector<std::pair<int, int>> present_out(sync::ServerStore& s) {
  auto c = s.counts("tama-01");
  REQUIRE(c.ok());
  if (c->empty()) return {{0, 0}};
  return {{(*c)[0].present, (*c)[0].out}};
}

std::int64_t events_of(Store& s, const std::string& device) {
  auto q = s.db().prepare("SELECT count(*) FROM event WHERE device_id = ?1");
  REQUIRE(q.ok());
  (*q)->bind(1, device);
  REQUIRE((*q)->step().ok());
  return (*q)->i64(0);
}

}  // namespace

TEST_CASE("kiosks of one shelter agree through the hub, and the city gets it all once", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  auto a = w.kiosk("tama-01-a");
  auto b = w.kiosk("tama-01-b");
  auto c = w.kiosk("tama-01-c");
  REQUIRE(a->enrol(w.hub->server(), true).ok());  // enrolled at the hub, the city out of reach
  REQUIRE(b->enrol(w.hub->server(), true).ok());
  REQUIRE(c->enrol(*w.city).ok());  // enrolled at the city before, and at the hub too
  REQUIRE(c->enrol(w.hub->server(), true).ok());
  w.hub->link_up = false;

  // Check in at A; B scans the person out; every kiosk and the hub agree.
  const PersonId p = walk_in(*a, "Aoki");
  w.sync_hub(*a);
  w.sync_hub(*b);
  went_out(*b, p);  // a staff event, signed by B's lead
  w.sync_hub(*b);
  w.sync_hub(*a);
  w.sync_hub(*c);
  const auto shelter = present_out(w.hub->server().store());
  CHECK(shelter == std::vector<std::pair<int, int>>{{0, 1}});
  CHECK(present_out(a->store()) == shelter);
  CHECK(present_out(b->store()) == shelter);
  CHECK(present_out(c->store()) == shelter);
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{0, 0}});
  CHECK_FALSE(w.hub->relay(NetFaults{}, w.rng).ok());  // no line yet: an error, kept for staff

  // The link comes up: the city's counts equal the shelter's; the staff
  // event verified at the city (the volunteers' keys went with the hub).
  w.hub->link_up = true;
  auto r = w.relay();
  CHECK(r.refused == 0);
  CHECK(r.pushed == 2);  // the arrival and the going out
  CHECK(r.waiting == 0);
  CHECK(present_out(w.city->store()) == shelter);
  // The keys of the kiosks the hub enrolled are the city's now: their
  // passes verify at every kiosk of the city.
  auto keys = w.city->store().keys();
  REQUIRE(keys.ok());
  for (const char* device : {"tama-01-a", "tama-01-b"})
    CHECK(std::any_of(keys->begin(), keys->end(), [&](const signing::TrustedKey& k) {
      return k.kind == "device" && k.device_id == device && k.shelter_id == "tama-01" && !k.revoked;
    }));
  // The city's dashboard sees the hub and its kiosks.
  auto reports = w.city->store().hub_reports().all();
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].hub_device == "tama-01-hub");
  CHECK(reports[0].kiosks.size() == 3);

  // The hub goes down; C checks in with the city directly, A keeps working alone.
  w.hub->up = false;
  const PersonId q = walk_in(*c, "Baba");
  auto direct = c->sync(*w.city, NetFaults{}, w.rng);
  REQUIRE(direct.ok());
  const PersonId s = walk_in(*a, "Chiba");
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{1, 1}});
  // The hub comes back: it learns C's check-in from the city, A catches up,
  // and C sending its events to the hub too doubles nothing.
  w.hub->up = true;
  w.relay();
  w.sync_hub(*a);
  w.sync_hub(*c);
  w.relay();
  w.sync_hub(*b);
  for (auto* k : {a.get(), b.get(), c.get()}) {
    CHECK(k->store().person(q).value().has_value());
    CHECK(k->store().person(s).value().has_value());
    CHECK(present_out(k->store()) == std::vector<std::pair<int, int>>{{2, 1}});
  }
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{2, 1}});
  CHECK(present_out(w.hub->server().store()) == std::vector<std::pair<int, int>>{{2, 1}});
  // Once each: the city holds as many of C's events as C wrote, up to its last seq.
  CHECK(w.city->store().last_device_seq("tama-01-c").value() == events_of(c->store(), "tama-01-c"));
  CHECK(a->store().unsynced_count().value() == 0);
}

TEST_CASE("a hub answers only its shelter's hub routes; kiosks cannot pose as hubs", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  auto k = w.kiosk("tama-01-k");
  REQUIRE(k->enrol(*w.city).ok());
  auto secrets = load_secrets(secrets_path(k->path()));
  REQUIRE(secrets.ok());
  // A kiosk's token is refused on the hubs' routes at the city.
  auto reply = w.city->handle({"POST", "/v1/hub/report", R"({"v":1,"kiosks":[]})", secrets->sync_token});
  REQUIRE(reply.ok());
  CHECK(reply->status == 403);
  reply = w.city->handle({"GET", "/v1/hub/volunteers", "", secrets->sync_token});
  REQUIRE(reply.ok());
  CHECK(reply->status == 403);
  // The city is no hub; the hub says it is one, with its link.
  reply = w.city->handle({"GET", "/v1/hub/status", "", secrets->sync_token});
  REQUIRE(reply.ok());
  CHECK(nlohmann::json::parse(reply->body)["hub"] == false);
  REQUIRE(k->enrol(w.hub->server(), true).ok());
  secrets = load_secrets(secrets_path(k->path()));
  w.relay();
  reply = w.hub->server().handle({"GET", "/v1/hub/status", "", secrets->hub_token});
  REQUIRE(reply.ok());
  auto j = nlohmann::json::parse(reply->body);
  CHECK(j["hub"] == true);
  CHECK(j["link"]["state"].get<std::string>().rfind("ok ", 0) == 0);
  // A hub may not register a kiosk the city knows at another shelter.
  auto other = std::make_unique<Kiosk>(w.dir.path().string(), "tama-02", "tama-02-x", w.clock, 0);
  REQUIRE(other->open().ok());
  REQUIRE(other->enrol(*w.city).ok());
  auto keys = w.city->store().keys();
  REQUIRE(keys.ok());
  std::string x_key;
  for (const auto& key : *keys)
    if (key.device_id == "tama-02-x") x_key = signing::to_hex(key.public_key);
  REQUIRE_FALSE(x_key.empty());
  sync::Principal hub;
  hub.kind = sync::Principal::Kind::Kiosk;
  hub.shelter_id = "tama-01";
  hub.device_id = "tama-01-hub";
  hub.role = "hub";
  auto adopted = w.city->store().adopt_device_key(hub, "tama-02-x", *signing::from_hex(x_key, 32));
  CHECK_FALSE(adopted.ok());
}

TEST_CASE("a kiosk enrolled with a replacement hub box sends it everything", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  auto a = w.kiosk("tama-01-a");
  REQUIRE(a->enrol(w.hub->server(), true).ok());
  w.hub->link_up = false;
  const PersonId p = walk_in(*a, "Aoki");
  w.sync_hub(*a);  // at the hub, never relayed: the box then dies
  w.hub->up = false;
  auto h2 = Hub::open(w.dir.path().string() + "/hub2", "tama-01", "tama-01-hub2", w.clock, *w.city);
  REQUIRE(h2.ok());
  REQUIRE(a->enrol((*h2)->server(), true).ok());
  auto r = a->sync((*h2)->server(), NetFaults{}, w.rng, true);
  REQUIRE(r.ok());
  CHECK(r->pushed == 1);  // the arrival, which the dead box never relayed
  auto relayed = (*h2)->relay(NetFaults{}, w.rng);
  REQUIRE(relayed.ok());
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{1, 0}});
  CHECK(w.city->store().persons(false).value().size() == 1);
  CHECK(w.city->store().persons(false).value()[0].id == p);
}

TEST_CASE("a USB file relayed through the hub reaches the city", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  auto a = w.kiosk("tama-01-a");
  auto b = w.kiosk("tama-01-b");
  REQUIRE(a->enrol(w.hub->server(), true).ok());
  REQUIRE(b->enrol(w.hub->server(), true).ok());
  w.relay();       // the hub adopts the city's keys, headquarters' too
  w.sync_hub(*b);  // so B can seal a file to headquarters
  const PersonId p = walk_in(*b, "Kato");
  size_t n = 0;
  auto file = make_sealed_export(b->store(), false, n);
  INFO((file ? std::string() : file.error().message));
  REQUIRE(file.ok());
  REQUIRE(queue_for_relay(a->store(), *file).ok());
  w.sync_hub(*a);  // A passes it to the hub, which cannot open it
  CHECK(relay_queue(a->path()).empty());
  CHECK_FALSE(a->store().person(p)->has_value());
  w.relay();  // the hub passes it to the city, which imports it, and its feed brings it back
  CHECK(w.city->store().persons(false).value().size() == 1);
  w.sync_hub(*a);
  CHECK(a->store().person(p)->has_value());
}

// The hub stores what its kiosks push unjudged; the city refuses the
// check-in of a database copied back as seq_taken, and judges the "went
// out" after it without it (merge_sim --hubs seed 198). Both come back to
// the kiosk through the hub and are recorded again, in their order.
TEST_CASE("a database copied back: a change after its retaken check-in reaches the city through the hub", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  const PersonId q = w.checked_in_elsewhere("Ikeda");
  auto a = w.kiosk("tama-01-a");
  REQUIRE(a->enrol(w.hub->server(), true).ok());
  const std::string copy = w.dir.file("a.copy");
  copy_database(*a, copy);
  w.clock.now += 60'000;
  const PersonId p = walk_in(*a, "Hara");
  w.sync_hub(*a);
  w.relay();
  put_back_database(*a, copy);
  w.clock.now += 60'000;
  pass_scan(*a, q);  // Ikeda moves here under Hara's seq
  w.clock.now += 60'000;
  went_out(*a, q);
  w.sync_hub(*a);
  CHECK(w.relay().refused == 2);
  auto r = a->sync(w.hub->server(), NetFaults{}, w.rng, true);  // the city's verdicts: both recorded again
  REQUIRE(r.ok());
  CHECK(r->refused == 2);
  w.sync_hub(*a);
  w.relay();
  auto at_city = w.city->store().persons(false);
  REQUIRE(at_city.ok());
  for (const auto& person : *at_city) {
    if (person.id == q) {
      CHECK(person.shelter_id == "tama-01");
      CHECK(person.presence == Presence::Out);
    }
    if (person.id == p) CHECK(person.presence == Presence::Present);
  }
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{1, 1}});
  auto refused = a->store().refused_events();
  REQUIRE(refused->size() == 2);
  for (const auto& f : *refused) CHECK(!f.reissued_as.empty());
}

// A file to headquarters from a hub's kiosk carries what the hub may not
// have relayed yet: an out at B about a person who arrived at A must not
// reach the city without that arrival (merge_sim --hubs, seed 1207).
TEST_CASE("a hub kiosk's USB file to headquarters carries the arrival its out depends on", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  auto a = w.kiosk("tama-01-a");
  auto b = w.kiosk("tama-01-b");
  REQUIRE(a->enrol(w.hub->server(), true).ok());
  REQUIRE(b->enrol(w.hub->server(), true).ok());
  w.sync_hub(*a);
  w.sync_hub(*b);
  w.relay();  // the city learns both kiosks' keys; B learns headquarters'
  w.sync_hub(*b);
  w.hub->link_up = false;
  const PersonId p = walk_in(*a, "Aoki");
  w.sync_hub(*a);
  w.sync_hub(*b);
  REQUIRE(pass_scan(*b, p).type == EventType::WentOut);  // the pass at B: going out
  size_t n = 0;
  auto file = make_sealed_export(b->store(), false, n);
  INFO((file ? std::string() : file.error().message));
  REQUIRE(file.ok());
  CHECK(n == 2);  // the out, and A's arrival from the hub
  auto keys = w.city->store().keys();
  REQUIRE(keys.ok());
  auto parsed = sync::open_sealed_export(w.city->store().hq_secret(), *keys, *file);
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed.ok());
  auto imported = sync::import_usb_at_server(w.city->store(), *parsed, w.clock.now);
  REQUIRE(imported.ok());
  CHECK(imported->refused.empty());
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{0, 1}});
  w.hub->link_up = true;  // the hub's relay later doubles nothing
  w.relay();
  CHECK(present_out(w.city->store()) == std::vector<std::pair<int, int>>{{0, 1}});
}

// Copied back twice from the same old file (merge_sim --hubs, 800 actions,
// seed 2009): the restored kiosk reads the hub's refusals again, among
// them one it had already recorded a copy for. The copy comes back with
// the hub's feed, on a later page than the first: the refusal waits for
// the last page, and finds the copy instead of recording a second one
// under the first one's id (which the city would refuse as a conflict).
TEST_CASE("a kiosk copied back twice does not record its refused move again", "[hub]") {
  HubWorld w(GENERATE(from_range(backends())));
  const PersonId q = w.checked_in_elsewhere("Ikeda");
  auto a = w.kiosk("tama-01-a");
  auto b = w.kiosk("tama-01-b");
  REQUIRE(a->enrol(w.hub->server(), true).ok());
  REQUIRE(b->enrol(w.hub->server(), true).ok());
  const std::string copy = w.dir.file("a.copy");
  copy_database(*a, copy);
  w.clock.now += 60'000;
  walk_in(*a, "Hara");
  w.sync_hub(*a);
  w.relay();
  put_back_database(*a, copy);
  w.clock.now += 60'000;
  pass_scan(*a, q);  // under Hara's seq
  w.sync_hub(*a);
  for (int i = 0; i < 60; ++i) walk_in(*b, "Walk-in " + std::to_string(i));  // more than a page of the feed
  w.sync_hub(*b);
  CHECK(w.relay().refused == 1);
  walk_in(*a, "Ueda");  // after B's in the feed: the copy below gets a later seq than a restored kiosk's next
  REQUIRE(a->sync(w.hub->server(), NetFaults{}, w.rng, true).ok());  // the move recorded again
  w.sync_hub(*a);
  w.relay();
  REQUIRE(a->store().unsynced_count().value() == 0);
  put_back_database(*a, copy);
  for (int round = 0; round < 3; ++round) {
    auto r = a->sync(w.hub->server(), NetFaults{}, w.rng, true);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    w.relay();
  }
  for (const auto& f : a->store().refused_events().value()) CHECK(f.code == "seq_taken");
  auto log = server_log(*w.city, w.clock, w.dir.path().string(), {"tama-01"});
  REQUIRE(log.ok());
  int moves = 0;
  for (const auto& [id, e] : *log)
    moves += e.person_id == q && e.type == EventType::Arrived && e.shelter_id == "tama-01";
  CHECK(moves == 1);
  auto at_city = w.city->store().persons(false);
  REQUIRE(at_city.ok());
  auto it = std::find_if(at_city->begin(), at_city->end(), [&](const PersonRecord& p) { return p.id == q; });
  REQUIRE(it != at_city->end());
  CHECK(it->shelter_id == "tama-01");
  auto at_a = a->store().person(q);
  REQUIRE(at_a.ok());
  REQUIRE(at_a->has_value());
  // Field by field: PostgreSQL's person rows leave updated_hlc at 0.
  CHECK((*at_a)->shelter_id == it->shelter_id);
  CHECK((*at_a)->presence == it->presence);
  CHECK((*at_a)->info.name == it->info.name);
}
