#include "core/reports.hpp"

#include "core/csv.hpp"

namespace shelter {

std::string roster_csv(const std::vector<PersonRecord>& persons) {
  std::string text = csv::format_row({"person_id", "household_id", "shelter", "presence", "stay", "name", "reading",
                                      "sex", "birth", "address", "phone", "needs", "needs_other", "consent"});
  for (const auto& p : persons)
    text += csv::format_row({p.id, p.household_id, p.shelter_id, std::string(to_string(p.presence)),
                             std::string(to_string(p.stay)), p.info.name, p.info.reading,
                             std::string(to_string(p.info.sex)), to_string(p.info.birth), p.info.address, p.info.phone,
                             needs_to_string(p.info.needs), p.info.needs_other, p.info.consent ? "1" : "0"});
  return text;
}

}  // namespace shelter
