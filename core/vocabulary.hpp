#pragma once
// Every vocabulary of the record, defined once, in the order people read it:
// needs, age bands, stay types, sexes, the person fields staff edit, pet
// kinds, and the keys of a shelter's counts. The kiosk, shelterctl, both server backends,
// the reports and (through GET /v1/vocabulary) the dashboard take their lists
// from here; tests/ui/check_langs.py reads this file to find the translation
// keys every language must have. Adding a need or an age band is one edit
// here (and its enum in model.hpp) plus the translations.
//
// check_langs.py reads each list as `kName = {"literal", ...}`: keep them
// plain string literals.
#include <array>
#include <string_view>

#include <nlohmann/json.hpp>

namespace shelter::vocab {

// 要配慮 needs; index i is the bit 1 << i of model.hpp's Need.
inline constexpr std::array<std::string_view, 9> kNeeds = {
    "illness", "pregnant", "infant", "disability", "care", "medical_device", "allergy", "language", "other"};

// Age bands, youngest first; index = model.hpp's AgeBand.
inline constexpr std::array<std::string_view, 7> kAgeBands = {"0-5",   "6-12", "13-17",  "18-64",
                                                              "65-74", "75+",  "unknown"};

// Where a person stays; index = model.hpp's StayType.
inline constexpr std::array<std::string_view, 3> kStays = {"shelter", "car", "home"};

// Sexes as counted and shown ("" = not given); index = model.hpp's Sex.
inline constexpr std::array<std::string_view, 4> kSexes = {"", "M", "F", "X"};
// The order forms and counts list them in (not given last).
inline constexpr std::array<std::string_view, 4> kSexOrder = {"F", "M", "X", ""};

// The person fields a volunteer sees and corrects, in form order (all of
// them may be carried by `arrived` and `corrected` bodies; see event.hpp).
inline constexpr std::array<std::string_view, 10> kPersonFields = {
    "name", "reading", "sex", "birth", "address", "phone", "needs", "needs_other", "consent", "stay"};

// Pet kinds a household brings, in form order: the person field "pets"
// holds a count per kind ("dog=1,cat=0,other=2"; model.hpp's Pets).
inline constexpr std::array<std::string_view, 3> kPetKinds = {"dog", "cat", "other"};

// Household-level fields: kept on one member of the household (the one the
// walk-in registers first, or whom staff last wrote them on), carried by
// `arrived` and `corrected` bodies like person fields, edited on their own
// control rather than the person field editor.
inline constexpr std::array<std::string_view, 1> kHouseholdFields = {"pets"};

// The keys of one shelter's counts (counts_to_json), besides "shelter".
inline constexpr std::array<std::string_view, 8> kCountKeys = {"present",     "out",     "households", "by_sex",
                                                               "by_age_band", "by_need", "by_stay",    "pets"};

// Every list above as one JSON object: {"needs": [...], "age_bands": [...],
// "stays": [...], "sexes": [...], "person_fields": [...], "pet_kinds": [...],
// "count_keys": [...]}.
nlohmann::json to_json();

}  // namespace shelter::vocab
