#pragma once
// What headquarters downloads: the situation report CSV (counts per
// shelter, the shape a municipal 避難所状況報告 needs) and PFIF 1.4 XML of
// consenting persons for person-finder services.
#include <string>
#include <vector>

#include "sync/server/store.hpp"

namespace shelter::sync {

// counts: ServerStore::counts(""); shelters: ServerStore::shelters().
// One row per shelter and a municipality total row.
std::string situation_report_csv(const std::vector<ShelterCounts>& counts, const std::vector<ShelterInfo>& shelters);

// persons: consenting persons only (the caller filters). `domain` names this
// repository in record ids ("<domain>/person.<id>"); `now_utc` is
// "YYYY-MM-DDTHH:MM:SSZ".
std::string pfif_xml(const std::vector<PersonRecord>& persons, const std::vector<ShelterInfo>& shelters,
                     const std::string& domain, const std::string& now_utc);

}  // namespace shelter::sync
