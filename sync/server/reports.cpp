#include "sync/server/reports.hpp"

#include <map>

#include "core/csv.hpp"
#include "core/vocabulary.hpp"

namespace shelter::sync {

namespace {

int count_of(const std::map<std::string, int>& counts, std::string_view key) {
  auto it = counts.find(std::string(key));
  return it == counts.end() ? 0 : it->second;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 allows no control characters other than tab and newlines.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
  }
  return out;
}

}  // namespace

std::string situation_report_csv(const std::vector<ShelterCounts>& counts, const std::vector<ShelterInfo>& shelters) {
  std::map<std::string, std::pair<std::string, int>> info;
  for (const auto& s : shelters) info[s.id] = {s.name, s.capacity};
  std::vector<std::string> header = {
      "shelter_id",   "shelter_name",  "capacity",        "persons", "households", "in_shelter",          "outside_car",
      "outside_home", "outside_total", "temporarily_out", "male",    "female",     "sex_other_or_unknown"};
  for (auto b : vocab::kAgeBands) header.push_back("age_" + std::string(b));
  for (auto n : vocab::kNeeds) header.push_back("need_" + std::string(n));
  for (auto k : vocab::kPetKinds) header.push_back("pet_" + std::string(k));
  header.push_back("pets_total");
  std::string text = csv::format_row(header);
  std::vector<long> total(header.size(), 0);
  auto stay = [](StayType t) { return vocab::kStays[static_cast<size_t>(t)]; };
  auto sex = [](Sex s) { return vocab::kSexes[static_cast<size_t>(s)]; };
  auto row_for = [&](const ShelterCounts& c, const std::string& id) {
    const auto it = info.find(id);
    const int male = count_of(c.by_sex, sex(Sex::Male)), female = count_of(c.by_sex, sex(Sex::Female));
    const int car = count_of(c.by_stay, stay(StayType::Car)), home = count_of(c.by_stay, stay(StayType::Home));
    std::vector<long> v = {it == info.end() ? 0 : it->second.second,
                           c.present,
                           c.households,
                           count_of(c.by_stay, stay(StayType::Shelter)),
                           car,
                           home,
                           car + home,
                           c.out,
                           male,
                           female,
                           c.present - male - female};
    for (auto b : vocab::kAgeBands) v.push_back(count_of(c.by_age_band, b));
    for (auto n : vocab::kNeeds) v.push_back(count_of(c.by_need, n));
    long pets = 0;
    for (auto k : vocab::kPetKinds) pets += v.emplace_back(count_of(c.by_pet, k));
    v.push_back(pets);
    csv::Row row = {id, it == info.end() ? "" : it->second.first};
    for (size_t i = 0; i < v.size(); ++i) {
      row.push_back(std::to_string(v[i]));
      total[i] += v[i];
    }
    text += csv::format_row(row);
  };
  std::map<std::string, bool> listed;
  for (const auto& c : counts) {
    row_for(c, c.shelter_id);
    listed[c.shelter_id] = true;
  }
  for (const auto& [id, _] : info)  // shelters with nobody yet
    if (!listed.count(id)) row_for(ShelterCounts{}, id);
  csv::Row row = {"TOTAL", ""};
  for (size_t i = 0; i + 2 < header.size(); ++i) row.push_back(std::to_string(total[i]));
  text += csv::format_row(row);
  return text;
}

std::string pfif_xml(const std::vector<PersonRecord>& persons, const std::vector<ShelterInfo>& shelters,
                     const std::string& domain, const std::string& now_utc) {
  std::map<std::string, std::string> names;
  for (const auto& s : shelters) names[s.id] = s.name;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pfif:pfif xmlns:pfif=\"http://zesty.ca/pfif/1.4\">\n";
  auto el = [&](const char* tag, const std::string& value, const char* indent) {
    if (!value.empty()) x += std::string(indent) + "<pfif:" + tag + ">" + xml_escape(value) + "</pfif:" + tag + ">\n";
  };
  for (const auto& p : persons) {
    const std::string record = domain + "/person." + p.id;
    const std::string shelter = names.count(p.shelter_id) && !names[p.shelter_id].empty()
                                    ? names[p.shelter_id] + " (" + p.shelter_id + ")"
                                    : p.shelter_id;
    x += "  <pfif:person>\n";
    el("person_record_id", record, "    ");
    el("entry_date", now_utc, "    ");
    el("author_name", "Shelter Check-in", "    ");
    el("source_name", domain, "    ");
    el("source_date", now_utc, "    ");
    el("full_name", p.info.name, "    ");
    el("alternate_names", p.info.reading, "    ");
    const std::string sex = p.info.sex == Sex::Male     ? "male"
                            : p.info.sex == Sex::Female ? "female"
                            : p.info.sex == Sex::Other  ? "other"
                                                        : "";
    el("sex", sex, "    ");
    el("date_of_birth", to_string(p.info.birth), "    ");
    x += "    <pfif:note>\n";
    el("note_record_id", domain + "/note." + p.id, "      ");
    el("person_record_id", record, "      ");
    el("entry_date", now_utc, "      ");
    el("author_name", "Shelter Check-in", "      ");
    el("source_date", now_utc, "      ");
    el("author_made_contact", "true", "      ");
    el("status", p.presence == Presence::Left ? "believed_alive" : "is_note_author", "      ");
    el("last_known_location", shelter, "      ");
    const std::string where = p.presence == Presence::Present ? "Checked in at evacuation shelter " + shelter
                              : p.presence == Presence::Out
                                  ? "Checked in at evacuation shelter " + shelter + " (out for now)"
                                  : "Was at evacuation shelter " + shelter + "; has left";
    el("text", where, "      ");
    x += "    </pfif:note>\n  </pfif:person>\n";
  }
  x += "</pfif:pfif>\n";
  return x;
}

}  // namespace shelter::sync
