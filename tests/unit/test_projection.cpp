#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "core/projection.hpp"

using namespace shelter;

namespace {

Event event(EventType type, std::string person, Hlc hlc, nlohmann::json body = nlohmann::json::object(),
            std::string shelter = "tama-01") {
  Event e;
  e.type = type;
  e.device_id = "tama-01-a";
  e.hlc = hlc;
  e.id = make_event_id(e.device_id, hlc);
  e.person_id = std::move(person);
  e.household_id = "00000000000000aa";
  e.shelter_id = std::move(shelter);
  e.device_seq = 1;
  e.author = "self";
  e.body = std::move(body);
  return e;
}

// The counts a person adds, as first written: through PersonInfo. The
// faster count_contributions must always agree with it.
std::set<CountKey> reference_contributions(const PersonState& p) {
  std::set<CountKey> out;
  if (!p.merged_into().empty()) return out;
  const Presence presence = p.presence();
  const std::string shelter = p.shelter_id();
  if (presence == Presence::Out) {
    out.insert({shelter, "out", ""});
  } else if (presence == Presence::Present) {
    const PersonInfo info = p.info();
    out.insert({shelter, "present", ""});
    out.insert({shelter, "sex", std::string(to_string(info.sex))});
    out.insert({shelter, "birth", to_string(info.birth)});
    out.insert({shelter, "stay", std::string(to_string(p.stay()))});
    for (int bit = 0; bit < kNeedCount; ++bit)
      if (info.needs & (1u << bit)) out.insert({shelter, "need", std::string(need_name(bit))});
  }
  return out;
}

std::set<CountKey> as_set(const std::vector<CountKey>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("event ids are the device and the clock as 16 hex digits", "[projection]") {
  CHECK(make_event_id("tama-01-a", 0x0123456789abcdefULL) == "tama-01-a.0123456789abcdef");
  CHECK(make_event_id("d", 0) == "d.0000000000000000");
  CHECK(make_event_id("d", ~Hlc{0}) == "d.ffffffffffffffff");
}

TEST_CASE("FieldMap keeps fields in name order and adds each name once", "[projection]") {
  FieldMap m;
  const auto stamp = std::make_shared<const Stamp>(Stamp{5, "dev", "dev.0000000000000005"});
  for (const char* name : {"sex", "birth", "name", "address", "stay", "reading"})
    CHECK(m.emplace(name, FieldValue{std::string("v-") + name, stamp}).second);
  auto again = m.emplace("name", FieldValue{"other", stamp});
  CHECK_FALSE(again.second);
  CHECK(again.first->second.value == "v-name");  // as std::map: the first value stays
  std::vector<std::string> names;
  for (const auto& [name, v] : m) names.push_back(name);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(m.size() == 6);
  CHECK(m.find("reading")->second.value == "v-reading");
  CHECK(m.find("phone") == m.end());
  CHECK(m.find("") == m.end());
  FieldMap copy = m;
  CHECK(copy == m);
  copy.find("sex")->second.stamp = std::make_shared<const Stamp>(Stamp{6, "dev", "dev.0000000000000006"});
  CHECK_FALSE(copy == m);  // a different stamp is a different field, same value or not
}

TEST_CASE("the fields one event writes share one stamp, and later writes win field by field", "[projection]") {
  PersonState p;
  p.apply(event(EventType::Arrived, "p1", 100, {{"name", "A"}, {"sex", "F"}, {"birth", "1950"}}));
  CHECK(p.fields.find("name")->second.stamp == p.fields.find("sex")->second.stamp);
  auto changed = p.apply(event(EventType::Corrected, "p1", 90, {{"name", "older"}}));
  CHECK(changed.empty());
  CHECK(p.get(field::kName) == "A");
  changed = p.apply(event(EventType::Corrected, "p1", 110, {{"name", "B"}, {"sex", "F"}}));
  CHECK(changed == std::vector<std::string>{"name", "sex"});
  CHECK(p.get(field::kName) == "B");
  CHECK(p.fields.find("birth")->second.stamp->hlc == 100);
  CHECK(p.fields.find("name")->second.stamp->hlc == 110);
}

TEST_CASE("count contributions agree with reading the person through PersonInfo", "[projection]") {
  const std::vector<nlohmann::json> bodies = {
      {{"name", "A"}},
      {{"name", "B"}, {"sex", "M"}, {"birth", "1950-04-01"}, {"needs", "infant,allergy"}, {"stay", "car"}},
      {{"sex", "x"}, {"birth", "1850"}, {"needs", "care,nonsense"}, {"stay", "home"}},
      {{"sex", "nonsense"}, {"birth", "2024-02-30"}, {"needs", ""}},
  };
  const std::vector<std::vector<EventType>> histories = {
      {EventType::Arrived},
      {EventType::Arrived, EventType::WentOut},
      {EventType::Arrived, EventType::WentOut, EventType::CameBack},
      {EventType::Arrived, EventType::Left},
      {EventType::Arrived, EventType::Merged},
  };
  int cases = 0;
  for (const auto& body : bodies)
    for (const auto& history : histories) {
      PersonState p;
      p.id = "p1";
      Hlc hlc = 1000;
      for (EventType t : history) {
        nlohmann::json b = nlohmann::json::object();
        if (t == EventType::Arrived) b = body;
        if (t == EventType::Merged) b = {{"into", "00000000000000bb"}};
        p.apply(event(t, "p1", hlc += 10, b));
      }
      INFO(body.dump() << " after " << history.size() << " events");
      CHECK(as_set(count_contributions(p)) == reference_contributions(p));
      const CountDelta from_nothing = count_delta(nullptr, p);
      CHECK(as_set(from_nothing.added) == reference_contributions(p));
      CHECK(from_nothing.removed.empty());
      PersonState gone = p;
      gone.apply(event(EventType::Left, "p1", hlc + 10));
      const CountDelta leaving = count_delta(&p, gone);
      CHECK(as_set(leaving.removed) == reference_contributions(p));
      CHECK(leaving.added.empty());
      ++cases;
    }
  CHECK(cases == 20);
}
