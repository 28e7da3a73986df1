#pragma once
// Roster exports shared by shelterctl (a kiosk's persons) and the server
// (headquarters): one CSV shape everywhere.
#include <string>
#include <vector>

#include "core/store.hpp"

namespace shelter {

// Header row and one row per person (personal data: the caller decides who
// may have it).
std::string roster_csv(const std::vector<PersonRecord>& persons);

}  // namespace shelter
