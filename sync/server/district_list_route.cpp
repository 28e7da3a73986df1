// POST /v1/district-list and GET /v1/district-list/status (roster role
// only): the neighbourhood list, sealed at rest (district_list.hpp). The
// log says who uploaded or read how many people, never who they are.
#include <map>

#include "sync/server/district_list.hpp"
#include "sync/server/routes.hpp"

namespace shelter::sync {

namespace {

const char* match_name(ListMatch m) {
  return m == ListMatch::Exact ? "exact" : m == ListMatch::Probable ? "probable" : "none";
}

// present / out: accounted for, at the shelter; anything else unaccounted
// for, with why: never seen at a shelter, or left one.
std::string state_of(const EntryStatus& s) {
  if (s.person && s.presence == Presence::Present) return "present";
  if (s.person && s.presence == Presence::Out) return "out";
  return "unaccounted";
}

}  // namespace

ApiReply serve_district_list_upload(ServerStore& st, const Principal& p, const ApiRequest& req, std::int64_t now_ms) {
  auto bad = [](int status, const std::string& message, const std::string& in_log) {
    ApiReply r = refused(status, "district list: " + message);
    r.log_refusal = "district list: " + in_log;  // never the list's cells
    return r;
  };
  if (st.list_key().empty())
    return bad(503, "the server has no list key (--list-key FILE): the list cannot be kept sealed", "no list key");
  if (req.body.size() > kMaxDistrictListBytes)
    return bad(413, "the list is over " + std::to_string(kMaxDistrictListBytes >> 20) + " MiB: split it by district",
               "list over the size limit");
  auto entries = read_district_list(req.body);
  if (!entries) return bad(400, entries.error().message, "malformed district list");
  DistrictList list{std::move(*entries), p.name, now_ms};
  auto sealed = seal_district_list(st.list_key(), list);
  if (!sealed) return bad(500, sealed.error().message, "sealing failed");
  if (auto s = st.put_district_list(*sealed); !s) return refused(503, s.error().message);
  std::map<std::string, int> districts;
  for (const auto& e : list.entries) ++districts[e.district];
  ApiReply reply = json_reply(
      nlohmann::json{{"people", list.entries.size()}, {"districts", districts.size()}, {"replaced", true}}.dump());
  reply.log.push_back("district list uploaded by " + p.name + ": " + std::to_string(list.entries.size()) +
                      " people in " + std::to_string(districts.size()) + " district(s), replacing any earlier list");
  return reply;
}

ApiReply serve_district_list_status(ServerStore& st, const Principal& p) {
  if (st.list_key().empty()) return refused(503, "district list: the server has no list key (--list-key FILE)");
  auto sealed = st.district_list();
  if (!sealed) return refused(503, sealed.error().message);
  nlohmann::json out = {{"loaded", !sealed->empty()}, {"people", 0}, {"districts", nlohmann::json::array()}};
  if (sealed->empty()) return json_reply(out.dump());
  auto list = open_district_list(st.list_key(), *sealed);
  if (!list) return refused(503, "district list: " + list.error().message);
  auto persons = st.persons(false);
  if (!persons) return refused(503, persons.error().message);
  auto places = st.shelters();
  if (!places) return refused(503, places.error().message);
  std::map<std::string, std::string> shelter_name;
  for (const auto& s : *places) shelter_name[s.id] = s.name;
  const auto status = match_district_list(list->entries, *persons);

  // Districts in the order the list first names them (a city's own order:
  // 一丁目, 二丁目, ... would not survive sorting by code point).
  std::vector<nlohmann::json> districts;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < list->entries.size(); ++i) {
    const DistrictEntry& e = list->entries[i];
    const EntryStatus& s = status[i];
    const std::string state = state_of(s);
    nlohmann::json person = {{"name", e.name},
                             {"reading", e.reading},
                             {"birth", to_string(e.birth)},
                             {"address", e.address},
                             {"card_id", e.card_id},
                             {"state", state},
                             {"match", match_name(s.match)},
                             {"presence", s.person ? std::string(to_string(s.presence)) : std::string()},
                             {"shelter", s.person ? s.person->shelter_id : std::string()},
                             {"shelter_name", s.person ? shelter_name[s.person->shelter_id] : std::string()}};
    auto [at, added] = index.emplace(e.district, districts.size());
    if (added) districts.emplace_back();
    nlohmann::json& d = districts[at->second];
    if (d.is_null())
      d = {{"district", e.district},           {"total", 0}, {"present", 0}, {"out", 0}, {"unaccounted", 0},
           {"people", nlohmann::json::array()}};
    d["total"] = d["total"].get<int>() + 1;
    d[state] = d[state].get<int>() + 1;
    d["people"].push_back(std::move(person));
  }
  for (auto& d : districts) out["districts"].push_back(std::move(d));
  out["people"] = list->entries.size();
  out["uploaded_by"] = list->uploaded_by;
  out["uploaded_ms"] = list->uploaded_ms;
  ApiReply reply = json_reply(out.dump());
  reply.log.push_back("district list read by " + p.name + ": " + std::to_string(list->entries.size()) + " people");
  return reply;
}

}  // namespace shelter::sync
