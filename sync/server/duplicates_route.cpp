// GET /v1/duplicates: headquarters' cross-shelter duplicate candidates
// (ServerStore::duplicates), each pair with both persons' details and
// shelters, for a volunteer there to merge or dismiss at the kiosk.
#include <algorithm>

#include "sync/server/routes.hpp"

namespace shelter::sync {

namespace {
nlohmann::json person_json(const PersonRecord& p, const std::vector<ShelterInfo>& places) {
  auto place = std::find_if(places.begin(), places.end(), [&](const ShelterInfo& s) { return s.id == p.shelter_id; });
  return {{"id", p.id},
          {"name", p.info.name},
          {"reading", p.info.reading},
          {"birth", to_string(p.info.birth)},
          {"sex", std::string(to_string(p.info.sex))},
          {"address", p.info.address},
          {"phone", p.info.phone},
          {"needs", needs_to_string(p.info.needs)},
          {"household", p.household_id},
          {"shelter", p.shelter_id},
          {"shelter_name", place == places.end() ? std::string() : place->name},
          {"presence", to_string(p.presence)}};
}
}  // namespace

ApiReply serve_duplicates(ServerStore& st, const Principal& p) {
  auto pairs = st.duplicates();
  if (!pairs) return refused(503, pairs.error().message);
  auto places = st.shelters();
  if (!places) return refused(503, places.error().message);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : *pairs) {
    const bool across = d.a.shelter_id != d.b.shelter_id;
    out.push_back({{"a", person_json(d.a, *places)}, {"b", person_json(d.b, *places)}, {"across_shelters", across}});
  }
  ApiReply reply = json_reply(out.dump());
  reply.log.push_back("duplicates read by " + p.name + ": " + std::to_string(out.size()) + " pair(s)");
  return reply;
}

}  // namespace shelter::sync
