// The person-state codec of the PostgreSQL backend: one row per person,
// its fields with their stamps as compact JSON (state_json), and the
// household columns the counts read.
//
// Why JSON and not typed columns like the SQLite store's person table: the
// merge folds new events over each stored person with PersonState::apply,
// which needs every field's stamp (hlc, device, event id), not only its
// value. Typed columns would need a stamp per column (three more columns per
// field, some thirty in all) or a field table (a row per field: ten rows
// per arrival instead of one), and the merge's COPY and its load of the
// persons a batch touches would grow with them; the merge is what the server
// must do fastest (docs/performance.md, "PostgreSQL person rows"). The reads
// that parse the JSON (search, roster, PFIF) are headquarters' occasional
// requests, and what they filter on (name, reading, present_at,
// household_key) are plain typed columns beside the state.
#include "sync/server/pg/pg.hpp"

#include "core/json_text.hpp"
#include "core/name_match.hpp"

namespace shelter::sync::pg {

Event read_event(const pqxx::row& r) {
  Event e;
  e.id = r["id"].c_str();
  e.type = parse_event_type(r["type"].c_str()).value_or(EventType::Arrived);
  e.person_id = r["person_id"].c_str();
  e.household_id = r["household_id"].c_str();
  e.shelter_id = r["shelter_id"].c_str();
  e.device_id = r["device_id"].c_str();
  e.device_seq = r["device_seq"].as<std::int64_t>();
  e.author = r["author"].c_str();
  e.hlc = static_cast<Hlc>(r["hlc"].as<std::int64_t>());
  e.body = nlohmann::json::parse(r["body"].c_str(), nullptr, false);
  e.clamp = static_cast<Hlc>(r["clamp"].as<std::int64_t>());
  return e;
}

// The COPY fields present_at and household_key of p's person row: the
// household p counts in while present at a shelter, else NULL NULL.
CopyRows& household_columns(CopyRows& row, const PersonState& p) {
  const std::vector<HouseholdKey> keys = household_contributions(p);  // one at most: a person is at one shelter
  if (keys.empty()) return row.null().null();
  return row.text(keys.front().shelter_id).text(keys.front().household_id);
}
// p's whole person row (kPersonColumns).
void person_row(CopyRows& rows, const PersonState& p) {
  const std::string& name = p.get(field::kName);
  const std::string& reading = p.get(field::kReading);
  household_columns(rows.text(p.id).text(state_json(p)).text(name).text(reading), p)
      .text(person_match_key(name, reading))
      .end_row();
}

// A person's fields with their stamps, each stamp written once (the
// fields of one event share it):
//   {"s": [[hlc, device], [hlc, device, event id], ...],
//    "f": {"field": "value", "field": ["value", stamp index], ...}}
// A stamp leaves out its event id when the id is the usual
// "<device>.<hlc>", and a field its index when it is 0, so that a new
// person's row is about the size of the arrival that made it.
std::string state_json(const PersonState& p) {
  std::vector<const Stamp*> stamps;
  std::string f;
  f.reserve(320);
  for (const auto& [name, v] : p.fields) {
    size_t i = 0;
    while (i < stamps.size() && stamps[i] != v.stamp.get() && !(*stamps[i] == *v.stamp)) ++i;
    if (i == stamps.size()) stamps.push_back(v.stamp.get());
    f += f.empty() ? '{' : ',';
    append_json_string(f, name);
    f += ':';
    if (i == 0) {
      append_json_string(f, v.value);
    } else {
      f += '[';
      append_json_string(f, v.value);
      f += ',';
      f += std::to_string(i);
      f += ']';
    }
  }
  std::string out = "{\"s\":[";
  for (const Stamp* t : stamps) {
    out += out.back() == '[' ? "[" : ",[";
    out += std::to_string(static_cast<std::int64_t>(t->hlc));
    out += ',';
    append_json_string(out, t->device_id);
    if (!is_event_id_of(t->event_id, t->device_id, t->hlc)) {
      out += ',';
      append_json_string(out, t->event_id);
    }
    out += ']';
  }
  out += "],\"f\":";
  out += f.empty() ? "{}" : f + "}";
  if (p.hidden) out += ",\"h\":1";  // PersonState::hidden, kept with the state
  out += '}';
  return out;
}
// Also reads the first form, {"field": [value, hlc, device, event id]}.
PersonState state_from_json(const std::string& id, const std::string& text) {
  PersonState p;
  p.id = id;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("f") && j["f"].is_object()) {
    std::vector<std::shared_ptr<const Stamp>> stamps;
    for (const auto& s : j.at("s")) {
      Stamp t{static_cast<Hlc>(s.at(0).get<std::int64_t>()), s.at(1).get<std::string>(), {}};
      t.event_id = s.size() > 2 ? s.at(2).get<std::string>() : make_event_id(t.device_id, t.hlc);
      stamps.push_back(std::make_shared<const Stamp>(std::move(t)));
    }
    for (auto it = j["f"].begin(); it != j["f"].end(); ++it) {
      const bool plain = it.value().is_string();
      p.fields.emplace(it.key(), FieldValue{plain ? it.value().get<std::string>() : it.value().at(0).get<std::string>(),
                                            stamps.at(plain ? 0 : it.value().at(1).get<size_t>())});
    }
    p.hidden = j.contains("h");
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      p.fields.emplace(it.key(),
                       FieldValue{it.value().at(0).get<std::string>(),
                                  Stamp{static_cast<Hlc>(it.value().at(1).get<std::int64_t>()),
                                        it.value().at(2).get<std::string>(), it.value().at(3).get<std::string>()}});
  }
  return p;
}
}  // namespace shelter::sync::pg
