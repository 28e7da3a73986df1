// The card rule (docs/security.md): a card's or a form's details apply only
// to a new person. Properties over random histories: forged registrations
// (a card made with a known person's id, at any shelter, with any stamp)
// leave every person's state as it was without them, in any order, in the
// fold and through the server's merge (Store::admit).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "core/projection.hpp"
#include "core/write_rules.hpp"
#include "store_helpers.hpp"
#include "test_support.hpp"

using namespace shelter;

namespace {

const PersonId kPerson = "00000000000000ab";

struct Maker {
  std::mt19937_64 rng;
  std::int64_t seq = 0;
  Event make(EventType type, const std::string& shelter, Hlc hlc, nlohmann::json body, std::string author = "self") {
    Event e;
    e.type = type;
    e.device_id = shelter + "-a";
    e.hlc = hlc;
    e.id = make_event_id(e.device_id, hlc);
    e.person_id = kPerson;
    e.shelter_id = shelter;
    e.device_seq = ++seq;
    e.author = std::move(author);
    e.body = std::move(body);
    return e;
  }
  Hlc at(std::int64_t minute) { return make_hlc(1'800'000'000'000 + minute * 60'000, 0); }
  std::string shelter() { return rng() % 2 ? "shelter-a" : "shelter-b"; }

  // A real history: registered at A, then arrivals, outs and corrections.
  std::vector<Event> history() {
    std::vector<Event> h;
    h.push_back(make(EventType::Arrived, "shelter-a", at(0), {{"stay", "shelter"}}));
    h.push_back(make(EventType::Registered, "shelter-a", at(0) + 1,
                     {{"name", "山田 花子"}, {"consent", "0"}, {"phone", "0120"}, {"needs", "allergy"}}));
    std::string home = "shelter-a";
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 1; i <= n; ++i) {
      switch (rng() % 3) {
        case 0:
          home = shelter();
          h.push_back(make(EventType::Arrived, home, at(10 * i), {{"stay", "car"}}));
          break;
        case 1:
          h.push_back(make(EventType::WentOut, home, at(10 * i), nlohmann::json::object()));
          break;
        default:
          h.push_back(
              make(EventType::Corrected, home, at(10 * i), {{"phone", "03-" + std::to_string(i)}}, "staff:sato"));
      }
    }
    return h;
  }

  // A forged card of the person: its registration, with any stamp (before
  // the real one too), from any shelter; sometimes as an arrival of an
  // earlier version that carries the details.
  Event forgery() {
    const Hlc when = at(static_cast<std::int64_t>(rng() % 120) - 60) + 2;
    nlohmann::json details = {{"name", "Forged"}, {"consent", "1"}, {"phone", "999"}};
    Event f = rng() % 3 == 0 ? make(EventType::Arrived, shelter(), when, details)
                             : make(EventType::Registered, shelter(), when, details);
    if (f.type == EventType::Arrived) f.body["stay"] = "shelter";
    f.device_id = f.shelter_id + "-forger";
    f.id = make_event_id(f.device_id, f.hlc);
    return f;
  }
};

PersonState fold(const std::vector<Event>& events) {
  PersonState p;
  p.id = kPerson;
  for (const auto& e : events) p.apply(e);
  return p;
}

}  // namespace

TEST_CASE("the earliest registration wins; any other write of a field beats it", "[card-rule]") {
  Maker m{std::mt19937_64(1)};
  const Event first = m.make(EventType::Registered, "shelter-a", m.at(0), {{"name", "A"}, {"consent", "0"}});
  const Event later = m.make(EventType::Registered, "shelter-b", m.at(5), {{"name", "B"}, {"consent", "1"}});
  const Event fix = m.make(EventType::Corrected, "shelter-a", m.at(1), {{"consent", "1"}}, "staff:sato");
  for (const auto& order : {std::vector<Event>{first, later, fix}, std::vector<Event>{later, fix, first},
                            std::vector<Event>{fix, later, first}}) {
    const PersonState p = fold(order);
    CHECK(p.info().name == "A");
    CHECK(p.info().consent);  // the correction, though stamped before the later card
    CHECK(p.has_details());
  }
  // A person with a status only has no details.
  CHECK_FALSE(fold({m.make(EventType::Arrived, "shelter-a", m.at(0), {{"stay", "shelter"}})}).has_details());
}

TEST_CASE("property: forged cards stamped after the registration change no fold, in any order", "[card-rule]") {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    Maker m{std::mt19937_64(seed)};
    std::vector<Event> h = m.history();
    const PersonState want = fold(h);
    std::vector<Event> all = h;
    const int forged = 1 + static_cast<int>(m.rng() % 3);
    for (int i = 0; i < forged; ++i) {
      Event f = m.forgery();
      if (f.type != EventType::Registered) continue;  // arrivals move the person: the server's test below
      f.hlc = std::max(f.hlc, m.at(0) + 2);
      f.id = make_event_id(f.device_id, f.hlc);
      all.push_back(f);
    }
    std::shuffle(all.begin(), all.end(), m.rng);
    INFO("seed " << seed);
    const PersonState got = fold(all);
    CHECK(got.info() == want.info());
    CHECK(got.presence() == want.presence());
    CHECK(got.shelter_id() == want.shelter_id());
  }
}

TEST_CASE("property: the server keeps a forged card of a known person out, whatever its stamp", "[card-rule]") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    Maker m{std::mt19937_64(seed)};
    const std::vector<Event> h = m.history();
    std::vector<Event> forged;
    for (int i = 0, n = 1 + static_cast<int>(m.rng() % 3); i < n; ++i) forged.push_back(m.forgery());
    // The registration reaches the server first (the person is known); the
    // forgeries come anywhere in the rest of the history, in batches of any
    // size. (The history keeps its order: an out pushed before the arrival
    // it follows is refused with or without forgeries.)
    std::vector<Event> rest(h.begin() + 2, h.end());
    for (const auto& f : forged) rest.insert(rest.begin() + static_cast<long>(m.rng() % (rest.size() + 1)), f);
    auto admit_all = [&](Store& s, const std::vector<Event>& events) {
      for (size_t at = 0; at < events.size();) {
        const size_t n = std::min<size_t>(events.size() - at, 1 + m.rng() % 3);
        REQUIRE(s.admit({events.begin() + static_cast<long>(at), events.begin() + static_cast<long>(at + n)},
                        1'900'000'000'000, 300'000)
                    .ok());
        at += n;
      }
    };
    test::TempDir dir;
    auto with = test::open_store(dir.file("with.db"), "hq", "hq-1");
    auto without = test::open_store(dir.file("without.db"), "hq", "hq-1");
    admit_all(*with, {h[0], h[1]});
    admit_all(*with, rest);
    admit_all(*without, h);
    INFO("seed " << seed);
    auto a = with->person(kPerson);
    auto b = without->person(kPerson);
    REQUIRE((a.ok() && b.ok() && a->has_value() && b->has_value()));
    CHECK((*a)->info == (*b)->info);
    CHECK((*a)->presence == (*b)->presence);
    CHECK((*a)->shelter_id == (*b)->shelter_id);
    // Every forgery carries details, so each is refused by itself.
    auto stored = with->person_events(kPerson);
    REQUIRE(stored.ok());
    CHECK(stored->size() == h.size());
    for (const auto& e : *stored) CHECK(e.device_id.find("forger") == std::string::npos);
  }
}
